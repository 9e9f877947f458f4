import { describe, expect, it } from 'vitest';
import { planChunks } from '../../src/core/chunk-plan.js';
import { createClassifier, isClassificationError } from '../../src/core/classifier.js';
import { DEFAULT_VOCABULARY } from '../../src/core/encode.js';
import type { ModelMetadata } from '../../src/core/metadata.js';
import type { Scorer } from '../../src/core/scorer.js';
import { testMetadata } from '../fixtures/metadata.js';

const metadata: ModelMetadata = testMetadata();

/** A stand-in model: the score is the fraction of non-padding cells that are digits or x/z/q. */
function fakeScorer(calls: number[]): Scorer {
  const odd = new Set(['x', 'z', 'q', ...'0123456789'].map((ch) => DEFAULT_VOCABULARY.indexOf(ch) + 1));
  return {
    async score(chars, count) {
      calls.push(count);
      const scores = new Float32Array(count);
      for (let row = 0; row < count; row++) {
        let used = 0;
        let hits = 0;
        for (let i = 0; i < 8; i++) {
          const v = chars[row * 8 + i]!;
          if (v !== 0) used++;
          if (odd.has(v)) hits++;
        }
        scores[row] = used ? hits / used : 0;
      }
      return { scores, logits: scores.map((p) => Math.log(p / (1 - p))) };
    },
  };
}

describe('createClassifier', () => {
  it('answers in input order with the normalised name, the scored label and the verdict', async () => {
    const classifier = createClassifier({ metadata, scorer: fakeScorer([]) });
    const results = await classifier.classify(['WWW.Google.com', 'xqzx.net']);
    expect(results).toEqual([
      { domain: 'WWW.Google.com', name: 'www.google.com', scored: 'google', score: 0, dga: false },
      { domain: 'xqzx.net', name: 'xqzx.net', scored: 'xqzx', score: 1, dga: true },
    ]);
    expect(classifier.model).toEqual({ id: 'test-model', version: '1' });
  });

  it('does not run the model for a label with no Latin letter or digit, and reads IDNs in Latin', async () => {
    const calls: number[] = [];
    const classifier = createClassifier({ metadata, scorer: fakeScorer(calls) });
    const results = await classifier.classify(['北京大学.cn', 'яндекс.рф', 'xqzx.net', 'xqzẍ.net'], { families: 2, logit: true });
    expect(results[0]).toEqual({ domain: '北京大学.cn', name: 'xn--1lq90ic7fzpc.cn', scored: '', score: 0, dga: false, unscored: 'non_latin_label' });
    expect(results[1]).toMatchObject({ scored: '', score: 0, dga: false, unscored: 'non_latin_label' });
    expect(results[2]).toMatchObject({ scored: 'xqzx', score: 1, dga: true });
    expect(results[3]).toMatchObject({ name: 'xn--xqz-kez.net', scored: 'xqzx', score: 1, dga: true });
    expect(calls).toEqual([1]); // one label ("xqzx", shared by two names) went to the model
  });

  it('answers the valid names of a batch and marks the invalid ones', async () => {
    const results = await createClassifier({ metadata, scorer: fakeScorer([]) }).classify(['ok.com', 'bad_name.com', 7, 'x9.org']);
    expect(results.map((r) => (isClassificationError(r) ? r.error.code : 'ok'))).toEqual(['ok', 'invalid_domain', 'invalid_domain', 'ok']);
    expect(results[1]).toMatchObject({ domain: 'bad_name.com', error: { message: expect.stringMatching(/"_"/) } });
    expect(results[2]).toMatchObject({ domain: 7 });
  });

  it('scores each distinct label once and in chunks', async () => {
    const calls: number[] = [];
    const classifier = createClassifier({ metadata, scorer: fakeScorer(calls), chunkSize: 2 });
    const results = await classifier.classify(['a.com', 'www.a.com', 'b.com', 'c.net', 'a.org']);
    expect(calls).toEqual([2, 1]);
    expect(results).toHaveLength(5);
  });

  it('uses a deployment threshold over the model one', async () => {
    const classifier = createClassifier({ metadata, scorer: fakeScorer([]), threshold: 0.2 });
    const [result] = await classifier.classify(['abcx.com']);
    expect(result).toMatchObject({ score: 0.25, dga: true });
    expect(classifier.threshold).toBe(0.2);
    expect(() => createClassifier({ metadata, scorer: fakeScorer([]), threshold: 2 })).toThrow(/0\.\.1/);
  });

  it('calls the model not at all for an empty or all-invalid batch', async () => {
    const calls: number[] = [];
    const classifier = createClassifier({ metadata, scorer: fakeScorer(calls) });
    expect(await classifier.classify([])).toEqual([]);
    expect(await classifier.classify(['-'])).toHaveLength(1);
    expect(calls).toEqual([]);
  });
});

