import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { planChunks } from '../../src/core/chunk-plan.js';
import { createClassifier, isClassificationError } from '../../src/core/classifier.js';
import { createEncoder, paddedRowLength } from '../../src/core/encode.js';
import { parseModelPrecision } from '../../src/config.js';
import { DEFAULT_MODEL_PATH, MODEL_PATHS, readMetadata, ortWasmPath, PROJECT_ROOT } from '../../src/runtime/node-model.js';
import type { ModelMetadata } from '../../src/core/metadata.js';
import { createOnnxScorer, scorerOptionsFrom } from '../../src/runtime/onnx-scorer.js';
import { parseModel, type onnx } from '../../scripts/lib/onnx-builder.js';
import { compareOutputs, scoreInBatches, tfjsReference, type ModelOutputs } from '../../scripts/lib/parity.js';
import { readLayersModelFiles } from '../../scripts/lib/tfjs-files.js';
import { loadLayersModelDir } from '../../scripts/lib/train-model.js';
import { setupWasmBackend } from '../../scripts/lib/tfjs-wasm-backend.js';
import { convertLayersModel, DEFAULT_INT8_SCHEME } from '../../scripts/lib/tfjs-to-onnx.js';
import { generateNames } from '../fixtures/names.js';
import { loadOrtNode, type OrtNode } from '../../scripts/lib/ort-node.js';

/**
 * Parity suite on the committed model (model/tfjs + model/metadata.json), over 10,000 generated real-looking
 * names (test/fixtures/names.ts; nothing from a domain list):
 *   - tfjs (wasm backend) vs the float ONNX export in onnxruntime-web: |score|, |family p| <= 1e-5 (|logit| <= 1e-4);
 *   - folded padding: names scored the way the classifier calls the model (length groups, each padded to its
 *     own longest label) vs full width: |score|, |logit|, |family p| <= 1e-6 for both files, and <= 1e-5 vs tfjs;
 *     the classifier over all names in one call returns those scores in input order;
 *   - int8 export vs float export: |score| <= 0.01 and the same decision at the metadata threshold on >= 99.9%;
 *   - model/dga.onnx and model/dga.int8.onnx are byte-identical to a fresh export (run `npm run export`);
 *   - both files load and agree in onnxruntime-node, when it is installed.
 */
