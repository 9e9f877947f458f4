import * as dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { decodeDnsMessage } from '../../src/core/dns-wire.js';
import { readDohQuery } from '../../src/dns/doh-http.js';
import { queryUpstream } from '../../src/dns/upstream.js';

const bytes = new Uint8Array(dnsPacket.encode({ type: 'query', id: 3, questions: [{ name: 'example.com', type: 'A' }] }));
const decoded = decodeDnsMessage(bytes);

describe('the upstream client', () => {
  it('gives up on an upstream that sends headers and then stalls its body (EDE 22), on time', async () => {
    const stalled = (async () =>
      new Response(new ReadableStream({ start() {} }), { headers: { 'content-type': 'application/dns-message' } })) as unknown as typeof fetch;
    const started = Date.now();
    const result = await queryUpstream(bytes, decoded, { url: 'https://up.test/dns-query', timeoutMs: 100, fetch: stalled });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(result).toEqual({ ok: false, infoCode: 22, text: 'upstream up.test timed out after 100 ms' });
  });

  it('reports a fetch that fails at once as unreachable (EDE 22)', async () => {
    const refused = (async () => {
      throw new TypeError('connect ECONNREFUSED');
    }) as unknown as typeof fetch;
    const result = await queryUpstream(bytes, decoded, { url: 'https://up.test/dns-query', timeoutMs: 1000, fetch: refused });
    expect(result).toMatchObject({ ok: false, infoCode: 22, text: expect.stringMatching(/unreachable: connect ECONNREFUSED/) });
  });

  it('rejects an answer to another question (EDE 23)', async () => {
    const other = new Uint8Array(dnsPacket.encode({ type: 'response', id: 3, questions: [{ name: 'example.org', type: 'A' }] }));
    const wrong = (async () => new Response(other, { headers: { 'content-type': 'application/dns-message' } })) as unknown as typeof fetch;
    const result = await queryUpstream(bytes, decoded, { url: 'https://up.test/dns-query', timeoutMs: 1000, fetch: wrong });
    expect(result).toMatchObject({ ok: false, infoCode: 23, text: 'upstream up.test answered another question' });
  });
});

describe('reading DoH requests', () => {
  it('stops reading a body without Content-Length once it passes the limit (413)', async () => {
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new Uint8Array(1024));
      },
    });
    const request = new Request('https://f.test/dns-query', {
      method: 'POST',
      headers: { 'content-type': 'application/dns-message' },
      body: endless,
      duplex: 'half',
    } as RequestInit);
    await expect(readDohQuery(request)).rejects.toMatchObject({ code: 'payload_too_large', status: 413 });
    expect(pulled).toBeLessThan(10);
  });

  it('reads GET ?dns= and POST bodies to the same bytes', async () => {
    const get = new Request(`https://f.test/dns-query?dns=${Buffer.from(bytes).toString('base64url')}`);
    const post = new Request('https://f.test/dns-query', { method: 'POST', headers: { 'content-type': 'application/dns-message; charset=binary' }, body: bytes });
    expect(await readDohQuery(get)).toEqual(bytes);
    expect(await readDohQuery(post)).toEqual(bytes);
  });
});
