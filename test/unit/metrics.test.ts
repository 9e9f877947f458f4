import { describe, expect, it } from 'vitest';
import {
  bootstrapIntervals,
  bootstrapMacroTpr,
  confusionMatrix,
  detectionByGroup,
  multiclassReport,
  operatingPointAt,
  operatingPointAtFpr,
  REST_LABEL,
  rocAuc,
  rocCurve,
  sigmoid32,
} from '../../scripts/lib/metrics.js';
import { createRng } from '../../scripts/lib/seeded-random.js';
import { escapeXml, renderRocSvg } from '../../scripts/lib/roc-svg.js';

/** Brute-force AUC over all (positive, negative) pairs, a tie counting one half. */
function pairwiseAuc(values: number[], labels: number[]): number {
  let wins = 0;
  let pairs = 0;
  values.forEach((p, i) => {
    if (labels[i] !== 1) return;
    values.forEach((n, j) => {
      if (labels[j] !== 0) return;
      pairs++;
      wins += p > n ? 1 : p === n ? 0.5 : 0;
    });
  });
  return wins / pairs;
}

describe('rocAuc', () => {
  it('counts a tie between a DGA and a benign value as one half', () => {
    // Pairs: 0.9 beats both; each 0.5 ties 0.5 (1/2) and beats 0.1 -> (2 + 1.5 + 1.5) / 6.
    expect(rocAuc([0.9, 0.5, 0.5, 0.5, 0.1], [1, 1, 1, 0, 0])).toBeCloseTo(5 / 6, 12);
  });

  it('is 0.5 when every value is the same, 1 when perfectly separated, 0 when inverted', () => {
    expect(rocAuc([0.3, 0.3, 0.3, 0.3], [1, 0, 1, 0])).toBe(0.5);
    expect(rocAuc([0.9, 0.8, 0.2, 0.1], [1, 1, 0, 0])).toBe(1);
    expect(rocAuc([0.1, 0.2, 0.8, 0.9], [1, 1, 0, 0])).toBe(0);
  });

  it('matches the pairwise definition on random values with many ties', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const values = Array.from({ length: 300 }, () => Math.round(rand() * 20) / 20);
    const labels = values.map((v) => (rand() < 0.3 + 0.4 * v ? 1 : 0));
    expect(rocAuc(values, labels)).toBeCloseTo(pairwiseAuc(values, labels), 12);
  });

  it('is NaN without one of the classes', () => {
    expect(rocAuc([0.1, 0.2], [1, 1])).toBeNaN();
  });
});

describe('operatingPointAtFpr (smallest observed value with FPR <= target, no interpolation)', () => {
  const neg = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0];
  const pos = [0.95, 0.85, 0.55, 0.05];
  const values = [...neg, ...pos];
  const labels = [...neg.map(() => 0), ...pos.map(() => 1)];

  it('allows floor(target x N) false positives and picks the smallest value above the next benign one', () => {
    // 10 benign at 10%: one may be flagged; the 2nd-highest benign is 0.9, the smallest value above it is 0.95.
    const p = operatingPointAtFpr(values, labels, 0.1);
    expect(p).toMatchObject({ threshold: 0.95, falsePositives: 1, truePositives: 1, fpr: 0.1, tpr: 0.25, allowedFalsePositives: 1, meaningful: true });
    // 25%: floor(2.5) = 2 allowed; cut above 0.8 -> 0.85.
    expect(operatingPointAtFpr(values, labels, 0.25)).toMatchObject({ threshold: 0.85, falsePositives: 2, tpr: 0.5, fpr: 0.2 });
  });

  it('puts the threshold above every benign value when the target allows none, and says the figure is not meaningful', () => {
    const p = operatingPointAtFpr(values, labels, 0.05);
    expect(p.threshold).toBe(Infinity);
    expect(p).toMatchObject({ tpr: 0, fpr: 0, allowedFalsePositives: 0, meaningful: false });
    expect(p.note).toMatch(/needs >= 20/);
  });

  it('never exceeds the target when benign values tie at the cut', () => {
    // Three benign tie at 0.5; 50% allows 2, but flagging 0.5 would flag 3 -> cut above 0.5.
    const p = operatingPointAtFpr([0.5, 0.5, 0.5, 0.1, 0.5, 0.7], [0, 0, 0, 0, 1, 1], 0.5);
    expect(p).toMatchObject({ threshold: 0.7, falsePositives: 0, truePositives: 1, fpr: 0, tpr: 0.5 });
  });

  it('counts integer products exactly despite floating point (0.29 x 100 = 29)', () => {
    const n = 100;
    const v = Array.from({ length: n }, (_, i) => i);
    expect(operatingPointAtFpr(v, v.map(() => 0), 0.29).allowedFalsePositives).toBe(29);
  });

  it('flags a noisy estimate (fewer than 10 false positives allowed)', () => {
    const v = Array.from({ length: 3000 }, (_, i) => i);
    const p = operatingPointAtFpr(v, v.map(() => 0), 1e-3);
    expect(p.allowedFalsePositives).toBe(3);
    expect(p.meaningful).toBe(true);
    expect(p.note).toMatch(/noisy/);
  });

  it('works on logits (negative and large values)', () => {
    const p = operatingPointAtFpr([-5, -1, 3, 20, 18, 25], [0, 0, 0, 1, 1, 0], 1 / 3);
    expect(p).toMatchObject({ threshold: 18, falsePositives: 1, tpr: 1 });
  });
});