describe('createClassifier with a family head', () => {
  const families = ['benign', 'necurs', 'matsnu', 'other'];
  const withFamilies: ModelMetadata = { ...metadata, families, onnx: { ...metadata.onnx, family: 'family' } };
  /** Every name scores 0.9; family probabilities: benign 0.5, necurs 0.3, matsnu 0.15, other 0.05. */
  const scorer: Scorer = {
    async score(_chars, count) {
      const probs = new Float32Array(count * 4);
      for (let i = 0; i < count; i++) probs.set([0.5, 0.3, 0.15, 0.05], i * 4);
      return { scores: new Float32Array(count).fill(0.9), logits: new Float32Array(count).fill(2.2), families: probs };
    },
  };

  it('names the most likely family of a DGA name, renormalised over DGA classes', async () => {
    const [result] = await createClassifier({ metadata: withFamilies, scorer }).classify(['xjwqkzpvbn.net']);
    expect(result).toMatchObject({ dga: true, family: { name: 'necurs' } });
    expect((result as any).family.probability).toBeCloseTo(0.6, 5);
    expect(result).not.toHaveProperty('families');
  });

  it('gives no family for a name below the threshold', async () => {
    const [result] = await createClassifier({ metadata: withFamilies, scorer, threshold: 0.95 }).classify(['a.com']);
    expect(result).toMatchObject({ dga: false });
    expect(result).not.toHaveProperty('family');
  });

  it('lists the top-k families on request, most likely first, and the logit', async () => {
    const [result] = await createClassifier({ metadata: withFamilies, scorer }).classify(['a.com'], { families: 2, logit: true });
    expect((result as any).families.map((f: any) => f.name)).toEqual(['necurs', 'matsnu']);
    expect((result as any).families[1].probability).toBeCloseTo(0.3, 5);
    expect((result as any).logit).toBeCloseTo(2.2, 5);
  });

  it('re-ranks families by the public suffix after the cache, and never changes the score', async () => {
    // necurs never used .com in this prior and matsnu used nothing else: .com turns necurs 2:1 into matsnu.
    const prior = { alpha: 1, suffixes: 2, counts: { necurs: { ws: 99 }, matsnu: { com: 99 } } };
    const calls: number[] = [];
    const counting: Scorer = { score: async (c, n, w) => (calls.push(n), scorer.score(c, n, w)) };
    const classifier = createClassifier({ metadata: { ...withFamilies, familySuffixPrior: prior }, scorer: counting });
    const [ws] = await classifier.classify(['xjwqkzpvbn.ws'], { families: 3 });
    const [com, unknown] = await classifier.classify(['xjwqkzpvbn.com', 'xjwqkzpvbn.example'], { families: 3 });
    expect(calls).toEqual([1]); // one label, scored once: the cache holds the model's answer, not the ranking
    expect((ws as any).family.name).toBe('necurs');
    expect((com as any).family.name).toBe('matsnu');
    expect((com as any).score).toBe((ws as any).score);
    // a suffix no training DGA used re-ranks nothing: the head's own order (necurs 0.6, matsnu 0.3, other 0.1)
    expect((unknown as any).families.map((f: any) => [f.name, Number(f.probability.toFixed(5))])).toEqual([['necurs', 0.6], ['matsnu', 0.3], ['other', 0.1]]);
    expect((com as any).families.reduce((sum: number, f: any) => sum + f.probability, 0)).toBeCloseTo(1, 5);
  });

  it('calls a DGA name "other" when its top family is below the open-set cut-off; the top-k list stays the head\'s', async () => {
    const openSet = { minProbability: 0.65, budget: 0.02, validation: { names: 1, attributedAtZero: 1, attributedAtMin: 1 } };
    const classifier = createClassifier({ metadata: { ...withFamilies, familyOpenSet: openSet }, scorer });
    expect(classifier.familyMinProbability).toBe(0.65);
    const [result] = await classifier.classify(['xjwqkzpvbn.net'], { families: 2 });
    // necurs has 0.6 < 0.65: "other", with 1 - 0.6 and the family it was nearest to
    expect((result as any).family.name).toBe('other');
    expect((result as any).family.probability).toBeCloseTo(0.4, 5);
    expect((result as any).family.nearest).toMatchObject({ name: 'necurs' });
    expect((result as any).families.map((f: any) => f.name)).toEqual(['necurs', 'matsnu']);
    // a deployment override: 0.5 keeps necurs (0.6), 0 turns the rule off
    for (const familyMinProbability of [0.5, 0]) {
      const [kept] = await createClassifier({ metadata: { ...withFamilies, familyOpenSet: openSet }, scorer, familyMinProbability }).classify(['xjwqkzpvbn.net']);
      expect((kept as any).family).toEqual({ name: 'necurs', probability: expect.closeTo(0.6, 5) });
    }
    expect(() => createClassifier({ metadata: withFamilies, scorer, familyMinProbability: 1 })).toThrow(/familyMinProbability must be in \[0, 1\)/);
  });

  it('refuses a model whose family output does not match the metadata', async () => {
    const broken: Scorer = { score: async (_c, n) => ({ scores: new Float32Array(n), logits: new Float32Array(n) }) };
    await expect(createClassifier({ metadata: withFamilies, scorer: broken }).classify(['a.com'])).rejects.toThrow(/family/);
  });
});

