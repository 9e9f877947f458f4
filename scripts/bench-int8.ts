/**
 * Measures the int8 export schemes against the float export in onnxruntime-web (WASM, Node, one thread):
 * file size, ms per batch of 1 / 64 / 1000 names, and accuracy against the float ONNX model.
 *
 *   npx tsx scripts/bench-int8.ts [--model model/tfjs] [--metadata model/metadata.json] [--names 10000]
 *                                 [--rounds 3] [--no-paper] [--json runs/int8-bench.json]
 *
 * Two models: the committed one (model/tfjs + metadata) and a paper-size random one (embedding 128,
 * LSTM 128, same vocabulary and length, seeded weights; its decision threshold is the float model's median
 * score, the hardest place for decisions to flip). Names come from test/fixtures/names.ts (generated).
 * Timings interleave the schemes and repeat `--rounds` times; the table shows the median over rounds of
 * each round's median time.
 */
import { gzipSync } from 'node:zlib';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-web/wasm';
import { createEncoder } from '../src/core/encode.js';
import { parseModelMetadata, type ModelMetadata } from '../src/core/metadata.js';
import { createOnnxScorer } from '../src/runtime/onnx-scorer.js';
import { ortWasmPath } from '../src/runtime/node-model.js';
import { generateNames, prng } from '../test/fixtures/names.js';
import { readLayersModelFiles, type LayersModelJson } from './lib/tfjs-files.js';
import { convertLayersModel, padStepsInputOf, rowsOfOneLengthOf, type BuildOptions, type ConvertInput, type WeightScheme } from './lib/tfjs-to-onnx.js';
import { loadOrtNode, type OrtNode } from './lib/ort-node.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    model: { type: 'string', default: join(ROOT, 'model', 'tfjs') },
    metadata: { type: 'string', default: join(ROOT, 'model', 'metadata.json') },
    names: { type: 'string', default: '10000' },
    rounds: { type: 'string', default: '3' },
    'no-paper': { type: 'boolean', default: false },
    'no-node': { type: 'boolean', default: false },
    json: { type: 'string' },
  },
});

interface Variant {
  label: string;
  scheme: WeightScheme;
  int8Embedding?: boolean;
  dequantize?: BuildOptions['dequantize'];
}
const VARIANTS: Variant[] = [
  { label: 'float', scheme: 'float' },
  { label: '(a) int8 weights, Cast+Mul (folded at load), float embedding', scheme: 'int8-weights' },
  { label: '(a) int8 weights, DequantizeLinear, float embedding', scheme: 'int8-weights', dequantize: 'DequantizeLinear' },
  { label: '(a) int8 weights incl. embedding (per-row), Cast+Mul', scheme: 'int8-weights', int8Embedding: true },
  { label: '(b) DynamicQuantizeLSTM, float embedding', scheme: 'int8-dqlstm' },
  { label: '(c) DynamicQuantizeLinear + MatMulInteger (LSTM unrolled), float embedding', scheme: 'int8-mmi' },
  { label: 'float, LSTM unrolled (reference for c)', scheme: 'float-unrolled' },
];
const BATCHES = [1, 64, 1000] as const;

/** The committed model's topology with other sizes and seeded random weights (no tfjs needed). */
function paperSizeModel(base: LayersModelJson, E: number, U: number, seed: number): ConvertInput['modelJson'] & { weights: Uint8Array } {
  const json = structuredClone(base);
  const layers = (json.modelTopology.config as { layers: { class_name: string; config: Record<string, unknown> }[] }).layers;
  const emb = layers.find((l) => l.class_name === 'Embedding')!;
  const lstm = layers.find((l) => l.class_name === 'LSTM')!;
  emb.config.output_dim = E;
  lstm.config.units = U;
  const V = emb.config.input_dim as number;
  const rand = prng(seed);
  const specs: [string, number[], number][] = [
    ['embedding/embeddings', [V, E], 1],
    ['lstm/kernel', [E, 4 * U], 0.25],
    ['lstm/recurrent_kernel', [U, 4 * U], 0.15],
    ['lstm/bias', [4 * U], 0.5],
    ['score/kernel', [U, 1], 0.6],
    ['score/bias', [1], 0.3],
  ];
  const chunks: Float32Array[] = [];
  json.weightsManifest = [{ paths: ['./weights.bin'], weights: specs.map(([name, shape]) => ({ name, shape, dtype: 'float32' as const })) }];
  for (const [, shape, scale] of specs) {
    const n = shape.reduce((a, b) => a * b, 1);
    chunks.push(Float32Array.from({ length: n }, () => (rand() * 2 - 1) * scale));
  }
  const bytes = new Uint8Array(chunks.reduce((a, c) => a + c.byteLength, 0));
  let off = 0;
  for (const c of chunks) {
    bytes.set(new Uint8Array(c.buffer), off);
    off += c.byteLength;
  }
  return { ...json, weights: bytes };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function timeRuns(run: () => Promise<unknown>, iterations: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    await run();
    times.push(performance.now() - t0);
  }
  return median(times);
}

