import { readFile } from 'node:fs/promises';
import * as dnsPacket from 'dns-packet';
import { beforeAll, describe, expect, it } from 'vitest';
// The package's own name: resolved through package.json "exports", as another project would import it.
import { createDgaFilter, extendedErrors, rcodeOf, decodeDnsMessage, type DgaFilter } from 'dga-edge';
import { DEFAULT_METADATA_PATH, DEFAULT_MODEL_PATH, ortWasmPath } from '../../src/runtime/node-model.js';
import { FAKE_A, fakeUpstreamFetch } from '../fixtures/fake-doh-upstream.js';

const query = (name: string, id = 5) =>
  new Uint8Array(dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type: 'A' }] }));

describe("createDgaFilter from 'dga-edge' (in Node, with the committed model)", () => {
  let filter: DgaFilter;
  beforeAll(async () => {
    const [model, wasm, metadata] = await Promise.all([readFile(DEFAULT_MODEL_PATH), readFile(ortWasmPath()), readFile(DEFAULT_METADATA_PATH, 'utf8')]);
    filter = await createDgaFilter({
      model,
      wasm,
      metadata,
      deny: '*.evil.example',
      upstream: 'http://upstream.test/dns-query',
    });
  });

  it('classifies names', async () => {
    const [dga, benign] = (await filter.classify(['yynhbwtucfcvd.net', 'wikipedia.org'])) as { dga: boolean }[];
    expect([dga!.dga, benign!.dga]).toEqual([true, false]);
  });

  it('decides queries: block with a complete answer, or forward', async () => {
    const blocked = await filter.decide(query('yynhbwtucfcvd.net'));
    if (blocked.action !== 'block') throw new Error('expected a block');
    expect(blocked.reason).toMatch(/^dga score=0\.\d{4} family=cryptolocker$/);
    expect(blocked.ttl).toBe(60);
    const answer = decodeDnsMessage(blocked.response);
    expect(rcodeOf(answer)).toBe(3);
    expect(extendedErrors(answer)).toEqual([{ infoCode: 15, text: blocked.reason }]);
    expect((await filter.decide(query('www.example.com'))).action).toBe('forward');
    expect((await filter.decide(query('x.evil.example'))).action).toBe('block');
    await expect(filter.decide(new Uint8Array([1, 2, 3]))).rejects.toMatchObject({ code: 'invalid_dns_message' });
  });

  it('serves a whole DoH endpoint with fetch(), forwarding through the upstream', async () => {
    const realFetch = globalThis.fetch;
    globalThis.fetch = ((input: RequestInfo | URL, init?: RequestInit) => fakeUpstreamFetch(new Request(input, init))) as typeof fetch;
    try {
      const response = await filter.fetch(
        new Request('https://filter.test/dns-query', { method: 'POST', headers: { 'content-type': 'application/dns-message' }, body: query('www.example.com') }),
      );
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('max-age=120');
      const message = decodeDnsMessage(new Uint8Array(await response.arrayBuffer()));
      expect(message.answers!.map((a) => (a as { data: unknown }).data)).toEqual(FAKE_A);
      const bad = await filter.fetch(new Request('https://filter.test/dns-query', { method: 'POST', body: 'x' }));
      expect(bad.status).toBe(415);
      expect(await bad.json()).toMatchObject({ error: { code: 'unsupported_media_type' } });
    } finally {
      globalThis.fetch = realFetch;
    }
  });

  it('rejects bad options with a TypeError naming the option', async () => {
    await expect(createDgaFilter({ model: 'x' as never, wasm: new Uint8Array(), metadata: {} })).rejects.toThrow(/options\.model/);
  });
});