describe('operatingPointAt and rocCurve', () => {
  it('calls values >= threshold DGA', () => {
    expect(operatingPointAt([0.9, 0.5, 0.5, 0.1], [1, 1, 0, 0], 0.5)).toMatchObject({ truePositives: 2, falsePositives: 1, tpr: 1, fpr: 0.5 });
  });

  it('has one point per distinct value, ties moving diagonally', () => {
    const c = rocCurve([0.9, 0.5, 0.5, 0.1], [1, 1, 0, 0]);
    expect([...c.fpr]).toEqual([0, 0, 0.5, 1]);
    expect([...c.tpr]).toEqual([0, 0.5, 1, 1]);
    expect([...c.thresholds]).toEqual([Infinity, 0.9, 0.5, 0.1]);
  });

  it('gives the detection rate per group', () => {
    const d = detectionByGroup([0.9, 0.2, 0.7, 0.8], ['a', 'a', 'b', 'b'], 0.75);
    expect(d.get('a')).toEqual({ n: 2, detected: 1, tpr: 0.5 });
    expect(d.get('b')).toEqual({ n: 2, detected: 1, tpr: 0.5 });
  });

  it('computes the score from a logit in float32 as the model does', () => {
    expect(sigmoid32(0)).toBe(0.5);
    expect(sigmoid32(20)).toBe(1); // saturated: why ranking uses the logit
  });
});

describe('multiclassReport', () => {
  const truth = ['a', 'a', 'a', 'b', 'b', 'c'];
  const pred = ['a', 'a', 'b', 'b', 'c', 'a'];

  it('gives per-class precision, recall and F1 (0/0 = 0)', () => {
    const r = multiclassReport(truth, pred);
    const by = Object.fromEntries(r.perClass.map((c) => [c.label, c]));
    expect(by.a).toMatchObject({ support: 3, predicted: 3, truePositives: 2 });
    expect(by.a!.f1).toBeCloseTo(2 / 3, 12);
    expect(by.b!.f1).toBeCloseTo(0.5, 12);
    expect(by.c).toMatchObject({ precision: 0, recall: 0, f1: 0 });
    expect(r.micro.f1).toBeCloseTo(0.5, 12); // 3 hits of 6: micro-F1 = accuracy when all classes count
    expect(r.macro.f1).toBeCloseTo((2 / 3 + 0.5 + 0) / 3, 12);
    expect(r.accuracy).toBeCloseTo(0.5, 12);
  });

  it('averages only over classes with enough support, still counting their predictions as false positives elsewhere', () => {
    const r = multiclassReport(truth, pred, 2);
    expect(r.evaluated).toEqual(['a', 'b']);
    expect(r.excluded).toEqual(['c']);
    // a: tp 2, predicted 3; b: tp 1, predicted 2 -> P = 3/5; supports 3 + 2 -> R = 3/5.
    expect(r.micro.precision).toBeCloseTo(3 / 5, 12);
    expect(r.micro.recall).toBeCloseTo(3 / 5, 12);
    expect(r.micro.f1).toBeCloseTo(3 / 5, 12);
    expect(r.macro.f1).toBeCloseTo((2 / 3 + 1 / 2) / 2, 12);
  });
});

