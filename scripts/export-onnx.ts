/**
 * Exports the trained tfjs LayersModel to ONNX (no Python): a float32 file and an int8 file, then checks them.
 *
 *   npx tsx scripts/export-onnx.ts [--model model/tfjs] [--metadata model/metadata.json] [--out model/dga.onnx]
 *                                  [--int8-out model/dga.int8.onnx] [--int8-scheme int8-weights] [--no-int8]
 *                                  [--samples 300] [--seed 1] [--tolerance 1e-4]
 *                                  [--int8-names 10000] [--int8-tolerance 0.01] [--int8-agreement 0.999] [--no-check]
 *
 * Both files fold leading padding into the LSTM's initial state (input "pad_steps"; see scripts/lib/tfjs-to-onnx.ts)
 * when the int8 scheme supports it (int8-weights); the metadata file's "onnx" block is then updated with
 * "padSteps" (and the entry removed when the files do not fold), so that serving feeds that input.
 *
 * Prints each file's path, size, sha256, opset and producer. Then (unless --no-check):
 *   - float vs tfjs: loads the float file in onnxruntime-web (the Worker's WASM runtime and adapter) and
 *     compares score, logit and family probabilities with tfjs on --samples names;
 *   - folded padding: each file scored at the widths the classifier uses (chunks padded to their own longest
 *     label) vs the same names at full width, on --int8-names names: within --fold-tolerance;
 *   - int8 vs float: both files in onnxruntime-web on --int8-names generated names (test/fixtures/names.ts):
 *     largest |score diff| and the share of names with the same decision at the metadata threshold;
 *   - onnxruntime-node, when installed: both files load there and agree with onnxruntime-web.
 * Exits 1 if a figure is outside its bound. Same inputs give byte-identical files.
 */
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEncoder, paddedRowLength } from '../src/core/encode.js';
import { parseModelMetadata, type ModelMetadata } from '../src/core/metadata.js';
import { createOnnxScorer, scorerOptionsFrom } from '../src/runtime/onnx-scorer.js';
import { ortWasmPath } from '../src/runtime/node-model.js';
import { generateNames } from '../test/fixtures/names.js';
import { compareOutputs, scoreInBatches, tfjsReference, type ModelOutputs } from './lib/parity.js';
import { MODEL_JSON, readLayersModelFiles } from './lib/tfjs-files.js';
import { planChunks } from '../src/core/chunk-plan.js';
import {
  convertLayersModel,
  DEFAULT_INT8_SCHEME,
  DEFAULT_ONNX_NAMES,
  FOLDING_SCHEMES,
  OPSET,
  PRODUCER_NAME,
  rowsOfOneLengthOf,
  WEIGHT_SCHEMES,
  type WeightScheme,
} from './lib/tfjs-to-onnx.js';
import { loadOrtNode, type OrtNode } from './lib/ort-node.js';
import { parseFlags, runScript, UsageError } from './lib/cli-flags.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const HELP = `Usage: npx tsx scripts/export-onnx.ts [options]

Converts the trained tfjs LayersModel (Embedding -> LSTM -> Dropout -> Dense sigmoid score head, optionally a
Dense softmax family head) into a float32 ONNX file and an int8 ONNX file (opset ${OPSET}), and checks them.

Options:
  --model DIR            tfjs model directory with model.json + weights   (default: model/tfjs)
  --metadata FILE        model metadata JSON                               (default: model/metadata.json)
  --out FILE             float ONNX file to write                          (default: model/dga.onnx)
  --int8-out FILE        int8 ONNX file to write                           (default: --out with .int8.onnx)
  --int8-scheme NAME     ${WEIGHT_SCHEMES.filter((w) => w.startsWith('int8')).join(' | ')}  (default: ${DEFAULT_INT8_SCHEME})
  --no-int8              write only the float file
  --samples N            names for the tfjs/ONNX check                     (default: 300)
  --seed N               seed for the generated names                      (default: 1)
  --tolerance X          largest allowed float-vs-tfjs difference          (default: 1e-4)
  --int8-names N         generated names for the int8-vs-float check       (default: 10000)
  --int8-tolerance X     largest allowed int8-vs-float |score diff|        (default: 0.01)
  --int8-agreement X     smallest allowed share of same decisions          (default: 0.999)
  --fold-tolerance X     largest allowed |diff| folded vs full width       (default: 1e-6)
  --no-check             write the files and skip the checks
  -h, --help             show this help

