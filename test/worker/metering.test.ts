import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callWorker as call, startWorker, TEST_ORIGIN as BASE, type Answer } from './miniflare.js';

const ADMIN_TOKEN = 'test-admin-token-0123456789';
/** Small plans make every limit cheap to reach. */
const PLANS = JSON.stringify({
  pro: { unitsPerMonth: 1_000_000, requestsPerSecond: 1000, maxBatch: 1000 },
  tiny: { unitsPerMonth: 5, requestsPerSecond: 1000, maxBatch: 10 },
  slow: { unitsPerMonth: 1000, requestsPerSecond: 1, maxBatch: 10 },
  bulk: { unitsPerMonth: 1_000_000_000, requestsPerSecond: 1_000_000, maxBatch: 100 },
});
const METERED = { AUTH: 'on', PLANS, ADMIN_TOKEN };


const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const get = (mf: Miniflare, key: string | undefined, domain: string, headers: Record<string, string> = {}) =>
  call(mf, `/v1/classify?domain=${encodeURIComponent(domain)}`, { headers: { ...(key ? bearer(key) : {}), ...headers } });
const post = (mf: Miniflare, key: string | undefined, domains: unknown[]) =>
  call(mf, '/v1/classify', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? bearer(key) : {}) },
    body: JSON.stringify({ domains }),
  });
const admin = (mf: Miniflare, path: string, init: RequestInit = {}) =>
  call(mf, `/v1/admin${path}`, { ...init, headers: { ...bearer(ADMIN_TOKEN), 'content-type': 'application/json', ...(init.headers as object) } });

async function createKey(mf: Miniflare, plan: string, label = plan): Promise<{ key: string; id: string }> {
  const res = await admin(mf, '/keys', { method: 'POST', body: JSON.stringify({ plan, label }) });
  expect(res.status).toBe(201);
  return res.json;
}

async function unitsOf(mf: Miniflare, id: string): Promise<number> {
  const res = await admin(mf, `/keys/${id}/usage`);
  expect(res.status).toBe(200);
  return res.json.units;
}

function expectError(res: Answer, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.json).toEqual({ error: { code, message: expect.any(String) } });
}

const today = () => new Date().toISOString().slice(0, 10);

