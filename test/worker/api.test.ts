import type { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callWorker, startWorker, TEST_ORIGIN as BASE } from './miniflare.js';

let mf: Miniflare;

beforeAll(async () => {
  mf = await startWorker();
});
afterAll(async () => {
  await mf?.dispose();
});

const call = (path: string, init?: RequestInit) => callWorker(mf, path, init);

function post(body: string, contentType = 'application/json') {
  return call('/v1/classify', { method: 'POST', headers: { 'content-type': contentType }, body });
}

function expectError(res: { status: number; json: any }, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.json).toEqual({ error: { code, message: expect.any(String) } });
  expect(res.json.error.message.length).toBeGreaterThan(10);
}

describe('the Worker in workerd, with the committed model', () => {
  it('reads an internationalised label in Latin letters and does not score one with none', async () => {
    const res = await post(JSON.stringify({ domains: ['münchen.de', '北京大学.cn', 'яндекс.рф'] }));
    expect(res.status).toBe(200);
    const [munich, peking, yandex] = res.json.results;
    expect(munich).toMatchObject({ name: 'xn--mnchen-3ya.de', scored: 'munchen', dga: false });
    expect(munich.unscored).toBeUndefined();
    expect(peking).toEqual({ domain: '北京大学.cn', name: 'xn--1lq90ic7fzpc.cn', scored: '', score: 0, dga: false, unscored: 'non_latin_label' });
    expect(yandex).toMatchObject({ scored: '', score: 0, dga: false, unscored: 'non_latin_label' });
  });

  it('classifies one domain with GET', async () => {
    const res = await call('/v1/classify?domain=XJWQKZPVBN.net.');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(res.json.model).toEqual({ id: expect.any(String), version: expect.any(String) });
    const r = res.json.result;
    expect(r).toMatchObject({ domain: 'XJWQKZPVBN.net.', name: 'xjwqkzpvbn.net', scored: 'xjwqkzpvbn' });
    expect(r.score).toBeGreaterThanOrEqual(0);
    expect(r.score).toBeLessThanOrEqual(1);
    expect(typeof r.dga).toBe('boolean');
  });

  it('answers a mixed batch in order, with errors only on the bad items', async () => {
    const domains = ['google.com', 'bad_name.com', 'svneascvmk.mooo.com', 42, 'Bücher.de', '', 'xjwqkzpvbn.net'];
    const res = await post(JSON.stringify({ domains }));
    expect(res.status).toBe(200);
    const results = res.json.results;
    expect(results).toHaveLength(domains.length);
    expect(results.map((r: any) => r.domain)).toEqual(domains);
    expect(results.map((r: any) => r.error?.code ?? 'ok')).toEqual(['ok', 'invalid_domain', 'ok', 'invalid_domain', 'ok', 'invalid_domain', 'ok']);
    expect(results[2].scored).toBe('svneascvmk');
    expect(results[4].name).toBe('xn--bcher-kva.de');
  });

  it('gives the same score for a name by GET and in a batch, and the dga flag follows the threshold', async () => {
    const model = (await call('/v1/model')).json;
    const one = (await call('/v1/classify?domain=ultraxupoship.org')).json.result;
    const batch = (await post(JSON.stringify({ domains: ['a.com', 'ultraxupoship.org'] }))).json.results[1];
    expect(batch.score).toBe(one.score);
    expect(one.dga).toBe(one.score >= model.threshold);
  });

  it('describes the model', async () => {
    const res = await call('/v1/model');
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ id: 'dga-lstm', padding: 'pre', maxLength: expect.any(Number), threshold: expect.any(Number) });
    expect(res.json.vocabulary).toContain('abc');
    // the suffix prior is summarised, not dumped (its counts stay in model/metadata.json)
    expect(res.json.familySuffixPrior).toEqual({ alpha: 1, suffixes: expect.any(Number), families: expect.any(Number) });
    expect(res.json.familySuffixPrior.suffixes).toBeGreaterThan(100);
  });

  it('reports health', async () => {
    const res = await call('/healthz');
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ status: 'ok', session: { sessionsCreated: 1 } });
    // ORT's linear memory, observed when the wasm was instantiated: whole 64 KiB pages, megabytes of them.
    const bytes = res.json.session.wasmMemoryBytes;
    expect(bytes % 65536).toBe(0);
    expect(bytes).toBeGreaterThanOrEqual(1 << 20);
  });

  it('reuses one ORT session across requests', async () => {
    const before = (await call('/healthz')).json.session;
    await Promise.all(Array.from({ length: 20 }, (_, i) => call(`/v1/classify?domain=name${i}.com`)));
    const after = (await call('/healthz')).json.session;
    expect({ ...after, wasmMemoryBytes: 0 }).toEqual({ ...before, wasmMemoryBytes: 0 });
    expect(after.sessionsCreated).toBe(1);
  });

  it('loads the model while the script starts, so the first request finds a session', async () => {
    const fresh = await startWorker();
    try {
      const first = await fresh.dispatchFetch(`${BASE}/v1/classify?domain=first-request.com`);
      expect(first.status).toBe(200);
      // The session was made during module evaluation: the first request did not create it.
      const health = (await (await fresh.dispatchFetch(`${BASE}/healthz`)).json()) as any;
      expect(health.session).toMatchObject({ sessionsCreated: 1, createdAtStartup: true });
    } finally {
      await fresh.dispose();
    }
  });

  it('leaves the edge cache off by default', async () => {
    const res = await call('/v1/classify?domain=not-cached.net');
    expect(res.headers.get('x-cache')).toBeNull();
    expect(res.headers.get('cache-control')).toBeNull();
  });

  describe('with CACHE_TTL_SECONDS=3600', () => {
    let cached: Miniflare;
    beforeAll(async () => {
      cached = await startWorker({ CACHE_TTL_SECONDS: '3600' });
    });
    afterAll(async () => {
      await cached?.dispose();
    });
    const get = async (path: string) => {
      const res = await cached.dispatchFetch(`${BASE}${path}`);
      return { headers: res.headers, json: await res.json() };
    };

    it('serves a repeated GET from the edge cache, keyed by the whole query', async () => {
      const url = '/v1/classify?domain=cache-me-please.net';
      const first = await get(url);
      expect(first.headers.get('x-cache')).toBe('miss');
      expect(first.headers.get('cache-control')).toBe('public, max-age=3600');
      const second = await get(url);
      expect(second.headers.get('x-cache')).toBe('hit');
      expect(second.json).toEqual(first.json);
      const other = await get('/v1/classify?domain=cache-me-please.net&x=1');
      expect(other.headers.get('x-cache')).toBe('miss');
    });

    it('never caches errors or POST answers', async () => {
      await get('/v1/classify?domain=bad_name.com');
      expect((await get('/v1/classify?domain=bad_name.com')).headers.get('x-cache')).toBeNull();
      const res = await cached.dispatchFetch(`${BASE}/v1/classify`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ domains: ['a.com'] }),
      });
      expect(res.headers.get('x-cache')).toBeNull();
      expect(res.headers.get('cache-control')).toBeNull();
    });
  });

  it('reports model time in a Server-Timing header', async () => {
    const res = await post(JSON.stringify({ domains: ['timing-one.com', 'timing-two.com'] }));
    expect(res.headers.get('server-timing')).toMatch(/^model;dur=\d+\.\d{3};desc="2 rows", classify;dur=\d+\.\d{3}$/);
  });

  it('rejects an invalid domain with 400 invalid_domain', async () => {
    const res = await call('/v1/classify?domain=bad_name.com');
    expectError(res, 400, 'invalid_domain');
    expect(res.json.error.message).toContain('"_"');
  });

  it('requires the domain parameter', async () => {
    expectError(await call('/v1/classify'), 400, 'invalid_request');
  });

  it('rejects invalid JSON with 400 invalid_json', async () => {
    expectError(await post('{"domains": ['), 400, 'invalid_json');
  });

  it('rejects a body without a domains array with 400 invalid_request', async () => {
    expectError(await post('{"names": ["a.com"]}'), 400, 'invalid_request');
    expectError(await post('["a.com"]'), 400, 'invalid_request');
    expectError(await post('null'), 400, 'invalid_request');
  });

  it('rejects a wrong content type with 415', async () => {
    expectError(await post('{"domains": ["a.com"]}', 'text/plain'), 415, 'unsupported_media_type');
    expectError(await call('/v1/classify', { method: 'POST', body: '{"domains": []}' }), 415, 'unsupported_media_type');
  });

  it('rejects more than MAX_BATCH domains with 413 too_many_domains', async () => {
    const domains = Array.from({ length: 1001 }, (_, i) => `n${i}.com`);
    expectError(await post(JSON.stringify({ domains })), 413, 'too_many_domains');
  });

  it('accepts exactly MAX_BATCH domains', async () => {
    const domains = Array.from({ length: 1000 }, (_, i) => `n${i}.com`);
    const res = await post(JSON.stringify({ domains }));
    expect(res.status).toBe(200);
    expect(res.json.results).toHaveLength(1000);
  });

  it('rejects a body larger than MAX_BODY_BYTES with 413 payload_too_large', async () => {
    const big = JSON.stringify({ domains: ['a'.repeat(600 * 1024)] });
    // The Worker refuses from the declared Content-Length without reading the body, and workerd may reset the
    // connection while the client is still writing it (fetch failed: write ECONNRESET, seen once in CI): a
    // transport race with no answer to check, so it is retried; the answer, when one arrives, must be the 413.
    let answer: Awaited<ReturnType<typeof post>> | undefined;
    for (let attempt = 1; answer === undefined; attempt++) {
      try {
        answer = await post(big);
      } catch (error) {
        const code = (error as { cause?: { code?: string } }).cause?.code;
        if (attempt >= 5 || (code !== 'ECONNRESET' && code !== 'EPIPE')) throw error;
      }
    }
    expectError(answer, 413, 'payload_too_large');
  });

  it('answers unknown routes with 404 not_found', async () => {
    expectError(await call('/v2/whatever'), 404, 'not_found');
  });

  it('has no bench route: /__bench/score-loop exists only in the bench-only entry (scripts/lib/bench-loop-worker.ts)', async () => {
    const body = JSON.stringify({ labels: ['google'], variant: 'own-width' });
    expectError(await call('/__bench/score-loop', { method: 'POST', headers: { 'content-type': 'application/json' }, body }), 404, 'not_found');
    expectError(await call('/__bench/score-loop'), 404, 'not_found');
  });

  it('answers wrong methods with 405 and an Allow header', async () => {
    const res = await call('/v1/classify', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' });
    expectError(res, 405, 'method_not_allowed');
    expect(res.headers.get('allow')).toBe('GET, POST, HEAD');
    expectError(await call('/v1/model', { method: 'POST' }), 405, 'method_not_allowed');
    expectError(await call('/healthz', { method: 'DELETE' }), 405, 'method_not_allowed');
  });
});