describe('confusionMatrix', () => {
  it('keeps the top-k true classes by support and folds the rest into one row and column', () => {
    const c = confusionMatrix(['a', 'a', 'a', 'b', 'b', 'c'], ['a', 'a', 'b', 'b', 'c', 'a'], 2);
    expect(c.rows).toEqual(['a', 'b', REST_LABEL]);
    expect(c.columns).toEqual(['a', 'b', REST_LABEL]);
    expect(c.counts).toEqual([
      [2, 1, 0],
      [0, 1, 1],
      [1, 0, 0],
    ]);
  });

  it('always shows the classes asked for (the model\'s "other") next to the top k', () => {
    const c = confusionMatrix(['a', 'a', 'a', 'b', 'b', 'c'], ['a', 'a', 'b', 'b', 'c', 'a'], 1, ['c', 'absent']);
    expect(c.rows).toEqual(['a', 'c', REST_LABEL]);
    expect(c.counts).toEqual([
      [2, 0, 1],
      [1, 0, 0],
      [0, 1, 1],
    ]);
  });

  it('keeps every class without k and sums to the number of samples', () => {
    const c = confusionMatrix(['x', 'y', 'y'], ['y', 'y', 'z']);
    expect(c.rows).toEqual(['y', 'x', 'z']);
    expect(c.counts.flat().reduce((a, b) => a + b, 0)).toBe(3);
  });
});

/** A small well-formedness check: balanced tags, quoted attributes, escaped text, one root element. */
function assertWellFormedXml(xml: string): string {
  const body = xml.replace(/^<\?xml [^?]*\?>\s*/, '');
  const stack: string[] = [];
  const tag = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<&]*(?:&(?:amp|lt|gt|quot|apos);[^"<&]*)*")*)\s*(\/?)>/y;
  let roots = 0;
  let root = '';
  let i = 0;
  while (i < body.length) {
    if (body[i] === '<') {
      tag.lastIndex = i;
      const m = tag.exec(body);
      if (!m) throw new Error(`malformed tag at ${i}: ${body.slice(i, i + 60)}`);
      const [, close, name, , selfClose] = m;
      if (close) {
        if (stack.pop() !== name) throw new Error(`unbalanced </${name}> at ${i}`);
      } else {
        if (stack.length === 0) {
          roots++;
          root = name!;
        }
        if (!selfClose) stack.push(name!);
      }
      i = tag.lastIndex;
    } else {
      const next = body.indexOf('<', i);
      const text = body.slice(i, next < 0 ? undefined : next);
      if (/&(?!(?:amp|lt|gt|quot|apos);)/.test(text)) throw new Error(`unescaped & in text: ${text}`);
      if (stack.length === 0 && text.trim() !== '') throw new Error(`text outside the root: ${text}`);
      i = next < 0 ? body.length : next;
    }
  }
  if (stack.length) throw new Error(`unclosed <${stack.join('>, <')}>`);
  if (roots !== 1) throw new Error(`expected one root element, got ${roots}`);
  return root;
}

describe('renderRocSvg', () => {
  const svg = renderRocSvg(
    [
      { label: 'test <AUC 0.99> & more', fpr: [0, 1e-6, 1e-4, 1e-3, 0.01, 1], tpr: [0, 0.2, 0.5, 0.7, 0.9, 1] },
      { label: 'held-out', fpr: [0, 0.5, 1], tpr: [0, 0.3, 1], dashed: true },
    ],
    { title: 'ROC "x"', markers: [{ label: 'FPR 1e-3', fpr: 1e-3, tpr: 0.7 }] },
  );

  it('is a well-formed standalone SVG document with no external references', () => {
    expect(svg.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
    expect(assertWellFormedXml(svg)).toBe('svg');
    expect(svg).toContain('xmlns="http://www.w3.org/2000/svg"');
    expect(svg).not.toMatch(/href=|@import|url\((?!#)/);
    expect(svg).toContain(escapeXml('test <AUC 0.99> & more'));
  });

  it('has a log-scale FPR axis from 1e-5 to 1 with a labelled tick per decade, equally spaced', () => {
    const ticks = [...svg.matchAll(/<text x="([\d.]+)" y="[\d.]+" data-fpr="([^"]+)">([^<]+)<\/text>/g)].map((m) => ({
      x: Number(m[1]),
      fpr: Number(m[2]),
      label: m[3],
    }));
    expect(ticks.map((t) => t.label)).toEqual(['1e-5', '1e-4', '1e-3', '1e-2', '1e-1', '1']);
    const gaps = ticks.slice(1).map((t, i) => t.x - ticks[i]!.x);
    for (const g of gaps) expect(g).toBeCloseTo(gaps[0]!, 0);
    // The point at FPR 1e-3 sits on the 1e-3 tick; FPR below 1e-5 is clamped to the left edge.
    const marker = svg.match(/<circle cx="([\d.]+)" cy="[\d.]+" r="4" fill="[^"]+"><title>FPR 1e-3/);
    expect(Number(marker![1])).toBeCloseTo(ticks[2]!.x, 0);
    const firstCurve = svg.match(/<polyline class="roc" points="([^"]+)"/)![1]!.split(' ').map((p) => Number(p.split(',')[0]));
    expect(Math.min(...firstCurve)).toBeCloseTo(ticks[0]!.x, 0);
  });

  it('draws one curve per series and a legend entry for each series and marker', () => {
    expect(svg.match(/<polyline class="roc"/g)).toHaveLength(2);
    expect(svg).toContain('stroke-dasharray="6 4"');
    const legend = svg.slice(svg.indexOf('<g class="legend">'));
    expect(legend).toContain('held-out');
    expect(legend).toContain('FPR 1e-3');
  });
});