describe('pay-per-request endpoint (AUTH=on)', () => {
  let mf: Miniflare;
  beforeAll(async () => {
    mf = await startWorker(METERED);
  });
  afterAll(async () => {
    await mf?.dispose();
  });

  it('refuses a request without a key with 401 missing_api_key and a Bearer challenge', async () => {
    const res = await get(mf, undefined, 'example.com');
    expectError(res, 401, 'missing_api_key');
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });

  it('refuses unknown, malformed and non-Bearer keys with 401 invalid_api_key', async () => {
    const unknown = 'dga_live_' + 'A'.repeat(43);
    for (const headers of [bearer(unknown), bearer('not-a-key'), { authorization: 'Basic dXNlcjpwYXNz' }]) {
      const res = await call(mf, '/v1/classify?domain=example.com', { headers });
      expectError(res, 401, 'invalid_api_key');
      expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
    }
  });

  it('runs a key through its life: create, use, list, revoke, then 401', async () => {
    const created = await createKey(mf, 'pro', 'acme');
    expect(created.key).toMatch(/^dga_live_[A-Za-z0-9_-]{43}$/);
    expect(created).toMatchObject({ id: expect.stringMatching(/^key_[0-9a-f]{16}$/), plan: 'pro', label: 'acme', revoked: null });

    const ok = await get(mf, created.key, 'xjwqkzpvbn.net');
    expect(ok.status).toBe(200);
    expect(ok.json.result.scored).toBe('xjwqkzpvbn');
    expect(ok.headers.get('ratelimit-limit')).toBe('1000');
    expect(ok.headers.get('ratelimit-remaining')).toBe('999');
    expect(ok.headers.get('ratelimit-reset')).toMatch(/^\d+$/);
    expect(ok.headers.get('ratelimit-policy')).toBe('1000;w=1');
    expect(ok.headers.get('x-quota-limit')).toBe('1000000');
    expect(ok.headers.get('x-quota-remaining')).toBe('999999');
    expect(ok.headers.get('x-units-charged')).toBe('1');

    const list = await admin(mf, '/keys');
    expect(list.status).toBe(200);
    const listed = list.json.keys.find((k: any) => k.id === created.id);
    expect(listed).toEqual({ id: created.id, hint: created.key.slice(0, 13) + '…', label: 'acme', plan: 'pro', created: expect.any(String), revoked: null });
    expect(list.text).not.toContain(created.key); // neither the key nor its hash is ever listed
    expect(list.text).not.toContain('hash');

    const revoked = await admin(mf, `/keys/${created.id}/revoke`, { method: 'POST' });
    expect(revoked.status).toBe(200);
    expect(revoked.json.revoked).toEqual(expect.any(String));
    const refused = await get(mf, created.key, 'xjwqkzpvbn.net');
    expectError(refused, 401, 'invalid_api_key');
    expect(refused.json.error.message).toMatch(/revoked/);
    const after = (await admin(mf, '/keys')).json.keys.find((k: any) => k.id === created.id);
    expect(after.revoked).toBe(revoked.json.revoked);
    expect(await unitsOf(mf, created.id)).toBe(1);
  });

  it('answers 402 quota_exceeded once the plan is spent, and never charges beyond it', async () => {
    const { key, id } = await createKey(mf, 'tiny'); // 5 units a month
    expect((await post(mf, key, ['a.com', 'b.com', 'c.com'])).status).toBe(200);
    // 3 more would exceed the 2 left: the whole answer is withheld and nothing is charged.
    const over = await post(mf, key, ['d.com', 'e.com', 'f.com']);
    expectError(over, 402, 'quota_exceeded');
    expect(over.headers.get('x-quota-remaining')).toBe('2');
    expect(over.json.results).toBeUndefined();
    expect((await get(mf, key, 'g.com')).status).toBe(200);
    const last = await get(mf, key, 'h.com');
    expect(last.status).toBe(200);
    expect(last.headers.get('x-quota-remaining')).toBe('0');
    const spent = await get(mf, key, 'i.com');
    expectError(spent, 402, 'quota_exceeded');
    expect(spent.headers.get('x-quota-reset')).toMatch(/^\d{4}-\d{2}-01T00:00:00.000Z$/);
    expect(await unitsOf(mf, id)).toBe(5);
  });

  it('answers 429 with Retry-After and rate-limit headers over the plan rate', async () => {
    const { key, id } = await createKey(mf, 'slow'); // 1 request per second
    const first = await get(mf, key, 'first.com');
    expect(first.status).toBe(200);
    expect(first.headers.get('ratelimit-remaining')).toBe('0');
    const second = await get(mf, key, 'second.com');
    expectError(second, 429, 'rate_limited');
    expect(second.headers.get('retry-after')).toBe('1');
    expect(second.headers.get('ratelimit-limit')).toBe('1');
    expect(second.headers.get('ratelimit-remaining')).toBe('0');
    expect(await unitsOf(mf, id)).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await get(mf, key, 'third.com')).status).toBe(200);
  });

  it('applies the plan batch size: 413 too_many_domains, no units', async () => {
    const { key, id } = await createKey(mf, 'tiny'); // maxBatch 10
    const res = await post(mf, key, Array.from({ length: 11 }, (_, i) => `n${i}.com`));
    expectError(res, 413, 'too_many_domains');
    expect(res.json.error.message).toContain('tiny plan');
    expect(res.headers.get('ratelimit-limit')).toBe('1000');
    expect(await unitsOf(mf, id)).toBe(0);
  });

  it('charges only names that got a score: errors and invalid items are free', async () => {
    const { key, id } = await createKey(mf, 'pro');
    const bad = await get(mf, key, 'bad_name.com');
    expectError(bad, 400, 'invalid_domain');
    expect(bad.headers.get('x-units-charged')).toBe('0');
    expect(bad.headers.get('ratelimit-limit')).toBe('1000');
    expect((await call(mf, '/v1/classify', { method: 'POST', headers: { 'content-type': 'application/json', ...bearer(key) }, body: '{' })).status).toBe(400);
    const mixed = await post(mf, key, ['google.com', 'bad_name.com', 42, 'xjwqkzpvbn.net']);
    expect(mixed.status).toBe(200);
    expect(mixed.headers.get('x-units-charged')).toBe('2');
    const empty = await post(mf, key, []);
    expect(empty.status).toBe(200);
    expect(empty.headers.get('x-units-charged')).toBe('0');
    expect(await unitsOf(mf, id)).toBe(2);
  });

  it('GET /v1/usage gives the caller its usage in the current period, free of charge', async () => {
    const { key, id } = await createKey(mf, 'pro', 'usage-check');
    await post(mf, key, ['a.com', 'b.com', 'c.com']);
    await get(mf, key, 'd.com');
    const res = await call(mf, '/v1/usage', { headers: bearer(key) });
    expect(res.status).toBe(200);
    const month = today().slice(0, 7);
    expect(res.json).toEqual({
      key: { id, label: 'usage-check', plan: 'pro', created: expect.any(String) },
      period: { month, from: `${month}-01`, to: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/), resetsAt: expect.any(String) },
      units: 4,
      requests: 2,
      quota: { limit: 1_000_000, remaining: 999_996 },
      days: [{ day: today(), units: 4, requests: 2 }],
    });
    expect(res.headers.get('ratelimit-limit')).toBe('1000');
    expect((await call(mf, '/v1/usage', { headers: bearer(key) })).json.units).toBe(4);
    expectError(await call(mf, '/v1/usage'), 401, 'missing_api_key');
  });

  it('protects the admin API with ADMIN_TOKEN', async () => {
    expectError(await call(mf, '/v1/admin/keys'), 401, 'invalid_admin_token');
    expectError(await call(mf, '/v1/admin/keys', { headers: bearer('wrong-token') }), 401, 'invalid_admin_token');
    expectError(await admin(mf, '/keys', { method: 'POST', body: JSON.stringify({ plan: 'gold' }) }), 400, 'invalid_request');
    expectError(await admin(mf, '/keys/key_0000000000000000/revoke', { method: 'POST' }), 404, 'not_found');
    expectError(await admin(mf, '/usage/export?from=2026-02-30'), 400, 'invalid_request');
  });
});

