import { Buffer } from 'node:buffer';
import { encodeDnsMessage, RECURSION_DESIRED } from '../../src/core/dns-wire.js';
import { createNameGenerator } from './bench-util.js';

/**
 * The traffic mix of `npm run load`: one weighted list, so a new kind of traffic is one more entry here.
 * Each request picks a scenario at random by weight; the report gives requests, status counts and latency
 * per scenario (and DNS RCODEs for DoH ones), and the run fails on any 5xx, any transport error, any answer
 * outside the scenario's expected statuses or RCODEs, or units charged that differ from `units`.
 *
 * The Worker runs with AUTH=on: keyed scenarios send `Authorization: Bearer <key>` (DoH ones put the key in
 * the path, `/dns-query/<key>`, as DoH clients do) with one of the run's keys picked at random.
 */
export interface LoadRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'OPTIONS';
  path: string;
  headers?: Record<string, string>;
  /** A Buffer for binary bodies: autocannon sends a string as UTF-8 and a Buffer as is. */
  body?: string | Buffer;
  /** Id of the live key the request carries, so its units can be compared with the key's usage. */
  keyId?: string;
  /** The DNS message ID of a DoH query, to check the answer echoes it. */
  dnsId?: number;
}

/** DNS response codes the report counts for DoH scenarios. */
export type Rcode = 'NOERROR' | 'NXDOMAIN' | 'SERVFAIL' | 'other';

export interface Scenario {
  name: string;
  /** Relative share of requests. */
  weight: number;
  /** Statuses this scenario must get (anything else fails the run). */
  expect: readonly number[];
  /** For DoH scenarios: the RCODE every 200 answer must carry (the answers are decoded and counted). */
  rcode?: Exclude<Rcode, 'other'>;
  /**
   * Units a 200 answer costs on a live key (1 per GET, N per batch of N, 1 per DoH question); anything
   * else costs 0. Absent: the request carries no live key, nothing is charged.
   */
  units?: number;
  /** Builds the next request. */
  build(source: RequestSource): LoadRequest;
}

/** A key of the run, as the admin API created it. */
export interface RunKey {
  id: string;
  key: string;
}

export interface RequestSource {
  /** Fresh names that no earlier request used. */
  names: ReturnType<typeof createNameGenerator>;
  /** Seeded uniform numbers in [0, 1). */
  random: () => number;
  /** The run's keys: live ones (on a plan the run cannot exhaust), one revoked, one never issued. */
  keys: { live: readonly RunKey[]; revoked: string; unknown: string };
  /** Names the model judged benign (forwarded: NOERROR) and DGA (blocked: NXDOMAIN), screened before the run. */
  dohNames: { benign: () => string; dga: () => string };
}

const json = { 'content-type': 'application/json' };
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

function liveKey({ keys, random }: RequestSource): RunKey {
  return keys.live[Math.floor(random() * keys.live.length)]!;
}

function keyed(source: RequestSource, request: LoadRequest): LoadRequest {
  const key = liveKey(source);
  return { ...request, headers: { ...request.headers, ...bearer(key.key) }, keyId: key.id };
}

const batch = (source: RequestSource, n: number): LoadRequest =>
  keyed(source, { method: 'POST', path: '/v1/classify', headers: json, body: JSON.stringify({ domains: source.names.domains(n) }) });

/** A one-question query (A or AAAA, recursion desired) with a random ID. */
function dnsQuery(source: RequestSource, name: string): { id: number; bytes: Buffer } {
  const id = Math.floor(source.random() * 0x10000);
  const type = source.random() < 0.5 ? 'A' : 'AAAA';
  const bytes = encodeDnsMessage({ type: 'query', id, flags: RECURSION_DESIRED, questions: [{ type, class: 'IN', name }] });
  return { id, bytes: Buffer.from(bytes) };
}

function dohGet(source: RequestSource, name: string): LoadRequest {
  const key = liveKey(source);
  const { id, bytes } = dnsQuery(source, name);
  return { method: 'GET', path: `/dns-query/${key.key}?dns=${bytes.toString('base64url')}`, headers: { accept: 'application/dns-message' }, keyId: key.id, dnsId: id };
}

function dohPost(source: RequestSource, name: string): LoadRequest {
  const key = liveKey(source);
  const { id, bytes } = dnsQuery(source, name);
  return { method: 'POST', path: `/dns-query/${key.key}`, headers: { 'content-type': 'application/dns-message', accept: 'application/dns-message' }, body: bytes, keyId: key.id, dnsId: id };
}

/** 50 names that repeat, as popular sites do: after their first request they are LRU hits. */
const POPULAR = createNameGenerator(7).domains(50);

