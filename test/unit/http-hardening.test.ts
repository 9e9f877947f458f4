import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { createClassifier } from '../../src/core/classifier.js';
import { parseConfig } from '../../src/config.js';
import { MAX_HEADER_CHARS, MAX_URL_CHARS } from '../../src/http/request-limits.js';
import { testMetadata } from '../fixtures/metadata.js';

// The HTTP layer's defences (issue 9): CORS, security headers, size limits, strict content types.

const classifier = createClassifier({
  metadata: testMetadata(),
  scorer: { score: async (_c, n) => ({ scores: new Float32Array(n).fill(0.25), logits: new Float32Array(n) }) },
});
// The app parses its settings once, on its first request: one app per set of settings.
const app = createApp({ classifier: async () => classifier });
const limited = createApp({ classifier: async () => classifier });
const env = { MAX_BODY_BYTES: '2048' };

const post = (body: BodyInit, headers: Record<string, string> = { 'content-type': 'application/json' }, extra: RequestInit = {}) =>
  limited.request('/v1/classify', { method: 'POST', headers, body, ...extra }, env);

async function expectEnvelope(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(await response.json()).toEqual({ error: { code, message: expect.stringMatching(/\w/) } });
}

/** A body stream that yields `chunks` chunks of `size` bytes and records how many were pulled. */
function countingStream(chunks: number, size: number) {
  const state = { pulled: 0 };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (state.pulled === chunks) return controller.close();
      state.pulled += 1;
      controller.enqueue(new Uint8Array(size).fill(0x20));
    },
  });
  return { stream, state };
}

