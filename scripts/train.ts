/**
 * Trains the character-level LSTM DGA detector (Woodbridge et al. 2016) with TensorFlow.js on the WASM
 * backend and writes
 *
 *   <out>/tfjs/model.json + <out>/tfjs/weights.bin   (tfjs LayersModel; input for the ONNX exporter)
 *   <out>/metadata.json                              (ModelMetadata: encoder, threshold, training summary)
 *
 * Usage: npx tsx scripts/train.ts --data ../shared/data --out model [options]   (--help lists them)
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { createEncoder, DEFAULT_VOCABULARY } from '../src/core/encode.js';
import { parseModelMetadata, type ModelMetadata } from '../src/core/metadata.js';
import { checkDataDir, createRng, lengthQuantile, loadDataset, type Example } from './lib/dataset.js';
import { fileSaveHandler } from './lib/tfjs-files.js';
import { createModel, fitModel, predict, rocAuc, thresholdAtFpr, type EncodedSet } from './lib/train-model.js';
import { setupWasmBackend } from './lib/tfjs-wasm-backend.js';

function today(): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}.${p(d.getUTCMonth() + 1)}.${p(d.getUTCDate())}-1`;
}

interface FlagSpec {
  type: 'string' | 'boolean';
  default?: string;
  help: string;
}

const FLAGS: Record<string, FlagSpec> = {
  data: { type: 'string', help: 'data directory with benign/*.txt and dga/<source>/<family>.txt (required)' },
  out: { type: 'string', default: 'model', help: 'output directory (writes tfjs/model.json, tfjs/weights.bin, metadata.json)' },
  'embedding-dim': { type: 'string', default: '32', help: 'embedding size' },
  units: { type: 'string', default: '64', help: 'LSTM units' },
  // 40: on ../shared/data the 99.9th percentile of scored-label length is 34 over all examples and 39 with
  // --family-cap 8000 (the long word-list families weigh more then); 40 truncates ~0.03% of the examples
  // (a handful of 41-43-character DGA names and benign labels up to 60, which keep their first 40
  // characters and still read as "long"). Cost is linear in it (one LSTM step per character), so 40
  // instead of 63 trains ~1.6x faster. The value is stored in metadata.json, never implied.
  'max-length': { type: 'string', default: '40', help: 'encoded label length (longer labels are truncated)' },
  dropout: { type: 'string', default: '0.5', help: 'dropout rate after the LSTM' },
  'batch-size': { type: 'string', default: '512', help: 'batch size' },
  epochs: { type: 'string', default: '10', help: 'training epochs' },
  'learning-rate': { type: 'string', default: '0.001', help: 'Adam learning rate' },
  seed: { type: 'string', default: '42', help: 'seed for data split, sampling, initialisation, dropout and shuffling' },
  'family-cap': { type: 'string', default: '20000', help: 'maximum examples per DGA family (0 = no cap)' },
  sample: { type: 'string', default: '0', help: 'maximum examples in total after the cap, for quick runs (0 = all)' },
  'val-fraction': { type: 'string', default: '0.1', help: 'fraction of scored labels held out for validation' },
  'threshold-fpr': { type: 'string', default: '0.001', help: 'pick the threshold at this false-positive rate on validation benign names' },
  id: { type: 'string', default: 'dga-lstm', help: 'model id in metadata.json' },
  version: { type: 'string', default: today(), help: 'model version in metadata.json' },
  backend: { type: 'string', default: 'wasm', help: 'tfjs backend: wasm (fast) or cpu (reference, slow)' },
  help: { type: 'boolean', help: 'print this help' },
};

function usage(): string {
  const lines = ['Usage: npx tsx scripts/train.ts --data <dir> [--out model] [options]', '', 'Options:'];
  for (const [name, spec] of Object.entries(FLAGS)) {
    const flag = spec.type === 'boolean' ? `--${name}` : `--${name} <value>`;
    const def = spec.default !== undefined ? ` (default: ${spec.default})` : '';
    lines.push(`  ${flag.padEnd(26)} ${spec.help}${def}`);
  }
  return lines.join('\n');
}

function fail(message: string): never {
  process.stderr.write(`train: ${message}\n`);
  process.exit(2);
}

function num(values: Record<string, unknown>, name: string, check: (n: number) => boolean, what: string): number {
  const raw = values[name] as string;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || !check(n)) fail(`--${name} must be ${what} (got "${raw}")`);
  return n;
}

const log = (line: string) => process.stderr.write(`${line}\n`);

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

function encodeSet(examples: Example[], encoder: ReturnType<typeof createEncoder>): EncodedSet {
  const y = new Float32Array(examples.length);
  examples.forEach((e, i) => (y[i] = e.label));
  return { x: encoder.encodeBatch(examples.map((e) => e.scored)), y, n: examples.length, maxLength: encoder.maxLength };
}

async function main(): Promise<void> {
  const started = performance.now();
  const options = Object.fromEntries(
    Object.entries(FLAGS).map(([k, s]) => [k, s.default !== undefined ? { type: s.type, default: s.default } : { type: s.type }]),
  ) as ParseArgsConfig['options'];
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({ args: process.argv.slice(2), options, strict: true, allowPositionals: false }));
  } catch (err) {
    fail(`${(err as Error).message}\n\n${usage()}`);
  }
  if (values.help) {
    process.stdout.write(`${usage()}\n`);
    return;
  }
  if (typeof values.data !== 'string') fail(`--data is required\n\n${usage()}`);
  const int = (n: number) => Number.isInteger(n);
  const cfg = {
    data: resolve(values.data as string),
    out: resolve(values.out as string),
    embeddingDim: num(values, 'embedding-dim', (n) => int(n) && n > 0, 'a positive integer'),
    units: num(values, 'units', (n) => int(n) && n > 0, 'a positive integer'),
    maxLength: num(values, 'max-length', (n) => int(n) && n >= 1 && n <= 253, 'an integer in 1..253'),
    dropout: num(values, 'dropout', (n) => n >= 0 && n < 1, 'in [0, 1)'),
    batchSize: num(values, 'batch-size', (n) => int(n) && n > 0, 'a positive integer'),
    epochs: num(values, 'epochs', (n) => int(n) && n > 0, 'a positive integer'),
    learningRate: num(values, 'learning-rate', (n) => n > 0, 'positive'),
    seed: num(values, 'seed', (n) => int(n) && n >= 0, 'a non-negative integer'),
    familyCap: num(values, 'family-cap', (n) => int(n) && n >= 0, 'a non-negative integer'),
    sample: num(values, 'sample', (n) => int(n) && n >= 0, 'a non-negative integer'),
    valFraction: num(values, 'val-fraction', (n) => n > 0 && n < 1, 'in (0, 1)'),
    thresholdFpr: num(values, 'threshold-fpr', (n) => n > 0 && n < 1, 'in (0, 1)'),
    id: values.id as string,
    version: values.version as string,
    backend: values.backend as string,
  };
  if (cfg.backend !== 'wasm' && cfg.backend !== 'cpu') fail('--backend must be wasm or cpu');
  try {
    checkDataDir(cfg.data);
  } catch (err) {
    fail((err as Error).message);
  }

  // tfjs draws unseeded initialisers, dropout masks and fit() shuffles from Math.random.
  Math.random = createRng(cfg.seed ^ 0x5eed);

  log(`train: loading ${cfg.data}`);
  const dataset = await loadDataset(cfg.data, {
    seed: cfg.seed,
    valFraction: cfg.valFraction,
    familyCap: cfg.familyCap,
    sample: cfg.sample,
  });
  const s = dataset.summary;
  log(
    `train: benign ${s.perClass.benign.examples} (train ${s.perClass.benign.train}, val ${s.perClass.benign.validation}), ` +
      `dga ${s.perClass.dga.examples} (train ${s.perClass.dga.train}, val ${s.perClass.dga.validation}); ` +
      `invalid ${s.perClass.benign.invalid + s.perClass.dga.invalid}, benign-wins ${s.benignWinsNames} names + ${s.benignWinsScored} labels, ` +
      `capped ${s.droppedByCap}, sampled out ${s.droppedBySample}`,
  );
  if (dataset.train.length === 0) fail('no training examples');
  const all = [...dataset.train, ...dataset.validation];
  const truncated = all.filter((e) => e.scored.length > cfg.maxLength).length;
  log(
    `train: scored-label length p99.9 ${lengthQuantile(all, 0.999)}, max ${s.maxScoredLength}; ` +
      `max-length ${cfg.maxLength} truncates ${truncated} example(s)`,
  );

  const encoder = createEncoder({ vocabulary: DEFAULT_VOCABULARY, maxLength: cfg.maxLength });
  const train = encodeSet(dataset.train, encoder);
  const validation = encodeSet(dataset.validation, encoder);

  let tfVersion = 'unknown';
  if (cfg.backend === 'wasm') {
    const tf = await setupWasmBackend();
    tfVersion = tf.version.tfjs;
  } else {
    const tf = await import('@tensorflow/tfjs');
    await tf.setBackend('cpu');
    tfVersion = tf.version.tfjs;
  }
  log(`train: tfjs ${tfVersion}, backend ${cfg.backend}`);

  const model = createModel({
    vocabulary: DEFAULT_VOCABULARY,
    maxLength: cfg.maxLength,
    embeddingDim: cfg.embeddingDim,
    units: cfg.units,
    dropout: cfg.dropout,
    learningRate: cfg.learningRate,
  });
  log(`train: model ${model.layers.map((l) => l.name).join(' -> ')}, ${model.countParams()} parameters`);

  const trainStarted = performance.now();
  let lastLog = performance.now();
  let seen = 0;
  const totalSamples = train.n * cfg.epochs;
  const rate = () => seen / ((performance.now() - trainStarted) / 1000);
  const fit = await fitModel(model, train, validation, {
    epochs: cfg.epochs,
    batchSize: cfg.batchSize,
    onBatchEnd: ({ epoch, batch, batchesPerEpoch, loss, acc }) => {
      seen = epoch * train.n + Math.min(train.n, (batch + 1) * cfg.batchSize);
      const now = performance.now();
      if (now - lastLog < 10_000) return;
      lastLog = now;
      const r = rate();
      log(
        `  epoch ${epoch + 1}/${cfg.epochs} batch ${batch + 1}/${batchesPerEpoch} loss ${loss.toFixed(4)} acc ${acc.toFixed(4)} | ` +
          `${r.toFixed(0)} samples/s | epoch ETA ${duration((train.n * (epoch + 1) - seen) / r)}, total ETA ${duration((totalSamples - seen) / r)}`,
      );
    },
    onEpochEnd: ({ epoch, logs, seconds }) => {
      const f = (k: string) => (logs[k] === undefined ? '-' : logs[k]!.toFixed(4));
      const r = rate();
      log(
        `epoch ${epoch + 1}/${cfg.epochs} ${duration(seconds)}: loss ${f('loss')} acc ${f('acc')} val_loss ${f('val_loss')} ` +
          `val_acc ${f('val_acc')} | ${r.toFixed(0)} samples/s | ETA ${duration((totalSamples - seen) / r)}`,
      );
    },
  });
  const samplesPerSecond = (train.n * fit.epochs.length) / fit.seconds;

  log('train: scoring validation set');
  const { logits, scores } = predict(model, validation);
  const labels = validation.y;
  const auc = rocAuc(logits, labels);
  const byScore = thresholdAtFpr(scores, labels, cfg.thresholdFpr, 1);
  const byLogit = thresholdAtFpr(logits, labels, cfg.thresholdFpr);
  if (byScore.note) log(`train: warning: ${byScore.note}`);
  const threshold = Math.max(0, byScore.threshold);
  const perFamilyTpr: Record<string, { n: number; tpr: number }> = {};
  dataset.validation.forEach((e, i) => {
    if (e.label !== 1) return;
    const f = (perFamilyTpr[e.family] ??= { n: 0, tpr: 0 });
    f.n++;
    if (logits[i]! >= byLogit.threshold) f.tpr++;
  });
  for (const f of Object.values(perFamilyTpr)) f.tpr = f.tpr / f.n;
  log(
    `train: validation AUC ${auc.toFixed(5)}; threshold ${threshold} (logit ${byLogit.threshold.toFixed(4)}) ` +
      `at FPR target ${cfg.thresholdFpr}: FPR ${byScore.fpr.toFixed(5)} TPR ${byScore.tpr.toFixed(4)} (logit ranking: TPR ${byLogit.tpr.toFixed(4)})`,
  );

  await mkdir(cfg.out, { recursive: true });
  await model.save(fileSaveHandler(join(cfg.out, 'tfjs')));
  const { invalidExamples, options: _dataOptions, ...dataSummary } = s;
  const metadata: ModelMetadata = {
    id: cfg.id,
    version: cfg.version,
    createdAt: new Date().toISOString(),
    vocabulary: DEFAULT_VOCABULARY,
    maxLength: cfg.maxLength,
    padding: 'pre',
    threshold,
    architecture: {
      cell: 'lstm',
      embeddingDim: cfg.embeddingDim,
      units: cfg.units,
      dropout: cfg.dropout,
      recurrentActivation: 'sigmoid',
    },
    onnx: { input: 'chars', score: 'score', logit: 'logit' },
    training: {
      data: { ...dataSummary, invalidExamples: invalidExamples.slice(0, 5), truncatedByMaxLength: truncated },
      samples: { train: train.n, validation: validation.n },
      epochs: fit.epochs.length,
      history: fit.epochs.map((e) => ({ epoch: e.epoch + 1, seconds: Math.round(e.seconds), ...e.logs })),
      seed: cfg.seed,
      hyperparameters: {
        batchSize: cfg.batchSize,
        learningRate: cfg.learningRate,
        optimizer: 'adam',
        loss: 'binaryCrossentropy',
        familyCap: cfg.familyCap,
        sample: cfg.sample,
        valFraction: cfg.valFraction,
      },
      wallTimeSeconds: Math.round((performance.now() - started) / 1000),
      trainSeconds: Math.round(fit.seconds),
      samplesPerSecond: Math.round(samplesPerSecond),
      validation: {
        auc,
        thresholdFpr: cfg.thresholdFpr,
        threshold,
        thresholdLogit: byLogit.threshold,
        fpr: byScore.fpr,
        tpr: byScore.tpr,
        tprByLogit: byLogit.tpr,
        benign: byScore.negatives,
        dga: byScore.positives,
        ...(byScore.note ? { note: byScore.note } : {}),
        perFamilyTpr,
      },
      backend: `tfjs ${tfVersion} ${cfg.backend}`,
      commandLine: ['npx', 'tsx', 'scripts/train.ts', ...process.argv.slice(2)].join(' '),
    },
  };
  parseModelMetadata(JSON.parse(JSON.stringify(metadata)));
  await writeFile(join(cfg.out, 'metadata.json'), `${JSON.stringify(metadata, null, 2)}\n`);
  log(
    `train: wrote ${join(cfg.out, 'tfjs', 'model.json')}, weights.bin and metadata.json in ${duration((performance.now() - started) / 1000)} ` +
      `(${Math.round(samplesPerSecond)} samples/s)`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`train: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
