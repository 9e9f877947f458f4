import fc from 'fast-check';
import type { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertProperty, fuzzRuns } from '../fixtures/fuzz.js';
import { classifyGet, classifyPost, expectWellBehaved, fuzzRequest, requestInit, type FuzzRequest } from '../fixtures/http-fuzz.js';
import { startWorker } from './miniflare.js';

// The JSON API property of test/unit/api.property.test.ts against the real Worker in workerd (real model,
// real HTTP between Miniflare and workerd). Fewer runs: each is a real request. FUZZ_RUNS_WORKER overrides.

const BASE = 'http://dga-edge.test';
// workerd's HTTP layer answers a method it does not know (e.g. "FOO") with its own 501 before any Worker
// code runs (so does Cloudflare's edge): the Worker's property covers the methods that reach it.
const METHODS_WORKERD_KNOWS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'];
const reachingRequest = fuzzRequest.filter((r) => METHODS_WORKERD_KNOWS.includes(r.method));
let mf: Miniflare;

beforeAll(async () => {
  mf = await startWorker();
});
afterAll(async () => {
  await mf?.dispose();
});

let resets = 0;

/**
 * One request. When the Worker refuses a request before reading its body (414, 431, 413, 415, 405...),
 * workerd closes the connection, and a client still writing the body sees ECONNRESET instead of the answer
 * (Cloudflare's edge, not the client, holds that connection in production). That outcome is accepted for
 * requests with a body, provided the Worker answers normally right after.
 */
async function send(request: FuzzRequest): Promise<void> {
  let response: Response;
  try {
    response = (await mf.dispatchFetch(`${BASE}${request.path}`, requestInit(request) as never)) as unknown as Response;
  } catch (error) {
    const code = ((error as Error).cause as { code?: string } | undefined)?.code;
    if (request.body === undefined || code !== 'ECONNRESET') throw error;
    resets += 1;
    expect((await mf.dispatchFetch(`${BASE}/v1/model`)).status).toBe(200);
    return;
  }
  await expectWellBehaved(request, response);
}

describe('the Worker in workerd under random requests', () => {
  it('answers any request with 2xx or 4xx in the one envelope, and still answers /healthz afterwards', async () => {
    await assertProperty('JSON API (workerd): any request -> 2xx/4xx', fc.asyncProperty(reachingRequest, send), fuzzRuns(300, 'FUZZ_RUNS_WORKER'));
    await assertProperty('JSON API (workerd): POST batches -> one result per domain', fc.asyncProperty(classifyPost, send), fuzzRuns(300, 'FUZZ_RUNS_WORKER'));
    await assertProperty('JSON API (workerd): GET with junk query strings', fc.asyncProperty(classifyGet, send), fuzzRuns(300, 'FUZZ_RUNS_WORKER'));
    console.info(`[fuzz] JSON API (workerd): ${resets} connection resets after an early refusal of a request with a body`);
    const health = await mf.dispatchFetch(`${BASE}/healthz`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as any).session.sessionsCreated).toBe(1); // the same session all along: no restart
  });
});
