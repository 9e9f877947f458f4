import { describe, expect, it, vi } from 'vitest';
import { createApp } from '../../src/app.js';
import { createClassifier, type Classifier } from '../../src/core/classifier.js';
import { DEFAULT_VOCABULARY } from '../../src/core/encode.js';
import type { ModelMetadata } from '../../src/core/metadata.js';

const metadata: ModelMetadata = {
  id: 'm',
  version: '1',
  createdAt: '2026-01-01T00:00:00Z',
  vocabulary: DEFAULT_VOCABULARY,
  maxLength: 4,
  padding: 'pre',
  threshold: 0.5,
  architecture: { cell: 'lstm', embeddingDim: 1, units: 1, dropout: 0, recurrentActivation: 'sigmoid' },
  onnx: { input: 'chars', score: 'score', logit: 'logit' },
  training: {},
};

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
