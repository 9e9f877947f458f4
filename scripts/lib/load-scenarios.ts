import { createNameGenerator } from './bench-util.js';

/**
 * The traffic mix of `npm run load`: one weighted list, so a new kind of traffic (DNS-over-HTTPS queries,
 * keyed and anonymous calls of the paid endpoint) is one more entry here. Each request picks a scenario at
 * random by weight; the report gives requests, status counts and latency per scenario, and the run fails on
 * any 5xx, any transport error, or any answer outside the scenario's expected statuses.
 */
export interface LoadRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'OPTIONS';
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface Scenario {
  name: string;
  /** Relative share of requests. */
  weight: number;
  /** Statuses this scenario must get (anything else fails the run). */
  expect: readonly number[];
  /** Builds the next request. */
  build(source: RequestSource): LoadRequest;
}

export interface RequestSource {
  /** Fresh names that no earlier request used. */
  names: ReturnType<typeof createNameGenerator>;
  /** Seeded uniform numbers in [0, 1). */
  random: () => number;
}

const json = { 'content-type': 'application/json' };
const batch = ({ names }: RequestSource, n: number): LoadRequest => ({
  method: 'POST',
  path: '/v1/classify',
  headers: json,
  body: JSON.stringify({ domains: names.domains(n) }),
});

/** 50 names that repeat, as popular sites do: after their first request they are LRU hits. */
const POPULAR = createNameGenerator(7).domains(50);

export const SCENARIOS: Scenario[] = [
  { name: 'GET one new name', weight: 40, expect: [200], build: ({ names }) => ({ method: 'GET', path: `/v1/classify?domain=${names.domain()}` }) },
  {
    name: 'GET one repeated name',
    weight: 20,
    expect: [200],
    build: ({ random }) => ({ method: 'GET', path: `/v1/classify?domain=${POPULAR[Math.floor(random() * POPULAR.length)]}` }),
  },
  { name: 'POST batch of 10', weight: 15, expect: [200], build: (source) => batch(source, 10) },
  { name: 'POST batch of 100', weight: 6, expect: [200], build: (source) => batch(source, 100) },
  { name: 'POST batch of 1000', weight: 1, expect: [200], build: (source) => batch(source, 1000) },
  { name: 'bad: invalid domain', weight: 5, expect: [400], build: () => ({ method: 'GET', path: '/v1/classify?domain=bad_name%20here.com' }) },
  { name: 'bad: no domain parameter', weight: 2, expect: [400], build: () => ({ method: 'GET', path: '/v1/classify?name=a.com' }) },
  { name: 'bad: invalid JSON', weight: 3, expect: [400], build: () => ({ method: 'POST', path: '/v1/classify', headers: json, body: '{"domains": [' }) },
  { name: 'bad: wrong content type', weight: 3, expect: [415], build: () => ({ method: 'POST', path: '/v1/classify', headers: { 'content-type': 'text/plain' }, body: 'a.com' }) },
  { name: 'bad: 1001 names', weight: 1, expect: [413], build: (source) => batch(source, 1001) },
  { name: 'bad: unknown route', weight: 2, expect: [404], build: () => ({ method: 'GET', path: '/v2/nothing-here' }) },
  { name: 'bad: wrong method', weight: 2, expect: [405], build: () => ({ method: 'PUT', path: '/v1/classify', headers: json, body: '{}' }) },
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
