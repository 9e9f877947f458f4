/**
 * Evaluation metrics for the DGA detector: pure functions over arrays of ranking values (a score or a
 * logit, higher = more DGA-like) and labels (1 = DGA, 0 = benign), plus multiclass figures for the family
 * head. No I/O; scripts/eval.ts feeds them and scripts/lib/report.ts prints them.
 *
 * Threshold rule (used everywhere here): a name is called DGA when its value is >= the threshold. The
 * threshold for a target false-positive rate is the smallest observed value whose FPR is <= the target --
 * no interpolation between operating points. With N benign names at most k = floor(target * N) of them
 * may score at or above it, so it is the smallest observed value strictly greater than the (k+1)-th
 * highest benign value. Ties can only make the achieved FPR lower than the target, never higher.
 */
import { createRng } from './seeded-random.js';

/** One operating point of a binary classifier. */
export interface OperatingPoint {
  /** Values >= threshold are called DGA. +Infinity: nothing is; -Infinity: everything is. */
  threshold: number;
  fpr: number;
  tpr: number;
  /** Benign names at or above the threshold. */
  falsePositives: number;
  /** DGA names at or above the threshold. */
  truePositives: number;
  negatives: number;
  positives: number;
}

/** An operating point chosen for a target false-positive rate. */
export interface FprOperatingPoint extends OperatingPoint {
  targetFpr: number;
  /** floor(targetFpr * negatives): how many benign names may be flagged. */
  allowedFalsePositives: number;
  /** False when there are fewer than 1 / targetFpr benign names: the target cannot even be resolved. */
  meaningful: boolean;
  /** Why the figure is unreliable, if it is. */
  note?: string;
}

/** Floor of a product that should be an integer but may land a hair below it in floating point. */
function floorCount(rate: number, n: number): number {
  return Math.floor(rate * n * (1 + 1e-12) + 1e-9);
}

function split(values: ArrayLike<number>, labels: ArrayLike<number>): { pos: Float64Array; neg: Float64Array } {
  if (values.length !== labels.length) {
    throw new RangeError(`metrics: ${values.length} values but ${labels.length} labels`);
  }
  let p = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === 1) p++;
  const pos = new Float64Array(p);
  const neg = new Float64Array(labels.length - p);
  let a = 0;
  let b = 0;
  for (let i = 0; i < labels.length; i++) {
    const v = values[i]!;
    if (Number.isNaN(v)) throw new RangeError(`metrics: value ${i} is NaN`);
    if (labels[i] === 1) pos[a++] = v;
    else neg[b++] = v;
  }
  return { pos, neg };
}