// One Worker for both: the export test runs first and sees only its own keys.
describe('usage export and exact counts', () => {
  let mf: Miniflare;
  beforeAll(async () => {
    mf = await startWorker(METERED);
  });
  afterAll(async () => {
    await mf?.dispose();
  });

  it('gives units per key per day as JSON and CSV', async () => {
    const acme = await createKey(mf, 'pro', 'acme');
    const globex = await createKey(mf, 'tiny', 'globex, inc. "west"');
    const idle = await createKey(mf, 'pro', 'idle');
    await post(mf, acme.key, ['a.com', 'b.com', 'c.com']);
    await get(mf, acme.key, 'd.com');
    await get(mf, globex.key, 'e.com');
    const day = today();

    const json = await admin(mf, `/usage/export?from=${day}&to=${day}&format=json`);
    expect(json.status).toBe(200);
    const rows = [
      { day, keyId: acme.id, label: 'acme', plan: 'pro', units: 4, requests: 2 },
      { day, keyId: globex.id, label: 'globex, inc. "west"', plan: 'tiny', units: 1, requests: 1 },
    ].sort((a, b) => a.keyId.localeCompare(b.keyId));
    expect(json.json).toEqual({ from: day, to: day, units: 5, rows });
    expect(json.text).not.toContain(idle.id); // days without use are left out

    const csv = await admin(mf, `/usage/export?from=${day}&to=${day}&format=csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const line = (r: (typeof rows)[number]) => [r.day, r.keyId, r.label.includes(',') ? `"${r.label.replace(/"/g, '""')}"` : r.label, r.plan, r.units, r.requests].join(',');
    expect(csv.text).toBe(['day,key_id,label,plan,units,requests', ...rows.map(line)].join('\r\n') + '\r\n');
    console.log(`usage export sample (JSON):\n${JSON.stringify(json.json, null, 2)}\nusage export sample (CSV):\n${csv.text}`);

    // The default range is the current month.
    expect((await admin(mf, '/usage/export')).json.units).toBe(5);
  });

  it('recognises a repeated charge (same request id) and counts it once', async () => {
    // Drive the key's Durable Object directly, as a retrying Worker would.
    const namespace = await mf.getDurableObjectNamespace('KEY_METER');
    const hashOf = async (key: string) => Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(key))), (b) => b.toString(16).padStart(2, '0')).join('');
    const created = await createKey(mf, 'pro', 'retry-2');
    const hash = await hashOf(created.key);
    const meter = namespace.get(namespace.idFromName(hash)) as any;
    const plans = JSON.parse(PLANS);
    const first = await meter.charge(hash, 'request-1', 3, plans);
    const again = await meter.charge(hash, 'request-1', 3, plans);
    expect(first).toMatchObject({ outcome: 'charged', units: 3, duplicate: false });
    expect(again).toMatchObject({ outcome: 'charged', units: 3, duplicate: true });
    expect(await meter.charge(hash, 'request-2', 2, plans)).toMatchObject({ outcome: 'charged', duplicate: false });
    expect(await unitsOf(mf, created.id)).toBe(5);
    expect(await meter.charge('0'.repeat(64), 'request-3', 1, plans)).toEqual({ outcome: 'unknown_key' });
  });

  it('counts every unit of 1,000 concurrent requests over 5 keys, none lost or doubled', async () => {
    const keys = await Promise.all(Array.from({ length: 5 }, (_, i) => createKey(mf, 'bulk', `tenant-${i}`)));
    const sent = new Map(keys.map((k) => [k.id, { requests: 0, units: 0 }]));
    // A deterministic mix: GET (1 unit), small POST batches (1-5 names, some invalid names that cost
    // nothing), and invalid GETs (400, 0 units). Names repeat so the isolate's LRU answers some of them.
    const requests = Array.from({ length: 1000 }, (_, i) => {
      const key = keys[(i * 7) % keys.length]!;
      const kind = i % 4;
      if (kind === 0 || kind === 1) return { key, units: 1, run: () => get(mf, key.key, `name${i % 97}.example`) };
      if (kind === 2) {
        const domains = Array.from({ length: 1 + (i % 5) }, (_, j) => (j === 2 ? 'bad_name.com' : `batch${(i + j) % 211}.net`));
        return { key, units: domains.filter((d) => d !== 'bad_name.com').length, run: () => post(mf, key.key, domains) };
      }
      return { key, units: 0, run: () => get(mf, key.key, `bad_${i}.com`) };
    });
    const started = Date.now();
    const answers = await Promise.all(requests.map((r) => r.run()));
    const seconds = (Date.now() - started) / 1000;

    answers.forEach((answer, i) => {
      const { key, units } = requests[i]!;
      expect(answer.status).toBe(units === 0 && i % 4 === 3 ? 400 : 200);
      expect(answer.headers.get('x-units-charged')).toBe(String(units));
      const tally = sent.get(key.id)!;
      tally.requests += 1;
      tally.units += units;
    });
    const counted = await Promise.all(keys.map((k) => unitsOf(mf, k.id)));
    const rows = keys.map((k, i) => ({ key: k.id, requests: sent.get(k.id)!.requests, unitsSent: sent.get(k.id)!.units, unitsCounted: counted[i]! }));
    console.log(
      `concurrency: ${requests.length} requests sent at once over ${keys.length} keys in ${seconds.toFixed(1)} s; ` +
        `${[...sent.values()].reduce((s, t) => s + t.units, 0)} units sent, ${counted.reduce((s, n) => s + n, 0)} counted`,
    );
    console.table(rows);
    for (const row of rows) expect(row.unitsCounted).toBe(row.unitsSent);
    const exported = (await admin(mf, `/usage/export?from=${today()}&to=${today()}`)).json.rows as any[];
    for (const row of rows) expect(exported.find((r) => r.keyId === row.key).units).toBe(row.unitsSent);
  });
});

