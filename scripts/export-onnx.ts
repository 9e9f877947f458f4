/**
 * Exports the trained tfjs LayersModel to ONNX (no Python), then checks the result against tfjs.
 *
 *   npx tsx scripts/export-onnx.ts [--model model/tfjs] [--metadata model/metadata.json] [--out model/dga.onnx]
 *                                  [--samples 300] [--seed 1] [--tolerance 1e-4] [--no-check]
 *
 * Prints the output path, size, sha256 and opset; then loads the file in onnxruntime-web (the same WASM
 * runtime and adapter the Worker uses) and compares scores and logits with tfjs `predict` on random encoded
 * names, printing the largest absolute differences. Exits 1 if they exceed the tolerance.
 */
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createEncoder } from '../src/core/encode.js';
import { parseModelMetadata, type ModelMetadata } from '../src/core/metadata.js';
import { createOnnxScorer } from '../src/runtime/onnx-scorer.js';
import { fileLoadHandler, MODEL_JSON, readLayersModelFiles } from './lib/tfjs-files.js';
import { convertLayersModel, OPSET, PRODUCER_NAME } from './lib/tfjs-to-onnx.js';
import { ortWasmPath } from '../src/runtime/node-model.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const HELP = `Usage: npx tsx scripts/export-onnx.ts [options]

Converts the trained tfjs LayersModel (Embedding -> LSTM -> Dropout -> Dense sigmoid) into an ONNX file
(opset ${OPSET}) and checks it against tfjs on random names.

Options:
  --model DIR         tfjs model directory with model.json + weights   (default: model/tfjs)
  --metadata FILE     model metadata JSON                               (default: model/metadata.json)
  --out FILE          ONNX file to write                                (default: model/dga.onnx)
  --samples N         random names for the tfjs/ONNX smoke check        (default: 300)
  --seed N            seed for those names                              (default: 1)
  --tolerance X       largest allowed |score diff| and |logit diff|     (default: 1e-4)
  --no-check          write the file and skip the smoke check
  -h, --help          show this help

Default paths are relative to the project root; paths you give are relative to the current directory.`;

class CliError extends Error {}

function parseCli(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' },
      metadata: { type: 'string' },
      out: { type: 'string' },
      samples: { type: 'string', default: '300' },
      seed: { type: 'string', default: '1' },
      tolerance: { type: 'string', default: '1e-4' },
      'no-check': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const int = (name: string, v: string, min: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new CliError(`--${name} must be an integer >= ${min} (got ${JSON.stringify(v)})`);
    return n;
  };
  const tolerance = Number(values.tolerance);
  if (!(tolerance > 0)) throw new CliError(`--tolerance must be a positive number (got ${JSON.stringify(values.tolerance)})`);
  return {
    help: values.help,
    modelDir: values.model ? resolve(values.model) : join(ROOT, 'model', 'tfjs'),
    metadataPath: values.metadata ? resolve(values.metadata) : join(ROOT, 'model', 'metadata.json'),
    outPath: values.out ? resolve(values.out) : join(ROOT, 'model', 'dga.onnx'),
    samples: int('samples', values.samples, 1),
    seed: int('seed', values.seed, 0),
    tolerance,
    check: !values['no-check'],
  };
}

const show = (p: string) => {
  const r = relative(process.cwd(), p);
  return r && !r.startsWith('..') ? r : p;
};

async function readInputs(modelDir: string, metadataPath: string) {
  if (!existsSync(modelDir) || !statSync(modelDir).isDirectory()) {
    throw new CliError(`model directory not found: ${show(modelDir)} (train a model first with \`npm run train\`, or pass --model DIR)`);
  }
  if (!existsSync(join(modelDir, MODEL_JSON))) throw new CliError(`no ${MODEL_JSON} in ${show(modelDir)}`);
  if (!existsSync(metadataPath)) throw new CliError(`metadata file not found: ${show(metadataPath)} (pass --metadata FILE)`);
  let files;
  try {
    files = await readLayersModelFiles(modelDir);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') throw new CliError(`weights file named by ${MODEL_JSON} is missing: ${e.path ?? e.message}`);
    throw err;
  }
  let metadata: ModelMetadata;
  try {
    metadata = parseModelMetadata(JSON.parse(await readFile(metadataPath, 'utf8')));
  } catch (err) {
    throw new CliError(`${show(metadataPath)}: ${(err as Error).message}`);
  }
  return { ...files, metadata };
}