/** Number of elements of an ascending array that are >= x (binary search). */
function countAtLeast(ascending: Float64Array, x: number): number {
  let lo = 0;
  let hi = ascending.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ascending[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return ascending.length - lo;
}

/**
 * Area under the ROC curve, tie-aware: the Mann-Whitney U statistic with a tie between a DGA and a benign
 * value counted as one half. NaN if either class is empty.
 */
export function rocAuc(values: ArrayLike<number>, labels: ArrayLike<number>): number {
  const { pos, neg } = split(values, labels);
  return aucOfSorted(pos.sort(), neg.sort());
}

/** rocAuc over ascending DGA and benign values. */
function aucOfSorted(pos: Float64Array, neg: Float64Array): number {
  if (pos.length === 0 || neg.length === 0) return NaN;
  // For each positive: benign values strictly below it, plus half of those equal to it.
  let wins = 0;
  let below = 0;
  let equalEnd = 0;
  for (let i = 0; i < pos.length; i++) {
    const v = pos[i]!;
    while (below < neg.length && neg[below]! < v) below++;
    if (equalEnd < below) equalEnd = below;
    while (equalEnd < neg.length && neg[equalEnd]! === v) equalEnd++;
    wins += below + (equalEnd - below) / 2;
  }
  return wins / (pos.length * neg.length);
}

/** TPR and FPR when values >= threshold are called DGA. */
export function operatingPointAt(values: ArrayLike<number>, labels: ArrayLike<number>, threshold: number): OperatingPoint {
  const { pos, neg } = split(values, labels);
  let tp = 0;
  let fp = 0;
  for (const v of pos) if (v >= threshold) tp++;
  for (const v of neg) if (v >= threshold) fp++;
  return {
    threshold,
    fpr: neg.length ? fp / neg.length : NaN,
    tpr: pos.length ? tp / pos.length : NaN,
    falsePositives: fp,
    truePositives: tp,
    negatives: neg.length,
    positives: pos.length,
  };
}

/**
 * The operating point for a target FPR under the rule in the module doc: the smallest observed value with
 * FPR <= targetFpr (no interpolation). +Infinity when no observed value qualifies (then TPR is 0).
 */
export function operatingPointAtFpr(values: ArrayLike<number>, labels: ArrayLike<number>, targetFpr: number): FprOperatingPoint {
  if (!(targetFpr >= 0 && targetFpr <= 1)) throw new RangeError(`operatingPointAtFpr: targetFpr must be in 0..1, got ${targetFpr}`);
  const { pos, neg } = split(values, labels);
  pos.sort();
  neg.sort();
  const n = neg.length;
  const allowed = floorCount(targetFpr, n);
  const threshold = thresholdOfSorted(pos, neg, allowed);
  const fp = Number.isNaN(threshold) ? 0 : countAtLeast(neg, threshold);
  const tp = Number.isNaN(threshold) ? 0 : countAtLeast(pos, threshold);
  const meaningful = n > 0 && allowed >= 1;
  let note: string | undefined;
  if (n === 0) note = 'no benign names';
  else if (!meaningful) {
    note = `only ${n} benign names: FPR ${targetFpr} needs >= ${Math.ceil(1 / targetFpr)}; the threshold sits above the highest benign value (FPR 0 on this sample)`;
  } else if (allowed < 10) {
    note = `${n} benign names allow ${allowed} false positive(s) at FPR ${targetFpr}: noisy (want >= ${Math.ceil(10 / targetFpr)})`;
  }
  return {
    targetFpr,
    threshold,
    fpr: n ? fp / n : NaN,
    tpr: pos.length ? tp / pos.length : NaN,
    falsePositives: fp,
    truePositives: tp,
    negatives: n,
    positives: pos.length,
    allowedFalsePositives: allowed,
    meaningful,
    ...(note ? { note } : {}),
  };
}

/**
 * The threshold rule of the module doc over ascending DGA and benign values: the smallest observed value with
 * at most `allowed` benign values at or above it. NaN without benign values, +Infinity when none qualifies.
 */
function thresholdOfSorted(pos: Float64Array, neg: Float64Array, allowed: number): number {
  const n = neg.length;
  if (n === 0) return NaN;
  if (allowed >= n) return Math.min(pos.length ? pos[0]! : Infinity, neg[0]!);
  const cutoff = neg[n - 1 - allowed]!; // the (allowed+1)-th highest benign value
  // Smallest observed value strictly above the cutoff, from either class.
  let threshold = Infinity;
  for (let i = pos.length - countAtLeast(pos, cutoff); i < pos.length; i++) {
    if (pos[i]! > cutoff) {
      threshold = pos[i]!;
      break;
    }
  }
  for (let i = n - 1 - allowed; i < n; i++) {
    if (neg[i]! > cutoff) return Math.min(threshold, neg[i]!);
  }
  return threshold;
}

/** A two-sided percentile interval. */
export interface Interval {
  low: number;
  high: number;
}

/** Bootstrap intervals of the headline binary figures (bootstrapIntervals). */
export interface BootstrapIntervals {
  resamples: number;
  /** Central share of the resampled figures the intervals hold (0.95). */
  level: number;
  auc: Interval;
  /** TPR at each target FPR, in the order given. */
  tprAtFpr: { targetFpr: number; tpr: Interval }[];
}

/**
 * Stratified bootstrap of AUC and of TPR at target FPRs: each resample draws the benign and the DGA values
 * with replacement (each class keeping its size), re-picks every threshold by the module's rule and
 * re-measures. The percentile interval says how far the figure moves with another draw of test names of
 * the same kind; at FPR 1e-4 with ~10,000 benign names the threshold rests on one or two names, and the
 * interval shows it. Not a statement about names of other sources (the sealed set's question).
 */
export function bootstrapIntervals(
  values: ArrayLike<number>,
  labels: ArrayLike<number>,
  targetFprs: readonly number[],
  options: { resamples: number; seed: number; level?: number },
): BootstrapIntervals {
  const { resamples, seed, level } = checkBootstrapOptions('bootstrapIntervals', options);
  const { pos, neg } = split(values, labels);
  const rng = createRng(seed);
  const draw = (from: Float64Array, into: Float64Array) => {
    for (let i = 0; i < into.length; i++) into[i] = from[Math.floor(rng() * from.length)]!;
    return into.sort();
  };
  const p = new Float64Array(pos.length);
  const q = new Float64Array(neg.length);
  const aucs: number[] = [];
  const tprs = targetFprs.map(() => [] as number[]);
  for (let r = 0; r < resamples; r++) {
    draw(pos, p);
    draw(neg, q);
    aucs.push(aucOfSorted(p, q));
    targetFprs.forEach((t, i) => {
      const threshold = thresholdOfSorted(p, q, floorCount(t, q.length));
      tprs[i]!.push(p.length && !Number.isNaN(threshold) ? countAtLeast(p, threshold) / p.length : NaN);
    });
  }
  return { resamples, level, auc: percentileInterval(aucs, level), tprAtFpr: targetFprs.map((t, i) => ({ targetFpr: t, tpr: percentileInterval(tprs[i]!, level) })) };
}

/**
 * Bootstrap interval of the macro-average detection over groups (e.g. held-out families) at a target FPR:
 * each resample draws the benign values and every group's values with replacement, re-picks the threshold
 * by the module's rule over the benign draw and averages the groups' detection rates.
 */
export function bootstrapMacroTpr(
  benign: ArrayLike<number>,
  groups: readonly ArrayLike<number>[],
  targetFpr: number,
  options: { resamples: number; seed: number; level?: number },
): Interval {
  const { resamples, seed, level } = checkBootstrapOptions('bootstrapMacroTpr', options);
  if (groups.length === 0 || groups.some((g) => g.length === 0)) throw new RangeError('bootstrapMacroTpr: needs non-empty groups');
  const rng = createRng(seed);
  const pick = (from: ArrayLike<number>) => from[Math.floor(rng() * from.length)]!;
  const q = new Float64Array(benign.length);
  const macros: number[] = [];
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < q.length; i++) q[i] = pick(benign);
    q.sort();
    const allowed = floorCount(targetFpr, q.length);
    // The module's threshold is the smallest observed value above the (allowed+1)-th highest benign one, so a
    // drawn DGA value is detected exactly when it is above that benign value: no need to sort the groups.
    const cutoff = q.length === 0 ? NaN : allowed >= q.length ? -Infinity : q[q.length - 1 - allowed]!;
    let sum = 0;
    for (const g of groups) {
      let detected = 0;
      for (let i = 0; i < g.length; i++) if (pick(g) > cutoff) detected++;
      sum += detected / g.length;
    }
    macros.push(Number.isNaN(cutoff) ? NaN : sum / groups.length);
  }
  return percentileInterval(macros, level);
}