describe('bootstrapIntervals', () => {
  // Two overlapping classes: benign ~ U(0, 1), DGA ~ U(0.5, 1.5) -- AUC 0.875 in expectation.
  const rng = createRng(11);
  const values: number[] = [];
  const labels: number[] = [];
  for (let i = 0; i < 3000; i++) {
    values.push(rng());
    labels.push(0);
    values.push(0.5 + rng());
    labels.push(1);
  }

  it('brackets the figures measured on the sample, and is reproducible for a seed', () => {
    const b = bootstrapIntervals(values, labels, [1e-2, 1e-3], { resamples: 200, seed: 3 });
    expect(b.resamples).toBe(200);
    expect(b.level).toBe(0.95);
    const auc = rocAuc(values, labels);
    expect(b.auc.low).toBeLessThan(auc);
    expect(b.auc.high).toBeGreaterThan(auc);
    expect(b.auc.high - b.auc.low).toBeLessThan(0.03);
    for (const { targetFpr, tpr } of b.tprAtFpr) {
      const point = operatingPointAtFpr(values, labels, targetFpr).tpr;
      expect(tpr.low).toBeLessThanOrEqual(point);
      expect(tpr.high).toBeGreaterThanOrEqual(point);
    }
    // 3 false positives allowed at 1e-3 against 30 at 1e-2: the stricter point moves more between draws.
    const width = (i: number) => b.tprAtFpr[i]!.tpr.high - b.tprAtFpr[i]!.tpr.low;
    expect(width(1)).toBeGreaterThan(width(0));
    expect(bootstrapIntervals(values, labels, [1e-2, 1e-3], { resamples: 200, seed: 3 })).toEqual(b);
    expect(bootstrapIntervals(values, labels, [1e-2, 1e-3], { resamples: 200, seed: 4 })).not.toEqual(b);
  });

  it('gives the macro-average detection over groups an interval around its value on the sample', () => {
    const benign = values.filter((_, i) => labels[i] === 0);
    const dga = values.filter((_, i) => labels[i] === 1);
    // Two groups: one above every benign value, one among them.
    const easy = dga.map((v) => v + 1);
    const hard = dga.slice(0, 500);
    const m = bootstrapMacroTpr(benign, [easy, hard], 1e-2, { resamples: 300, seed: 9 });
    const threshold = operatingPointAtFpr([...benign, ...hard], [...benign.map(() => 0), ...hard.map(() => 1)], 1e-2).threshold;
    const point = (1 + hard.filter((v) => v >= threshold).length / hard.length) / 2;
    expect(m.low).toBeLessThanOrEqual(point);
    expect(m.high).toBeGreaterThanOrEqual(point);
    expect(m.low).toBeGreaterThan(0.5); // the easy group is always found
    expect(m.high).toBeLessThan(1);
    expect(bootstrapMacroTpr(benign, [easy, hard], 1e-2, { resamples: 300, seed: 9 })).toEqual(m);
    expect(() => bootstrapMacroTpr(benign, [], 1e-2, { resamples: 10, seed: 1 })).toThrow(/non-empty groups/);
    expect(() => bootstrapMacroTpr(benign, [easy, []], 1e-2, { resamples: 10, seed: 1 })).toThrow(/non-empty groups/);
  });

  it('has no width when the classes do not overlap, and refuses bad options', () => {
    const b = bootstrapIntervals([0.1, 0.2, 0.3, 0.8, 0.9], [0, 0, 0, 1, 1], [1e-2], { resamples: 50, seed: 1 });
    expect(b.auc).toEqual({ low: 1, high: 1 });
    expect(b.tprAtFpr).toEqual([{ targetFpr: 1e-2, tpr: { low: 1, high: 1 } }]);
    expect(() => bootstrapIntervals(values, labels, [1e-3], { resamples: 0, seed: 1 })).toThrow(/resamples must be a positive integer/);
    expect(() => bootstrapIntervals(values, labels, [1e-3], { resamples: 10, seed: 1, level: 1 })).toThrow(/level must be in/);
  });
});
