import type * as tfTypes from '@tensorflow/tfjs';
import type { ScoreBatch } from '../../src/core/scorer.js';
import { familyHeadLogit, type ScoreFrom } from './family-score.js';

/**
 * Shared by the exporter's checks, the parity tests and the int8 benchmark: reference outputs from tfjs,
 * batched scoring through a Scorer, and the comparison figures (largest differences, decision agreement).
 */

export interface ModelOutputs {
  scores: Float32Array;
  logits: Float32Array;
  /** Row-major [count, K] family probabilities, when the model has a family head. */
  families?: Float32Array;
}

/**
 * tfjs outputs for `count` encoded names: the model's own score (and family) outputs, and the logit as the
 * LSTM's last hidden state through the score layer without its sigmoid -- all from one pass, batch by batch.
 * With scoreFrom "family" the logit is the family head's (family-score.ts) and the score its sigmoid.
 */
export function tfjsReference(
  tf: typeof tfTypes,
  model: tfTypes.LayersModel,
  chars: Int32Array,
  count: number,
  maxLength: number,
  batch = 1000,
  scoreFrom: ScoreFrom = 'score',
): ModelOutputs {
  // A Bidirectional wrapper's output is both last states concatenated, as the graph's "lstm.h".
  const lstm = model.layers.find((l) => l.getClassName() === 'LSTM' || l.getClassName() === 'Bidirectional');
  if (!lstm) throw new Error('tfjsReference: the model has no LSTM layer');
  const dense = model.layers.filter((l) => l.getClassName() === 'Dense');
  const activation = (l: tfTypes.layers.Layer) => (l.getConfig() as { activation?: string }).activation;
  const scoreLayer = dense.find((l) => activation(l) === 'sigmoid');
  if (!scoreLayer) throw new Error('tfjsReference: the model has no Dense sigmoid score layer');
  const familyLayer = dense.find((l) => activation(l) === 'softmax');
  const outputs = [scoreLayer.output, ...(familyLayer ? [familyLayer.output] : []), lstm.output] as tfTypes.SymbolicTensor[];
  const probe = tf.model({ inputs: model.inputs, outputs });
  const [kernel, bias] = scoreLayer.getWeights() as [tfTypes.Tensor, tfTypes.Tensor];
  const K = familyLayer ? ((familyLayer.getConfig() as { units: number }).units) : 0;
  if (scoreFrom === 'family' && !familyLayer) throw new Error('tfjsReference: scoreFrom "family" needs a family head');
  const [familyKernel, familyBias] = familyLayer ? (familyLayer.getWeights() as [tfTypes.Tensor, tfTypes.Tensor]) : [];
  const out: ModelOutputs = {
    scores: new Float32Array(count),
    logits: new Float32Array(count),
    families: familyLayer ? new Float32Array(count * K) : undefined,
  };
  for (let start = 0; start < count; start += batch) {
    const n = Math.min(batch, count - start);
    tf.tidy(() => {
      const x = tf.tensor2d(chars.subarray(start * maxLength, (start + n) * maxLength), [n, maxLength], 'int32');
      const all = probe.predict(x) as tfTypes.Tensor[];
      if (out.families) out.families.set(all[1]!.dataSync() as Float32Array, start * K);
      if (scoreFrom === 'family') {
        const logit = familyHeadLogit(tf, tf.add(tf.matMul(all.at(-1)!, familyKernel!), familyBias!) as tfTypes.Tensor2D);
        out.logits.set(logit.dataSync() as Float32Array, start);
        out.scores.set(tf.sigmoid(logit).dataSync() as Float32Array, start);
        return;
      }
      out.scores.set(all[0]!.dataSync() as Float32Array, start);
      out.logits.set(tf.add(tf.matMul(all.at(-1)!, kernel), bias).dataSync() as Float32Array, start);
    });
  }
  return out;
}

