import * as tf from '@tensorflow/tfjs';
import { BigramIndex, MaskedSum, TrigramIndex } from './bigram-index.js';
import { mkdir as mkdirAsync, readdir as readdirAsync, readFile as readFileAsync, rename, rm, writeFile as writeFileAsync } from 'node:fs/promises';
import { join as joinPath } from 'node:path';
import { paddedRowLength } from '../../src/core/encode.js';
import { createRng as makeRng } from './dataset.js';
import { FakeQuantizer, snapModelToInt8Grid } from './fake-quantize.js';
import { familyHeadLogit, type ScoreFrom } from './family-score.js';
import { fileLoadHandler, fileSaveHandler } from './tfjs-files.js';
import { lstmUnits, namedWeights, widenLstmWeights } from './widen-lstm.js';
import { ANY_MALWARE_FAMILY } from './synthetic-dga.js';

/**
 * The Woodbridge et al. (2016) character-level LSTM classifier and its training loop, free of CLI
 * concerns. The layer list is a contract with the ONNX exporter: exactly four layers, in this order and
 * with these names -- `embedding`, `lstm`, `dropout`, `score` (+ `family`) -- with pre-padding (zeros in
 * front, so the LSTM's last step is the label's last character). The two-headed model can mask the padding
 * (`masked`): pad steps then leave the LSTM state at zero, a name's score no longer depends on how wide its
 * batch is padded, and training can run batches only as wide as their longest label (trainLoop buckets
 * them by length: ~2.8x faster than padding every batch to maxLength).
 */

export const LAYER_NAMES = ['embedding', 'lstm', 'dropout', 'score'] as const;

export interface ModelOptions {
  /** Encoder vocabulary; the embedding has vocabulary.length + 1 rows (row 0 = padding). */
  vocabulary: string;
  maxLength: number;
  embeddingDim: number;
  units: number;
  dropout: number;
  learningRate: number;
}