describe('persistence', () => {
  it('keeps keys and counts across a restart of the local runtime', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dga-edge-do-'));
    try {
      const first = await startWorker(METERED, { durableObjectsPersist: dir });
      let key: { key: string; id: string };
      try {
        key = await createKey(first, 'pro', 'survivor');
        expect((await post(first, key.key, ['a.com', 'b.com'])).status).toBe(200);
        expect((await get(first, key.key, 'c.com')).status).toBe(200);
        expect(await unitsOf(first, key.id)).toBe(3);
      } finally {
        await first.dispose();
      }
      const second = await startWorker(METERED, { durableObjectsPersist: dir });
      try {
        expect(await unitsOf(second, key.id)).toBe(3);
        expect((await admin(second, '/keys')).json.keys.map((k: any) => k.label)).toEqual(['survivor']);
        expect((await get(second, key.key, 'd.com')).headers.get('x-quota-remaining')).toBe(String(1_000_000 - 4));
        expect(await unitsOf(second, key.id)).toBe(4);
      } finally {
        await second.dispose();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('anonymous tier', () => {
  let mf: Miniflare;
  beforeAll(async () => {
    mf = await startWorker({ ...METERED, ANON_RATE_PER_MIN: '2' });
  });
  afterAll(async () => {
    await mf?.dispose();
  });

  it('allows ANON_RATE_PER_MIN requests per minute per client IP without a key', async () => {
    const ip = { 'cf-connecting-ip': '203.0.113.7' };
    const first = await get(mf, undefined, 'a.com', ip);
    expect(first.status).toBe(200);
    expect(first.headers.get('ratelimit-limit')).toBe('2');
    expect(first.headers.get('ratelimit-policy')).toBe('2;w=60');
    expect(first.headers.get('ratelimit-remaining')).toBe('1');
    expect((await get(mf, undefined, 'b.com', ip)).status).toBe(200);
    const third = await get(mf, undefined, 'c.com', ip);
    expectError(third, 429, 'rate_limited');
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(third.headers.get('retry-after'))).toBeLessThanOrEqual(30);
    // Another address has its own allowance; /v1/usage still needs a key.
    expect((await get(mf, undefined, 'd.com', { 'cf-connecting-ip': '198.51.100.9' })).status).toBe(200);
    expectError(await call(mf, '/v1/usage', { headers: ip }), 401, 'missing_api_key');
  });
});

describe('AUTH=off (the local default)', () => {
  let mf: Miniflare;
  beforeAll(async () => {
    mf = await startWorker({ PLANS, ADMIN_TOKEN });
  });
  afterAll(async () => {
    await mf?.dispose();
  });

  it('stays open, with no metering and no rate-limit headers', async () => {
    const open = await get(mf, undefined, 'xjwqkzpvbn.net');
    expect(open.status).toBe(200);
    for (const header of ['ratelimit-limit', 'ratelimit-remaining', 'x-quota-limit', 'x-units-charged', 'www-authenticate']) {
      expect(open.headers.get(header)).toBeNull();
    }
    // A real key is accepted but not charged.
    const { key, id } = await createKey(mf, 'tiny');
    for (let i = 0; i < 7; i++) expect((await get(mf, key, `n${i}.com`)).status).toBe(200);
    expect(await unitsOf(mf, id)).toBe(0);
    expectError(await call(mf, '/v1/usage', { headers: bearer(key) }), 404, 'not_found');
  });
});

describe('cached answers', () => {
  let mf: Miniflare;
  beforeAll(async () => {
    mf = await startWorker({ ...METERED, CACHE_TTL_SECONDS: '3600' });
  });
  afterAll(async () => {
    await mf?.dispose();
  });

  it('count like any other answer', async () => {
    const { key, id } = await createKey(mf, 'pro');
    const first = await get(mf, key, 'cached-name.net');
    const second = await get(mf, key, 'cached-name.net');
    expect(first.headers.get('x-cache')).toBe('miss');
    expect(second.headers.get('x-cache')).toBe('hit');
    expect(second.headers.get('x-units-charged')).toBe('1');
    expect(second.json).toEqual(first.json);
    expect(await unitsOf(mf, id)).toBe(2);
    // The cache never answers for a caller without a valid key.
    expectError(await get(mf, undefined, 'cached-name.net'), 401, 'missing_api_key');
  });
});
