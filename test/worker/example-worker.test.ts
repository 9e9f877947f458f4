import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as dnsPacket from 'dns-packet';
import type { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extendedErrors, rcodeOf } from '../../src/core/dns-message.js';
import { decodeDnsMessage } from '../../src/core/dns-wire.js';
import { FAKE_A, fakeUpstreamFetch } from '../fixtures/fake-doh-upstream.js';
import { startBundle } from './miniflare.js';

// The README's library example (examples/doh-filter-worker), built by wrangler from its own wrangler.toml
// (so `import { createDgaFilter } from 'dga-edge'` resolves through package.json "exports") and run in
// workerd against the fake upstream.
const CONFIG = 'examples/doh-filter-worker/wrangler.toml';

function query(name: string, type = 'A'): Uint8Array {
  return new Uint8Array(dnsPacket.encode({ type: 'query', id: 42, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type: type as 'A' }] }));
}

describe('the library example Worker (examples/doh-filter-worker)', () => {
  let dir: string;
  let mf: Miniflare;
  const seen: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dga-edge-example-'));
    await promisify(execFile)(process.execPath, ['scripts/wrangler.js', 'deploy', '--dry-run', '--config', CONFIG, '--outdir', dir], {
      maxBuffer: 16 * 1024 * 1024,
    });
    mf = await startBundle(dir, { UPSTREAM: 'http://upstream.test/dns-query' }, {
      outboundService: (request: Request) => fakeUpstreamFetch(request, seen),
    } as never);
  });
  afterAll(async () => {
    await mf?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const ask = async (bytes: Uint8Array) => {
    const response = await mf.dispatchFetch('http://example.test/dns-query', {
      method: 'POST',
      headers: { 'content-type': 'application/dns-message' },
      body: bytes,
    });
    return { status: response.status, message: decodeDnsMessage(new Uint8Array(await response.arrayBuffer())) };
  };

  it('blocks a DGA name with NXDOMAIN + EDE 15 and forwards a benign one', async () => {
    const blocked = await ask(query('yynhbwtucfcvd.net'));
    expect(blocked.status).toBe(200);
    expect(rcodeOf(blocked.message)).toBe(3);
    expect(extendedErrors(blocked.message)[0]).toMatchObject({ infoCode: 15, text: expect.stringMatching(/^dga score=/) });
    const forwarded = await ask(query('www.example.com'));
    expect(rcodeOf(forwarded.message)).toBe(0);
    expect(forwarded.message.answers!.map((a) => (a as { data: unknown }).data)).toEqual(FAKE_A);
    expect(seen).toEqual(['www.example.com']);
  });

  it('applies its allow and deny lists', async () => {
    const denied = await ask(query('www.evil.example'));
    expect(extendedErrors(denied.message)).toEqual([{ infoCode: 15, text: 'denylist suffix=evil.example' }]);
    const allowed = await ask(query('yynhbwtucfcvd.corp.example'));
    expect(rcodeOf(allowed.message)).toBe(0);
  });

  it('classifies names through the library', async () => {
    const response = await mf.dispatchFetch('http://example.test/classify?name=yynhbwtucfcvd.net&name=wikipedia.org&name=bad_name');
    const results = (await response.json()) as any[];
    expect(results.map((r) => r.dga ?? r.error.code)).toEqual([true, false, 'invalid_domain']);
  });
});