/** Bootstrap options with the level defaulted (0.95); throws naming the caller on a bad count or level. */
export function checkBootstrapOptions(caller: string, options: { resamples: number; seed: number; level?: number }): { resamples: number; seed: number; level: number } {
  const { resamples, seed, level = 0.95 } = options;
  if (!Number.isInteger(resamples) || resamples < 1) throw new RangeError(`${caller}: resamples must be a positive integer, got ${resamples}`);
  if (!(level > 0 && level < 1)) throw new RangeError(`${caller}: level must be in (0, 1), got ${level}`);
  return { resamples, seed, level };
}

/** The central `level` share of the values other than NaN (NaN bounds when there are none). */
export function percentileInterval(xs: number[], level: number): Interval {
  const sorted = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (!sorted.length) return { low: NaN, high: NaN };
  const at = (f: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(f * (sorted.length - 1))))]!;
  return { low: at((1 - level) / 2), high: at(1 - (1 - level) / 2) };
}

/** A ROC curve: one point per distinct observed value (highest first), starting at (0, 0). */
export interface RocCurve {
  fpr: Float64Array;
  tpr: Float64Array;
  /** thresholds[i] gives point i; thresholds[0] = +Infinity. */
  thresholds: Float64Array;
}

/** The full empirical ROC curve; tied values move FPR and TPR together (a diagonal step). */
export function rocCurve(values: ArrayLike<number>, labels: ArrayLike<number>): RocCurve {
  const { pos, neg } = split(values, labels);
  pos.sort();
  neg.sort();
  const fprs = [0];
  const tprs = [0];
  const thresholds = [Infinity];
  let i = pos.length - 1;
  let j = neg.length - 1;
  while (i >= 0 || j >= 0) {
    const v = Math.max(i >= 0 ? pos[i]! : -Infinity, j >= 0 ? neg[j]! : -Infinity);
    while (i >= 0 && pos[i]! === v) i--;
    while (j >= 0 && neg[j]! === v) j--;
    thresholds.push(v);
    tprs.push(pos.length ? (pos.length - 1 - i) / pos.length : NaN);
    fprs.push(neg.length ? (neg.length - 1 - j) / neg.length : NaN);
  }
  return { fpr: Float64Array.from(fprs), tpr: Float64Array.from(tprs), thresholds: Float64Array.from(thresholds) };
}