describe('CORS', () => {
  it('lets any origin read the API by default, without credentials', async () => {
    const res = await app.request('/v1/classify?domain=a.com', { headers: { origin: 'https://elsewhere.example' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    expect(res.headers.get('access-control-expose-headers')).toBe('Retry-After,Server-Timing,X-Cache');
  });

  it('answers a preflight with 204, the allowed methods and headers and a max-age, without loading the model', async () => {
    let loads = 0;
    const counting = createApp({ classifier: async () => (loads++, classifier) });
    const res = await counting.request('/v1/classify', {
      method: 'OPTIONS',
      headers: { origin: 'https://elsewhere.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-methods')).toBe('GET,HEAD,POST,OPTIONS');
    expect(res.headers.get('access-control-allow-headers')).toBe('Authorization,Content-Type');
    expect(res.headers.get('access-control-max-age')).toBe('86400');
    expect(loads).toBe(0);
  });

  it('carries CORS headers on errors too, so a browser can read them', async () => {
    const res = await app.request('/v1/classify', { headers: { origin: 'https://elsewhere.example' } });
    expect(res.status).toBe(400);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('allows only the listed origins when CORS_ORIGINS is set, and varies on Origin', async () => {
    const listed = { CORS_ORIGINS: 'https://app.example, http://localhost:3000' };
    const allowed = await createApp({ classifier: async () => classifier }).request('/v1/model', { headers: { origin: 'https://app.example' } }, listed);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(allowed.headers.get('vary')).toMatch(/Origin/);
    const other = createApp({ classifier: async () => classifier });
    const refused = await other.request('/v1/model', { headers: { origin: 'https://evil.example' } }, listed);
    expect(refused.status).toBe(200); // CORS is enforced by the browser: the answer just lacks the header
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses a CORS_ORIGINS value that is not a list of origins', () => {
    expect(parseConfig({ CORS_ORIGINS: '*' }).corsOrigins).toBe('*');
    expect(parseConfig({}).corsOrigins).toBe('*');
    expect(parseConfig({ CORS_ORIGINS: 'HTTPS://A.example:8443' }).corsOrigins).toEqual(['https://a.example:8443']);
    for (const bad of ['https://a.example/path', 'a.example', 'https://*.example', 'https://a.example,*']) {
      expect(() => parseConfig({ CORS_ORIGINS: bad })).toThrow(/CORS_ORIGINS/);
    }
  });
});

describe('security headers', () => {
  it('marks every answer nosniff and no-referrer, with a deny-all CSP on JSON', async () => {
    for (const path of ['/v1/classify?domain=a.com', '/v1/model', '/healthz', '/nope', '/v1/classify']) {
      const res = await app.request(path);
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(res.headers.get('referrer-policy'), path).toBe('no-referrer');
      expect(res.headers.get('content-security-policy'), path).toBe("default-src 'none'; frame-ancestors 'none'");
    }
  });

  it('forbids storing errors and health answers, and leaves successful classify answers cacheable', async () => {
    expect((await app.request('/nope')).headers.get('cache-control')).toBe('no-store');
    expect((await app.request('/v1/classify')).headers.get('cache-control')).toBe('no-store');
    expect((await app.request('/healthz')).headers.get('cache-control')).toBe('no-store');
    expect((await app.request('/v1/classify?domain=a.com')).headers.get('cache-control')).toBeNull();
  });

  it('answers errors as JSON, so input echoed in a message is never HTML', async () => {
    const res = await app.request('/v1/classify?domain=%3Cscript%3Ealert(1)%3C/script%3E.com');
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  });
});

describe('size limits', () => {
  it(`answers a URL longer than ${MAX_URL_CHARS} characters with 414 uri_too_long`, async () => {
    await expectEnvelope(await app.request(`/v1/classify?domain=a.com&pad=${'x'.repeat(MAX_URL_CHARS)}`), 414, 'uri_too_long');
    expect((await app.request(`/v1/classify?domain=a.com&pad=${'x'.repeat(MAX_URL_CHARS - 100)}`)).status).toBe(200);
  });

  it('answers a long domain parameter with 400 invalid_domain, and many repeated parameters with 400 invalid_request', async () => {
    await expectEnvelope(await app.request(`/v1/classify?domain=${'a'.repeat(5000)}.com`), 400, 'invalid_domain');
    // One name per GET: a repeated "domain" is ambiguous, so it is refused rather than guessed at.
    await expectEnvelope(await app.request(`/v1/classify?${'domain=a.com&'.repeat(500)}`), 400, 'invalid_request');
  });

  it(`answers headers larger than ${MAX_HEADER_CHARS} characters with 431 headers_too_large`, async () => {
    await expectEnvelope(await app.request('/v1/model', { headers: { 'x-junk': 'x'.repeat(MAX_HEADER_CHARS) } }), 431, 'headers_too_large');
  });

  it('refuses a declared Content-Length over MAX_BODY_BYTES before reading the body', async () => {
    const { stream, state } = countingStream(100, 1024);
    const res = await post(stream, { 'content-type': 'application/json', 'content-length': '102400' }, { duplex: 'half' } as RequestInit);
    await expectEnvelope(res, 413, 'payload_too_large');
    expect(state.pulled).toBeLessThanOrEqual(1); // a stream may pre-pull one chunk; nothing is read
  });

  it('stops reading a chunked body (no Content-Length) as soon as it passes MAX_BODY_BYTES', async () => {
    const { stream, state } = countingStream(1000, 1024);
    await expectEnvelope(await post(stream, undefined, { duplex: 'half' } as RequestInit), 413, 'payload_too_large');
    expect(state.pulled).toBeLessThanOrEqual(4); // 2048 bytes allowed: the third 1 KiB chunk trips the limit
  });

  it('does not trust a Content-Length that understates the body', async () => {
    const { stream, state } = countingStream(1000, 1024);
    const res = await post(stream, { 'content-type': 'application/json', 'content-length': '10' }, { duplex: 'half' } as RequestInit);
    await expectEnvelope(res, 413, 'payload_too_large');
    expect(state.pulled).toBeLessThanOrEqual(4);
  });

  it('accepts a chunked body within the limit', async () => {
    const body = new Blob([JSON.stringify({ domains: ['a.com', 'b.org'] })]).stream();
    const res = await post(body, undefined, { duplex: 'half' } as RequestInit);
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).results).toHaveLength(2);
  });

  it('answers a deeply nested batch item with a result that does not echo it (was a 500)', async () => {
    const deep = `${'['.repeat(900)}1${']'.repeat(900)}`;
    const res = await post(`{"domains":["a.com",${deep}],"families":null}`);
    expect(res.status).toBe(200);
    const results = ((await res.json()) as any).results;
    expect(results[1]).toEqual({ domain: null, error: { code: 'invalid_domain', message: 'domain must be a string, got an array' } });
    await expectEnvelope(await post(`{"domains":["a.com"],"families":${deep}}`), 400, 'invalid_request');
  });
});

describe('content types', () => {
  it('accepts application/json with or without charset=utf-8', async () => {
    for (const type of ['application/json', 'application/json; charset=utf-8', 'Application/JSON;charset="UTF-8"']) {
      expect((await post('{"domains":["a.com"]}', { 'content-type': type })).status, type).toBe(200);
    }
  });

  it('refuses anything else with 415 unsupported_media_type', async () => {
    for (const type of ['text/plain', 'application/json; charset=latin1', 'application/jsonp', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      await expectEnvelope(await post('{"domains":["a.com"]}', { 'content-type': type }), 415, 'unsupported_media_type');
    }
    await expectEnvelope(await post(new Uint8Array(Buffer.from('{"domains":["a.com"]}')), {}), 415, 'unsupported_media_type');
  });
});