interface Row {
  model: string;
  variant: string;
  scheme: string;
  bytes: number;
  gzipBytes: number;
  ms: Record<number, number>;
  msNode?: Record<number, number>;
  maxScoreDiff: number;
  meanScoreDiff: number;
  maxLogitDiff: number;
  sameDecision: number;
  flips: number;
  batchDependence: number;
}

async function benchModel(label: string, input: ConvertInput, metadata: ModelMetadata, threshold: number | 'median', nameCount: number, rounds: number) {
  const T = metadata.maxLength;
  const encoder = createEncoder(metadata);
  const names = generateNames(nameCount, 20261128);
  const chars = encoder.encodeBatch(names);
  const wasm = await readFile(ortWasmPath());
  let ortNode: OrtNode | undefined;
  if (!args['no-node']) {
    try {
      ortNode = await loadOrtNode();
    } catch {
      ortNode = undefined;
    }
  }

  const built = VARIANTS.map((v) => {
    const bytes = convertLayersModel(input, { scheme: v.scheme, int8Embedding: v.int8Embedding, dequantize: v.dequantize });
    return { v, bytes };
  });
  const sessions: { v: Variant; bytes: Uint8Array; scorer: Awaited<ReturnType<typeof createOnnxScorer>>; node?: Awaited<ReturnType<OrtNode['InferenceSession']['create']>> }[] = [];
  for (const { v, bytes } of built) {
    const scorer = await createOnnxScorer({ model: bytes, wasm, maxLength: T, padStepsName: padStepsInputOf(bytes), rowsOfOneLength: rowsOfOneLengthOf(bytes) });
    const node = ortNode ? await ortNode.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential' }) : undefined;
    sessions.push({ v, bytes, scorer, node });
  }

  // Accuracy: everything in batches of 1000, against the float ONNX model.
  const scoreAll = async (scorer: (typeof sessions)[number]['scorer']) => {
    const scores = new Float32Array(names.length);
    const logits = new Float32Array(names.length);
    for (let i = 0; i < names.length; i += 1000) {
      const n = Math.min(1000, names.length - i);
      const r = await scorer.score(chars.subarray(i * T, (i + n) * T), n);
      scores.set(r.scores, i);
      logits.set(r.logits, i);
    }
    return { scores, logits };
  };
  const reference = await scoreAll(sessions[0]!.scorer);
  const cut = threshold === 'median' ? median([...reference.scores]) : threshold;
  const rows: Row[] = [];
  for (const s of sessions) {
    const r = s === sessions[0] ? reference : await scoreAll(s.scorer);
    let maxScoreDiff = 0;
    let sumScoreDiff = 0;
    let maxLogitDiff = 0;
    let flips = 0;
    for (let i = 0; i < names.length; i++) {
      const d = Math.abs(r.scores[i]! - reference.scores[i]!);
      maxScoreDiff = Math.max(maxScoreDiff, d);
      sumScoreDiff += d;
      maxLogitDiff = Math.max(maxLogitDiff, Math.abs(r.logits[i]! - reference.logits[i]!));
      if (r.scores[i]! >= cut !== reference.scores[i]! >= cut) flips++;
    }
    // Batch dependence: 200 names scored alone vs inside their batch of 1000.
    let batchDependence = 0;
    for (let i = 0; i < 200; i++) {
      const alone = await s.scorer.score(chars.subarray(i * T, (i + 1) * T), 1);
      batchDependence = Math.max(batchDependence, Math.abs(alone.scores[0]! - r.scores[i]!));
    }
    rows.push({
      model: label,
      variant: s.v.label,
      scheme: `${s.v.scheme}${s.v.int8Embedding ? '+int8-embedding' : ''}${s.v.dequantize ? `+${s.v.dequantize}` : ''}`,
      bytes: s.bytes.length,
      gzipBytes: gzipSync(s.bytes, { level: 9 }).length,
      ms: {},
      maxScoreDiff,
      meanScoreDiff: sumScoreDiff / names.length,
      maxLogitDiff,
      sameDecision: 1 - flips / names.length,
      flips,
      batchDependence,
    });
  }

  // Speed: interleaved rounds; per round and batch size, the median of repeated runs.
  const perRound: number[][][] = sessions.map(() => BATCHES.map(() => []));
  const perRoundNode: number[][][] = sessions.map(() => BATCHES.map(() => []));
  const iterationsFor = (b: number) => (b === 1 ? 200 : b === 64 ? 40 : 6);
  for (let round = 0; round < rounds; round++) {
    for (const [si, s] of sessions.entries()) {
      for (const [bi, b] of BATCHES.entries()) {
        const x = chars.subarray(0, b * T);
        await s.scorer.score(x, b); // warm-up
        perRound[si]![bi]!.push(await timeRuns(() => s.scorer.score(x, b), iterationsFor(b)));
        if (s.node) {
          const feeds: Record<string, InstanceType<OrtNode['Tensor']>> = { [metadata.onnx.input]: new ortNode!.Tensor('int32', x, [b, T]) };
          const padSteps = padStepsInputOf(s.bytes);
          if (padSteps) feeds[padSteps] = new ortNode!.Tensor('int32', new Int32Array(b), [b]);
          await s.node.run(feeds);
          perRoundNode[si]![bi]!.push(await timeRuns(() => s.node!.run(feeds), iterationsFor(b)));
        }
      }
    }
  }
  for (const [si, row] of rows.entries()) {
    row.ms = Object.fromEntries(BATCHES.map((b, bi) => [b, median(perRound[si]![bi]!)]));
    if (sessions[si]!.node) row.msNode = Object.fromEntries(BATCHES.map((b, bi) => [b, median(perRoundNode[si]![bi]!)]));
  }
  return { rows, threshold: cut, names: names.length };
}