describe('the classifier cache', () => {
  it('answers repeated labels without calling the model, with identical results', async () => {
    const calls: number[] = [];
    const classifier = createClassifier({ metadata, scorer: fakeScorer(calls) });
    const first = await classifier.classify(['xq1.com', 'abc.net']);
    const second = await classifier.classify(['www.xq1.com', 'abc.net', 'new.org']);
    expect(calls).toEqual([2, 1]); // only "new" was scored the second time
    expect((second[0] as any).score).toBe((first[0] as any).score);
  });

  it('reports model time and rows in the timings it is given', async () => {
    const classifier = createClassifier({ metadata, scorer: fakeScorer([]) });
    const timings = { modelMs: 0, totalMs: 0, modelRows: 0 };
    await classifier.classify(['a.com', 'b.com', 'a.org'], { timings });
    expect(timings.modelRows).toBe(2);
    await classifier.classify(['a.com'], { timings });
    expect(timings.modelRows).toBe(2);
    expect(timings.totalMs).toBeGreaterThanOrEqual(timings.modelMs);
  });

  it('can be switched off', async () => {
    const calls: number[] = [];
    const classifier = createClassifier({ metadata, scorer: fakeScorer(calls), cacheSize: 0 });
    await classifier.classify(['a.com']);
    await classifier.classify(['a.com']);
    expect(calls).toEqual([1, 1]);
  });
});

