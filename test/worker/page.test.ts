import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ClassifyBatchResponse, ClassifyResponse } from '../../src/schemas/classify.js';
import { ErrorEnvelope } from '../../src/schemas/common.js';
import { Health, ModelInfo } from '../../src/schemas/model.js';
import { KeyInfo, KeyList, KeyUsage, NewKey, Usage, UsageExport } from '../../src/schemas/usage.js';
import metadataJson from '../../model/metadata.json' with { type: 'json' };
import cardSummaryJson from '../../model/card-summary.json' with { type: 'json' };
import { startWorker } from './miniflare.js';
import { DOCUMENTED_PATHS } from '../fixtures/api-paths.js';

let mf: Miniflare;
const BASE = 'https://dga.example.net';

beforeAll(async () => {
  mf = await startWorker();
});
afterAll(async () => {
  await mf?.dispose();
});

async function get(path: string, init?: RequestInit) {
  const res = await mf.dispatchFetch(`${BASE}${path}`, init as never);
  return { status: res.status, headers: res.headers, text: await res.text() };
}

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

describe('the page, the docs and the OpenAPI document, served by the Worker in workerd', () => {
  it('serves / as one small HTML response whose CSP allows exactly its inline script and style', async () => {
    const res = await get('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    expect(res.text.length).toBeLessThan(40_000);
    const script = res.text.match(/<script>([\s\S]*?)<\/script>/)![1]!;
    const style = res.text.match(/<style>([\s\S]*?)<\/style>/)![1]!;
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain(`script-src ${sha256(script)};`);
    expect(csp).toContain(`style-src ${sha256(style)};`);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
  });

  it('has the page structure: language, landmarks, a labelled box, a button, the model card, usage lines', async () => {
    const { text } = await get('/');
    expect(text).toMatch(/^<!doctype html>\n<html lang="en">/);
    for (const landmark of ['<header>', '<main id="main">', '<footer>', '<nav aria-label="Site">']) expect(text).toContain(landmark);
    expect(text).toContain('<label for="domains">');
    expect(text).toMatch(/<textarea id="domains"[^>]*aria-describedby="domains-hint"/);
    expect(text).toContain('<button type="submit" id="classify"');
    expect(text).toContain('role="status" aria-live="polite"');
    expect(text).toContain(`${metadataJson.id} ${metadataJson.version}`);
    expect(text).toMatch(/<img src="\/roc.svg" width="720" height="582" alt="ROC curve/);
    // The card's figures with their bootstrap intervals (model/card-summary.json): the noise is shown, not only the point.
    const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
    const at1e3 = cardSummaryJson.test.operatingPoints.find((p) => p.target === '1e-3')!;
    expect(text).toContain(`<dd>${pct(at1e3.tpr)} of DGA names (95% interval ${pct(at1e3.tprInterval.low)}–${pct(at1e3.tprInterval.high)})</dd>`);
    expect(text).toContain(`<dd>${cardSummaryJson.test.auc} (95% interval ${cardSummaryJson.test.aucInterval.low.toFixed(5)}–${cardSummaryJson.test.aucInterval.high.toFixed(5)})</dd>`);
    expect(text).toContain(`curl &#39;${BASE}/v1/classify?domain=xjwqkzpvbn.net&amp;families=3&#39;`);
    expect(text).toContain('dig +https @dga.example.net -p 443 example.com');
    expect(text).toContain('dig +https-get @dga.example.net -p 443 xjwqkzpvbn.net');
    // Nothing from elsewhere: no absolute URL in src/href attributes.
    expect(text).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it('serves the ROC plot as SVG', async () => {
    const res = await get('/roc.svg');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/svg+xml');
    expect(res.text).toContain('<svg');
    expect(res.text).toContain('ROC: dga-lstm');
  });

  it('serves /docs, rendered from the document, with every operation and schema', async () => {
    const res = await get('/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toMatch(/script-src 'none'/);
    for (const id of [
      'op-get-v1-classify',
      'op-post-v1-classify',
      'op-get-v1-model',
      'op-get-healthz',
      'op-get-dns-query',
      'op-post-dns-query-key',
      'op-get-v1-usage',
      'op-post-v1-admin-keys',
      'op-get-v1-admin-usage-export',
      'security-apiKey',
      'security-adminToken',
      'schema-Error',
      'schema-Classification',
      'schema-Usage',
    ]) {
      expect(res.text).toContain(`id="${id}"`);
    }
  });

  it('serves /openapi.json with this origin as its server and every API path', async () => {
    const res = await get('/openapi.json');
    expect(res.status).toBe(200);
    const doc = JSON.parse(res.text);
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.servers).toEqual([{ url: BASE }]);
    expect(Object.keys(doc.paths).sort()).toEqual(DOCUMENTED_PATHS);
  });

  it('answers as its response schemas say', async () => {
    const json = async (path: string, init?: RequestInit) => JSON.parse((await get(path, init)).text);
    expect(ClassifyResponse.safeParse(await json('/v1/classify?domain=xjwqkzpvbnqwrtyp.net&families=3')).error).toBeUndefined();
    const batch = await json('/v1/classify', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ domains: ['google.com', 'bad_name.com', 7], families: 2 }),
    });
    expect(ClassifyBatchResponse.safeParse(batch).error).toBeUndefined();
    expect(ModelInfo.safeParse(await json('/v1/model')).error).toBeUndefined();
    expect(Health.safeParse(await json('/healthz')).error).toBeUndefined();
    expect(ErrorEnvelope.safeParse(await json('/v1/classify?domain=bad_name.com')).error).toBeUndefined();
  });

  it('bundles zod with its English messages only (wrangler.toml [alias] -> src/bundle/zod.ts)', async () => {
    const script = await readFile(join(inject('bundleDir'), 'index.js'), 'utf8');
    expect(script).toContain('Invalid input: expected');
    // German, Spanish and French messages (esbuild writes non-ASCII characters as escapes, so ASCII words).
    for (const word of ['erwartet', 'Entrada inv', 'attendu']) expect(script).not.toContain(word);
  });

  it('accepts a JSON content type with parameters and spaces, as before the schemas', async () => {
    const res = await get('/v1/classify', {
      method: 'POST',
      headers: { 'content-type': 'Application/JSON ; charset=utf-8' },
      body: JSON.stringify({ domains: ['google.com'] }),
    });
    expect(res.status).toBe(200);
  });
});

describe('the metering answers, with AUTH=on and an admin token', () => {
  const ADMIN = { authorization: 'Bearer page-test-admin-token-0123456789' };
  let metered: Miniflare;
  beforeAll(async () => {
    metered = await startWorker({ AUTH: 'on', ADMIN_TOKEN: ADMIN.authorization.slice('Bearer '.length) });
  });
  afterAll(async () => {
    await metered?.dispose();
  });

  /** Parses an answer with its schema, and checks it has no field the schema does not describe. */
  async function expectShape(res: Response, schema: { safeParse: (v: unknown) => { error?: unknown }; shape: object }) {
    const json = await res.json();
    expect(schema.safeParse(json).error).toBeUndefined();
    expect(Object.keys(json as object).sort()).toEqual(Object.keys(schema.shape).sort());
    return json as any;
  }
  const call = (path: string, init: RequestInit = {}) => metered.dispatchFetch(`${BASE}${path}`, init as never) as unknown as Promise<Response>;

  it('answers /v1/usage and /v1/admin/* as their response schemas say', async () => {
    const created = await call('/v1/admin/keys', { method: 'POST', headers: ADMIN, body: JSON.stringify({ plan: 'pro', label: 'page' }) });
    expect(created.status).toBe(201);
    const key = await expectShape(created, NewKey);
    const classified = await call('/v1/classify?domain=google.com', { headers: { authorization: `Bearer ${key.key}` } });
    expect(classified.status).toBe(200);
    await expectShape(await call('/v1/usage', { headers: { authorization: `Bearer ${key.key}` } }), Usage);
    await expectShape(await call('/v1/admin/keys', { headers: ADMIN }), KeyList);
    await expectShape(await call(`/v1/admin/keys/${key.id}/usage`, { headers: ADMIN }), KeyUsage);
    const exported = await expectShape(await call('/v1/admin/usage/export', { headers: ADMIN }), UsageExport);
    expect(exported.rows).toHaveLength(1);
    const csv = await call('/v1/admin/usage/export?format=csv', { headers: ADMIN });
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect((await csv.text()).split('\r\n')[0]).toBe('day,key_id,label,plan,units,requests');
    await expectShape(await call(`/v1/admin/keys/${key.id}/revoke`, { method: 'POST', headers: ADMIN }), KeyInfo);
    expect(ErrorEnvelope.safeParse(await (await call('/v1/usage', { headers: { authorization: `Bearer ${key.key}` } })).json()).error).toBeUndefined();
  });
});
