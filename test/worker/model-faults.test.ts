import type { Readable } from 'node:stream';
import type { Miniflare } from 'miniflare';
import { afterAll, describe, expect, it } from 'vitest';
import { startWorker, type ModuleOverride } from './miniflare.js';

// Fault cases of issue 9: the model file missing or corrupt, ORT's wasm failing to start. The Worker must
// answer 503 model_unavailable on model routes with one clear log line per load attempt, keep answering
// everything else, and never crash or hang.

const BASE = 'http://dga-edge.test';
const EMPTY_WASM_MODULE = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]); // valid, exports nothing
// Valid, exports one function `Va` (a name ORT's minified build uses) that does nothing: not ORT's wasm.
const FOREIGN_WASM_MODULE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00,
  0x07, 0x06, 0x01, 0x02, 0x56, 0x61, 0x00, 0x00, 0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b,
]);

/** Deterministic junk bytes (no Math.random: a failure must be reproducible). */
function junk(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let x = 0x9e3779b9;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

/** The file the Worker serves by default (MODEL_PRECISION=int8). */
const isServedModel = (file: string) => file.endsWith('.int8.onnx');
// lines: the log lines expected, one for the start-up attempt and one for the first request's retry. (An
// attempt that never settles, which the empty module caused before wasm-handoff.ts checked for it, is ended
// by the gate's deadline: test/unit/model-load-gate.test.ts.)
const FAULTS: { name: string; override: ModuleOverride; lines: RegExp[] }[] = [
  { name: 'model file missing (empty module)', override: (file) => (isServedModel(file) ? new Uint8Array(0) : undefined), lines: [/attempt 1; next attempt on the first request; until then requests get 503\): \S/, /attempt 2; next attempt in 60 s; until then requests get 503\): \S/] },
  { name: 'model file corrupt (4 KiB of random bytes)', override: (file) => (isServedModel(file) ? junk(4096) : undefined), lines: [/attempt 1; next attempt on the first request; until then requests get 503\): \S/, /attempt 2; next attempt in 60 s; until then requests get 503\): \S/] },
  { name: 'model file truncated (first half of the real file)', override: (file, bytes) => (isServedModel(file) ? bytes.slice(0, bytes.length >> 1) : undefined), lines: [/attempt 1; next attempt on the first request; until then requests get 503\): \S/, /attempt 2; next attempt in 60 s; until then requests get 503\): \S/] },
  { name: "ORT's wasm fails to start (a valid wasm module that exports nothing)", override: (file) => (file.endsWith('.wasm') ? EMPTY_WASM_MODULE : undefined), lines: [/attempt 1; next attempt on the first request; until then requests get 503\): \S/, /attempt 2; next attempt in 60 s; until then requests get 503\): \S/] },
  {
    name: "ORT's wasm fails to start (a foreign wasm module)",
    override: (file) => (file.endsWith('.wasm') ? FOREIGN_WASM_MODULE : undefined),
    lines: [/attempt 1; next attempt on the first request; .*_OrtInit is not a function/, /attempt 2; next attempt in 60 s; .*_OrtInit is not a function/],
  },
];

const workers: Miniflare[] = [];
afterAll(async () => {
  await Promise.all(workers.map((w) => w.dispose()));
});

async function startBroken(override: ModuleOverride) {
  const lines: string[] = [];
  const collect = (stream: NodeJS.ReadableStream) => {
    let rest = '';
    stream.on('data', (chunk: Buffer) => {
      const parts = (rest + chunk.toString()).split('\n');
      rest = parts.pop() ?? '';
      lines.push(...parts.filter((l) => l.trim() !== ''));
    });
  };
  const mf = await startWorker({}, { handleRuntimeStdio: (stdout: Readable, stderr: Readable) => (collect(stdout), collect(stderr)) }, override);
  workers.push(mf);
  const call = async (path: string, init?: RequestInit) => {
    const response = await mf.dispatchFetch(`${BASE}${path}`, init as never);
    const text = await response.text();
    return { status: response.status, headers: response.headers, json: (text ? JSON.parse(text) : undefined) as any };
  };
  return { mf, call, lines };
}

describe.each(FAULTS)('with a fault: $name', ({ name, override, lines: expected }) => {
  it('answers 503 model_unavailable with Retry-After on model routes, logs one line per load attempt, and keeps serving', async () => {
    const { call, lines } = await startBroken(override);
    const started = performance.now();
    const first = await call('/v1/classify?domain=example.com');
    expect(first.status).toBe(503);
    expect(first.json).toEqual({ error: { code: 'model_unavailable', message: 'the model is not available; try again in 60 s' } });
    expect(first.headers.get('retry-after')).toBe('60');
    expect(first.headers.get('cache-control')).toBe('no-store');

    // Twenty more requests of every kind: quick 503s from the gate, no new load attempt, no new log line.
    const more = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        i % 2
          ? call('/v1/classify', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"domains":["a.com"]}' })
          : call(`/v1/classify?domain=n${i}.com`),
      ),
    );
    expect(more.map((r) => r.status)).toEqual(Array(20).fill(503));
    expect(Number(more[0]!.headers.get('retry-after'))).toBeGreaterThan(0);
    const health = await call('/healthz');
    expect(health.status).toBe(503);
    expect(health.json.error.code).toBe('model_unavailable');
    expect((await call('/v1/model')).status).toBe(503);
    const elapsed = performance.now() - started;

    // Routes that need no model still work: the Worker is up, not crash-looping.
    expect((await call('/nope')).json.error.code).toBe('not_found');
    const preflight = await call('/v1/classify', { method: 'OPTIONS', headers: { origin: 'https://a.example', 'access-control-request-method': 'POST' } });
    expect(preflight.status).toBe(204);

    const logged = lines.filter((l) => l.includes('model_unavailable'));
    // One line per load attempt (start-up, first request's retry); none for the 23 requests after.
    expect(logged, lines.join('\n')).toHaveLength(expected.length);
    logged.forEach((line, i) => {
      expect(line).toMatch(/model_unavailable: loading model\/dga\.int8\.onnx \(int8\) failed \(attempt \d/);
      expect(line).toMatch(expected[i]!);
    });
    expect(elapsed).toBeLessThan(25_000); // no hang: 24 answers in seconds (10 s of them the load deadline)
    console.info(`[fault] ${name}: GET/POST/healthz/model -> 503 model_unavailable (Retry-After 60), 404 and CORS preflights (204) elsewhere; ${logged.length} log lines for 24 requests; 24 answers in ${Math.round(elapsed)} ms; log: ${logged.at(-1)!.replace(/^.*?model_unavailable/, 'model_unavailable')}`);
  });
});