function table(rows: Row[]): string {
  const f = (x: number, d = 2) => x.toFixed(d);
  const lines = [
    '| variant | bytes | gzip | ms/1 | ms/64 | ms/1000 | ORT-node ms/1 / 64 / 1000 | max abs score diff | mean abs score diff | max abs logit diff | same decision | score alone vs in batch |',
    '|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.variant} | ${r.bytes} | ${r.gzipBytes} | ${f(r.ms[1]!, 3)} | ${f(r.ms[64]!)} | ${f(r.ms[1000]!, 1)} | ` +
        `${r.msNode ? `${f(r.msNode[1]!, 3)} / ${f(r.msNode[64]!)} / ${f(r.msNode[1000]!, 1)}` : 'n/a'} | ` +
        `${r.maxScoreDiff.toExponential(2)} | ${r.meanScoreDiff.toExponential(2)} | ${r.maxLogitDiff.toExponential(2)} | ` +
        `${(100 * r.sameDecision).toFixed(2)}% (${r.flips} flips) | ${r.batchDependence.toExponential(2)} |`,
    );
  }
  return lines.join('\n');
}

async function main() {
  const nameCount = Number(args.names);
  const rounds = Number(args.rounds);
  const metadata = parseModelMetadata(JSON.parse(await readFile(args.metadata!, 'utf8')));
  const files = await readLayersModelFiles(args.model!);
  ort.env.logLevel = 'error';
  const out: string[] = [];
  const results: unknown[] = [];
  const committed = await benchModel(
    `committed (emb ${metadata.architecture.embeddingDim}, LSTM ${metadata.architecture.units})`,
    { modelJson: files.json, weights: files.weights, metadata },
    metadata,
    metadata.threshold,
    nameCount,
    rounds,
  );
  results.push(committed);
  out.push(`### Committed model ${metadata.id} ${metadata.version} (emb ${metadata.architecture.embeddingDim}, LSTM ${metadata.architecture.units}, maxLength ${metadata.maxLength}); ${committed.names} generated names; threshold ${committed.threshold}\n`, table(committed.rows), '');
  console.log(out.join('\n'));
  if (!args['no-paper']) {
    const paper = paperSizeModel(files.json, 128, 128, 1234);
    const { weights, ...modelJson } = paper;
    const meta = { ...metadata, architecture: { ...metadata.architecture, embeddingDim: 128, units: 128 } };
    const r = await benchModel('paper-size random (emb 128, LSTM 128)', { modelJson, weights, metadata: meta }, meta, 'median', nameCount, rounds);
    results.push(r);
    const part = [`### Paper-size random model (emb 128, LSTM 128, maxLength ${metadata.maxLength}); ${r.names} names; threshold = float median score ${r.threshold.toFixed(4)}\n`, table(r.rows), ''];
    out.push(...part);
    console.log(part.join('\n'));
  }
  if (args.json) {
    await mkdir(dirname(resolve(args.json)), { recursive: true });
    await writeFile(resolve(args.json), JSON.stringify({ date: new Date().toISOString(), node: process.version, results }, null, 1));
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
