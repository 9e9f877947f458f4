// Section 6 of `npm run bench`, run in its own Node process (scripts/lib/bench-native.ts starts it):
// onnxruntime-web (WASM, 1 thread) vs onnxruntime-node (CPU EP, 1 thread) vs tfjs (wasm backend) on the
// same model and inputs. tfjs prints hints on stdout, so the result goes to a file.
// Usage: node --import tsx scripts/lib/bench-native-child.ts '<json {root, tmp, quick, out}>'
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createEncoder, DEFAULT_VOCABULARY, paddedRowLength } from '../../src/core/encode.js';
import { parseModelMetadata } from '../../src/core/metadata.js';
import { createOnnxScorer } from '../../src/runtime/onnx-scorer.js';
import { ortWasmPath } from '../../src/runtime/node-model.js';
import { createNameGenerator, createRng, log, median, quantile } from './bench-util.js';
import { fileLoadHandler, fileSaveHandler, readLayersModelFiles } from './tfjs-files.js';
import { convertLayersModel, padStepsInputOf, rowsOfOneLengthOf } from './tfjs-to-onnx.js';
import { setupWasmBackend } from './tfjs-wasm-backend.js';
import { createModel } from './train-model.js';
import { loadOrtNode, type OrtNode } from './ort-node.js';

console.log = (...args: unknown[]) => process.stderr.write(`${args.join(' ')}\n`);

interface Args {
  root: string;
  tmp: string;
  quick: boolean;
  out: string;
}
const args = JSON.parse(process.argv[2]!) as Args;

type Run = () => Promise<Float32Array>;

export interface EngineTiming {
  engine: 'ort-web' | 'ort-node' | 'tfjs';
  batch: number;
  runs: number;
  medianMs: number;
  minMs: number;
}

export interface ModelComparison {
  model: string;
  description: string;
  maxLength: number;
  meanLabelLength: number;
  timings: EngineTiming[];
  /** Largest |score difference| against ORT-web over the batch, per engine. */
  maxAbsDiff: Record<string, number>;
  /**
   * ORT-web (the scorer) for one name at a time, each padded only to its own length, as the classifier
   * calls the model for one name; padding-folded models only. Per-call times over the 256 labels.
   */
  ownWidth?: { medianMs: number; p90Ms: number; runs: number; meanWidth: number };
}

async function time(engine: EngineTiming['engine'], batch: number, run: Run, count: number, budgetMs: number): Promise<EngineTiming> {
  for (let i = 0; i < 3; i++) await run();
  const samples: number[] = [];
  const started = performance.now();
  while (samples.length < count && (samples.length < 3 || performance.now() - started < budgetMs)) {
    const t0 = performance.now();
    await run();
    samples.push(performance.now() - t0);
  }
  return { engine, batch, runs: samples.length, medianMs: median(samples), minMs: Math.min(...samples) };
}

