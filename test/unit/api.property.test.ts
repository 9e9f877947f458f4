import fc from 'fast-check';
import { describe, it, vi } from 'vitest';
import { createApp } from '../../src/app.js';
import { createClassifier } from '../../src/core/classifier.js';
import { testMetadata } from '../fixtures/metadata.js';
import { assertProperty, fuzzRuns } from '../fixtures/fuzz.js';
import { classifyGet, classifyPost, expectWellBehaved, fuzzRequest, requestInit, type FuzzRequest } from '../fixtures/http-fuzz.js';

// The JSON API under random requests, through createApp with a fast stand-in Scorer (issue 9).
// FUZZ_RUNS overrides the run counts (test/fixtures/fuzz.ts).

const metadata = testMetadata({ maxLength: 12 });
const classifier = createClassifier({
  metadata,
  // A score that depends on the characters, so answers differ per name; costs nothing.
  scorer: {
    score: async (chars, count, width = metadata.maxLength) => {
      const scores = new Float32Array(count);
      for (let r = 0; r < count; r++) {
        let sum = 0;
        for (let i = 0; i < width; i++) sum += chars[r * width + i]!;
        scores[r] = (sum % 101) / 100;
      }
      return { scores, logits: new Float32Array(count) };
    },
  },
  cacheSize: 100,
});
// Small limits, so that batches and bodies around them come up often.
const env = { MAX_BATCH: '1000', MAX_BODY_BYTES: '262144' };
const app = createApp({ classifier: async () => classifier });

async function send(request: FuzzRequest): Promise<void> {
  const response = await app.request(request.path, requestInit(request), env);
  await expectWellBehaved(request, response);
}

describe('the JSON API under random requests (createApp, stand-in scorer)', () => {
  // Unexpected errors are logged by the app; a logged error would also mean a 500, which the checks catch.
  vi.spyOn(console, 'error').mockImplementation(() => undefined);

  it('answers any request with 2xx or 4xx, errors in the one envelope with a known code', async () => {
    await assertProperty('JSON API (Node): any method, path, query, content type and body -> 2xx/4xx', fc.asyncProperty(fuzzRequest, send), fuzzRuns(600));
  });

  it('answers well-formed batches with one result per domain, in order, whatever the items are', async () => {
    await assertProperty('JSON API (Node): POST batches -> one result per domain, in order', fc.asyncProperty(classifyPost, send), fuzzRuns(400));
  });

  it('answers GET /v1/classify with a result or a 4xx, whatever else the query holds', async () => {
    await assertProperty('JSON API (Node): GET with junk query strings -> result or 4xx', fc.asyncProperty(classifyGet, send), fuzzRuns(500));
  });
});