describe('deployment settings', () => {
  let limited: Miniflare;
  beforeAll(async () => {
    limited = await startWorker({ MAX_BATCH: '3', MAX_BODY_BYTES: '2048', DGA_THRESHOLD: '0' });
  });
  afterAll(async () => {
    await limited?.dispose();
  });

  it('honour MAX_BATCH, MAX_BODY_BYTES and DGA_THRESHOLD', async () => {
    const send = (body: string) =>
      limited.dispatchFetch(`${BASE}/v1/classify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect((await send(JSON.stringify({ domains: ['a.com', 'b.com', 'c.com', 'd.com'] }))).status).toBe(413);
    expect((await send(JSON.stringify({ domains: ['x'.repeat(3000)] }))).status).toBe(413);
    const ok = await send(JSON.stringify({ domains: ['google.com'] }));
    const body = (await ok.json()) as any;
    expect(body.results[0].dga).toBe(true); // threshold 0: everything is DGA
    const model = (await (await limited.dispatchFetch(`${BASE}/v1/model`)).json()) as any;
    expect(model.threshold).toBe(0);
  });

  it('serve the int8 model by default and the float one with MODEL_PRECISION=float', async () => {
    const float = await startWorker({ MODEL_PRECISION: 'float' });
    try {
      const domains = ['xjwqkzpvbn.net', 'google.com', 'ultraxupoship.org', 'wikipedia.org'];
      const ask = async (mf: Miniflare) => {
        const res = await mf.dispatchFetch(`${BASE}/v1/classify`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ domains }),
        });
        return ((await res.json()) as any).results as { score: number; dga: boolean }[];
      };
      const [q, f] = [await ask(mf), await ask(float)];
      expect(((await (await mf.dispatchFetch(`${BASE}/v1/model`)).json()) as any).precision).toBe('int8');
      expect(((await (await float.dispatchFetch(`${BASE}/v1/model`)).json()) as any).precision).toBe('float');
      q.forEach((r, i) => {
        expect(Math.abs(r.score - f[i]!.score)).toBeLessThanOrEqual(0.01); // issue 4's int8 target
        expect(r.dga).toBe(f[i]!.dga);
      });
    } finally {
      await float.dispose();
    }
  });

  it('refuse a bad setting with a logged 500, not a crash', async () => {
    const badSettings: Record<string, string>[] = [{ MAX_BATCH: 'lots' }, { MODEL_PRECISION: 'int4' }];
    for (const vars of badSettings) {
      const bad = await startWorker(vars);
      try {
        const res = await bad.dispatchFetch(`${BASE}/healthz`);
        expect(res.status).toBe(500);
        expect(((await res.json()) as any).error.code).toBe('internal_error');
      } finally {
        await bad.dispose();
      }
    }
  });
});