Default paths are relative to the project root; paths you give are relative to the current directory.`;

function parseCli(argv: string[]) {
  const values = parseFlags(argv, {
    model: { type: 'string' },
    metadata: { type: 'string' },
    out: { type: 'string' },
    'int8-out': { type: 'string' },
    'int8-scheme': { type: 'string', default: DEFAULT_INT8_SCHEME },
    'no-int8': { type: 'boolean', default: false },
    samples: { type: 'string', default: '300' },
    seed: { type: 'string', default: '1' },
    tolerance: { type: 'string', default: '1e-4' },
    'int8-names': { type: 'string', default: '10000' },
    'int8-tolerance': { type: 'string', default: '0.01' },
    'int8-agreement': { type: 'string', default: '0.999' },
    'fold-tolerance': { type: 'string', default: '1e-6' },
    'no-check': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  const int = (name: string, v: string, min: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer >= ${min} (got ${JSON.stringify(v)})`);
    return n;
  };
  const positive = (name: string, v: string, max = Infinity) => {
    const n = Number(v);
    if (!(n > 0 && n <= max)) throw new UsageError(`--${name} must be a number in (0, ${max}] (got ${JSON.stringify(v)})`);
    return n;
  };
  const scheme = values['int8-scheme'] as WeightScheme;
  if (!WEIGHT_SCHEMES.includes(scheme) || !scheme.startsWith('int8')) {
    throw new UsageError(`--int8-scheme must be one of ${WEIGHT_SCHEMES.filter((w) => w.startsWith('int8')).join(', ')} (got ${JSON.stringify(scheme)})`);
  }
  const outPath = values.out ? resolve(values.out) : join(ROOT, 'model', 'dga.onnx');
  return {
    help: values.help,
    modelDir: values.model ? resolve(values.model) : join(ROOT, 'model', 'tfjs'),
    metadataPath: values.metadata ? resolve(values.metadata) : join(ROOT, 'model', 'metadata.json'),
    outPath,
    int8Path: values['no-int8'] ? null : values['int8-out'] ? resolve(values['int8-out']) : outPath.replace(/(\.onnx)?$/, '.int8.onnx'),
    int8Scheme: scheme,
    samples: int('samples', values.samples, 1),
    seed: int('seed', values.seed, 0),
    tolerance: positive('tolerance', values.tolerance),
    int8Names: int('int8-names', values['int8-names'], 1),
    int8Tolerance: positive('int8-tolerance', values['int8-tolerance']),
    int8Agreement: positive('int8-agreement', values['int8-agreement'], 1),
    foldTolerance: positive('fold-tolerance', values['fold-tolerance']),
    check: !values['no-check'],
  };
}

const show = (p: string) => {
  const r = relative(process.cwd(), p);
  return r && !r.startsWith('..') ? r : p;
};