const MODEL_DIR = join(PROJECT_ROOT, 'model', 'tfjs');
const FLOAT_PATH = join(PROJECT_ROOT, 'model', 'dga.onnx');
const INT8_PATH = join(PROJECT_ROOT, 'model', 'dga.int8.onnx');
const NAME_COUNT = 10_000;
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('committed model: tfjs vs float ONNX vs int8 ONNX', () => {
  let metadata: ModelMetadata;
  let names: string[];
  let chars: Int32Array;
  let floatBytes: Uint8Array;
  let int8Bytes: Uint8Array;
  let reference: ModelOutputs;
  let floatOut: ModelOutputs;
  let int8Out: ModelOutputs;
  const familyName = () => (metadata.families ? (metadata.onnx.family ?? 'family') : undefined);

  const ortWeb = async (bytes: Uint8Array) =>
    scoreInBatches(
      await createOnnxScorer({
        model: bytes,
        wasm: await readFile(ortWasmPath()),
        ...scorerOptionsFrom(metadata),
        familyName: familyName(),
      }),
      chars,
      names.length,
      metadata.maxLength,
    );
  /** The names in the classifier's calls (planChunks over their lengths), outputs back in input order. */
  const ortWebFolded = async (bytes: Uint8Array) => {
    const scorer = await ortWebScorer(bytes);
    const encoder = createEncoder(metadata);
    const chunks = planChunks(names.map((n) => Math.max(1, encoder.encodedLength(n))), 1024);
    const out: ModelOutputs = { scores: new Float32Array(names.length), logits: new Float32Array(names.length) };
    const K = metadata.families?.length ?? 0;
    if (K > 0) out.families = new Float32Array(names.length * K);
    for (const chunk of chunks) {
      const r = await scorer.score(encoder.encodeBatch(chunk.rows.map((i) => names[i]!), chunk.width), chunk.rows.length, chunk.width);
      chunk.rows.forEach((i, j) => {
        out.scores[i] = r.scores[j]!;
        out.logits[i] = r.logits[j]!;
        if (K > 0) out.families!.set(r.families!.subarray(j * K, (j + 1) * K), i * K);
      });
    }
    return { out, chunks };
  };
  const ortWebScorer = async (bytes: Uint8Array) =>
    createOnnxScorer({
      model: bytes,
      wasm: await readFile(ortWasmPath()),
      ...scorerOptionsFrom(metadata),
      familyName: familyName(),
    });

  beforeAll(async () => {
    metadata = await readMetadata();
    names = generateNames(NAME_COUNT, 20261128);
    chars = createEncoder(metadata).encodeBatch(names);
    const files = await readLayersModelFiles(MODEL_DIR);
    const pkg = JSON.parse(await readFile(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version?: string };
    const input = { modelJson: files.json, weights: files.weights, metadata, producerVersion: pkg.version };
    floatBytes = convertLayersModel(input);
    int8Bytes = convertLayersModel(input, { scheme: DEFAULT_INT8_SCHEME });

    // tfjs reference on the wasm backend (SIMD; the CPU backend needs minutes for 10k names).
    await setupWasmBackend();
    const model = await loadLayersModelDir(MODEL_DIR); // registers the bigram branch's custom layers
    const t0 = performance.now();
    reference = tfjsReference(tf, model, chars, names.length, metadata.maxLength, 2000, metadata.architecture.scoreFrom);
    console.info(`tfjs (${tf.getBackend()}) reference for ${names.length} names: ${(performance.now() - t0).toFixed(0)} ms`);
    model.dispose();
    floatOut = await ortWeb(floatBytes);
    int8Out = await ortWeb(int8Bytes);
  });

  it('float ONNX matches tfjs: |score| <= 1e-5, |family p| <= 5e-5, |logit| <= 1e-4', () => {
    const c = compareOutputs(reference, floatOut, metadata.threshold);
    console.info(
      `tfjs vs float ONNX over ${c.count} names: max |score diff| ${c.maxScoreDiff.toExponential(2)}, max |logit diff| ${c.maxLogitDiff.toExponential(2)} ` +
        `(relative to max(1, |logit|): ${c.maxLogitRelDiff.toExponential(2)})` +
        (c.maxFamilyDiff === undefined ? '' : `, max |family p diff| ${c.maxFamilyDiff.toExponential(2)}`) +
        `; decisions ${(100 * c.sameDecision).toFixed(3)}% equal`,
    );
    expect(c.nonFinite).toBe(false);
    expect(c.maxScoreDiff).toBeLessThanOrEqual(1e-5);
    // The score bound is the contract. Near logit 0 the sigmoid's slope is 1/4, so the same float32 rounding
    // (tfjs and onnxruntime sum and approximate sigmoid/tanh differently, over 40 steps) shows up ~4x larger
    // in the logit: the committed model measured 2.7e-5 there (score 6.7e-6).
    expect(c.maxLogitDiff).toBeLessThanOrEqual(1e-4);
    // The family probabilities come out of a 34-way softmax over logits that carry the same rounding: with
    // the trigram table (one more add per step) 2026.11.29-1 measured 1.6e-5 here, 2026.11.29-2 8.8e-6, 2026.11.29-3 6.7e-6, 2026.11.29-4 4.2e-6
    // (2026.11.28-6: under 1e-5), their scores within 2e-6. A wrong row or op moves them by 1e-2 and more.
    if (c.maxFamilyDiff !== undefined) expect(c.maxFamilyDiff).toBeLessThanOrEqual(5e-5);
  });

  it('folded padding: length groups at their own width give the full-width outputs within 1e-6 (float and int8), and tfjs as above', async () => {
    expect(metadata.onnx.padSteps, 'model/metadata.json has no onnx.padSteps: run `npm run export`').toBe('pad_steps');
    for (const [label, bytes, full] of [
      ['float', floatBytes, floatOut],
      ['int8', int8Bytes, int8Out],
    ] as const) {
      const { out, chunks } = await ortWebFolded(bytes);
      const widths = chunks.map((c) => c.width);
      expect(Math.min(...widths)).toBeLessThan(10);
      expect(chunks.reduce((n, c) => n + c.rows.length, 0)).toBe(names.length);
      const c = compareOutputs(full, out, metadata.threshold);
      const steps = chunks.reduce((n, ch) => n + ch.rows.length * ch.width, 0);
      console.info(
        `${label} ONNX, folded (${chunks.length} calls, widths ${Math.min(...widths)}-${Math.max(...widths)}, ${((100 * steps) / (names.length * metadata.maxLength)).toFixed(1)}% of the full-width steps) ` +
          `vs full width over ${c.count} names: max |score diff| ${c.maxScoreDiff.toExponential(2)}, max |logit diff| ${c.maxLogitDiff.toExponential(2)}` +
          (c.maxFamilyDiff === undefined ? '' : `, max |family p diff| ${c.maxFamilyDiff.toExponential(2)}`),
      );
      expect(c.nonFinite).toBe(false);
      expect(c.maxScoreDiff).toBeLessThanOrEqual(1e-6);
      expect(c.maxLogitDiff).toBeLessThanOrEqual(1e-6);
      if (c.maxFamilyDiff !== undefined) expect(c.maxFamilyDiff).toBeLessThanOrEqual(1e-6);
      if (label === 'float') {
        const t = compareOutputs(reference, out, metadata.threshold);
        console.info(`tfjs vs folded float ONNX: max |score diff| ${t.maxScoreDiff.toExponential(2)}, max |logit diff| ${t.maxLogitDiff.toExponential(2)}`);
        expect(t.maxScoreDiff).toBeLessThanOrEqual(1e-5);
        expect(t.maxLogitDiff).toBeLessThanOrEqual(1e-4);
        if (t.maxFamilyDiff !== undefined) expect(t.maxFamilyDiff).toBeLessThanOrEqual(5e-5);
      }
    }
  });

  it('the classifier scores a mixed-length batch in one call and maps every score back to its input', async () => {
    const classifier = createClassifier({ metadata, scorer: await ortWebScorer(floatBytes), cacheSize: 0 });
    const domains = names.map((n, i) => (i % 3 === 0 ? `www.${n}.com` : `${n}.net`));
    const timings = { modelMs: 0, totalMs: 0, modelRows: 0 };
    const results = await classifier.classify(domains, { logit: true, timings });
    expect(results).toHaveLength(names.length);
    let compared = 0;
    let worst = 0;
    results.forEach((r, i) => {
      if (isClassificationError(r)) return;
      expect(r.domain).toBe(domains[i]);
      if (r.scored !== names[i]) return;
      compared++;
      worst = Math.max(worst, Math.abs(r.score - floatOut.scores[i]!), Math.abs(r.logit! - floatOut.logits[i]!));
    });
    console.info(`classifier over ${names.length} names in one call: ${compared} compared with full-width scores, max |diff| ${worst.toExponential(2)}; ${timings.modelRows} rows scored in ${timings.modelMs.toFixed(0)} ms`);
    expect(compared).toBeGreaterThan(0.8 * names.length);
    expect(worst).toBeLessThanOrEqual(1e-6);
  });

  // Issue 4's target for int8: |score diff| <= 0.01 and >= 99.9% same decisions. Plain rounding of the
  // float-trained model missed it (0.068, 99.79%: the model is steep around its threshold); the shipped
  // model is trained quantization-aware (scripts/lib/fake-quantize.ts), so int8 meets it and serves.
  const INT8_TARGET = { maxScoreDiff: 0.01, sameDecision: 0.999 };

  it('int8 ONNX meets the target against the float model (|score diff| <= 0.01, >= 99.9% same decisions)', () => {
    const c = compareOutputs(floatOut, int8Out, metadata.threshold);
    console.info(
      `int8 (${DEFAULT_INT8_SCHEME}) vs float over ${c.count} names: max |score diff| ${c.maxScoreDiff.toExponential(3)} ("${names[c.worst]}"), ` +
        `mean ${c.meanScoreDiff.toExponential(2)}, max |logit diff| ${c.maxLogitDiff.toExponential(2)}; same decision at ${metadata.threshold}: ` +
        `${(100 * c.sameDecision).toFixed(3)}% (${c.flips} differ)` +
        (c.maxFamilyDiff === undefined ? '' : `; max |family p diff| ${c.maxFamilyDiff.toExponential(2)}, same top family ${(100 * c.familyArgmaxAgreement!).toFixed(2)}%`) +
        `; ${int8Bytes.length} vs ${floatBytes.length} bytes`,
    );
    expect(c.nonFinite).toBe(false);
    expect(c.maxScoreDiff).toBeLessThanOrEqual(INT8_TARGET.maxScoreDiff);
    expect(c.sameDecision).toBeGreaterThanOrEqual(INT8_TARGET.sameDecision);
    if (c.familyArgmaxAgreement !== undefined) expect(c.familyArgmaxAgreement).toBeGreaterThanOrEqual(0.99);
  });

  it('serves int8 by default only when int8 meets the target accuracy', async () => {
    const c = compareOutputs(floatOut, int8Out, metadata.threshold);
    const meetsTarget = c.maxScoreDiff <= INT8_TARGET.maxScoreDiff && c.sameDecision >= INT8_TARGET.sameDecision;
    const toml = await readFile(join(PROJECT_ROOT, 'wrangler.toml'), 'utf8');
    const workerDefault = /^MODEL_PRECISION\s*=\s*"(\w+)"/m.exec(toml)?.[1];
    expect(workerDefault).toBe(meetsTarget ? 'int8' : 'float');
    expect(parseModelPrecision(undefined)).toBe(workerDefault);
    expect(DEFAULT_MODEL_PATH).toBe(MODEL_PATHS[workerDefault as 'int8' | 'float']);
  });

  it('records opset, producer and the model facts in both files', () => {
    for (const bytes of [floatBytes, int8Bytes]) {
      const m = parseModel(bytes);
      expect(m.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 17]]);
      expect(m.producerName).toBe('dga-edge-export');
      expect(m.producerVersion).toMatch(/^\d+\.\d+\.\d+/);
      const props = Object.fromEntries(m.metadataProps.map((p) => [p.key, p.value]));
      expect(props['dga.maxLength']).toBe(String(metadata.maxLength));
      expect(props['dga.vocabulary']).toBe(metadata.vocabulary);
      const outputs = (m.graph as onnx.GraphProto).output.map((o) => o.name);
      expect(outputs).toEqual([metadata.onnx.logit, metadata.onnx.score, ...(familyName() ? [familyName()] : [])]);
    }
    // The float pad-state tables (2 x (maxLength + 1) x units float32) are the same in both files.
    const tables = metadata.onnx.padSteps ? 2 * (metadata.maxLength + 1) * metadata.architecture.units * 4 : 0;
    expect(int8Bytes.length - tables).toBeLessThan((floatBytes.length - tables) / 2.5);
  });

  it('the committed model/dga.onnx and model/dga.int8.onnx are what the exporter writes today (npm run export)', async () => {
    expect(existsSync(FLOAT_PATH), 'model/dga.onnx is missing').toBe(true);
    expect(existsSync(INT8_PATH), 'model/dga.int8.onnx is missing: run `npm run export`').toBe(true);
    expect(sha256(await readFile(FLOAT_PATH)), 'model/dga.onnx is stale: run `npm run export`').toBe(sha256(floatBytes));
    expect(sha256(await readFile(INT8_PATH)), 'model/dga.int8.onnx is stale: run `npm run export`').toBe(sha256(int8Bytes));
  });

  it('both files load and agree in onnxruntime-node (native CPU), when installed', async (ctx) => {
    const ortNode = await loadOrtNode();
    if (!ortNode) {
      ctx.skip(); // optional dependency not installed (see scripts/lib/ort-node.ts)
      return;
    }
    const T = metadata.maxLength;
    const count = 2000;
    for (const [bytes, web] of [
      [floatBytes, floatOut],
      [int8Bytes, int8Out],
    ] as const) {
      const session = await ortNode.InferenceSession.create(bytes);
      // A masked model's graph takes rows of one length per call: then each row alone, at its own width
      // (which also exercises the folded padding natively); otherwise all rows at full width in one call.
      const oneLength = metadata.architecture.maskPadding === true;
      const K0 = metadata.families?.length ?? 0;
      const native: ModelOutputs = { scores: new Float32Array(count), logits: new Float32Array(count), families: familyName() ? new Float32Array(count * K0) : undefined };
      for (let start = 0; start < count; start += oneLength ? 1 : count) {
        const n = oneLength ? 1 : count;
        const width = oneLength ? Math.max(1, paddedRowLength(chars, start, T)) : T;
        const rows = chars.slice(start * T, (start + n) * T).slice(T * n - n * width);
        const feeds: Record<string, InstanceType<OrtNode['Tensor']>> = { [metadata.onnx.input]: new ortNode.Tensor('int32', oneLength ? rows : chars.slice(0, count * T), [n, width]) };
        if (metadata.onnx.padSteps) feeds[metadata.onnx.padSteps] = new ortNode.Tensor('int32', new Int32Array(n).fill(T - width), [n]);
        const r = await session.run(feeds);
        native.scores.set(r[metadata.onnx.score]!.data as Float32Array, start);
        native.logits.set(r[metadata.onnx.logit]!.data as Float32Array, start);
        if (native.families) native.families.set(r[familyName()!]!.data as Float32Array, start * K0);
      }
      const K = metadata.families?.length ?? 0;
      const webPart: ModelOutputs = {
        scores: web.scores.subarray(0, count),
        logits: web.logits.subarray(0, count),
        families: web.families?.subarray(0, count * K),
      };
      const c = compareOutputs(webPart, native, metadata.threshold);
      expect(c.maxScoreDiff).toBeLessThanOrEqual(1e-5);
      expect(c.maxLogitDiff).toBeLessThanOrEqual(1e-4);
      if (metadata.onnx.padSteps && !oneLength) {
        // Folded in the native runtime too: the first names at the width of their longest.
        const encoder = createEncoder(metadata);
        const some = names.slice(0, 200);
        const width = Math.max(...some.map((n) => encoder.encodedLength(n)));
        const short = some.filter((n) => n.length <= 12);
        const w = Math.max(...short.map((n) => n.length));
        const folded = await session.run({
          [metadata.onnx.input]: new ortNode.Tensor('int32', encoder.encodeBatch(short, w), [short.length, w]),
          [metadata.onnx.padSteps]: new ortNode.Tensor('int32', new Int32Array(short.length).fill(T - w), [short.length]),
        });
        const scores = folded[metadata.onnx.score]!.data as Float32Array;
        const index = short.map((n) => some.indexOf(n));
        const diff = Math.max(...index.map((i, j) => Math.abs(scores[j]! - web.scores[i]!)));
        expect(width).toBeGreaterThan(w);
        expect(diff).toBeLessThanOrEqual(1e-5);
      }
      await session.release();
    }
  });
});
