import * as dnsPacket from 'dns-packet';
import fc from 'fast-check';
import type { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeDnsMessage } from '../../src/core/dns-wire.js';
import { rcodeOf } from '../../src/core/dns-message.js';
import { assertProperty, fuzzRuns } from '../fixtures/fuzz.js';
import { fakeUpstreamFetch } from '../fixtures/fake-doh-upstream.js';
import { startWorker } from './miniflare.js';

// Issue 9: random and mutated DNS messages never crash the Worker. Every answer is a 400 in the JSON
// envelope (invalid_dns_message / invalid_request) or a 200 carrying a well-formed DNS response with the
// query's ID; never a 5xx, and the Worker keeps its one ORT session. FUZZ_RUNS_WORKER overrides the runs.

const BASE = 'http://dga-edge.test';
const UPSTREAM = 'http://upstream.test/dns-query';
const RCODES_WE_SEND = new Set([0, 2, 3]); // NOERROR (forwarded), SERVFAIL (upstream trouble), NXDOMAIN (blocked)

let mf: Miniflare;
beforeAll(async () => {
  mf = await startWorker(
    { DOH_UPSTREAM: UPSTREAM, DOH_UPSTREAM_TIMEOUT_MS: '300' },
    { kvNamespaces: ['DNS_LISTS'], outboundService: (request: Request) => fakeUpstreamFetch(request) } as never,
  );
});
afterAll(async () => {
  await mf?.dispose();
});

const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,18}[a-z0-9])?$/);
const validQuery = fc
  .record({
    id: fc.integer({ min: 0, max: 0xffff }),
    labels: fc.array(label, { minLength: 1, maxLength: 3 }),
    tld: fc.constantFrom('com', 'net', 'org', 'ru', 'mooo.com', 'arpa'),
    type: fc.constantFrom('A', 'AAAA', 'MX', 'TXT', 'HTTPS', 'PTR'),
    questions: fc.integer({ min: 1, max: 3 }),
  })
  .map(({ id, labels, tld, type, questions }) =>
    new Uint8Array(
      dnsPacket.encode({
        type: 'query',
        id,
        flags: dnsPacket.RECURSION_DESIRED,
        questions: Array.from({ length: questions }, (_, i) => ({ name: `${labels.join('.')}${i || ''}.${tld}`, type: type as never, class: 'IN' as never })),
      }),
    ),
  );

/** A valid query with some bytes overwritten, then cut or extended: the shapes parsers trip over. */
const mutatedQuery = fc
  .record({
    query: validQuery,
    flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
    cut: fc.option(fc.nat(), { nil: undefined }),
    tail: fc.uint8Array({ maxLength: 40 }),
  })
  .map(({ query, flips, cut, tail }) => {
    const bytes = query.slice();
    for (const [at, value] of flips) bytes[at % bytes.length] = value;
    const kept = cut === undefined ? bytes : bytes.slice(0, cut % (bytes.length + 1));
    const out = new Uint8Array(kept.length + tail.length);
    out.set(kept);
    out.set(tail, kept.length);
    return out;
  });

const anyMessage = fc.oneof(fc.uint8Array({ maxLength: 600 }), mutatedQuery, validQuery);

function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

async function send(bytes: Uint8Array, method: 'GET' | 'POST'): Promise<void> {
  const response = (method === 'GET'
    ? await mf.dispatchFetch(`${BASE}/dns-query?dns=${base64url(bytes)}`)
    : await mf.dispatchFetch(`${BASE}/dns-query`, { method: 'POST', headers: { 'content-type': 'application/dns-message' }, body: bytes } as never)) as unknown as Response;
  const body = new Uint8Array(await response.arrayBuffer());
  const context = `${method} ${Buffer.from(bytes).toString('hex').slice(0, 120)} -> ${response.status}`;
  expect([200, 400], context).toContain(response.status);
  if (response.status === 400) {
    const json = JSON.parse(new TextDecoder().decode(body)) as { error: { code: string; message: string } };
    expect(['invalid_dns_message', 'invalid_request'], context).toContain(json.error.code);
    expect(json.error.message.length, context).toBeGreaterThan(0);
    return;
  }
  expect(response.headers.get('content-type'), context).toBe('application/dns-message');
  expect(response.headers.get('content-length'), context).toBe(String(body.byteLength));
  const answer = decodeDnsMessage(body);
  expect(answer.type, context).toBe('response');
  expect(answer.id, context).toBe((bytes[0]! << 8) | bytes[1]!);
  expect(RCODES_WE_SEND.has(rcodeOf(answer)), context).toBe(true);
}

describe('/dns-query under random and mutated DNS messages', () => {
  it('answers 400 in the JSON envelope or a well-formed DNS response, never 5xx, and keeps its session', async () => {
    const runs = fuzzRuns(150, 'FUZZ_RUNS_WORKER');
    await assertProperty('DoH (workerd): random/mutated messages by POST -> 400 or a DNS answer', fc.asyncProperty(anyMessage, (m) => send(m, 'POST')), runs);
    await assertProperty('DoH (workerd): random/mutated messages by GET -> 400 or a DNS answer', fc.asyncProperty(anyMessage, (m) => send(m, 'GET')), runs);
    const health = await mf.dispatchFetch(`${BASE}/healthz`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as any).session.sessionsCreated).toBe(1);
  });
});