/** Detection rate of each group (e.g. DGA family) at a threshold: values >= threshold count as detected. */
export function detectionByGroup(
  values: ArrayLike<number>,
  groups: readonly string[],
  threshold: number,
): Map<string, { n: number; detected: number; tpr: number }> {
  if (values.length !== groups.length) throw new RangeError(`detectionByGroup: ${values.length} values but ${groups.length} groups`);
  const out = new Map<string, { n: number; detected: number; tpr: number }>();
  for (let i = 0; i < values.length; i++) {
    const g = groups[i]!;
    let entry = out.get(g);
    if (!entry) out.set(g, (entry = { n: 0, detected: 0, tpr: 0 }));
    entry.n++;
    if (values[i]! >= threshold) entry.detected++;
  }
  for (const entry of out.values()) entry.tpr = entry.detected / entry.n;
  return out;
}

/** Precision, recall and F1 of one class; a 0/0 ratio counts as 0 (as scikit-learn's zero_division=0). */
export interface ClassScores {
  label: string;
  /** True samples of this class. */
  support: number;
  /** Samples predicted as this class. */
  predicted: number;
  truePositives: number;
  precision: number;
  recall: number;
  f1: number;
}

export interface MulticlassReport {
  /** Classes averaged over: those with support >= minSupport, by support (descending), then name. */
  evaluated: string[];
  /** Classes left out of the averages (support below minSupport), still counted as predictions. */
  excluded: string[];
  perClass: ClassScores[];
  micro: { precision: number; recall: number; f1: number };
  /** Unweighted mean of the evaluated classes' F1 (and precision, recall). */
  macro: { precision: number; recall: number; f1: number };
  /** Fraction of all samples whose prediction equals the truth. */
  accuracy: number;
  samples: number;
}

const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);
const f1Of = (p: number, r: number) => (p + r === 0 ? 0 : (2 * p * r) / (p + r));

/**
 * Micro- and macro-averaged precision/recall/F1 of a single-label multiclass prediction, restricted to the
 * classes with at least `minSupport` true samples (as scikit-learn's `labels=`): micro sums true positives,
 * predictions and supports over those classes, so a sample of an excluded class predicted as an evaluated
 * class is still a false positive of that class. Per-class figures are given for every class seen.
 */