/** Builds and compiles the model (binary cross-entropy, Adam). Seed Math.random first for reproducibility. */
export function createModel(options: ModelOptions): tf.Sequential {
  const { vocabulary, maxLength, embeddingDim, units, dropout, learningRate } = options;
  const model = tf.sequential({ name: 'dga_lstm' });
  model.add(
    tf.layers.embedding({
      name: 'embedding',
      inputDim: vocabulary.length + 1,
      outputDim: embeddingDim,
      inputLength: maxLength,
      maskZero: false,
    }),
  );
  model.add(
    tf.layers.lstm({
      name: 'lstm',
      units,
      activation: 'tanh',
      // tfjs defaults to hardSigmoid; ONNX LSTM uses sigmoid. Must match the exporter.
      recurrentActivation: 'sigmoid',
      returnSequences: false,
      useBias: true,
    }),
  );
  model.add(tf.layers.dropout({ name: 'dropout', rate: dropout }));
  model.add(tf.layers.dense({ name: 'score', units: 1, activation: 'sigmoid' }));
  model.compile({ optimizer: tf.train.adam(learningRate), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
  return model;
}

/** Encoded examples: `x` is the encoder's row-major [n, maxLength] matrix, `y` the 0/1 labels. */
export interface EncodedSet {
  x: Int32Array;
  y: Float32Array;
  n: number;
  maxLength: number;
}

export interface BatchInfo {
  epoch: number;
  batch: number;
  batchesPerEpoch: number;
  loss: number;
  acc: number;
}

export interface EpochInfo {
  epoch: number;
  logs: Record<string, number>;
  seconds: number;
}

export interface FitOptions {
  epochs: number;
  batchSize: number;
  onBatchEnd?: (info: BatchInfo) => void;
  onEpochEnd?: (info: EpochInfo) => void | Promise<void>;
}

export interface FitResult {
  epochs: EpochInfo[];
  seconds: number;
}

function toTensors(set: EncodedSet): { x: tf.Tensor2D; y: tf.Tensor2D } {
  return {
    // int32 indices: the Embedding layer gathers with them directly (no float->int cast per batch).
    x: tf.tensor2d(set.x, [set.n, set.maxLength], 'int32'),
    y: tf.tensor2d(set.y, [set.n, 1], 'float32'),
  };
}

/** Trains with model.fit (shuffled each epoch through Math.random), validating on `validation` if given. */
export async function fitModel(
  model: tf.LayersModel,
  train: EncodedSet,
  validation: EncodedSet | undefined,
  options: FitOptions,
): Promise<FitResult> {
  const t = toTensors(train);
  const v = validation !== undefined && validation.n > 0 ? toTensors(validation) : undefined;
  const batchesPerEpoch = Math.ceil(train.n / options.batchSize);
  const epochs: EpochInfo[] = [];
  const started = performance.now();
  let epochStarted = started;
  let currentEpoch = 0;
  try {
    await model.fit(t.x, t.y, {
      epochs: options.epochs,
      batchSize: options.batchSize,
      shuffle: true,
      validationData: v === undefined ? undefined : [v.x, v.y],
      verbose: 0,
      callbacks: {
        onEpochBegin: async (epoch) => {
          currentEpoch = epoch;
          epochStarted = performance.now();
        },
        onBatchEnd: async (batch, logs) => {
          options.onBatchEnd?.({
            epoch: currentEpoch,
            batch,
            batchesPerEpoch,
            loss: Number(logs?.loss ?? NaN),
            acc: Number(logs?.acc ?? logs?.accuracy ?? NaN),
          });
        },
        onEpochEnd: async (epoch, logs) => {
          const info: EpochInfo = {
            epoch,
            logs: Object.fromEntries(Object.entries(logs ?? {}).map(([k, val]) => [k, Number(val)])),
            seconds: (performance.now() - epochStarted) / 1000,
          };
          epochs.push(info);
          await options.onEpochEnd?.(info);
        },
      },
    });
  } finally {
    tf.dispose([t.x, t.y]);
    if (v) tf.dispose([v.x, v.y]);
  }
  return { epochs, seconds: (performance.now() - started) / 1000 };
}

/** Area under the ROC curve (Mann-Whitney U with average ranks for ties); NaN if a class is missing. */
export function rocAuc(values: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a]! - values[b]!);
  let positives = 0;
  let rankSumPositives = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && values[order[j + 1]!] === values[order[i]!]) j++;
    const averageRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (labels[order[k]!] === 1) {
        positives++;
        rankSumPositives += averageRank;
      }
    }
    i = j + 1;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return NaN;
  return (rankSumPositives - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Smallest float32 strictly greater than x (x finite). */
export function nextUpFloat32(x: number): number {
  const f = new Float32Array([x]);
  const i = new Int32Array(f.buffer);
  if (f[0] === 0) return 1.401298464324817e-45;
  i[0]! += f[0]! > 0 ? 1 : -1;
  return f[0]!;
}

export interface ThresholdChoice {
  /** Values at or above it are called positive. */
  threshold: number;
  /** False-positive rate and true-positive rate at that threshold on the given values. */
  fpr: number;
  tpr: number;
  negatives: number;
  positives: number;
  /** Set when the estimate is unreliable (too few negatives) or clamped. */
  note?: string;
}

/**
 * Picks the lowest threshold whose false-positive rate on the negatives is at most `targetFpr`: with N
 * negatives at most floor(targetFpr * N) of them may score at or above it, so it sits just above the
 * (k+1)-th highest negative. `maxThreshold` clamps it (e.g. 1 for probabilities).
 */
export function thresholdAtFpr(
  values: ArrayLike<number>,
  labels: ArrayLike<number>,
  targetFpr: number,
  maxThreshold = Infinity,
): ThresholdChoice {
  const negatives: number[] = [];
  const positives: number[] = [];
  for (let i = 0; i < values.length; i++) (labels[i] === 1 ? positives : negatives).push(values[i]!);
  negatives.sort((a, b) => b - a);
  const notes: string[] = [];
  let threshold: number;
  if (negatives.length === 0) {
    threshold = Math.min(0.5, maxThreshold);
    notes.push('no negatives: threshold defaulted');
  } else {
    const allowed = Math.floor(targetFpr * negatives.length);
    if (allowed < 10) {
      notes.push(
        `only ${negatives.length} benign validation names: at FPR ${targetFpr} that allows ${allowed} false positive(s); ` +
          `the threshold estimate is ${allowed === 0 ? 'above the highest benign score' : 'noisy'} ` +
          `(want >= ${Math.ceil(10 / targetFpr)} benign names)`,
      );
    }
    threshold = allowed >= negatives.length ? -Infinity : nextUpFloat32(negatives[allowed]!);
    if (threshold > maxThreshold) {
      threshold = maxThreshold;
      notes.push(`threshold clamped to ${maxThreshold} (scores saturate; rank by the logit instead)`);
    }
  }
  const fp = negatives.filter((v) => v >= threshold).length;
  const tp = positives.filter((v) => v >= threshold).length;
  return {
    threshold,
    fpr: negatives.length ? fp / negatives.length : NaN,
    tpr: positives.length ? tp / positives.length : NaN,
    negatives: negatives.length,
    positives: positives.length,
    ...(notes.length ? { note: notes.join('; ') } : {}),
  };
}

// ---------------------------------------------------------------------------------------------------------
// v2: two-headed functional model (score + family), epoch loop with checkpoints, early stopping and
// best-weights restore.
// ---------------------------------------------------------------------------------------------------------


/**
 * Layer names of the two-headed model, a contract with the ONNX exporter: input `chars`, then `embedding`,
 * `lstm` (sigmoid recurrent activation, last step only), `dropout`, and two Dense heads on the dropout
 * output: `score` (1 unit, sigmoid) and `family` (K units, softmax; class 0 = "benign").
 */
export const FAMILY_MODEL_LAYER_NAMES = ['chars', 'embedding', 'lstm', 'dropout', 'score', 'family'] as const;

export interface FamilyModelOptions extends ModelOptions {
  /** The K family classes in output order; families[0] must be "benign". */
  families: string[];
  /** Weight of the family cross-entropy in the total loss (score loss has weight 1). */
  familyLossWeight: number;
  /** Weight of a benign row in the score loss (a DGA row has weight 1); default 1. */
  benignWeight?: number;
  /** Mask the padding (embedding maskZero, input of any width); see the file comment. Default false. */
  masked?: boolean;
  /**
   * Add an embedding of character bigrams (previous character x current one, zero-initialised) to the
   * character embedding before the LSTM: more input features at no recurrent cost. Needs masked. Default false.
   */
  bigrams?: boolean;
  /** Soft family targets (distillation): compile with the soft cross-entropy. */
  softFamilyTargets?: boolean;
  /** Training only: the share of names whose bigram term is dropped in a batch (default 0). */
  bigramDropout?: number;
  /** Add a hashed trigram embedding with this many rows (0 = none; needs masked), zero-initialised. */
  trigramBuckets?: number;
  /** Training only: the share of names whose trigram term is dropped in a batch (default 0). */
  trigramDropout?: number;
  /** Add a hashed four-gram embedding with this many rows after the trigram one (0 = none; needs trigramBuckets), zero-initialised. */
  fourgramBuckets?: number;
  /** Training only: the share of names whose four-gram term is dropped in a batch (default 0). */
  fourgramDropout?: number;
  /**
   * Read each name both ways: a forward LSTM and a backward one of `units` each, their last states
   * concatenated (2 x units) for the heads. The Bidirectional wrapper keeps the layer name `lstm`. Needs masked
   * (the backward pass must start at the name's last character, not in the padding). Default false.
   */
  bidirectional?: boolean;
}

/**
 * Cross-entropy of a set-valued label, scaled by `weight` (tfjs has no lossWeights in compile):
 * -log(sum of the predicted probabilities of the target's classes). For a one-hot target this is the
 * categorical cross-entropy; a synthetic DGA row (scripts/lib/synthetic-dga.ts) targets every malware class,
 * so its loss is -log(1 - P(benign)) and the head stays free to spread it over families.
 */
export function weightedSetCrossentropy(weight: number) {
  return (yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor =>
    tf.tidy(() => {
      const p = tf.clipByValue(tf.sum(tf.mul(yTrue, yPred), -1), 1e-7, 1);
      return tf.mul(tf.neg(tf.log(p)), weight);
    });
}

/**
 * Cross-entropy against a soft target (knowledge distillation), scaled by `weight`: -sum(y * log p). Used
 * instead of weightedSetCrossentropy when the family targets are a teacher's distribution mixed with the
 * label (train.ts --teacher), where -log(sum y * p) would only chase the teacher's top class.
 */
export function weightedSoftCrossentropy(weight: number) {
  return (yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor =>
    tf.tidy(() => tf.mul(tf.neg(tf.sum(tf.mul(yTrue, tf.log(tf.clipByValue(yPred, 1e-7, 1))), -1)), weight));
}

/**
 * Distillation targets, row-major [n, k]: `teacherWeight` x the teachers' blended family distribution (the
 * softmax of their mean log-probabilities, i.e. a blend of their logits) + the rest on the label's class.
 */
export function distillationTargets(teachers: readonly Float32Array[], family: ArrayLike<number>, k: number, teacherWeight: number): Float32Array {
  const n = family.length;
  for (const t of teachers) if (t.length !== n * k) throw new Error(`teacher probabilities hold ${t.length} values, want ${n} x ${k}`);
  const out = new Float32Array(n * k);
  const logs = new Float64Array(k);
  for (let r = 0; r < n; r++) {
    const f = family[r]!;
    if (!(f >= 0 && f < k)) throw new Error(`family index ${f} out of range for ${k} classes (distillation needs one label per row)`);
    let max = -Infinity;
    for (let c = 0; c < k; c++) {
      let sum = 0;
      for (const t of teachers) sum += Math.log(Math.max(t[r * k + c]!, 1e-12));
      logs[c] = sum / teachers.length;
      if (logs[c]! > max) max = logs[c]!;
    }
    let z = 0;
    for (let c = 0; c < k; c++) z += Math.exp(logs[c]! - max);
    for (let c = 0; c < k; c++) out[r * k + c] = (teacherWeight * Math.exp(logs[c]! - max)) / z;
    out[r * k + f]! += 1 - teacherWeight;
  }
  return out;
}

/** The rows `rows` of soft targets [n, k] as a [rows.length, k] tensor. */
function softTargetRows(soft: Float32Array, rows: ArrayLike<number>, k: number): tf.Tensor2D {
  const data = new Float32Array(rows.length * k);
  for (let i = 0; i < rows.length; i++) data.set(soft.subarray(rows[i]! * k, (rows[i]! + 1) * k), i * k);
  return tf.tensor2d(data, [rows.length, k], 'float32');
}

/**
 * Family targets of a batch: one-hot rows, and for ANY_MALWARE_FAMILY (-1) every class but benign (index 0).
 */
export function familyTargets(family: ArrayLike<number>, k: number): tf.Tensor2D {
  const data = new Float32Array(family.length * k);
  for (let r = 0; r < family.length; r++) {
    const f = family[r]!;
    if (f === ANY_MALWARE_FAMILY) data.fill(1, r * k + 1, (r + 1) * k);
    else if (f >= 0 && f < k) data[r * k + f] = 1;
    else throw new Error(`family index ${f} out of range for ${k} classes`);
  }
  return tf.tensor2d(data, [family.length, k], 'float32');
}

/**
 * Binary cross-entropy with benign rows (y = 0) weighted by `benignWeight`. The operating points that matter
 * sit at FPR 1e-3 and 1e-4, i.e. in the benign tail, so a weight > 1 spends more of a small model on pushing
 * the highest-scoring benign names down than on DGA names that are already far above the threshold.
 */
export function benignWeightedBinaryCrossentropy(benignWeight: number) {
  return (yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor =>
    tf.tidy(() => {
      const bce = tf.metrics.binaryCrossentropy(yTrue, yPred);
      if (benignWeight === 1) return bce;
      const weights = tf.add(1, tf.mul(benignWeight - 1, tf.sub(1, yTrue))).reshape(bce.shape);
      return tf.mul(bce, weights);
    });
}

/** Compiles a (created or loaded) model: Adam, BCE on `score` (benign rows weighted), weighted CCE on `family` if present. */
export interface CompileOptions {
  learningRate: number;
  familyLossWeight?: number;
  benignWeight?: number;
  /** The family targets are soft (distillation, EncodedFamilySet.familySoft): soft cross-entropy on `family`. */
  softFamilyTargets?: boolean;
}

export function compileModel(model: tf.LayersModel, options: CompileOptions): void {
  const optimizer = tf.train.adam(options.learningRate);
  if (model.outputNames.length === 1) {
    model.compile({ optimizer, loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    return;
  }
  model.compile({
    optimizer,
    loss: {
      score: benignWeightedBinaryCrossentropy(options.benignWeight ?? 1),
      family: (options.softFamilyTargets ? weightedSoftCrossentropy : weightedSetCrossentropy)(options.familyLossWeight ?? 1),
    },
  });
}

/** Name of the bigram embedding layer (createFamilyModel with bigrams). */
export const BIGRAM_EMBEDDING = 'bigram_embedding';
/** Name of the hashed trigram embedding layer (createFamilyModel with trigramBuckets). */
export const TRIGRAM_EMBEDDING = 'trigram_embedding';
/** Name of the hashed four-gram embedding layer (createFamilyModel with fourgramBuckets). */
export const FOURGRAM_EMBEDDING = 'fourgram_embedding';
/** Embedding tables a warm start may add at zero (the model then starts as the one it came from). */
const ADDABLE_TABLES = [BIGRAM_EMBEDDING, TRIGRAM_EMBEDDING, FOURGRAM_EMBEDDING];

/** Builds and compiles the two-headed model. Seed Math.random first for reproducibility. */
export function createFamilyModel(options: FamilyModelOptions): tf.LayersModel {
  const { vocabulary, maxLength, embeddingDim, units, dropout, families, masked = false } = options;
  if (families[0] !== 'benign' || families.length < 2) throw new Error('families must start with "benign" and have >= 2 classes');
  // A masked model takes any width (the encoder's maxLength still bounds what it is given).
  const chars = tf.input({ name: 'chars', shape: [masked ? null : maxLength], dtype: 'int32' });
  let embedded = tf.layers
    .embedding({ name: 'embedding', inputDim: vocabulary.length + 1, outputDim: embeddingDim, ...(masked ? {} : { inputLength: maxLength }), maskZero: masked })
    .apply(chars) as tf.SymbolicTensor;
  if (options.bigrams) {
    const base = vocabulary.length + 1;
    const pairs = new BigramIndex({ name: 'bigram_index', base }).apply(chars) as tf.SymbolicTensor;
    const pairEmbedded = tf.layers
      .embedding({ name: BIGRAM_EMBEDDING, inputDim: base * base, outputDim: embeddingDim, maskZero: true, embeddingsInitializer: 'zeros' })
      .apply(pairs) as tf.SymbolicTensor;
    embedded = new MaskedSum({ name: 'embedding_sum', dropRate: options.bigramDropout ?? 0 }).apply([embedded, pairEmbedded]) as tf.SymbolicTensor;
  }
  // Hashed n-gram tables, each added after the one before (the exporter reads them in this order).
  const hashed = (prefix: string, order: number, buckets: number, dropRate: number) => {
    const index = new TrigramIndex({ name: `${prefix}_index`, base: vocabulary.length + 1, buckets, order }).apply(chars) as tf.SymbolicTensor;
    const table = tf.layers
      .embedding({ name: `${prefix}_embedding`, inputDim: buckets + 1, outputDim: embeddingDim, maskZero: true, embeddingsInitializer: 'zeros' })
      .apply(index) as tf.SymbolicTensor;
    embedded = new MaskedSum({ name: `${prefix}_sum`, dropRate }).apply([embedded, table]) as tf.SymbolicTensor;
  };
  if (options.fourgramBuckets && !options.trigramBuckets) throw new Error('a four-gram table needs the trigram table (fourgramBuckets without trigramBuckets)');
  if (options.trigramBuckets) hashed('trigram', 3, options.trigramBuckets, options.trigramDropout ?? 0);
  if (options.fourgramBuckets) hashed('fourgram', 4, options.fourgramBuckets, options.fourgramDropout ?? 0);
  if (options.bidirectional && !masked) throw new Error('a bidirectional LSTM needs masked (the backward pass would start in the padding)');
  const cell = (name: string) => tf.layers.lstm({ name, units, activation: 'tanh', recurrentActivation: 'sigmoid', returnSequences: false, useBias: true });
  const recurrent = options.bidirectional ? tf.layers.bidirectional({ name: 'lstm', layer: cell('lstm'), mergeMode: 'concat' }) : cell('lstm');
  const hidden = recurrent.apply(embedded) as tf.SymbolicTensor;
  const dropped = tf.layers.dropout({ name: 'dropout', rate: dropout }).apply(hidden) as tf.SymbolicTensor;
  const score = tf.layers.dense({ name: 'score', units: 1, activation: 'sigmoid' }).apply(dropped) as tf.SymbolicTensor;
  const family = tf.layers.dense({ name: 'family', units: families.length, activation: 'softmax' }).apply(dropped) as tf.SymbolicTensor;
  const model = tf.model({ name: 'dga_lstm_family', inputs: chars, outputs: [score, family] });
  compileModel(model, options);
  return model;
}

/** An encoded set with family targets (index into the model's family classes). */
export interface EncodedFamilySet extends EncodedSet {
  family?: Int32Array;
  /** Soft family targets, row-major [n, K] (distillationTargets); used instead of `family` in training. */
  familySoft?: Float32Array;
}

/** Whether a model masks its padding (its embedding has maskZero): then any batch width gives the same result. */
export function isMasked(model: tf.LayersModel): boolean {
  const embedding = model.layers.find((l) => l.name === 'embedding');
  return Boolean(embedding && (embedding.getConfig() as { maskZero?: boolean }).maskZero);
}

/** Characters per row of a pre-padded [n, maxLength] matrix (the row's non-zero suffix). */
export function rowLengths(set: Pick<EncodedSet, 'x' | 'n' | 'maxLength'>): Uint8Array {
  const { x, n, maxLength: T } = set;
  const lengths = new Uint8Array(n);
  for (let i = 0; i < n; i++) lengths[i] = paddedRowLength(x, i, T);
  return lengths;
}

/** Rows `rows` of a pre-padded [n, maxLength] matrix, cut to their last `width` columns: [rows.length, width]. */
export function sliceRows(set: Pick<EncodedSet, 'x' | 'maxLength'>, rows: ArrayLike<number>, width: number): Int32Array {
  const T = set.maxLength;
  const out = new Int32Array(rows.length * width);
  for (let r = 0; r < rows.length; r++) {
    const start = rows[r]! * T + (T - width);
    out.set(set.x.subarray(start, start + width), r * width);
  }
  return out;
}

/**
 * Batches for one epoch of a masked model: a seeded shuffle, cut into pools of `poolBatches` batches, each
 * pool sorted by label length and cut into batches, and the batch order shuffled again. Batches are then
 * nearly uniform in length (narrow) yet drawn from a random slice of the data (the usual bucket-iterator
 * compromise between speed and well-mixed batches).
 */
export function lengthBuckets(lengths: Uint8Array, batchSize: number, random: () => number, poolBatches = 64): { rows: Uint32Array; width: number }[] {
  const n = lengths.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  shuffleArray(order, random);
  const batches: { rows: Uint32Array; width: number }[] = [];
  const pool = batchSize * poolBatches;
  for (let start = 0; start < n; start += pool) {
    const slice = order.slice(start, Math.min(n, start + pool)).sort((a, b) => lengths[a]! - lengths[b]!);
    for (let b = 0; b < slice.length; b += batchSize) {
      const rows = slice.slice(b, Math.min(slice.length, b + batchSize));
      batches.push({ rows, width: Math.max(1, lengths[rows[rows.length - 1]!]!) });
    }
  }
  shuffleArray(batches, random);
  return batches;
}

function shuffleArray<T>(a: { length: number; [i: number]: T }, random: () => number): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
}

export interface Predictions {
  logits: Float32Array;
  scores: Float32Array;
  /** argmax family index and the per-sample family cross-entropy (if the model has a family head and targets exist). */
  familyPred?: Int32Array;
  familyLoss?: Float32Array;
  /** Row-major [n, classes] softmax of the family head, when asked for (PredictOptions.familyProbabilities). */
  familyProbabilities?: Float32Array;
}

/**
 * Batches of row indices for inference: in order at full width for an unmasked model; sorted by length
 * (each batch as wide as its longest label) for a masked one, which gives the same values faster.
 */
function inferenceBatches(model: tf.LayersModel, set: InferenceSet, batchSize: number): { rows: Uint32Array; width: number }[] {
  const batches: { rows: Uint32Array; width: number }[] = [];
  if (!isMasked(model)) {
    for (let start = 0; start < set.n; start += batchSize) {
      const rows = new Uint32Array(Math.min(set.n, start + batchSize) - start);
      for (let i = 0; i < rows.length; i++) rows[i] = start + i;
      batches.push({ rows, width: set.maxLength });
    }
    return batches;
  }
  const lengths = rowLengths(set);
  const order = new Uint32Array(set.n);
  for (let i = 0; i < set.n; i++) order[i] = i;
  order.sort((a, b) => lengths[a]! - lengths[b]!);
  for (let start = 0; start < set.n; start += batchSize) {
    const rows = order.slice(start, Math.min(set.n, start + batchSize));
    batches.push({ rows, width: Math.max(1, lengths[rows[rows.length - 1]!]!) });
  }
  return batches;
}

/** What inference needs of a set: the encoded rows, and the family targets when the family loss is wanted. */
export type InferenceSet = Pick<EncodedFamilySet, 'x' | 'n' | 'maxLength' | 'family'>;

export interface PredictOptions {
  /** Rows per forward pass (default 2048). */
  batchSize?: number;
  /** Which head the DGA logit comes from (default "score"). */
  scoreFrom?: ScoreFrom;
  /** Also return the family head's softmax for every row (eval's tfjs engine; costs memory, not a second pass). */
  familyProbabilities?: boolean;
}

/**
 * One forward pass (inference mode): the DGA logit (pre-sigmoid, kept for ranking at very low FPR where the
 * probability saturates) from the score head or, with scoreFrom "family", the family head; the score as
 * float32 sigmoid of it; and, with a family head, the family argmax (and loss when `set.family` is given,
 * and the softmax when asked for).
 */
export function predictAll(model: tf.LayersModel, set: InferenceSet, options: PredictOptions = {}): Predictions {
  const { batchSize = 2048, scoreFrom = 'score' } = options;
  const hiddenModel = tf.model({ inputs: model.inputs, outputs: model.getLayer('lstm').output as tf.SymbolicTensor });
  const [sk, sb] = model.getLayer('score').getWeights() as [tf.Tensor2D, tf.Tensor];
  const hasFamily = model.outputNames.length > 1;
  if (scoreFrom === 'family' && !hasFamily) throw new Error('scoreFrom "family" needs a two-headed model');
  const [fk, fb] = hasFamily ? (model.getLayer('family').getWeights() as [tf.Tensor2D, tf.Tensor]) : [undefined, undefined];
  const logits = new Float32Array(set.n);
  const familyPred = hasFamily ? new Int32Array(set.n) : undefined;
  const familyLoss = hasFamily && set.family ? new Float32Array(set.n) : undefined;
  const classes = fk ? fk.shape[1] : 0;
  const familyProbabilities = hasFamily && options.familyProbabilities ? new Float32Array(set.n * classes) : undefined;
  for (const { rows, width } of inferenceBatches(model, set, batchSize)) {
    const [l, p, ce, probs] = tf.tidy(() => {
      const x = tf.tensor2d(sliceRows(set, rows, width), [rows.length, width], 'int32');
      const h = hiddenModel.predict(x) as tf.Tensor2D;
      if (!fk) return [tf.add(tf.matMul(h, sk), sb).dataSync() as Float32Array, undefined, undefined, undefined] as const;
      const z = tf.add(tf.matMul(h, fk), fb!) as tf.Tensor2D;
      const l = (scoreFrom === 'family' ? familyHeadLogit(tf, z) : tf.add(tf.matMul(h, sk), sb)).dataSync() as Float32Array;
      const logp = tf.logSoftmax(z);
      const p = tf.argMax(logp, 1).dataSync() as Int32Array;
      let ce: Float32Array | undefined;
      if (set.family) {
        const idx = tf.tensor1d(Int32Array.from(rows, (r) => set.family![r]!), 'int32');
        ce = tf.neg(tf.sum(tf.mul(logp, tf.oneHot(idx, logp.shape[1]!).toFloat()), 1)).dataSync() as Float32Array;
      }
      const probs = familyProbabilities ? (tf.exp(logp).dataSync() as Float32Array) : undefined;
      return [l, p, ce, probs] as const;
    });
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      logits[r] = l[i]!;
      if (p && familyPred) familyPred[r] = p[i]!;
      if (ce && familyLoss) familyLoss[r] = ce[i]!;
      if (probs && familyProbabilities) familyProbabilities.set(probs.subarray(i * classes, (i + 1) * classes), r * classes);
    }
  }
  const scores = new Float32Array(set.n);
  for (let i = 0; i < set.n; i++) scores[i] = 1 / (1 + Math.exp(-logits[i]!));
  return { logits, scores, familyPred, familyLoss, ...(familyProbabilities ? { familyProbabilities } : {}) };
}

/** Mean binary cross-entropy from logits (numerically stable). */
export function bceFromLogits(logits: ArrayLike<number>, labels: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < logits.length; i++) {
    const z = logits[i]!;
    s += Math.max(z, 0) - z * labels[i]! + Math.log1p(Math.exp(-Math.abs(z)));
  }
  return logits.length ? s / logits.length : NaN;
}

export interface FamilyMetrics {
  accuracy: number;
  /** Micro-F1 over all samples (single-label multiclass: equals accuracy). */
  microF1: number;
  /** Macro-F1 over classes with >= minSupport true samples. */
  macroF1: number;
  macroClasses: number;
  /** Same, over DGA samples only (classes other than benign). */
  dgaAccuracy: number;
  perClass: Record<string, { support: number; precision: number; recall: number; f1: number }>;
}

export function familyMetrics(truth: ArrayLike<number>, pred: ArrayLike<number>, classes: readonly string[], minSupport = 20): FamilyMetrics {
  const k = classes.length;
  const tp = new Array<number>(k).fill(0);
  const support = new Array<number>(k).fill(0);
  const predicted = new Array<number>(k).fill(0);
  let correct = 0;
  let dga = 0;
  let dgaCorrect = 0;
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i]!;
    const p = pred[i]!;
    support[t]!++;
    predicted[p]!++;
    if (t === p) {
      tp[t]!++;
      correct++;
    }
    if (t !== 0) {
      dga++;
      if (t === p) dgaCorrect++;
    }
  }
  const perClass: FamilyMetrics['perClass'] = {};
  let macro = 0;
  let macroClasses = 0;
  for (let c = 0; c < k; c++) {
    const precision = predicted[c]! ? tp[c]! / predicted[c]! : 0;
    const recall = support[c]! ? tp[c]! / support[c]! : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    perClass[classes[c]!] = { support: support[c]!, precision, recall, f1 };
    if (support[c]! >= minSupport) {
      macro += f1;
      macroClasses++;
    }
  }
  const accuracy = truth.length ? correct / truth.length : NaN;
  return { accuracy, microF1: accuracy, macroF1: macroClasses ? macro / macroClasses : NaN, macroClasses, dgaAccuracy: dga ? dgaCorrect / dga : NaN, perClass };
}

export type Monitor = 'val_loss' | 'val_score_loss' | 'val_auc';

export interface EpochRecord {
  epoch: number; // 1-based
  seconds: number;
  samplesPerSecond: number;
  loss: number;
  val_loss: number;
  val_score_loss: number;
  val_family_loss?: number;
  val_auc: number;
  val_tpr_at_1e3: number;
  val_family_accuracy?: number;
  /** The learning rate this epoch trained at (recorded when the loop may lower it). */
  learningRate?: number;
  [key: string]: number | undefined;
}

export interface LoopState {
  /** Epochs completed. */
  epoch: number;
  history: EpochRecord[];
  best: { value: number; epoch: number } | null;
  /** Epochs since the best one. */
  wait: number;
  stopped: boolean;
  /** With learning-rate decay: the rate the next epoch trains at, and epochs without improvement since the last cut. */
  learningRate?: number;
  lrWait?: number;
}

/**
 * Lowers the learning rate when `monitor` stops improving (Keras' ReduceLROnPlateau): after `patience` epochs
 * without a new best, the rate is multiplied by `factor`, not below `min`. It lets one run from scratch go
 * from a fast start to the small steps the warm-started releases took in separate runs.
 */
export interface LearningRateDecay {
  patience: number;
  factor: number;
  min: number;
}

/** The next rate and wait count after an epoch (pure, for tests): a cut after `patience` epochs without improvement. */
export function nextLearningRate(decay: LearningRateDecay, rate: number, wait: number, improved: boolean): { rate: number; wait: number; cut: boolean } {
  if (improved) return { rate, wait: 0, cut: false };
  const waited = wait + 1;
  if (waited < decay.patience || rate <= decay.min) return { rate, wait: waited, cut: false };
  return { rate: Math.max(decay.min, rate * decay.factor), wait: 0, cut: true };
}

export interface LoopOptions {
  epochs: number;
  batchSize: number;
  seed: number;
  monitor: Monitor;
  patience: number;
  minDelta: number;
  familyLossWeight: number;
  /** Which head the per-epoch validation figures (val_score_loss, val_auc, val_tpr_at_1e3) read; default the score head. */
  scoreFrom?: ScoreFrom;
  /** Checkpoint directory (written after every epoch); none if undefined. */
  checkpointDir?: string;
  /** Keep every epoch's weights (checkpoint/epoch-NNN/tfjs) instead of only the newest epoch's (weight averaging). */
  keepEpochWeights?: boolean;
  /** Extra JSON stored in the checkpoint (e.g. the command line config), returned on load. */
  checkpointInfo?: Record<string, unknown>;
  /** Resume state (from loadCheckpoint); the model must already hold the checkpoint's weights + optimizer state. */
  resume?: { state: LoopState; bestWeights: tf.Tensor[] | null };
  onBatchEnd?: (info: BatchInfo) => void;
  onEpochEnd?: (record: EpochRecord, state: LoopState) => void;
  /**
   * Quantization-aware training (fake-quantize.ts): batches and validation run on the int8 grid values of
   * the kernels the int8 export quantizes, and the returned model is snapped to that grid.
   */
  quantizationAware?: boolean;
  /** Lower the learning rate on a plateau of `monitor`; the starting rate is `learningRate` (state.learningRate on resume). */
  learningRateDecay?: LearningRateDecay;
  /** The rate the first epoch of this invocation trains at (set on the optimizer); default: the optimizer's. */
  learningRate?: number;
  /** Called when the decay lowers the rate (for the log). */
  onLearningRateCut?: (epoch: number, from: number, to: number) => void;
  /** Test hook: called after an epoch's training step, before validation. */
  afterEpochTrain?: (epoch: number, model: tf.LayersModel) => void | Promise<void>;
}

function better(monitor: Monitor, value: number, best: number, minDelta: number): boolean {
  if (!Number.isFinite(value)) return false;
  return monitor === 'val_auc' ? value > best + minDelta : value < best - minDelta;
}

/** Validation figures for one epoch (inference-mode forward pass over `validation`). */
export function validationRecord(model: tf.LayersModel, validation: EncodedFamilySet, familyLossWeight: number, scoreFrom: ScoreFrom = 'score') {
  const p = predictAll(model, validation, { scoreFrom });
  const scoreLoss = bceFromLogits(p.logits, validation.y);
  let familyLoss: number | undefined;
  let familyAccuracy: number | undefined;
  if (p.familyLoss) {
    familyLoss = p.familyLoss.reduce((a, b) => a + b, 0) / Math.max(1, p.familyLoss.length);
    let ok = 0;
    for (let i = 0; i < validation.n; i++) if (p.familyPred![i] === validation.family![i]) ok++;
    familyAccuracy = ok / Math.max(1, validation.n);
  }
  return {
    predictions: p,
    val_loss: scoreLoss + (familyLoss ?? 0) * familyLossWeight,
    val_score_loss: scoreLoss,
    val_family_loss: familyLoss,
    val_auc: rocAuc(p.logits, validation.y),
    val_tpr_at_1e3: thresholdAtFpr(p.logits, validation.y, 1e-3).tpr,
    val_family_accuracy: familyAccuracy,
  };
}

function targets(set: EncodedFamilySet, model: tf.LayersModel): tf.Tensor | tf.Tensor[] {
  const y = tf.tensor2d(set.y, [set.n, 1], 'float32');
  if (model.outputNames.length === 1) return y;
  if (!set.family) throw new Error('a two-headed model needs family targets');
  const k = (model.getLayer('family').getConfig() as { units: number }).units;
  return [y, set.familySoft ? tf.tensor2d(set.familySoft, [set.n, k], 'float32') : familyTargets(set.family, k)];
}

/**
 * One epoch of a masked model on length-bucketed batches (lengthBuckets; the shuffle draws from Math.random,
 * which trainLoop seeds per epoch). Returns per-epoch means in model.fit's history shape.
 */
async function fitBucketedEpoch(
  model: tf.LayersModel,
  train: EncodedFamilySet,
  lengths: Uint8Array,
  options: LoopOptions,
  epoch: number,
  batchesPerEpoch: number,
  quantizer: FakeQuantizer | undefined,
): Promise<Record<string, number[]>> {
  const twoHeads = model.outputNames.length > 1;
  const k = twoHeads ? (model.getLayer('family').getConfig() as { units: number }).units : 0;
  if (twoHeads && !train.family) throw new Error('a two-headed model needs family targets');
  const names = model.metricsNames;
  const sums = new Array<number>(names.length).fill(0);
  const batches = lengthBuckets(lengths, options.batchSize, Math.random);
  let seen = 0;
  for (let b = 0; b < batches.length; b++) {
    const { rows } = batches[b]!;
    // tfjs 4.22 cannot take the gradient of a one-step RNN (Unpack's gradient gets no tensors); the mask
    // makes an extra pad column free, so a batch of one-character labels is trained at width 2.
    const width = Math.min(train.maxLength, Math.max(2, batches[b]!.width));
    const xs = tf.tensor2d(sliceRows(train, rows, width), [rows.length, width], 'int32');
    const ys = tf.tensor2d(Float32Array.from(rows, (r) => train.y[r]!), [rows.length, 1], 'float32');
    const fs = !twoHeads ? undefined : train.familySoft ? softTargetRows(train.familySoft, rows, k) : familyTargets(Int32Array.from(rows, (r) => train.family![r]!), k);
    quantizer?.enter();
    let out: number | number[];
    try {
      out = await model.trainOnBatch(xs, fs ? [ys, fs] : ys);
    } finally {
      quantizer?.leave();
      tf.dispose([xs, ys, ...(fs ? [fs] : [])]);
    }
    const values = Array.isArray(out) ? out : [out];
    values.forEach((v, i) => (sums[i] = sums[i]! + v * rows.length));
    seen += rows.length;
    options.onBatchEnd?.({ epoch, batch: b, batchesPerEpoch, loss: values[0]!, acc: values[1] ?? NaN });
  }
  const history: Record<string, number[]> = {};
  names.forEach((name, i) => (history[name] = [sums[i]! / Math.max(1, seen)]));
  return history;
}

/**
 * Trains epoch by epoch (one model.fit call per epoch, so that every epoch can be validated, checkpointed
 * and stopped early). Math.random is re-seeded from (seed, epoch) at the start of every epoch: dropout
 * masks and the fit() shuffle of epoch e are the same whether or not the run was resumed before e.
 * Early stopping watches `monitor` with `patience`; at the end the best epoch's weights are restored
 * (tfjs has no restoreBestWeights: a copy of the best weights is kept in memory and in the checkpoint).
 */
export async function trainLoop(model: tf.LayersModel, train: EncodedFamilySet, validation: EncodedFamilySet, options: LoopOptions) {
  const state: LoopState = options.resume?.state
    ? structuredClone(options.resume.state)
    : { epoch: 0, history: [], best: null, wait: 0, stopped: false };
  let bestWeights: tf.Tensor[] | null = options.resume?.bestWeights ?? null;
  const masked = isMasked(model);
  // A masked model trains on length-bucketed batches (fitBucketedEpoch) and needs no full-width tensors.
  const x = masked ? tf.zeros([1, 1], 'int32') : tf.tensor2d(train.x, [train.n, train.maxLength], 'int32');
  const y = masked ? tf.zeros([1, 1]) : targets(train, model);
  const lengths = masked ? rowLengths(train) : undefined;
  const batchesPerEpoch = Math.ceil(train.n / options.batchSize);
  const quantizer = options.quantizationAware ? new FakeQuantizer(model) : undefined;
  const started = performance.now();
  // tfjs' Adam reads its learningRate field at every step, so setting it changes the rate from the next batch.
  const optimizer = model.optimizer as unknown as { learningRate: number } | undefined;
  if (options.learningRate !== undefined && optimizer) optimizer.learningRate = options.learningRate;
  if (options.learningRateDecay && optimizer) {
    state.learningRate = optimizer.learningRate;
    state.lrWait ??= 0;
  }
  try {
    while (state.epoch < options.epochs && !state.stopped) {
      const epoch = state.epoch;
      Math.random = makeRng((options.seed ^ 0x5eed) + 7919 * (epoch + 1));
      const t0 = performance.now();
      const h = masked
        ? await fitBucketedEpoch(model, train, lengths!, options, epoch, batchesPerEpoch, quantizer)
        : (
            await model.fit(x, y, {
              epochs: 1,
              batchSize: options.batchSize,
              shuffle: true,
              verbose: 0,
              callbacks: {
                onBatchBegin: async () => quantizer?.enter(),
                onBatchEnd: async (batch, logs) => {
                  quantizer?.leave();
                  options.onBatchEnd?.({ epoch, batch, batchesPerEpoch, loss: Number(logs?.loss ?? NaN), acc: Number(logs?.acc ?? logs?.score_loss ?? NaN) });
                },
              },
            })
          ).history;
      const trainSeconds = (performance.now() - t0) / 1000;
      await options.afterEpochTrain?.(epoch, model);
      quantizer?.enter();
      let v: ReturnType<typeof validationRecord>;
      try {
        v = validationRecord(model, validation, options.familyLossWeight, options.scoreFrom);
      } finally {
        quantizer?.leave();
      }
      const record: EpochRecord = {
        epoch: epoch + 1,
        seconds: (performance.now() - t0) / 1000,
        samplesPerSecond: train.n / trainSeconds,
        loss: Number(h.loss?.[0] ?? NaN),
        ...(h.score_loss ? { score_loss: Number(h.score_loss[0]) } : {}),
        ...(h.family_loss ? { family_loss: Number(h.family_loss[0]) } : {}),
        val_loss: v.val_loss,
        val_score_loss: v.val_score_loss,
        val_auc: v.val_auc,
        val_tpr_at_1e3: v.val_tpr_at_1e3,
        ...(v.val_family_loss !== undefined ? { val_family_loss: v.val_family_loss, val_family_accuracy: v.val_family_accuracy } : {}),
        ...(options.learningRateDecay && optimizer ? { learningRate: optimizer.learningRate } : {}),
      };
      state.history.push(record);
      state.epoch = epoch + 1;
      const value = record[options.monitor] as number;
      const improved = state.best === null || better(options.monitor, value, state.best.value, options.minDelta);
      if (options.learningRateDecay && optimizer) {
        const next = nextLearningRate(options.learningRateDecay, optimizer.learningRate, state.lrWait ?? 0, improved);
        if (next.cut) options.onLearningRateCut?.(epoch + 1, optimizer.learningRate, next.rate);
        optimizer.learningRate = next.rate;
        state.learningRate = next.rate;
        state.lrWait = next.wait;
      }
      if (improved) {
        state.best = { value, epoch: epoch + 1 };
        state.wait = 0;
        if (bestWeights) tf.dispose(bestWeights);
        bestWeights = model.getWeights().map((w) => w.clone());
      } else {
        state.wait++;
        if (state.wait >= options.patience) state.stopped = true;
      }
      if (options.checkpointDir) await saveCheckpoint(options.checkpointDir, model, state, bestWeights, options.checkpointInfo ?? {}, { keepEpochWeights: options.keepEpochWeights });
      options.onEpochEnd?.(record, state);
    }
  } finally {
    tf.dispose([x, ...(Array.isArray(y) ? y : [y])]);
  }
  const restoredEpoch = state.best?.epoch ?? state.epoch;
  if (bestWeights && state.best && state.best.epoch !== state.epoch) model.setWeights(bestWeights);
  if (bestWeights) tf.dispose(bestWeights);
  if (quantizer) snapModelToInt8Grid(model);
  return { state, restoredEpoch, seconds: (performance.now() - started) / 1000 };
}

/** A saved tfjs LayersModel directory (model.json + weights), uncompiled. */
export function loadLayersModelDir(dir: string): Promise<tf.LayersModel> {
  return tf.loadLayersModel(fileLoadHandler(dir));
}

/**
 * Copies every weight of `from` into `to`, which must have the same weights (names and shapes) in the same
 * order: a warm start across topology options that hold no weights (masking, input width, dropout rate).
 * A `to` with more LSTM units is widened from `from` and starts from its function (scripts/lib/widen-lstm.ts).
 */
export function copyWeights(from: tf.LayersModel, to: tf.LayersModel): void {
  const source = namedWeights(from);
  const target = namedWeights(to);
  const [u, w] = [lstmUnits(source), lstmUnits(target)];
  if (u !== undefined && w !== undefined && w > u) {
    // A wider LSTM starts from the narrower model's function (scripts/lib/widen-lstm.ts).
    const widened = widenLstmWeights(source, target);
    const tensors = widened.map((x) => tf.tensor(x.values, x.shape));
    to.setWeights(tensors);
    tf.dispose(tensors);
    return;
  }
  // A --bigrams (or --trigrams, --fourgrams) model warm-started from one without that table keeps it zero-initialised: the
  // sum of the embeddings is then the starting model's, so training starts from that model's function.
  const has = (m: tf.LayersModel, name: string) => m.layers.some((l) => l.name === name);
  const skipped = ADDABLE_TABLES.filter((name) => has(to, name) && !has(from, name));
  const skip = skipped.length > 0;
  const kept = (m: tf.LayersModel) => m.weights.filter((w) => !skipped.some((name) => w.originalName.startsWith(`${name}/`)));
  const describe = (m: tf.LayersModel) => kept(m).map((w) => `${w.originalName}[${w.shape.join(',')}]`);
  const a = describe(from);
  const b = describe(to);
  if (a.join(' ') !== b.join(' ')) throw new Error(`weights differ: saved ${a.join(' ')}; this run's model ${b.join(' ')}`);
  if (!skip) {
    to.setWeights(from.getWeights());
    return;
  }
  for (const layer of from.layers) if (layer.weights.length > 0) to.getLayer(layer.name).setWeights(layer.getWeights());
}

// ----- checkpoints -----
//
// <dir>/latest                 name of the newest complete checkpoint directory (written last: atomic)
// <dir>/epoch-NNN/tfjs/        the model after epoch NNN (model.json + weights.bin)
// <dir>/epoch-NNN/optimizer.*  Adam state (iteration count, first and second moments) -> exact resume
// <dir>/epoch-NNN/best.*       the best epoch's weights so far (for early stopping's restore)
// <dir>/epoch-NNN/state.json   LoopState + caller info (config)
// Older epoch directories are deleted once `latest` points at the new one; with keepEpochWeights their
// tfjs/ stays (only the newest epoch keeps the optimizer, best and state files a resume needs).

interface TensorFileSpec {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
}

async function writeTensors(path: string, named: { name: string; tensor: tf.Tensor }[]): Promise<void> {
  const specs: TensorFileSpec[] = [];
  const parts: Buffer[] = [];
  for (const { name, tensor } of named) {
    const dtype = tensor.dtype === 'int32' ? 'int32' : 'float32';
    specs.push({ name, shape: tensor.shape, dtype });
    const data = (await tensor.data()) as Float32Array | Int32Array;
    const arr = dtype === 'int32' ? Int32Array.from(data) : Float32Array.from(data);
    parts.push(Buffer.from(arr.buffer, arr.byteOffset, arr.byteLength));
  }
  await writeFileAsync(`${path}.json`, JSON.stringify(specs));
  await writeFileAsync(`${path}.bin`, Buffer.concat(parts));
}

async function readTensors(path: string): Promise<{ name: string; tensor: tf.Tensor }[]> {
  const specs = JSON.parse(await readFileAsync(`${path}.json`, 'utf8')) as TensorFileSpec[];
  const buf = await readFileAsync(`${path}.bin`);
  const bytes = new Uint8Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  let offset = 0;
  return specs.map((s) => {
    const n = s.shape.reduce((a, b) => a * b, 1);
    const slice = bytes.slice(offset, offset + 4 * n).buffer;
    offset += 4 * n;
    const values = s.dtype === 'int32' ? new Int32Array(slice) : new Float32Array(slice);
    return { name: s.name, tensor: tf.tensor(values, s.shape, s.dtype) };
  });
}

export async function saveCheckpoint(
  dir: string,
  model: tf.LayersModel,
  state: LoopState,
  bestWeights: tf.Tensor[] | null,
  info: Record<string, unknown>,
  options: { keepEpochWeights?: boolean } = {},
): Promise<string> {
  const name = `epoch-${String(state.epoch).padStart(3, '0')}`;
  const path = joinPath(dir, name);
  await rm(path, { recursive: true, force: true });
  await mkdirAsync(path, { recursive: true });
  await model.save(fileSaveHandler(joinPath(path, 'tfjs')));
  await writeTensors(joinPath(path, 'optimizer'), await model.optimizer.getWeights());
  if (bestWeights) await writeTensors(joinPath(path, 'best'), bestWeights.map((tensor, i) => ({ name: String(i), tensor })));
  await writeFileAsync(joinPath(path, 'state.json'), `${JSON.stringify({ ...state, info }, null, 2)}\n`);
  await writeFileAsync(joinPath(dir, 'latest.tmp'), name);
  await rename(joinPath(dir, 'latest.tmp'), joinPath(dir, 'latest'));
  for (const entry of await readdirAsync(dir)) {
    if (!entry.startsWith('epoch-') || entry === name) continue;
    if (!options.keepEpochWeights) {
      await rm(joinPath(dir, entry), { recursive: true, force: true });
      continue;
    }
    for (const file of await readdirAsync(joinPath(dir, entry))) {
      if (file !== 'tfjs') await rm(joinPath(dir, entry, file), { recursive: true, force: true });
    }
  }
  return path;
}

export interface LoadedCheckpoint {
  model: tf.LayersModel;
  state: LoopState;
  bestWeights: tf.Tensor[] | null;
  info: Record<string, unknown>;
  path: string;
}

/** The caller info saved with the newest checkpoint in `dir` (train.ts: its flags and config), without loading the model. */
export async function readCheckpointInfo(dir: string): Promise<Record<string, unknown>> {
  let name: string;
  try {
    name = (await readFileAsync(joinPath(dir, 'latest'), 'utf8')).trim();
  } catch {
    throw new Error(`${dir} holds no checkpoint (no "latest" file): give the <out>/checkpoint directory of a run`);
  }
  const { info } = JSON.parse(await readFileAsync(joinPath(dir, name, 'state.json'), 'utf8')) as { info?: Record<string, unknown> };
  return info ?? {};
}

/**
 * Loads the newest checkpoint in `dir`, compiles the model (same losses) and restores the Adam state, so
 * that training continues exactly where it stopped.
 */
export async function loadCheckpoint(dir: string, options: CompileOptions): Promise<LoadedCheckpoint> {
  const name = (await readFileAsync(joinPath(dir, 'latest'), 'utf8')).trim();
  const path = joinPath(dir, name);
  const model = await tf.loadLayersModel(fileLoadHandler(joinPath(path, 'tfjs')));
  compileModel(model, options);
  const optimizerWeights = await readTensors(joinPath(path, 'optimizer'));
  await model.optimizer.setWeights(optimizerWeights);
  tf.dispose(optimizerWeights.map((w) => w.tensor));
  let bestWeights: tf.Tensor[] | null = null;
  try {
    bestWeights = (await readTensors(joinPath(path, 'best'))).map((w) => w.tensor);
  } catch {
    bestWeights = null;
  }
  const { info, ...state } = JSON.parse(await readFileAsync(joinPath(path, 'state.json'), 'utf8')) as LoopState & { info: Record<string, unknown> };
  return { model, state, bestWeights, info, path };
}
