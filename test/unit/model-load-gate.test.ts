import { describe, expect, it, vi } from 'vitest';
import { createApp } from '../../src/app.js';
import { ModelUnavailableError } from '../../src/core/errors.js';
import { createModelLoadGate } from '../../src/runtime/model-load-gate.js';

function harness(outcomes: (() => Promise<string>)[]) {
  const lines: string[] = [];
  const clock = { ms: 1_000_000 };
  let calls = 0;
  const gate = createModelLoadGate<string>({
    what: 'model/test.onnx (float)',
    retryAfterSeconds: 60,
    timeoutSeconds: 10,
    now: () => clock.ms,
    log: (line) => lines.push(line),
    load: () => outcomes[Math.min(calls++, outcomes.length - 1)]!(),
  });
  return { gate, lines, clock, calls: () => calls };
}

const corrupt = () => Promise.reject(new Error('failed to load model:\n  protobuf parsing failed'));

describe('the model load gate', () => {
  it('logs one line per failed attempt and answers 503 with Retry-After until the next attempt', async () => {
    const { gate, lines, clock, calls } = harness([corrupt]);
    const first = await gate.get().catch((e: unknown) => e);
    expect(first).toBeInstanceOf(ModelUnavailableError);
    expect(first).toMatchObject({ code: 'model_unavailable', status: 503, headers: { 'Retry-After': '60' } });
    expect((first as Error).message).not.toMatch(/protobuf/); // the reason is for the log, not the client
    for (let i = 0; i < 100; i++) {
      clock.ms += 100;
      await expect(gate.get()).rejects.toBeInstanceOf(ModelUnavailableError);
    }
    expect(calls()).toBe(1);
    expect(lines).toEqual([
      'model_unavailable: loading model/test.onnx (float) failed (attempt 1; next attempt in 60 s; until then requests get 503): Error: failed to load model: protobuf parsing failed',
    ]);
    const waiting = (await gate.get().catch((e: unknown) => e)) as ModelUnavailableError;
    expect(waiting.retryAfterSeconds).toBe(50); // 10 s of the minute have passed
  });

  it('tries again after the interval, and keeps a success for good', async () => {
    const { gate, lines, clock, calls } = harness([corrupt, () => Promise.resolve('session')]);
    await expect(gate.get()).rejects.toBeInstanceOf(ModelUnavailableError);
    clock.ms += 60_000;
    expect(await gate.get()).toBe('session');
    clock.ms += 600_000;
    expect(await gate.get()).toBe('session');
    expect(calls()).toBe(2);
    expect(lines).toHaveLength(1);
    expect(gate.failures).toBe(1);
  });

  it('lets the first request retry a failed start-up attempt', async () => {
    const { gate, lines, calls } = harness([corrupt]);
    await expect(gate.get({ startup: true })).rejects.toBeInstanceOf(ModelUnavailableError);
    expect(lines[0]).toMatch(/attempt 1; next attempt on the first request/);
    await expect(gate.get()).rejects.toBeInstanceOf(ModelUnavailableError);
    await expect(gate.get()).rejects.toBeInstanceOf(ModelUnavailableError);
    expect(calls()).toBe(2);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/attempt 2; next attempt in 60 s/);
  });

  it('shares one attempt between concurrent callers', async () => {
    let release!: (value: string) => void;
    const { gate, calls } = harness([() => new Promise<string>((resolve) => (release = resolve))]);
    const waiting = Promise.all([gate.get(), gate.get(), gate.get()]);
    release('session');
    expect(await waiting).toEqual(['session', 'session', 'session']);
    expect(calls()).toBe(1);
  });

  it('abandons an attempt that never settles after the deadline, as one failed attempt', async () => {
    vi.useFakeTimers();
    try {
      const { gate, lines, clock, calls } = harness([() => new Promise<string>(() => undefined)]);
      void gate.get({ startup: true }).catch(() => undefined); // start-up: no deadline (no timers then)
      const first = gate.get().catch((e: unknown) => e);
      const second = gate.get().catch((e: unknown) => e);
      await vi.advanceTimersByTimeAsync(10_000);
      expect(await first).toBeInstanceOf(ModelUnavailableError);
      expect(await second).toBeInstanceOf(ModelUnavailableError);
      expect(lines).toEqual([
        'model_unavailable: loading model/test.onnx (float) failed (attempt 1; next attempt in 60 s; until then requests get 503): it did not finish within 10 s',
      ]);
      await expect(gate.get()).rejects.toBeInstanceOf(ModelUnavailableError);
      expect(calls()).toBe(1);
      clock.ms += 60_000;
      const retry = gate.get().catch((e: unknown) => e);
      await vi.advanceTimersByTimeAsync(10_000);
      expect(await retry).toBeInstanceOf(ModelUnavailableError);
      expect(calls()).toBe(2);
      expect(lines).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('behind createApp: 503 model_unavailable with Retry-After on model routes, 404 elsewhere, one log line for many requests', async () => {
    const { gate, lines } = harness([corrupt]);
    const app = createApp({ classifier: async () => (await gate.get()) as never });
    const answers = await Promise.all(['/v1/classify?domain=a.com', '/v1/model', '/healthz', '/v1/classify?domain=b.com'].map((path) => app.request(path)));
    for (const res of answers) {
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(await res.json()).toEqual({ error: { code: 'model_unavailable', message: expect.stringMatching(/^the model is not available; try again in \d+ s$/) } });
    }
    expect((await app.request('/nope')).status).toBe(404);
    expect(lines).toHaveLength(1);
  });
});
