import type { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorker } from './miniflare.js';

// The HTTP layer's defences through the real Worker in workerd, where bodies and headers cross real HTTP.

const BASE = 'http://dga-edge.test';
let mf: Miniflare;

beforeAll(async () => {
  mf = await startWorker({ MAX_BODY_BYTES: '4096' });
});
afterAll(async () => {
  await mf?.dispose();
});

const fetchWorker = (path: string, init?: RequestInit & { duplex?: 'half' }) => mf.dispatchFetch(`${BASE}${path}`, init as never) as unknown as Promise<Response>;

describe('the Worker in workerd', () => {
  it('answers a CORS preflight with 204 and lets any origin read answers, without credentials', async () => {
    const preflight = await fetchWorker('/v1/classify', {
      method: 'OPTIONS',
      headers: { origin: 'https://elsewhere.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-methods')).toBe('GET,HEAD,POST,OPTIONS');
    expect(preflight.headers.get('access-control-allow-headers')).toBe('Authorization,Content-Type');
    const res = await fetchWorker('/v1/classify?domain=a.com', { headers: { origin: 'https://elsewhere.example' } });
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('sends the security headers on answers and errors', async () => {
    for (const path of ['/v1/classify?domain=a.com', '/nope']) {
      const res = await fetchWorker(path);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    }
    expect((await fetchWorker('/nope')).headers.get('cache-control')).toBe('no-store');
  });

  it('refuses a long URL with 414 and large headers with 431, in the envelope', async () => {
    const long = await fetchWorker(`/v1/classify?domain=a.com&pad=${'x'.repeat(9000)}`);
    expect(long.status).toBe(414);
    expect(((await long.json()) as any).error.code).toBe('uri_too_long');
    const headers = await fetchWorker('/v1/model', { headers: { 'x-pad': 'x'.repeat(20_000) } });
    expect(headers.status).toBe(431);
    expect(((await headers.json()) as any).error.code).toBe('headers_too_large');
  });

  it('refuses a chunked body over MAX_BODY_BYTES with 413, and accepts one within it', async () => {
    const chunks = (n: number, text: string) =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < n; i++) controller.enqueue(new TextEncoder().encode(text));
          controller.close();
        },
      });
    // The Worker answers 413 as soon as the limit is passed and stops reading; workerd then closes the
    // connection, so a client still sending may see a reset instead of the answer. Either way the Worker
    // read no more than the limit and goes on serving.
    const big = await fetchWorker('/v1/classify', { method: 'POST', headers: { 'content-type': 'application/json' }, body: chunks(100, ' '.repeat(1024)), duplex: 'half' }).then(
      async (res) => ({ status: res.status, code: ((await res.json()) as any).error.code as string }),
      (error: Error) => ({ status: 0, code: String((error.cause as { code?: string } | undefined)?.code ?? error.message) }),
    );
    expect([{ status: 413, code: 'payload_too_large' }, { status: 0, code: 'ECONNRESET' }]).toContainEqual(big);
    expect((await fetchWorker('/healthz')).status).toBe(200);
    const small = await fetchWorker('/v1/classify', {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: chunks(1, JSON.stringify({ domains: ['a.com'] })),
      duplex: 'half',
    });
    expect(small.status).toBe(200);
  });
});
