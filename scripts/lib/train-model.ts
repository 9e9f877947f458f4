import * as tf from '@tensorflow/tfjs';

/**
 * The Woodbridge et al. (2016) character-level LSTM classifier and its training loop, free of CLI
 * concerns. The layer list is a contract with the ONNX exporter: exactly four layers, in this order and
 * with these names -- `embedding`, `lstm`, `dropout`, `score` -- and no masking (pre-padding with zeros in
 * front, so the LSTM's last step is the label's last character).
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

/**
 * Inference outputs for a set: the logit (pre-sigmoid score, kept for ranking at very low FPR where the
 * probability saturates) and the score as the model reports it (float32 sigmoid of the logit).
 */
export function predict(model: tf.LayersModel, set: Pick<EncodedSet, 'x' | 'n' | 'maxLength'>, batchSize = 2048) {
  const hidden = tf.model({ inputs: model.inputs, outputs: model.getLayer('lstm').output as tf.SymbolicTensor });
  const [kernel, bias] = model.getLayer('score').getWeights() as [tf.Tensor, tf.Tensor];
  const logits = new Float32Array(set.n);
  const scores = new Float32Array(set.n);
  for (let start = 0; start < set.n; start += batchSize) {
    const end = Math.min(set.n, start + batchSize);
    const values = tf.tidy(() => {
      const x = tf.tensor2d(set.x.subarray(start * set.maxLength, end * set.maxLength), [end - start, set.maxLength], 'int32');
      const h = hidden.predict(x) as tf.Tensor2D;
      return tf.add(tf.matMul(h, kernel as tf.Tensor2D), bias).dataSync() as Float32Array;
    });
    logits.set(values, start);
  }
  for (let i = 0; i < set.n; i++) scores[i] = 1 / (1 + Math.exp(-logits[i]!));
  return { logits, scores };
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