describe('length grouping for a padding-folded model', () => {
  const folded: ModelMetadata = { ...metadata, onnx: { ...metadata.onnx, padSteps: 'pad_steps' } };
  /** Records each call's (count, width) and scores a row by its label read back from the [count, width] matrix. */
  function recordingScorer(calls: { count: number; width: number }[]): Scorer {
    return {
      async score(chars, count, width = 8) {
        expect(chars.length).toBe(count * width);
        calls.push({ count, width });
        const scores = new Float32Array(count);
        for (let row = 0; row < count; row++) {
          const cells = [...chars.subarray(row * width, (row + 1) * width)];
          const first = cells.findIndex((v) => v !== 0);
          expect(first).toBeLessThanOrEqual(width - 1); // every row has a character (no empty labels)
          // Identify the label: length + first character index, so results can be checked against inputs.
          scores[row] = (width - first) / 100 + cells[first]! / 10_000;
        }
        return { scores, logits: scores };
      },
    };
  }
  const expected = (label: string) => Math.min(label.length, 8) / 100 + (DEFAULT_VOCABULARY.indexOf(label[0]!) + 1) / 10_000;

  it('pads each call only to its own longest label and maps the scores back to the inputs in order', async () => {
    const calls: { count: number; width: number }[] = [];
    const labels = ['abcdefghijkl', 'a', 'bb', 'ccc', 'dd', 'e', 'fffff', 'zz', 'y', 'qqqqqqqq'];
    const results = await createClassifier({ metadata: folded, scorer: recordingScorer(calls) }).classify(labels.map((l) => `${l}.com`));
    expect(results.map((r) => (r as any).scored)).toEqual(labels);
    results.forEach((r, i) => expect((r as any).score).toBeCloseTo(expected(labels[i]!), 6));
    expect(calls.every((c) => c.width <= 8)).toBe(true);
    expect(calls.reduce((n, c) => n + c.count, 0)).toBe(labels.length);
    // Fewer padded steps than one full-width call.
    expect(calls.reduce((n, c) => n + c.count * c.width, 0)).toBeLessThan(labels.length * 8);
    // The truncated label (12 characters) is scored at width 8, like the full-width encoding.
    expect(Math.max(...calls.map((c) => c.width))).toBe(8);
  });

  it('respects chunkSize and keeps the cache', async () => {
    const calls: { count: number; width: number }[] = [];
    const classifier = createClassifier({ metadata: folded, scorer: recordingScorer(calls), chunkSize: 3 });
    const domains = ['aa.com', 'bb.com', 'cc.com', 'dd.com', 'ee.com', 'f.com', 'gggggg.com'];
    await classifier.classify(domains);
    expect(calls.every((c) => c.count <= 3)).toBe(true);
    expect(calls.reduce((n, c) => n + c.count, 0)).toBe(7);
    calls.length = 0;
    const again = await classifier.classify(['www.gggggg.com', 'aa.com', 'new.org']);
    expect(calls).toEqual([{ count: 1, width: 3 }]);
    expect((again[0] as any).score).toBeCloseTo(expected('gggggg'), 6);
  });

  it('keeps full width for a model without pad_steps', async () => {
    const calls: { count: number; width: number }[] = [];
    await createClassifier({ metadata, scorer: recordingScorer(calls) }).classify(['a.com', 'bbbb.com']);
    expect(calls).toEqual([{ count: 2, width: 8 }]);
  });
});

describe('planChunks', () => {
  const widthsOf = (chunks: { rows: number[]; width: number }[], widths: number[]) =>
    chunks.map((c) => ({ width: c.width, max: Math.max(...c.rows.map((r) => widths[r]!)), n: c.rows.length }));

  it('covers every row once, each chunk at its own widest row, widths ascending', () => {
    const widths = Array.from({ length: 4000 }, (_, i) => 1 + ((i * 7919) % 40));
    const chunks = planChunks(widths, 1024);
    expect(chunks.flatMap((c) => c.rows).sort((a, b) => a - b)).toEqual(widths.map((_, i) => i));
    for (const c of widthsOf(chunks, widths)) expect(c.width).toBe(c.max);
    expect(chunks.map((c) => c.width)).toEqual([...chunks.map((c) => c.width)].sort((a, b) => a - b));
    // 100 names of each width: one call per width (padding 100 names by a step costs more than a call).
    expect(chunks).toHaveLength(40);
    // 12-13 names of each width: neighbouring widths share calls.
    expect(planChunks(widths.slice(0, 500), 1024).length).toBeLessThan(40);
  });

  it('merges small groups when a call costs more than the padding it saves', () => {
    // One name of each width 10..13: padding three names by a few steps is cheaper than three more calls.
    expect(planChunks([10, 11, 12, 13], 1024).map((c) => c.width)).toEqual([13]);
    // Many short names and one long one: the long one goes alone.
    const widths = [...Array(200).fill(5), 40];
    expect(planChunks(widths, 1024).map((c) => [c.width, c.rows.length])).toEqual([
      [5, 200],
      [40, 1],
    ]);
  });

  it('cuts a call into chunkSize pieces and handles the empty input', () => {
    const chunks = planChunks(Array(10).fill(4), 3);
    expect(chunks.map((c) => c.rows.length)).toEqual([3, 3, 3, 1]);
    expect(planChunks([], 3)).toEqual([]);
    expect(() => planChunks([1], 0)).toThrow(/chunkSize/);
  });
});