export function multiclassReport(truth: readonly string[], predicted: readonly string[], minSupport = 1): MulticlassReport {
  if (truth.length !== predicted.length) throw new RangeError(`multiclassReport: ${truth.length} truths but ${predicted.length} predictions`);
  const support = new Map<string, number>();
  const predCount = new Map<string, number>();
  const tp = new Map<string, number>();
  let correct = 0;
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i]!;
    const p = predicted[i]!;
    support.set(t, (support.get(t) ?? 0) + 1);
    predCount.set(p, (predCount.get(p) ?? 0) + 1);
    if (t === p) {
      tp.set(t, (tp.get(t) ?? 0) + 1);
      correct++;
    }
  }
  const labels = [...new Set([...support.keys(), ...predCount.keys()])].sort(
    (a, b) => (support.get(b) ?? 0) - (support.get(a) ?? 0) || (a < b ? -1 : a > b ? 1 : 0),
  );
  const perClass: ClassScores[] = labels.map((label) => {
    const s = support.get(label) ?? 0;
    const pc = predCount.get(label) ?? 0;
    const t = tp.get(label) ?? 0;
    const precision = ratio(t, pc);
    const recall = ratio(t, s);
    return { label, support: s, predicted: pc, truePositives: t, precision, recall, f1: f1Of(precision, recall) };
  });
  const evaluatedScores = perClass.filter((c) => c.support >= minSupport && c.support > 0);
  const evaluated = evaluatedScores.map((c) => c.label);
  const excluded = perClass.filter((c) => c.support > 0 && c.support < minSupport).map((c) => c.label);
  const sum = (f: (c: ClassScores) => number) => evaluatedScores.reduce((acc, c) => acc + f(c), 0);
  const microP = ratio(sum((c) => c.truePositives), sum((c) => c.predicted));
  const microR = ratio(sum((c) => c.truePositives), sum((c) => c.support));
  const k = evaluatedScores.length;
  return {
    evaluated,
    excluded,
    perClass,
    micro: { precision: microP, recall: microR, f1: f1Of(microP, microR) },
    macro: {
      precision: k ? sum((c) => c.precision) / k : 0,
      recall: k ? sum((c) => c.recall) / k : 0,
      f1: k ? sum((c) => c.f1) / k : 0,
    },
    accuracy: ratio(correct, truth.length),
    samples: truth.length,
  };
}

export interface ConfusionMatrix {
  /** Row labels (true classes), then REST_LABEL if any true class was folded. */
  rows: string[];
  /** Column labels (predicted classes), then REST_LABEL if any predicted class was folded. */
  columns: string[];
  /** counts[r][c]: samples of true class rows[r] predicted as columns[c]. */
  counts: number[][];
}

/** Label of the row/column that collects every class outside the top k. */
export const REST_LABEL = '(rest)';

/**
 * Confusion matrix over the top-k true classes by support (ties by name), plus the classes in `keep` that
 * occur (e.g. the model's "other" class); every other class, true or predicted, is folded into REST_LABEL.
 * Columns are the same classes so the diagonal is the hits. `k` = Infinity keeps every class.
 */
export function confusionMatrix(
  truth: readonly string[],
  predicted: readonly string[],
  k = Infinity,
  keep: readonly string[] = [],
): ConfusionMatrix {
  if (truth.length !== predicted.length) throw new RangeError(`confusionMatrix: ${truth.length} truths but ${predicted.length} predictions`);
  const support = new Map<string, number>();
  for (const t of truth) support.set(t, (support.get(t) ?? 0) + 1);
  const all = [...new Set([...truth, ...predicted])];
  const byKey = all.sort((a, b) => (support.get(b) ?? 0) - (support.get(a) ?? 0) || (a < b ? -1 : a > b ? 1 : 0));
  const top = (Number.isFinite(k) ? byKey.filter((l) => support.has(l)).slice(0, k) : byKey).slice();
  for (const l of keep) if (!top.includes(l) && all.includes(l)) top.push(l);
  const index = new Map(top.map((l, i) => [l, i]));
  const needRestRow = truth.some((t) => !index.has(t));
  const needRestCol = predicted.some((p) => !index.has(p));
  const rows = needRestRow ? [...top, REST_LABEL] : top;
  const columns = needRestCol ? [...top, REST_LABEL] : top;
  const counts = rows.map(() => new Array<number>(columns.length).fill(0));
  for (let i = 0; i < truth.length; i++) {
    const r = index.get(truth[i]!) ?? top.length;
    const c = index.get(predicted[i]!) ?? top.length;
    counts[r]![c]!++;
  }
  return { rows, columns, counts };
}

/** Float32 logistic function, as the model computes the score from its logit. */
export function sigmoid32(logit: number): number {
  return Math.fround(1 / (1 + Math.exp(-logit)));
}
