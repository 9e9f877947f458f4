import { describe, expect, it } from 'vitest';
import { generateApiKey, generateKeyId, hashApiKey, isKeyId, isWellFormedApiKey, keyHint, timingSafeEqual } from '../../src/core/api-keys.js';
import { DEFAULT_PLANS, parsePlans } from '../../src/core/plans.js';
import { fullBucket, takeToken } from '../../src/core/token-bucket.js';
import { usageCsv } from '../../src/core/usage-csv.js';
import { isUtcDay, usagePeriod, utcDay } from '../../src/core/usage-period.js';
import { parseConfig } from '../../src/config.js';
import { keyFromAuthorization, keyFromDohPath } from '../../src/http/auth.js';

describe('API keys', () => {
  it('are dga_live_ + 43 base64url characters, all different', () => {
    const keys = new Set(Array.from({ length: 100 }, generateApiKey));
    expect(keys.size).toBe(100);
    for (const key of keys) {
      expect(key).toMatch(/^dga_live_[A-Za-z0-9_-]{43}$/);
      expect(isWellFormedApiKey(key)).toBe(true);
    }
    expect(isWellFormedApiKey('dga_live_short')).toBe(false);
    expect(isWellFormedApiKey('dga_test_' + 'a'.repeat(43))).toBe(false);
    expect(isWellFormedApiKey('dga_live_' + 'a'.repeat(42) + '=')).toBe(false);
  });

  it('are stored as their SHA-256 in hex', async () => {
    // echo -n 'dga_live_example' | sha256sum
    expect(await hashApiKey('dga_live_example')).toBe('4ff5fbc7f677330cb72b404736925fb7ef825112590bb484105749b95ef754bb');
    expect(await hashApiKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(await hashApiKey('dga_live_a')).not.toBe(await hashApiKey('dga_live_b'));
  });

  it('have public ids and display hints that reveal only 4 secret characters', () => {
    const id = generateKeyId();
    expect(isKeyId(id)).toBe(true);
    expect(isKeyId('key_XYZ')).toBe(false);
    expect(keyHint('dga_live_AbCdEfGh')).toBe('dga_live_AbCd…');
  });

  it('compare in constant time and still correctly', () => {
    expect(timingSafeEqual('secret', 'secret')).toBe(true);
    expect(timingSafeEqual('secret', 'secreT')).toBe(false);
    expect(timingSafeEqual('secret', 'secret-longer')).toBe(false);
    expect(timingSafeEqual('', '')).toBe(true);
    expect(timingSafeEqual('', 'x')).toBe(false);
    expect(timingSafeEqual('é', 'e')).toBe(false);
  });
});

describe('where the key comes from', () => {
  it('reads Authorization: Bearer <key>, case-insensitively, and flags other schemes', () => {
    expect(keyFromAuthorization(undefined)).toEqual({ kind: 'none' });
    expect(keyFromAuthorization('')).toEqual({ kind: 'none' });
    expect(keyFromAuthorization('Bearer dga_live_x')).toEqual({ kind: 'key', key: 'dga_live_x' });
    expect(keyFromAuthorization('bearer   dga_live_x ')).toEqual({ kind: 'key', key: 'dga_live_x' });
    expect(keyFromAuthorization('Basic dXNlcjpwYXNz').kind).toBe('malformed');
    expect(keyFromAuthorization('Bearer a b').kind).toBe('malformed');
    expect(keyFromAuthorization('Bearer').kind).toBe('malformed');
  });

  it('takes the key from /dns-query/<key> for DoH clients, which cannot set headers', () => {
    const key = generateApiKey();
    expect(keyFromDohPath(`/dns-query/${key}`)).toBe(key);
    expect(keyFromDohPath(`/dns-query/${key}/`)).toBe(key);
    expect(keyFromDohPath('/dns-query/dga_live_%41b')).toBe('dga_live_Ab');
    expect(keyFromDohPath('/dns-query/%E0%A4%A')).toBe('%E0%A4%A');
    expect(keyFromDohPath('/dns-query')).toBeUndefined();
    expect(keyFromDohPath('/dns-query/')).toBeUndefined();
    expect(keyFromDohPath(`/dns-query/${key}/extra`)).toBeUndefined();
    expect(keyFromDohPath(`/v1/classify/${key}`)).toBeUndefined();
  });
});

describe('plans', () => {
  it('default to free, pro and enterprise', () => {
    expect(parsePlans(undefined)).toBe(DEFAULT_PLANS);
    expect(parsePlans(' ')).toBe(DEFAULT_PLANS);
    expect(Object.keys(DEFAULT_PLANS)).toEqual(['free', 'pro', 'enterprise']);
  });

  it('parse from PLANS and reject anything malformed, naming the plan and field', () => {
    expect(parsePlans('{"gold": {"unitsPerMonth": 10, "requestsPerSecond": 1, "maxBatch": 5}}')).toEqual({
      gold: { unitsPerMonth: 10, requestsPerSecond: 1, maxBatch: 5 },
    });
    const bad: [string, RegExp][] = [
      ['{', /not valid JSON/],
      ['[]', /JSON object/],
      ['{}', /no plan/],
      ['{"Gold!": {}}', /plan name/],
      ['{"gold": {"unitsPerMonth": 10, "requestsPerSecond": 0, "maxBatch": 5}}', /"gold": requestsPerSecond/],
      ['{"gold": {"unitsPerMonth": 1.5, "requestsPerSecond": 1, "maxBatch": 5}}', /unitsPerMonth/],
      ['{"gold": {"unitsPerMonth": 10, "requestsPerSecond": 1}}', /maxBatch/],
      ['{"gold": {"unitsPerMonth": 10, "requestsPerSecond": 1, "maxBatch": 5, "price": 3}}', /unknown field/],
    ];
    for (const [raw, message] of bad) expect(() => parsePlans(raw)).toThrow(message);
  });

  it('come with AUTH and ANON_RATE_PER_MIN in the parsed config, off by default', () => {
    const config = parseConfig({});
    expect(config).toMatchObject({ auth: false, anonRatePerMin: 0, plans: DEFAULT_PLANS });
    expect(parseConfig({ AUTH: 'on', ANON_RATE_PER_MIN: '30' })).toMatchObject({ auth: true, anonRatePerMin: 30 });
    expect(() => parseConfig({ AUTH: 'yes' })).toThrow(/AUTH=yes/);
    expect(() => parseConfig({ ANON_RATE_PER_MIN: '-1' })).toThrow(/ANON_RATE_PER_MIN/);
  });
});

describe('token bucket', () => {
  const limits = { capacity: 2, refillPerSecond: 2 };

  it('allows a burst of `capacity`, then refuses with Retry-After until a token is back', () => {
    let state = fullBucket(limits, 0);
    const a = takeToken(state, limits, 0);
    expect(a).toMatchObject({ allowed: true, remaining: 1 });
    const b = takeToken(a.state, limits, 0);
    expect(b).toMatchObject({ allowed: true, remaining: 0, resetSeconds: 1 });
    const c = takeToken(b.state, limits, 100);
    expect(c).toMatchObject({ allowed: false, remaining: 0, retryAfterSeconds: 1 });
    state = c.state;
    expect(takeToken(state, limits, 500).allowed).toBe(true); // 0.5 s * 2/s = 1 token
  });

  it('refills to capacity and no further, and ignores a clock that goes backwards', () => {
    const drained = { tokens: 0, at: 10_000 };
    expect(takeToken(drained, limits, 60_000).remaining).toBe(1);
    const back = takeToken(drained, limits, 5_000);
    expect(back.allowed).toBe(false);
    expect(back.state.at).toBe(10_000);
  });

  it('gives whole-second Retry-After for slow rates (per-minute limits)', () => {
    const perMinute = { capacity: 2, refillPerSecond: 2 / 60 };
    const empty = { tokens: 0, at: 0 };
    expect(takeToken(empty, perMinute, 0).retryAfterSeconds).toBe(30);
    expect(takeToken(empty, perMinute, 29_500).retryAfterSeconds).toBe(1);
  });
});

describe('usage periods (UTC calendar months)', () => {
  it('span the month that contains the instant', () => {
    expect(usagePeriod(Date.UTC(2026, 10, 28, 23, 59))).toEqual({ month: '2026-11', from: '2026-11-01', to: '2026-11-30', resetsAt: '2026-12-01T00:00:00.000Z' });
    expect(usagePeriod(Date.UTC(2028, 1, 10))).toMatchObject({ from: '2028-02-01', to: '2028-02-29' });
    expect(usagePeriod(Date.UTC(2026, 11, 31, 23, 59, 59))).toMatchObject({ month: '2026-12', resetsAt: '2027-01-01T00:00:00.000Z' });
    expect(utcDay(Date.UTC(2026, 0, 1) - 1)).toBe('2025-12-31');
  });

  it('check days written YYYY-MM-DD', () => {
    expect(isUtcDay('2026-11-28')).toBe(true);
    expect(isUtcDay('2026-02-30')).toBe(false);
    expect(isUtcDay('2026-1-1')).toBe(false);
    expect(isUtcDay('yesterday')).toBe(false);
  });
});

describe('usage CSV', () => {
  it('has a header, CRLF lines, RFC 4180 quoting and defused formulas', () => {
    const csv = usageCsv([
      { day: '2026-11-27', keyId: 'key_1', label: 'acme', plan: 'pro', units: 12, requests: 3 },
      { day: '2026-11-28', keyId: 'key_2', label: 'a "b", c', plan: 'free', units: 1, requests: 1 },
      { day: '2026-11-28', keyId: 'key_3', label: '=HYPERLINK("x")', plan: 'free', units: 2, requests: 2 },
    ]);
    expect(csv).toBe(
      'day,key_id,label,plan,units,requests\r\n' +
        '2026-11-27,key_1,acme,pro,12,3\r\n' +
        '2026-11-28,key_2,"a ""b"", c",free,1,1\r\n' +
        `2026-11-28,key_3,"'=HYPERLINK(""x"")",free,2,2\r\n`,
    );
    expect(usageCsv([])).toBe('day,key_id,label,plan,units,requests\r\n');
  });
});