/** mulberry32, uniform in [0, 1). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomNames(count: number, seed: number, vocabulary: string, maxLength: number): string[] {
  const rand = prng(seed);
  return Array.from({ length: count }, () => {
    const length = 1 + Math.floor(rand() * Math.min(maxLength + 4, 40));
    let s = '';
    for (let i = 0; i < length; i++) s += vocabulary[Math.floor(rand() * vocabulary.length)];
    return s;
  });
}


async function smokeCheck(opts: { modelDir: string; onnx: Uint8Array; metadata: ModelMetadata; samples: number; seed: number }) {
  const { metadata } = opts;
  const encoder = createEncoder(metadata);
  const names = randomNames(opts.samples, opts.seed, metadata.vocabulary, metadata.maxLength);
  const chars = encoder.encodeBatch(names);

  // tfjs reference on the plain CPU backend (the exporter must not depend on the training backend).
  const tf = await import('@tensorflow/tfjs');
  await tf.setBackend('cpu');
  const model = await tf.loadLayersModel(fileLoadHandler(opts.modelDir));
  let t0 = performance.now();
  const expected = tf.tidy(() => {
    const x = tf.tensor2d(chars, [names.length, metadata.maxLength], 'int32');
    const lstm = model.layers.find((l) => l.getClassName() === 'LSTM')!;
    const dense = model.layers.find((l) => l.getClassName() === 'Dense')!;
    // Same layers, the LSTM's last hidden state as an extra output: score = predict; logit = h . kernel + bias.
    const both = tf.model({ inputs: model.inputs, outputs: [model.outputs[0]!, lstm.output as import('@tensorflow/tfjs').SymbolicTensor] });
    const [score, hidden] = both.predict(x) as [import('@tensorflow/tfjs').Tensor, import('@tensorflow/tfjs').Tensor];
    const [kernel, bias] = dense.getWeights();
    return { score: score.dataSync() as Float32Array, logit: tf.add(tf.matMul(hidden, kernel!), bias!).dataSync() as Float32Array };
  });
  const tfjsMs = performance.now() - t0;
  model.dispose();

  t0 = performance.now();
  const scorer = await createOnnxScorer({
    model: opts.onnx,
    wasm: await readFile(ortWasmPath()),
    maxLength: metadata.maxLength,
    inputName: metadata.onnx.input,
    scoreName: metadata.onnx.score,
    logitName: metadata.onnx.logit,
  });
  const actual = await scorer.score(chars, names.length);
  const ortMs = performance.now() - t0;

  let scoreDiff = 0;
  let logitDiff = 0;
  let worst = 0;
  for (let i = 0; i < names.length; i++) {
    const d = Math.abs(actual.scores[i]! - expected.score[i]!);
    if (d > scoreDiff) {
      scoreDiff = d;
      worst = i;
    }
    logitDiff = Math.max(logitDiff, Math.abs(actual.logits[i]! - expected.logit[i]!));
  }
  const nonFinite = [...actual.scores, ...actual.logits].some((v) => !Number.isFinite(v));
  return { count: names.length, scoreDiff, logitDiff, worstName: names[worst]!, tfjsMs, ortMs, nonFinite };
}

async function main(): Promise<number> {
  const opts = parseCli(process.argv.slice(2));
  if (opts.help) {
    console.log(HELP);
    return 0;
  }
  const { json, weights, metadata } = await readInputs(opts.modelDir, opts.metadataPath);
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version?: string };
  const onnx = convertLayersModel({ modelJson: json, weights, metadata, producerVersion: pkg.version });
  await mkdir(dirname(opts.outPath), { recursive: true });
  await writeFile(opts.outPath, onnx);
  const sha = createHash('sha256').update(onnx).digest('hex');
  console.log(`wrote ${show(opts.outPath)}`);
  console.log(`  size     ${onnx.length} bytes (${(onnx.length / 1024).toFixed(1)} KiB)`);
  console.log(`  sha256   ${sha}`);
  console.log(`  opset    ${OPSET} (producer ${PRODUCER_NAME} ${pkg.version ?? ''})`.trimEnd());
  console.log(`  model    ${metadata.id} ${metadata.version}; input "${metadata.onnx.input}" int32 [batch, ${metadata.maxLength}]`);
  if (!opts.check) return 0;

  const r = await smokeCheck({ modelDir: opts.modelDir, onnx, metadata, samples: opts.samples, seed: opts.seed });
  console.log(`smoke check vs tfjs on ${r.count} random names (seed ${opts.seed}):`);
  console.log(`  max |score diff| ${r.scoreDiff.toExponential(3)}  (worst: "${r.worstName}")`);
  console.log(`  max |logit diff| ${r.logitDiff.toExponential(3)}`);
  console.log(`  tfjs cpu ${r.tfjsMs.toFixed(0)} ms, onnxruntime-web ${r.ortMs.toFixed(0)} ms (incl. session creation)`);
  if (r.nonFinite || !(r.scoreDiff <= opts.tolerance) || !(r.logitDiff <= opts.tolerance)) {
    console.error(`export-onnx: FAILED: ONNX output differs from tfjs by more than ${opts.tolerance}${r.nonFinite ? ' (non-finite values)' : ''}`);
    return 1;
  }
  console.log(`  OK (tolerance ${opts.tolerance})`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof CliError || (err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      console.error(`export-onnx: ${(err as Error).message}\n(see --help)`);
    } else {
      console.error(`export-onnx: ${err instanceof Error ? err.message : String(err)}`);
    }
    process.exit(1);
  },
);
