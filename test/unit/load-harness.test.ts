import { Buffer } from 'node:buffer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeDnsMessage, encodeDnsMessage, RECURSION_DESIRED } from '../../src/core/dns-wire.js';
import { createNameGenerator, createRng } from '../../scripts/lib/bench-util.js';
import { startLocalDohUpstream, UPSTREAM_A, UPSTREAM_AAAA, type LocalDohUpstream } from '../../scripts/lib/local-doh-upstream.js';
import { SCENARIOS, scenarioPicker, type RequestSource } from '../../scripts/lib/load-scenarios.js';

function source(): RequestSource {
  return {
    names: createNameGenerator(1),
    random: createRng(2),
    keys: { live: [{ id: 'key_0000000000000001', key: 'dga_live_live' }], revoked: 'dga_live_revoked', unknown: 'dga_live_unknown' },
    dohNames: { benign: () => 'maplebakery.com', dga: () => 'xkqzvbnrtplwmd.net' },
  };
}

describe('load scenarios', () => {
  it('picks each scenario in proportion to its weight', () => {
    const pick = scenarioPicker(SCENARIOS);
    const total = SCENARIOS.reduce((sum, s) => sum + s.weight, 0);
    const random = createRng(3);
    const counts = new Map<string, number>();
    const draws = 50_000;
    for (let i = 0; i < draws; i++) {
      const name = pick(random()).name;
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    for (const s of SCENARIOS) expect((counts.get(s.name) ?? 0) / draws).toBeCloseTo(s.weight / total, 2);
  });

  it('sends DoH POST bodies as bytes and GET queries as base64url, keyed in the path', () => {
    const s = source();
    const post = SCENARIOS.find((x) => x.name === 'DoH POST, benign name')!.build(s);
    expect(Buffer.isBuffer(post.body)).toBe(true);
    expect(post.path).toBe('/dns-query/dga_live_live');
    expect(decodeDnsMessage(new Uint8Array(post.body as Buffer)).questions?.[0]?.name).toBe('maplebakery.com');
    const get = SCENARIOS.find((x) => x.name === 'DoH GET, DGA name')!.build(s);
    const dns = new URL(get.path, 'http://x').searchParams.get('dns')!;
    const query = decodeDnsMessage(new Uint8Array(Buffer.from(dns, 'base64url')));
    expect(query.id).toBe(get.dnsId);
    expect(query.questions?.[0]?.name).toBe('xkqzvbnrtplwmd.net');
  });

  it('attributes every metered scenario to a live key and never sends one with the anonymous, unknown or revoked ones', () => {
    for (const scenario of SCENARIOS) {
      const request = scenario.build(source());
      if (scenario.units === undefined) expect(request.keyId, scenario.name).toBeUndefined();
      else expect(request.keyId, scenario.name).toBe('key_0000000000000001');
    }
  });
});

describe('local DoH upstream', () => {
  let upstream: LocalDohUpstream;
  beforeAll(async () => {
    upstream = await startLocalDohUpstream();
  });
  afterAll(() => upstream.close());

  it('answers A and AAAA with documentation addresses, echoing the ID and questions', async () => {
    const query = encodeDnsMessage({
      type: 'query',
      id: 4242,
      flags: RECURSION_DESIRED,
      questions: [
        { type: 'A', class: 'IN', name: 'example.org' },
        { type: 'AAAA', class: 'IN', name: 'example.org' },
      ],
    });
    const response = await fetch(upstream.url, { method: 'POST', headers: { 'content-type': 'application/dns-message' }, body: query });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/dns-message');
    const answer = decodeDnsMessage(new Uint8Array(await response.arrayBuffer()));
    expect(answer.id).toBe(4242);
    expect(answer.rcode).toBe('NOERROR');
    expect(answer.questions?.map((q) => q.type)).toEqual(['A', 'AAAA']);
    expect(answer.answers?.map((a) => (a as { data?: unknown }).data)).toEqual([UPSTREAM_A, UPSTREAM_AAAA]);
  });

  it('refuses other content types and bytes that are no DNS message', async () => {
    const before = upstream.stats.refused;
    expect((await fetch(upstream.url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' })).status).toBe(415);
    expect((await fetch(upstream.url, { method: 'POST', headers: { 'content-type': 'application/dns-message' }, body: 'short' })).status).toBe(400);
    expect(upstream.stats.refused).toBe(before + 2);
  });
});
