import { Hono } from 'hono';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createApp } from '../../src/app.js';
import { createClassifier } from '../../src/core/classifier.js';
import { generateApiKey, hashApiKey } from '../../src/core/api-keys.js';
import { parseConfig } from '../../src/config.js';
import { keyFromDohPath } from '../../src/http/auth.js';
import type { AppEnv } from '../../src/http/env.js';
import { handleError } from '../../src/http/error-response.js';
import { metering } from '../../src/http/metering.js';
import type { Admission, Charge } from '../../src/metering/key-meter.js';
import { testMetadata } from '../fixtures/metadata.js';

// The middleware's decisions with a scripted stand-in for the key's Durable Object: what workerd cannot
// easily produce (storage failures) and what another branch will mount (/dns-query/<key>).

const classifier = createClassifier({
  metadata: testMetadata({ id: 'm', maxLength: 4, architecture: { cell: 'lstm', embeddingDim: 1, units: 1, dropout: 0, recurrentActivation: 'sigmoid' } }),
  scorer: { score: async (_c, n) => ({ scores: new Float32Array(n).fill(0.5), logits: new Float32Array(n) }) },
});
const quota = { limit: 100, used: 0, remaining: 100, resetsAt: '2026-12-01T00:00:00.000Z' };
const rate = { limit: 10, remaining: 9, resetSeconds: 1, retryAfterSeconds: 0 };
const admitted: Admission = { outcome: 'ok', plan: 'pro', rate, quota };

interface Script {
  admit?: () => Admission;
  charge?: (requestId: string, units: number) => Charge;
}

function fakeMeters(script: Script) {
  const calls: { method: string; name: string; args: unknown[] }[] = [];
  const namespace = {
    idFromName: (name: string) => name,
    get: (name: string) => ({
      admit: async (...args: unknown[]) => {
        calls.push({ method: 'admit', name, args });
        return (script.admit ?? (() => admitted))();
      },
      charge: async (hash: string, requestId: string, units: number) => {
        calls.push({ method: 'charge', name, args: [hash, requestId, units] });
        return (script.charge ?? ((_id, n) => ({ outcome: 'charged', units: n, quota, duplicate: false }) as Charge))(requestId, units);
      },
    }),
  };
  return { calls, namespace };
}

const key = generateApiKey();

async function ask(script: Script, vars: Record<string, string> = { AUTH: 'on' }) {
  const meters = fakeMeters(script);
  const app = createApp({ classifier: async () => classifier }); // a new app: it parses its config once
  const res = await app.request('/v1/classify?domain=example.com', { headers: { authorization: `Bearer ${key}` } }, { ...vars, KEY_METER: meters.namespace });
  return { res, body: (await res.json()) as any, calls: meters.calls };
}

afterEach(() => vi.restoreAllMocks());

describe('metering middleware', () => {
  it('with AUTH=off makes no storage call and adds no header', async () => {
    const { res, calls } = await ask({}, { AUTH: 'off' });
    expect(res.status).toBe(200);
    expect(calls).toEqual([]);
    expect(res.headers.get('ratelimit-limit')).toBeNull();
  });

  it('admits, answers, then charges the names the answer scored, in the meter named by the key hash', async () => {
    const { res, calls } = await ask({});
    expect(res.status).toBe(200);
    const hash = await hashApiKey(key);
    expect(calls.map((c) => [c.method, c.name])).toEqual([
      ['admit', hash],
      ['charge', hash],
    ]);
    expect(calls[1]!.args[2]).toBe(1);
    expect(res.headers.get('x-units-charged')).toBe('1');
  });

  it('fails closed with 503 metering_unavailable when the meter cannot be reached', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const { res, body, calls } = await ask({
      admit: () => {
        throw new Error('storage down');
      },
    });
    expect(res.status).toBe(503);
    expect(body.error.code).toBe('metering_unavailable');
    expect(res.headers.get('retry-after')).toBe('1');
    expect(calls.filter((c) => c.method === 'charge')).toEqual([]);
  });

  it('withholds the answer (503) when its charge cannot be recorded, after one retry', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const { res, body, calls } = await ask({
      charge: () => {
        throw new Error('storage down');
      },
    });
    expect(res.status).toBe(503);
    expect(body).toEqual({ error: { code: 'metering_unavailable', message: expect.any(String) } });
    const charges = calls.filter((c) => c.method === 'charge');
    expect(charges).toHaveLength(2);
    expect(charges[1]!.args[1]).toBe(charges[0]!.args[1]); // same request id: the meter ignores a repeat
  });

  it('serves the answer when a retried charge succeeds', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    let attempts = 0;
    const { res, body } = await ask({
      charge: (_id, units) => {
        attempts += 1;
        if (attempts === 1) throw new Error('connection reset');
        return { outcome: 'charged', units, quota, duplicate: true };
      },
    });
    expect(res.status).toBe(200);
    expect(body.result.domain).toBe('example.com');
  });

  it('answers 500 when a key is on a plan PLANS no longer defines', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const { res, body } = await ask({ admit: () => ({ outcome: 'unknown_plan', plan: 'gold' }) });
    expect(res.status).toBe(500);
    expect(body.error.message).toContain('"gold"');
  });

  it('can take the key from /dns-query/<key> and charges one unit per 2xx answer by default', async () => {
    const doh = new Hono<AppEnv>();
    doh.use('*', async (c, next) => {
      c.set('config', parseConfig(c.env));
      await next();
    });
    doh.use('/dns-query/:key', metering({ keyFromPath: keyFromDohPath }));
    doh.get('/dns-query/:key', (c) => c.body(new Uint8Array(12), 200, { 'content-type': 'application/dns-message' }));
    doh.onError(handleError);
    const meters = fakeMeters({});
    const res = await doh.request(`/dns-query/${key}?dns=AAABAAABAAAAAAAA`, {}, { AUTH: 'on', KEY_METER: meters.namespace });
    expect(res.status).toBe(200);
    expect(res.headers.get('ratelimit-limit')).toBe('10');
    expect(meters.calls.map((c) => [c.method, c.name])).toEqual([
      ['admit', await hashApiKey(key)],
      ['charge', await hashApiKey(key)],
    ]);
    expect(meters.calls[1]!.args[2]).toBe(1);
    const missing = await doh.request('/dns-query/not-a-key', {}, { AUTH: 'on', KEY_METER: meters.namespace });
    expect(missing.status).toBe(401);
  });
});

describe('admin API', () => {
  it('is off without ADMIN_TOKEN and wants the token otherwise', async () => {
    const app = createApp({ classifier: async () => classifier });
    const off = await app.request('/v1/admin/keys', { headers: { authorization: 'Bearer anything' } }, {});
    expect(off.status).toBe(403);
    expect(((await off.json()) as any).error.code).toBe('admin_disabled');
    const wrong = await app.request('/v1/admin/keys', { headers: { authorization: 'Bearer nope' } }, { ADMIN_TOKEN: 'right-token' });
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as any).error.code).toBe('invalid_admin_token');
  });
});
