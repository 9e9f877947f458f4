import { describe, expect, it, vi } from 'vitest';
import { createApp } from '../../src/app.js';
import { createClassifier, type Classifier } from '../../src/core/classifier.js';
import type { ModelMetadata } from '../../src/core/metadata.js';
import { testMetadata } from '../fixtures/metadata.js';

const metadata: ModelMetadata = testMetadata({ id: 'm', maxLength: 4, architecture: { cell: 'lstm', embeddingDim: 1, units: 1, dropout: 0, recurrentActivation: 'sigmoid' } });

function constantClassifier(score: number): Classifier {
  return createClassifier({
    metadata,
    scorer: { score: async (_c, n) => ({ scores: new Float32Array(n).fill(score), logits: new Float32Array(n) }) },
  });
}

describe('createApp', () => {
  it('answers 503 model_unavailable while the model cannot load, and recovers when it can', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    let attempts = 0;
    const app = createApp({
      classifier: async () => {
        attempts += 1;
        if (attempts === 1) throw new Error('corrupt model');
        return constantClassifier(0.9);
      },
    });
    const first = await app.request('/v1/classify?domain=a.com');
    expect(first.status).toBe(503);
    expect(await first.json()).toEqual({ error: { code: 'model_unavailable', message: expect.any(String) } });
    expect(errors).toHaveBeenCalledTimes(1);
    const second = await app.request('/v1/classify?domain=a.com');
    expect(second.status).toBe(200);
    expect(((await second.json()) as any).result.dga).toBe(true);
    errors.mockRestore();
  });

  it('hides internals of unexpected errors behind a generic 500', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const broken = constantClassifier(0);
    const app = createApp({
      classifier: async () => ({ ...broken, classify: async () => Promise.reject(new Error('secret internal detail')) }),
    });
    const res = await app.request('/v1/classify?domain=a.com');
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toContain('secret');
    expect(JSON.parse(text).error.code).toBe('internal_error');
    expect(errors).toHaveBeenCalled();
    errors.mockRestore();
  });

  it('serves unknown routes a 404 without loading the model', async () => {
    const classifier = vi.fn(async () => constantClassifier(0));
    const app = createApp({ classifier });
    const res = await app.request('/nope');
    expect(res.status).toBe(404);
    expect(classifier).not.toHaveBeenCalled();
  });
});

describe('the families option', () => {
  const families = ['benign', 'necurs', 'other'];
  const familyMetadata: ModelMetadata = { ...metadata, families, onnx: { ...metadata.onnx, family: 'family' } };
  const classifier = createClassifier({
    metadata: familyMetadata,
    scorer: {
      score: async (_c, n) => ({
        scores: new Float32Array(n).fill(0.9),
        logits: new Float32Array(n),
        families: new Float32Array(n * 3).map((_, i) => [0.2, 0.7, 0.1][i % 3]!),
      }),
    },
  });
  const app = createApp({ classifier: async () => classifier });

  it('adds the family to DGA verdicts and the top-k families on request, by GET and POST', async () => {
    const get = (await (await app.request('/v1/classify?domain=x.com&families=2')).json()) as any;
    expect(get.result.family.name).toBe('necurs');
    expect(get.result.families.map((f: any) => f.name)).toEqual(['necurs', 'other']);
    const post = await app.request('/v1/classify', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ domains: ['x.com'], families: 1 }),
    });
    expect(((await post.json()) as any).results[0].families).toHaveLength(1);
  });

  it('rejects a bad families value with 400 invalid_request', async () => {
    for (const bad of ['-1', '11', '1.5', 'many']) {
      const res = await app.request(`/v1/classify?domain=x.com&families=${bad}`);
      expect(res.status).toBe(400);
      expect(((await res.json()) as any).error.code).toBe('invalid_request');
    }
  });

  it('rejects families for a model without a family head', async () => {
    const plain = createApp({ classifier: async () => constantClassifier(0.9) });
    const res = await plain.request('/v1/classify?domain=x.com&families=3');
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.message).toMatch(/no family head/);
  });
});