async function readInputs(modelDir: string, metadataPath: string) {
  if (!existsSync(modelDir) || !statSync(modelDir).isDirectory()) {
    throw new UsageError(`model directory not found: ${show(modelDir)} (train a model first with \`npm run train\`, or pass --model DIR)`);
  }
  if (!existsSync(join(modelDir, MODEL_JSON))) throw new UsageError(`no ${MODEL_JSON} in ${show(modelDir)}`);
  if (!existsSync(metadataPath)) throw new UsageError(`metadata file not found: ${show(metadataPath)} (pass --metadata FILE)`);
  let files;
  try {
    files = await readLayersModelFiles(modelDir);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') throw new UsageError(`weights file named by ${MODEL_JSON} is missing: ${e.path ?? e.message}`);
    throw err;
  }
  let metadata: ModelMetadata;
  try {
    metadata = parseModelMetadata(JSON.parse(await readFile(metadataPath, 'utf8')));
  } catch (err) {
    throw new UsageError(`${show(metadataPath)}: ${(err as Error).message}`);
  }
  return { ...files, metadata };
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const exp = (x: number | undefined) => (x === undefined ? 'n/a' : x.toExponential(3));

async function ortWebScorer(bytes: Uint8Array, metadata: ModelMetadata) {
  return createOnnxScorer({
    model: bytes,
    wasm: await readFile(ortWasmPath()),
    ...scorerOptionsFrom(metadata),
    familyName: metadata.families ? (metadata.onnx.family ?? 'family') : undefined,
  });
}

/**
 * A folded file scored the way the classifier calls it (rows grouped by length, each call padded to its
 * own longest label) against the same names at full width: the largest |score|, |logit|, |family p| diff.
 */
async function checkFolding(bytes: Uint8Array, metadata: ModelMetadata, names: string[], full: ModelOutputs) {
  const scorer = await ortWebScorer(bytes, metadata);
  const encoder = createEncoder(metadata);
  const chunks = planChunks(names.map((n) => Math.max(1, encoder.encodedLength(n))), 1000);
  const folded: ModelOutputs = { scores: new Float32Array(names.length), logits: new Float32Array(names.length) };
  let K = 0;
  for (const chunk of chunks) {
    const r = await scorer.score(encoder.encodeBatch(chunk.rows.map((i) => names[i]!), chunk.width), chunk.rows.length, chunk.width);
    if (r.families) {
      K = r.families.length / chunk.rows.length;
      folded.families ??= new Float32Array(names.length * K);
    }
    chunk.rows.forEach((i, j) => {
      folded.scores[i] = r.scores[j]!;
      folded.logits[i] = r.logits[j]!;
      if (r.families) folded.families!.set(r.families.subarray(j * K, (j + 1) * K), i * K);
    });
  }
  return { ...compareOutputs(full, folded, metadata.threshold), calls: chunks.length, widths: [...new Set(chunks.map((c) => c.width))].length };
}

/** The metadata file with onnx.padSteps set (folded files) or removed; null when the file needs no change. */
function metadataWithPadSteps(text: string, padSteps: string | undefined): string | null {
  const raw = JSON.parse(text) as { onnx: Record<string, unknown> };
  if (raw.onnx.padSteps === padSteps) return null;
  if (padSteps === undefined) delete raw.onnx.padSteps;
  else raw.onnx.padSteps = padSteps;
  return `${JSON.stringify(raw, null, 2)}\n`;
}

/** float ONNX vs tfjs (CPU backend: the check must not depend on the training backend). */
async function checkAgainstTfjs(modelDir: string, onnx: Uint8Array, metadata: ModelMetadata, names: string[]) {
  const chars = createEncoder(metadata).encodeBatch(names);
  const tf = await import('@tensorflow/tfjs');
  await tf.setBackend('cpu');
  // train-model.ts registers the custom layers of the bigram branch (bigram-index.ts) before the load.
  const { loadLayersModelDir } = await import('./lib/train-model.js');
  const model = await loadLayersModelDir(modelDir);
  let t0 = performance.now();
  const expected = tfjsReference(tf, model, chars, names.length, metadata.maxLength, undefined, metadata.architecture.scoreFrom);
  const tfjsMs = performance.now() - t0;
  model.dispose();
  t0 = performance.now();
  const actual = await scoreInBatches(await ortWebScorer(onnx, metadata), chars, names.length, metadata.maxLength);
  const ortMs = performance.now() - t0;
  return { ...compareOutputs(expected, actual, metadata.threshold), tfjsMs, ortMs };
}

/** Both files in onnxruntime-node (if installed): they must load, run, and agree with onnxruntime-web. */
async function checkOrtNode(files: { label: string; bytes: Uint8Array; web: ModelOutputs }[], metadata: ModelMetadata, chars: Int32Array, count: number) {
  const ortNode = await loadOrtNode();
  if (!ortNode) return null;
  const T = metadata.maxLength;
  const results = [];
  for (const f of files) {
    const session = await ortNode.InferenceSession.create(f.bytes);
    const out: ModelOutputs = { scores: new Float32Array(count), logits: new Float32Array(count) };
    const familyName = metadata.families ? (metadata.onnx.family ?? 'family') : undefined;
    const padSteps = metadata.onnx.padSteps;
    // A masked model's graph takes rows of one length per call: then one row per call at its own width.
    const oneLength = rowsOfOneLengthOf(f.bytes);
    const step = oneLength ? 1 : 1000;
    for (let start = 0; start < count; start += step) {
      const n = Math.min(step, count - start);
      const width = oneLength ? Math.max(1, paddedRowLength(chars, start, T)) : T;
      const rows = chars.slice(start * T, (start + n) * T).subarray(T - width);
      const feeds: Record<string, InstanceType<OrtNode['Tensor']>> = {
        [metadata.onnx.input]: new ortNode.Tensor('int32', oneLength ? rows.slice() : rows, [n, width]),
      };
      if (padSteps && session.inputNames.includes(padSteps)) feeds[padSteps] = new ortNode.Tensor('int32', new Int32Array(n).fill(T - width), [n]);
      const r = await session.run(feeds);
      out.scores.set(r[metadata.onnx.score]!.data as Float32Array, start);
      out.logits.set(r[metadata.onnx.logit]!.data as Float32Array, start);
      if (familyName) {
        const fam = r[familyName]!.data as Float32Array;
        out.families ??= new Float32Array((count * fam.length) / n);
        out.families.set(fam, (start * fam.length) / n);
      }
    }
    await session.release();
    results.push({ label: f.label, ...compareOutputs(f.web, out, metadata.threshold) });
  }
  return results;
}

async function main(): Promise<number | 'help'> {
  const opts = parseCli(process.argv.slice(2));
  if (opts.help) return 'help';
  const read = await readInputs(opts.modelDir, opts.metadataPath);
  const { json, weights } = read;
  // Both files fold padding or neither does: serving reads one metadata for either file.
  const foldPadding = opts.int8Path === null || FOLDING_SCHEMES.includes(opts.int8Scheme);
  const padSteps = foldPadding ? (read.metadata.onnx.padSteps ?? DEFAULT_ONNX_NAMES.padSteps) : undefined;
  const { padSteps: _previous, ...onnxNames } = read.metadata.onnx;
  const metadata: ModelMetadata = { ...read.metadata, onnx: padSteps ? { ...onnxNames, padSteps } : onnxNames };
  if (!foldPadding) console.log(`note: ${opts.int8Scheme} cannot fold padding; both files take full-width input (no "${DEFAULT_ONNX_NAMES.padSteps}")`);
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version?: string };
  const input = { modelJson: json, weights, metadata, producerVersion: pkg.version };
  const outputs: { label: string; path: string; bytes: Uint8Array }[] = [
    { label: 'float', path: opts.outPath, bytes: convertLayersModel(input, { foldPadding }) },
  ];
  if (opts.int8Path) outputs.push({ label: opts.int8Scheme, path: opts.int8Path, bytes: convertLayersModel(input, { scheme: opts.int8Scheme, foldPadding }) });
  const updated = metadataWithPadSteps(await readFile(opts.metadataPath, 'utf8'), padSteps);
  if (updated !== null) {
    await writeFile(opts.metadataPath, updated);
    console.log(`updated ${show(opts.metadataPath)}: onnx.padSteps ${padSteps === undefined ? 'removed' : JSON.stringify(padSteps)}`);
  }
  for (const o of outputs) {
    await mkdir(dirname(o.path), { recursive: true });
    await writeFile(o.path, o.bytes);
    console.log(`wrote ${show(o.path)} (${o.label})`);
    console.log(`  size     ${o.bytes.length} bytes (${(o.bytes.length / 1024).toFixed(1)} KiB)`);
    console.log(`  sha256   ${sha256(o.bytes)}`);
  }
  const heads = metadata.families ? `, "${metadata.onnx.family ?? 'family'}" [batch, ${metadata.families.length}]` : '';
  console.log(`opset ${OPSET}, producer ${PRODUCER_NAME} ${pkg.version ?? ''}`.trimEnd());
  const inputs = padSteps
    ? `inputs "${metadata.onnx.input}" int32 [batch, length <= ${metadata.maxLength}], "${padSteps}" int32 [batch]`
    : `input "${metadata.onnx.input}" int32 [batch, ${metadata.maxLength}]`;
  console.log(`model ${metadata.id} ${metadata.version}; ${inputs}; outputs "${metadata.onnx.logit}", "${metadata.onnx.score}"${heads}`);
  if (!opts.check) return 0;
  let failed = false;

  const names = generateNames(opts.samples, opts.seed);
  const r = await checkAgainstTfjs(opts.modelDir, outputs[0]!.bytes, metadata, names);
  console.log(`float vs tfjs on ${r.count} generated names (seed ${opts.seed}):`);
  console.log(`  max |score diff| ${exp(r.maxScoreDiff)}  (worst: "${names[r.worst]}")`);
  console.log(`  max |logit diff| ${exp(r.maxLogitDiff)}`);
  if (r.maxFamilyDiff !== undefined) console.log(`  max |family probability diff| ${exp(r.maxFamilyDiff)}`);
  console.log(`  tfjs cpu ${r.tfjsMs.toFixed(0)} ms, onnxruntime-web ${r.ortMs.toFixed(0)} ms (incl. session creation)`);
  if (r.nonFinite || !(r.maxScoreDiff <= opts.tolerance) || !(r.maxLogitDiff <= opts.tolerance) || !((r.maxFamilyDiff ?? 0) <= opts.tolerance)) {
    console.error(`export-onnx: FAILED: the float ONNX output differs from tfjs by more than ${opts.tolerance}${r.nonFinite ? ' (non-finite values)' : ''}`);
    failed = true;
  } else {
    console.log(`  OK (tolerance ${opts.tolerance})`);
  }

  const many = generateNames(opts.int8Names, opts.seed + 1);
  const chars = createEncoder(metadata).encodeBatch(many);
  const web: ModelOutputs[] = [];
  for (const o of outputs) web.push(await scoreInBatches(await ortWebScorer(o.bytes, metadata), chars, many.length, metadata.maxLength));
  if (padSteps) {
    for (const [i, o] of outputs.entries()) {
      const f = await checkFolding(o.bytes, metadata, many, web[i]!);
      const worst = Math.max(f.maxScoreDiff, f.maxLogitDiff, f.maxFamilyDiff ?? 0);
      console.log(
        `folded padding (${o.label}): ${f.count} names in ${f.calls} calls of ${f.widths} widths vs full width: max |score diff| ${exp(f.maxScoreDiff)}, ` +
          `max |logit diff| ${exp(f.maxLogitDiff)}${f.maxFamilyDiff === undefined ? '' : `, max |family p diff| ${exp(f.maxFamilyDiff)}`}`,
      );
      if (f.nonFinite || !(worst <= opts.foldTolerance)) {
        console.error(`export-onnx: FAILED: the folded ${o.label} model differs from full-width input by more than ${opts.foldTolerance}`);
        failed = true;
      }
    }
  }
  if (opts.int8Path) {
    const q = compareOutputs(web[0]!, web[1]!, metadata.threshold);
    console.log(`int8 (${opts.int8Scheme}) vs float on ${q.count} generated names (seed ${opts.seed + 1}), onnxruntime-web:`);
    console.log(`  max |score diff| ${exp(q.maxScoreDiff)} (worst: "${many[q.worst]}"), mean ${exp(q.meanScoreDiff)}; max |logit diff| ${exp(q.maxLogitDiff)}`);
    console.log(`  same decision at threshold ${metadata.threshold}: ${(100 * q.sameDecision).toFixed(3)}% (${q.flips} of ${q.count} differ)`);
    if (q.maxFamilyDiff !== undefined) {
      console.log(`  max |family probability diff| ${exp(q.maxFamilyDiff)}; same top family ${(100 * q.familyArgmaxAgreement!).toFixed(2)}%`);
    }
    if (q.nonFinite || !(q.maxScoreDiff <= opts.int8Tolerance) || !(q.sameDecision >= opts.int8Agreement)) {
      console.error(
        `export-onnx: FAILED: the int8 model is outside its bounds (max |score diff| <= ${opts.int8Tolerance}, same decision >= ${100 * opts.int8Agreement}%)`,
      );
      failed = true;
    } else {
      console.log(`  OK (|score diff| <= ${opts.int8Tolerance}, same decision >= ${100 * opts.int8Agreement}%)`);
    }
  }
  const native = await checkOrtNode(
    outputs.map((o, i) => ({ label: o.label, bytes: o.bytes, web: web[i]! })),
    metadata,
    chars,
    many.length,
  );
  if (native === null) {
    console.log('onnxruntime-node: not installed, skipped');
  } else {
    for (const n of native) {
      console.log(`onnxruntime-node (${n.label}): loads and runs; max |score diff| vs onnxruntime-web ${exp(n.maxScoreDiff)}, decisions ${(100 * n.sameDecision).toFixed(3)}% equal`);
      if (n.nonFinite || !(n.maxScoreDiff <= opts.tolerance)) {
        console.error(`export-onnx: FAILED: onnxruntime-node and onnxruntime-web disagree on ${n.label} by more than ${opts.tolerance}`);
        failed = true;
      }
    }
  }
  return failed ? 1 : 0;
}

// A bad command line or missing input exits 2 with the usage; anything else (a failed check exits 1 from
// main) prints one line.
runScript('export-onnx', HELP, main, (err) => (err instanceof Error ? err.message : undefined));