async function compare(
  label: string,
  description: string,
  onnxBytes: Uint8Array,
  tfModel: import('@tensorflow/tfjs').LayersModel,
  maxLength: number,
  io: { input: string; score: string; logit: string; family?: string },
): Promise<ModelComparison> {
  const tf = await import('@tensorflow/tfjs');
  const ortNode = await loadOrtNode();
  if (!ortNode) throw new Error('onnxruntime-node is not installed (optional; install it with ONNXRUNTIME_NODE_INSTALL=skip npm ci)');
  const names = createNameGenerator(label.startsWith('shipped') ? 4004 : 5005);
  const labels = Array.from({ length: 256 }, () => names.label());
  const encoder = createEncoder({ vocabulary: DEFAULT_VOCABULARY, maxLength });
  const chars256 = encoder.encodeBatch(labels);
  const chars1 = encoder.encodeBatch(labels.slice(0, 1));

  // A padding-folded file gets pad_steps = 0: every engine runs the same full-width input here.
  const padSteps = padStepsInputOf(onnxBytes);
  // A masked model's graph takes rows of one length per call: both runtimes then run one call per length,
  // each row cut to its own length (the ORT-web scorer splits itself; ORT-node gets the same groups).
  const oneLength = rowsOfOneLengthOf(onnxBytes);
  const groupsOf = (chars: Int32Array, n: number) => {
    if (!oneLength) return [{ rows: Array.from({ length: n }, (_, i) => i), width: maxLength, chars }];
    const byLength = new Map<number, number[]>();
    for (let r = 0; r < n; r++) {
      const length = Math.max(1, paddedRowLength(chars, r, maxLength));
      const rows = byLength.get(length);
      if (rows) rows.push(r);
      else byLength.set(length, [r]);
    }
    return [...byLength].map(([width, rows]) => {
      const part = new Int32Array(rows.length * width);
      rows.forEach((r, i) => part.set(chars.subarray(r * maxLength + maxLength - width, (r + 1) * maxLength), i * width));
      return { rows, width, chars: part };
    });
  };
  const web = await createOnnxScorer({
    model: onnxBytes,
    wasm: await readFile(ortWasmPath()),
    maxLength,
    inputName: io.input,
    scoreName: io.score,
    logitName: io.logit,
    familyName: io.family,
    padStepsName: padSteps,
    rowsOfOneLength: oneLength,
  });
  const native = await ortNode.InferenceSession.create(onnxBytes, {
    executionProviders: ['cpu'],
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const engines: Record<EngineTiming['engine'], (chars: Int32Array, n: number) => Run> = {
    'ort-web': (chars, n) => async () => (await web.score(chars, n)).scores,
    'ort-node': (chars, n) => {
      const groups = groupsOf(chars, n);
      return async () => {
        const scores = new Float32Array(n);
        for (const g of groups) {
          const k = g.rows.length;
          const feeds: Record<string, InstanceType<OrtNode['Tensor']>> = { [io.input]: new ortNode.Tensor('int32', g.chars, [k, g.width]) };
          if (padSteps) feeds[padSteps] = new ortNode.Tensor('int32', new Int32Array(k).fill(maxLength - g.width), [k]);
          const out = (await native.run(feeds))[io.score]!.data as Float32Array;
          g.rows.forEach((r, i) => (scores[r] = out[i]!));
        }
        return scores;
      };
    },
    tfjs: (chars, n) => async () => {
      const x = tf.tensor2d(chars, [n, maxLength], 'int32');
      const out = tfModel.predict(x);
      const outs = Array.isArray(out) ? out : [out];
      const first = outs[0]!.dataSync() as Float32Array;
      for (const t of outs.slice(1)) t.dataSync();
      tf.dispose([x, ...outs]);
      return first;
    },
  };

  const reference = await engines['ort-web'](chars256, 256)();
  const maxAbsDiff: Record<string, number> = {};
  for (const engine of ['ort-node', 'tfjs'] as const) {
    const scores = await engines[engine](chars256, 256)();
    maxAbsDiff[engine] = Math.max(...Array.from(scores, (s, i) => Math.abs(s - reference[i]!)));
  }
  const timings: EngineTiming[] = [];
  for (const engine of ['ort-web', 'ort-node', 'tfjs'] as const) {
    log(`native: ${label} model, ${engine}`);
    timings.push(await time(engine, 256, engines[engine](chars256, 256), args.quick ? 5 : 25, args.quick ? 3_000 : 8_000));
    timings.push(await time(engine, 1, engines[engine](chars1, 1), args.quick ? 30 : 200, args.quick ? 1_000 : 3_000));
  }
  // After the timings above, so that V8 has compiled ORT's hot paths (the first calls in a process are slower).
  let ownWidth: ModelComparison['ownWidth'];
  if (padSteps) {
    log(`native: ${label} model, ort-web one name at its own width`);
    const rows = labels.map((l) => {
      const width = Math.max(1, encoder.encodedLength(l));
      return { width, chars: encoder.encodeBatch([l], width) };
    });
    const samples: number[] = [];
    const passes = args.quick ? 4 : 20;
    for (let pass = 0; pass < passes + 2; pass++) {
      for (const row of rows) {
        const t0 = performance.now();
        await web.score(row.chars, 1, row.width);
        if (pass >= 2) samples.push(performance.now() - t0);
      }
    }
    ownWidth = {
      medianMs: median(samples),
      p90Ms: quantile(samples, 0.9),
      runs: samples.length,
      meanWidth: rows.reduce((a, r) => a + r.width, 0) / rows.length,
    };
  }

  return {
    model: label,
    description,
    maxLength,
    meanLabelLength: labels.reduce((a, l) => a + l.length, 0) / labels.length,
    timings,
    maxAbsDiff,
    ownWidth,
  };
}

async function main() {
  const tf = await setupWasmBackend();
  const results: ModelComparison[] = [];

  // The measured checkout's model.
  const metadata = parseModelMetadata(JSON.parse(await readFile(join(args.root, 'model', 'metadata.json'), 'utf8')));
  const onnx = new Uint8Array(await readFile(join(args.root, 'model', 'dga.onnx')));
  const shipped = await tf.loadLayersModel(fileLoadHandler(join(args.root, 'model', 'tfjs')));
  const a = metadata.architecture;
  const io = { input: metadata.onnx.input, score: metadata.onnx.score, logit: metadata.onnx.logit, family: metadata.onnx.family };
  results.push(
    await compare('shipped', `${args.root}/model/dga.onnx (float): embedding ${a.embeddingDim}, ${a.cell} ${a.units}`, onnx, shipped, metadata.maxLength, io),
  );
  // The int8 variant, where the checkout has one (the Worker may serve it by default); tfjs runs the float model.
  const int8Path = join(args.root, 'model', 'dga.int8.onnx');
  if (existsSync(int8Path)) {
    const int8 = new Uint8Array(await readFile(int8Path));
    results.push(
      await compare('shipped int8', `${args.root}/model/dga.int8.onnx: embedding ${a.embeddingDim}, ${a.cell} ${a.units}; tfjs column = the float model (tfjs has no int8 graph), so its score diff is the quantisation error`, int8, shipped, metadata.maxLength, io),
    );
  }

  // Paper-size model: embedding 128, LSTM 128, float, random seeded weights.
  log('native: building the paper-size model (embedding 128, LSTM 128)');
  const random = Math.random;
  Math.random = createRng(128128);
  const paper = createModel({ vocabulary: DEFAULT_VOCABULARY, maxLength: 28, embeddingDim: 128, units: 128, dropout: 0, learningRate: 1e-3 });
  Math.random = random;
  const dir = join(args.tmp, 'paper-model');
  await mkdir(dir, { recursive: true });
  await paper.save(fileSaveHandler(dir));
  const { json, weights } = await readLayersModelFiles(dir);
  const paperOnnx = convertLayersModel({ modelJson: json, weights, metadata: { maxLength: 28, vocabulary: DEFAULT_VOCABULARY } });
  await writeFile(join(dir, 'paper.onnx'), paperOnnx);
  results.push(
    await compare('paper', 'embedding 128, LSTM 128, float, random seeded weights', paperOnnx, paper, 28, {
      input: 'chars',
      score: 'score',
      logit: 'logit',
    }),
  );
  await writeFile(args.out, JSON.stringify(results));
}

main().catch((error: unknown) => {
  process.stderr.write(`native comparison failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