export const SCENARIOS: Scenario[] = [
  { name: 'GET one new name', weight: 34, expect: [200], units: 1, build: (s) => keyed(s, { method: 'GET', path: `/v1/classify?domain=${s.names.domain()}` }) },
  {
    name: 'GET one repeated name',
    weight: 16,
    expect: [200],
    units: 1,
    build: (s) => keyed(s, { method: 'GET', path: `/v1/classify?domain=${POPULAR[Math.floor(s.random() * POPULAR.length)]}` }),
  },
  { name: 'POST batch of 10', weight: 12, expect: [200], units: 10, build: (s) => batch(s, 10) },
  { name: 'POST batch of 100', weight: 5, expect: [200], units: 100, build: (s) => batch(s, 100) },
  { name: 'POST batch of 1000', weight: 1, expect: [200], units: 1000, build: (s) => batch(s, 1000) },
  {
    name: 'anonymous GET (no key)',
    weight: 5,
    expect: [200, 429],
    build: ({ names }) => ({ method: 'GET', path: `/v1/classify?domain=${names.domain()}` }),
  },
  { name: 'DoH GET, benign name', weight: 6, expect: [200], rcode: 'NOERROR', units: 1, build: (s) => dohGet(s, s.dohNames.benign()) },
  { name: 'DoH POST, benign name', weight: 6, expect: [200], rcode: 'NOERROR', units: 1, build: (s) => dohPost(s, s.dohNames.benign()) },
  { name: 'DoH GET, DGA name', weight: 3, expect: [200], rcode: 'NXDOMAIN', units: 1, build: (s) => dohGet(s, s.dohNames.dga()) },
  { name: 'DoH POST, DGA name', weight: 3, expect: [200], rcode: 'NXDOMAIN', units: 1, build: (s) => dohPost(s, s.dohNames.dga()) },
  { name: 'bad: invalid domain', weight: 3, expect: [400], units: 0, build: (s) => keyed(s, { method: 'GET', path: '/v1/classify?domain=bad_name%20here.com' }) },
  { name: 'bad: no domain parameter', weight: 1, expect: [400], units: 0, build: (s) => keyed(s, { method: 'GET', path: '/v1/classify?name=a.com' }) },
  { name: 'bad: invalid JSON', weight: 2, expect: [400], units: 0, build: (s) => keyed(s, { method: 'POST', path: '/v1/classify', headers: json, body: '{"domains": [' }) },
  {
    name: 'bad: wrong content type',
    weight: 2,
    expect: [415],
    units: 0,
    build: (s) => keyed(s, { method: 'POST', path: '/v1/classify', headers: { 'content-type': 'text/plain' }, body: 'a.com' }),
  },
  { name: 'bad: 1001 names', weight: 1, expect: [413], units: 0, build: (s) => batch(s, 1001) },
  { name: 'bad: unknown route', weight: 1, expect: [404], units: 0, build: (s) => keyed(s, { method: 'GET', path: '/v2/nothing-here' }) },
  { name: 'bad: wrong method', weight: 1, expect: [405], units: 0, build: (s) => keyed(s, { method: 'PUT', path: '/v1/classify', headers: json, body: '{}' }) },
  {
    name: 'bad: unknown key',
    weight: 1,
    expect: [401],
    build: ({ names, keys }) => ({ method: 'GET', path: `/v1/classify?domain=${names.domain()}`, headers: bearer(keys.unknown) }),
  },
  {
    name: 'bad: revoked key',
    weight: 1,
    expect: [401],
    build: ({ names, keys }) => ({ method: 'GET', path: `/v1/classify?domain=${names.domain()}`, headers: bearer(keys.revoked) }),
  },
  {
    name: 'bad: DoH garbage ?dns=',
    weight: 1,
    expect: [400],
    units: 0,
    build: (s) => {
      const key = liveKey(s);
      return { method: 'GET', path: `/dns-query/${key.key}?dns=not*base64url!`, keyId: key.id };
    },
  },
  {
    name: 'bad: DoH wrong content type',
    weight: 1,
    expect: [415],
    units: 0,
    build: (s) => {
      const key = liveKey(s);
      return { method: 'POST', path: `/dns-query/${key.key}`, headers: { 'content-type': 'text/plain' }, body: 'example.com', keyId: key.id };
    },
  },
];

/** Picks scenarios by weight from a uniform number in [0, 1). */
export function scenarioPicker(scenarios: readonly Scenario[]): (u: number) => Scenario {
  const total = scenarios.reduce((sum, s) => sum + s.weight, 0);
  return (u) => {
    let x = u * total;
    for (const s of scenarios) {
      x -= s.weight;
      if (x < 0) return s;
    }
    return scenarios[scenarios.length - 1]!;
  };
}