/** Scores `count` encoded names through a Scorer in batches (the way the CLI and the Worker call it). */
export async function scoreInBatches(
  scorer: { score(chars: Int32Array, count: number): Promise<ScoreBatch> },
  chars: Int32Array,
  count: number,
  maxLength: number,
  batch = 1000,
): Promise<ModelOutputs> {
  const out: ModelOutputs = { scores: new Float32Array(count), logits: new Float32Array(count) };
  for (let start = 0; start < count; start += batch) {
    const n = Math.min(batch, count - start);
    const r = await scorer.score(chars.subarray(start * maxLength, (start + n) * maxLength), n);
    out.scores.set(r.scores, start);
    out.logits.set(r.logits, start);
    if (r.families) {
      const K = r.families.length / n;
      out.families ??= new Float32Array(count * K);
      out.families.set(r.families, start * K);
    }
  }
  return out;
}

export interface Comparison {
  count: number;
  maxScoreDiff: number;
  meanScoreDiff: number;
  maxLogitDiff: number;
  /** Largest |logit diff| / max(1, |expected logit|): float32 carries ~7 significant digits, so large logits differ more. */
  maxLogitRelDiff: number;
  /** Index of the name with the largest score difference. */
  worst: number;
  /** Names on the same side of `threshold` in both (1 = all). */
  sameDecision: number;
  flips: number;
  /** With a family head: largest probability difference, and how often the arg-max family agrees. */
  maxFamilyDiff?: number;
  familyArgmaxAgreement?: number;
  nonFinite: boolean;
}

function argmax(values: Float32Array, start: number, k: number): number {
  let best = 0;
  for (let j = 1; j < k; j++) if (values[start + j]! > values[start + best]!) best = j;
  return best;
}

/** Compares `actual` with `expected` (same names, same order); decisions are score >= threshold. */
export function compareOutputs(expected: ModelOutputs, actual: ModelOutputs, threshold = 0.5): Comparison {
  const count = expected.scores.length;
  if (actual.scores.length !== count || actual.logits.length !== count) throw new Error(`compareOutputs: ${actual.scores.length} scores for ${count} names`);
  let maxScoreDiff = 0;
  let sumScoreDiff = 0;
  let maxLogitDiff = 0;
  let maxLogitRelDiff = 0;
  let worst = 0;
  let flips = 0;
  let nonFinite = false;
  for (let i = 0; i < count; i++) {
    const a = actual.scores[i]!;
    const e = expected.scores[i]!;
    if (!Number.isFinite(a) || !Number.isFinite(actual.logits[i]!)) nonFinite = true;
    const d = Math.abs(a - e);
    sumScoreDiff += d;
    if (d > maxScoreDiff) {
      maxScoreDiff = d;
      worst = i;
    }
    const dl = Math.abs(actual.logits[i]! - expected.logits[i]!);
    maxLogitDiff = Math.max(maxLogitDiff, dl);
    maxLogitRelDiff = Math.max(maxLogitRelDiff, dl / Math.max(1, Math.abs(expected.logits[i]!)));
    if (a >= threshold !== e >= threshold) flips++;
  }
  const result: Comparison = {
    count,
    maxScoreDiff,
    meanScoreDiff: count ? sumScoreDiff / count : 0,
    maxLogitDiff,
    maxLogitRelDiff,
    worst,
    sameDecision: count ? 1 - flips / count : 1,
    flips,
    nonFinite,
  };
  if (expected.families) {
    const fa = actual.families;
    if (!fa || fa.length !== expected.families.length) throw new Error(`compareOutputs: family output has ${fa?.length ?? 0} values, expected ${expected.families.length}`);
    const K = expected.families.length / count;
    let maxFamilyDiff = 0;
    let agree = 0;
    for (let i = 0; i < fa.length; i++) {
      if (!Number.isFinite(fa[i]!)) result.nonFinite = true;
      maxFamilyDiff = Math.max(maxFamilyDiff, Math.abs(fa[i]! - expected.families[i]!));
    }
    for (let i = 0; i < count; i++) if (argmax(fa, i * K, K) === argmax(expected.families, i * K, K)) agree++;
    result.maxFamilyDiff = maxFamilyDiff;
    result.familyArgmaxAgreement = count ? agree / count : 1;
  }
  return result;
}
