import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEncoder, DEFAULT_VOCABULARY } from '../../src/core/encode.js';
import { createOnnxScorer } from '../../src/runtime/onnx-scorer.js';
import { makeGraph, makeNode, makeTensor, makeValueInfo, parseModel, tensorValues, type onnx } from '../../scripts/lib/onnx-builder.js';
import { fileSaveHandler, readLayersModelFiles, type LayersModelJson } from '../../scripts/lib/tfjs-files.js';
import { convertLayersModel, kerasBiasToOnnx, kerasKernelToOnnx, padStepsInputOf, rowsOfOneLengthOf, type BuildOptions } from '../../scripts/lib/tfjs-to-onnx.js';
import { ortWasmPath } from '../../src/runtime/node-model.js';
import { tfjsReference } from '../../scripts/lib/parity.js';
import { createRng as prng } from '../../scripts/lib/seeded-random.js';
import { snapModelToInt8Grid } from '../../scripts/lib/fake-quantize.js';
import { createFamilyModel } from '../../scripts/lib/train-model.js';
import { artifactsOf, buildTinyFunctional, setSeededWeights, TINY, TINY_FAMILIES } from '../fixtures/tiny-models.js';

// A tiny model with the trainer's four layers: V = 37 characters + padding, E = 8, U = 16, 20 steps.
const { V, E, U, T: MAX_LENGTH } = TINY;
const SEED = 20261127;

function buildModel(options: { recurrentActivation?: string } = {}): tf.Sequential {
  const model = tf.sequential();
  model.add(tf.layers.embedding({ name: 'embedding', inputDim: V, outputDim: E, inputLength: MAX_LENGTH }));
  model.add(
    tf.layers.lstm({
      name: 'lstm',
      units: U,
      ...(options.recurrentActivation === undefined ? {} : { recurrentActivation: options.recurrentActivation as 'sigmoid' }),
    }),
  );
  model.add(tf.layers.dropout({ name: 'dropout', rate: 0.25 }));
  model.add(tf.layers.dense({ name: 'score', units: 1, activation: 'sigmoid' }));
  return model;
}

/** Random labels over the vocabulary, lengths 0..28 (longer than MAX_LENGTH ones get truncated). */
function randomNames(count: number, seed: number): string[] {
  const rand = prng(seed);
  return Array.from({ length: count }, () => {
    const length = Math.floor(rand() * 29);
    let s = '';
    for (let i = 0; i < length; i++) s += DEFAULT_VOCABULARY[Math.floor(rand() * DEFAULT_VOCABULARY.length)];
    return s;
  });
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const metadata = { vocabulary: DEFAULT_VOCABULARY, maxLength: MAX_LENGTH, onnx: { input: 'chars', score: 'score', logit: 'logit' } };

describe('tfjs LayersModel -> ONNX exporter', () => {
  let dir: string;
  let model: tf.Sequential;
  let files: { json: LayersModelJson; weights: Uint8Array };
  let onnxBytes: Uint8Array;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    model = buildModel({ recurrentActivation: 'sigmoid' });
    setSeededWeights(model, SEED);
    dir = await mkdtemp(join(tmpdir(), 'dga-export-'));
    await model.save(fileSaveHandler(dir));
    files = await readLayersModelFiles(dir);
    onnxBytes = convertLayersModel({ modelJson: files.json, weights: files.weights, metadata });
  });

  afterAll(async () => {
    model?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('saves the weights under the names the exporter looks for', () => {
    const names = files.json.weightsManifest.flatMap((g) => g.weights.map((w) => w.name));
    expect(names).toEqual(['embedding/embeddings', 'lstm/kernel', 'lstm/recurrent_kernel', 'lstm/bias', 'score/kernel', 'score/bias']);
  });

  it('writes the graph contract: chars int32 [batch, length], pad_steps int32 [batch] -> logit, score float32 [batch]; opset 17', () => {
    const m = parseModel(onnxBytes);
    expect(m.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 17]]);
    expect(Number(m.irVersion)).toBe(8);
    expect(m.producerName).toBe('dga-edge-export');
    expect(m.producerVersion).toMatch(/^\d+\.\d+\.\d+$/);
    expect(m.docString).toContain('LSTM 16 units');
    // Decoded messages are class instances: repeated fields are arrays, scalars have their defaults.
    const g = m.graph as onnx.GraphProto;
    const shapeOf = (v: onnx.IValueInfoProto) => v.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue));
    expect(g.input.map((i) => [i.name, i.type!.tensorType!.elemType, shapeOf(i)])).toEqual([
      ['chars', 6, ['batch', 'length']],
      ['pad_steps', 6, ['batch']],
    ]);
    expect(g.output.map((o) => [o.name, o.type!.tensorType!.elemType, shapeOf(o)])).toEqual([
      ['logit', 1, ['batch']],
      ['score', 1, ['batch']],
    ]);
    expect(g.node.map((n) => n.opType)).toEqual(['Gather', 'Transpose', 'Gather', 'Unsqueeze', 'Gather', 'Unsqueeze', 'LSTM', 'Reshape', 'MatMul', 'Add', 'Reshape', 'Sigmoid']);
    const lstm = g.node.find((n) => n.opType === 'LSTM') as onnx.NodeProto;
    // No sequence_lens; the initial state is the state after pad_steps pad steps, looked up in the tables.
    expect(lstm.input).toEqual(['embedded_tnc', 'lstm.W', 'lstm.R', 'lstm.B', '', 'lstm.initial_h', 'lstm.initial_c']);
    expect(g.node.filter((n) => n.opType === 'Gather').map((n) => n.input)).toEqual([
      ['embedding.weight', 'chars'],
      ['lstm.pad_state_h', 'pad_steps'],
      ['lstm.pad_state_c', 'pad_steps'],
    ]);
    const props = Object.fromEntries(m.metadataProps.map((p) => [p.key, p.value]));
    expect(props['dga.padSteps']).toBe('pad_steps');
    const attrs = Object.fromEntries(
      (lstm.attribute as onnx.AttributeProto[]).map((a) => [a.name, a.strings.length ? a.strings.map((s) => Buffer.from(s).toString()) : a.s.length ? Buffer.from(a.s).toString() : Number(a.i)]),
    );
    expect(attrs).toEqual({ activations: ['Sigmoid', 'Tanh', 'Tanh'], direction: 'forward', hidden_size: U });
    const dims = Object.fromEntries(g.initializer.map((t) => [t.name, t.dims!.map(Number)]));
    expect(dims['lstm.W']).toEqual([1, 4 * U, E]);
    expect(dims['lstm.R']).toEqual([1, 4 * U, U]);
    expect(dims['lstm.B']).toEqual([1, 8 * U]);
    expect(dims['embedding.weight']).toEqual([V, E]);
    expect(dims['lstm.pad_state_h']).toEqual([MAX_LENGTH + 1, U]);
    expect(dims['lstm.pad_state_c']).toEqual([MAX_LENGTH + 1, U]);
  });

  it('writes the old full-width graph with foldPadding: false, and refuses to fold schemes that cannot', () => {
    const g = parseModel(convertLayersModel({ modelJson: files.json, weights: files.weights, metadata }, { foldPadding: false })).graph as onnx.GraphProto;
    expect(g.input.map((i) => [i.name, i.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue))])).toEqual([['chars', ['batch', MAX_LENGTH]]]);
    expect((g.node.find((n) => n.opType === 'LSTM') as onnx.NodeProto).input).toEqual(['embedded_tnc', 'lstm.W', 'lstm.R', 'lstm.B']);
    expect(padStepsInputOf(onnxBytes)).toBe('pad_steps');
    expect(padStepsInputOf(convertLayersModel({ modelJson: files.json, weights: files.weights, metadata }, { scheme: 'int8-mmi' }))).toBeUndefined();
    expect(() => convertLayersModel({ modelJson: files.json, weights: files.weights, metadata }, { scheme: 'int8-dqlstm', foldPadding: true })).toThrow(
      /int8-dqlstm cannot fold padding/,
    );
  });

  it('pad-state tables: row 0 is zero and row k is k LSTM steps on the padding embedding (JS reference, float64)', () => {
    const g = parseModel(onnxBytes).graph as onnx.GraphProto;
    const table = (name: string) => tensorValues(g.initializer.find((t) => t.name === name)!) as Float32Array;
    const H = table('lstm.pad_state_h');
    const C = table('lstm.pad_state_c');
    const W = table('lstm.W');
    const R = table('lstm.R');
    const B = table('lstm.B');
    const x = table('embedding.weight').subarray(0, E);
    const sig = (v: number) => 1 / (1 + Math.exp(-v));
    let h = new Float64Array(U);
    let c = new Float64Array(U);
    expect([...H.subarray(0, U), ...C.subarray(0, U)].every((v) => v === 0)).toBe(true);
    let worst = 0;
    for (let k = 1; k <= MAX_LENGTH; k++) {
      const z = Float64Array.from({ length: 4 * U }, (_, j) => {
        let acc = B[j]! + B[4 * U + j]!;
        for (let e = 0; e < E; e++) acc += x[e]! * W[j * E + e]!;
        for (let u = 0; u < U; u++) acc += h[u]! * R[j * U + u]!;
        return acc;
      });
      // ONNX gate blocks i, o, f, c.
      c = c.map((prev, u) => sig(z[2 * U + u]!) * prev + sig(z[u]!) * Math.tanh(z[3 * U + u]!));
      h = c.map((cell, u) => sig(z[U + u]!) * Math.tanh(cell));
      for (let u = 0; u < U; u++) worst = Math.max(worst, Math.abs(H[k * U + u]! - h[u]!), Math.abs(C[k * U + u]! - c[u]!));
    }
    expect(worst).toBeLessThan(1e-5);
  });

  it('reorders Keras gates i,f,c,o to ONNX i,o,f,c and transposes kernels', () => {
    // Keras kernel [in=2, 4U] with U=1: column j holds gate j (i,f,c,o) -> value 10*gate + input.
    const kernel = Float32Array.from([0, 10, 20, 30, 1, 11, 21, 31]);
    expect([...kerasKernelToOnnx(kernel, 2, 1)]).toEqual([0, 1, 30, 31, 10, 11, 20, 21]);
    expect([...kerasBiasToOnnx(Float32Array.from([1, 2, 3, 4]), 1)]).toEqual([1, 4, 2, 3, 0, 0, 0, 0]);
  });

  it('agrees with tfjs model.predict within 1e-5 on 2400 random names (scores and logits)', async () => {
    const encoder = createEncoder({ vocabulary: DEFAULT_VOCABULARY, maxLength: MAX_LENGTH });
    const names = [...randomNames(2400, SEED + 1), '', 'a', 'google', 'xjw9k2qz0v-b7m1lq3pt8rf', '-'.repeat(20)];
    const chars = encoder.encodeBatch(names);

    let t0 = performance.now();
    const expected = tf.tidy(() => {
      const x = tf.tensor2d(chars, [names.length, MAX_LENGTH], 'int32');
      // The model's own layers, with the LSTM's last hidden state as a second output (one pass computes both):
      // score is what model.predict returns; the logit is that hidden state through the dense layer without
      // its sigmoid.
      const both = tf.model({ inputs: model.inputs, outputs: [model.outputs[0]!, model.getLayer('lstm').output as tf.SymbolicTensor] });
      const [score, hidden] = both.predict(x) as [tf.Tensor, tf.Tensor];
      const [kernel, bias] = model.getLayer('score').getWeights() as [tf.Tensor, tf.Tensor];
      const logit = tf.add(tf.matMul(hidden, kernel), bias);
      return { score: score.dataSync() as Float32Array, logit: logit.dataSync() as Float32Array };
    });

    const tfjsMs = performance.now() - t0;
    t0 = performance.now();
    const scorer = await createOnnxScorer({ model: onnxBytes, wasm: await readFile(ortWasmPath()), maxLength: MAX_LENGTH, padStepsName: 'pad_steps' });
    const actual = await scorer.score(chars, names.length);
    const ortMs = performance.now() - t0;
    expect(actual.scores.length).toBe(names.length);

    let maxScoreDiff = 0;
    let maxLogitDiff = 0;
    for (let i = 0; i < names.length; i++) {
      maxScoreDiff = Math.max(maxScoreDiff, Math.abs(actual.scores[i]! - expected.score[i]!));
      maxLogitDiff = Math.max(maxLogitDiff, Math.abs(actual.logits[i]! - expected.logit[i]!));
    }
    // The weights must make a non-trivial model: scores spread out, nothing saturated.
    const sorted = [...expected.score].sort((a, b) => a - b);
    const q = (p: number) => sorted[Math.floor(p * (sorted.length - 1))]!;
    console.info(
      `export parity over ${names.length} names: max |score diff| ${maxScoreDiff.toExponential(2)}, max |logit diff| ${maxLogitDiff.toExponential(2)}; ` +
        `score 5/50/95%: ${q(0.05).toFixed(3)} ${q(0.5).toFixed(3)} ${q(0.95).toFixed(3)}; ${onnxBytes.length} bytes, sha256 ${sha256(onnxBytes)}; tfjs ${tfjsMs.toFixed(0)} ms, ORT ${ortMs.toFixed(0)} ms`,
    );
    expect(q(0.95) - q(0.05)).toBeGreaterThan(0.3);
    expect(maxScoreDiff).toBeLessThan(1e-5);
    expect(maxLogitDiff).toBeLessThan(1e-5);
  }, 60_000);

  it('gives identical bytes for the same input', async () => {
    const again = await readLayersModelFiles(dir);
    const second = convertLayersModel({ modelJson: structuredClone(again.json), weights: again.weights, metadata: { ...metadata } });
    expect(sha256(second)).toBe(sha256(onnxBytes));
    expect(second.length).toBe(onnxBytes.length);
  });

  it('takes maxLength from the model when metadata has none, and rejects a mismatch', () => {
    const bytes = convertLayersModel({ modelJson: files.json, weights: files.weights });
    const g = parseModel(bytes).graph as onnx.GraphProto;
    expect(g.initializer.find((t) => t.name === 'lstm.pad_state_h')!.dims!.map(Number)).toEqual([MAX_LENGTH + 1, U]);
    const full = parseModel(convertLayersModel({ modelJson: files.json, weights: files.weights }, { foldPadding: false })).graph as onnx.GraphProto;
    expect(Number(full.input[0]!.type!.tensorType!.shape!.dim![1]!.dimValue)).toBe(MAX_LENGTH);
    expect(() => convertLayersModel({ modelJson: files.json, weights: files.weights, metadata: { maxLength: 30 } })).toThrow(
      /maxLength 30 disagrees with the model's input length 20/,
    );
    expect(() =>
      convertLayersModel({ modelJson: files.json, weights: files.weights, metadata: { architecture: { units: 32 } } }),
    ).toThrow(/architecture\.units 32 disagrees/);
  });

  describe('rejects what it cannot export, naming the layer and option', () => {
    const mutate = (edit: (layers: { class_name: string; config: Record<string, unknown> }[]) => void) => {
      const json = structuredClone(files.json);
      const layers = (json.modelTopology.config as { layers: { class_name: string; config: Record<string, unknown> }[] }).layers;
      edit(layers);
      return () => convertLayersModel({ modelJson: json, weights: files.weights, metadata });
    };

    it('hardSigmoid recurrent activation (the tfjs default)', async () => {
      const m = buildModel(); // no recurrentActivation: tfjs uses hardSigmoid
      const a = await artifactsOf(m);
      m.dispose();
      expect(() => convertLayersModel({ modelJson: a.json, weights: a.weights, metadata })).toThrow(
        /LSTM layer "lstm": recurrent_activation="hard_sigmoid"/,
      );
    });

    it('returnSequences true', () => {
      expect(mutate((l) => (l[1]!.config.return_sequences = true))).toThrow(/LSTM layer "lstm": return_sequences=true/);
    });

    it('go_backwards, stateful, other activations', () => {
      expect(mutate((l) => (l[1]!.config.go_backwards = true))).toThrow(/LSTM layer "lstm": go_backwards/);
      expect(mutate((l) => (l[1]!.config.stateful = true))).toThrow(/LSTM layer "lstm": stateful/);
      expect(mutate((l) => (l[1]!.config.activation = 'relu'))).toThrow(/LSTM layer "lstm": activation="relu"/);
      expect(mutate((l) => (l[3]!.config.activation = 'linear'))).toThrow(/Dense layer "score": activation="linear"/);
    });

    it('an unknown layer class', () => {
      expect(mutate((l) => l.splice(2, 0, { class_name: 'BatchNormalization', config: { name: 'bn' } }))).toThrow(
        /BatchNormalization layer "bn": layer class BatchNormalization/,
      );
      expect(mutate((l) => (l[1]!.class_name = 'GRU'))).toThrow(/GRU layer "lstm"/);
      expect(mutate((l) => (l[1] = { class_name: 'Bidirectional', config: { name: 'bidi' } }))).toThrow(/Bidirectional layer "bidi": wraps null \(only an LSTM\)/);
    });

    it('weights that do not match the manifest', () => {
      expect(() => convertLayersModel({ modelJson: files.json, weights: files.weights.subarray(0, 100), metadata })).toThrow(
        /weights data too short/,
      );
    });
  });
});

// The trainer's functional two-head model: chars -> embedding -> lstm -> dropout -> { score, family }.
const K = 6;
const FAMILIES = ['benign', 'alpha', 'beta', 'gamma', 'delta', 'other'];

/** Runs an ONNX model in onnxruntime-web through the Worker's adapter (family output included). */
async function runOnnx(bytes: Uint8Array, chars: Int32Array, count: number, familyName?: string, width: number = MAX_LENGTH) {
  const scorer = await createOnnxScorer({ model: bytes, wasm: await readFile(ortWasmPath()), maxLength: MAX_LENGTH, familyName, padStepsName: padStepsInputOf(bytes), rowsOfOneLength: rowsOfOneLengthOf(bytes) });
  return scorer.score(chars, count, width);
}

type FunctionalLayer = { name: string; class_name: string; config: Record<string, unknown>; inbound_nodes: unknown[] };

describe('functional two-head model (score + family) -> ONNX', () => {
  let model: tf.LayersModel;
  let files: { json: LayersModelJson; weights: Uint8Array };
  let onnxBytes: Uint8Array;
  const meta = { ...metadata, families: FAMILIES, onnx: { ...metadata.onnx, family: 'family' } };

  beforeAll(async () => {
    await tf.setBackend('cpu');
    model = buildTinyFunctional();
    setSeededWeights(model, SEED + 7);
    files = await artifactsOf(model);
    onnxBytes = convertLayersModel({ modelJson: files.json, weights: files.weights, metadata: meta });
  });
  afterAll(() => model?.dispose());

  it('is serialised by tfjs 4.22 as class "Model" with inbound_nodes', () => {
    expect(files.json.modelTopology.class_name).toBe('Model');
    const names = files.json.weightsManifest.flatMap((g) => g.weights.map((w) => w.name));
    expect(names).toEqual([
      'embedding/embeddings', 'lstm/kernel', 'lstm/recurrent_kernel', 'lstm/bias', 'score/kernel', 'score/bias', 'family/kernel', 'family/bias',
    ]);
  });

  it('adds a family output float32 [batch, K] = Softmax(MatMul(h, W) + b) and records the family names', () => {
    const m = parseModel(onnxBytes);
    const g = m.graph as onnx.GraphProto;
    const shapeOf = (v: onnx.IValueInfoProto) => v.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue));
    expect(g.output.map((o) => [o.name, shapeOf(o)])).toEqual([
      ['logit', ['batch']],
      ['score', ['batch']],
      ['family', ['batch', K]],
    ]);
    expect(g.node.slice(-3).map((n) => n.opType)).toEqual(['MatMul', 'Add', 'Softmax']);
    const softmax = g.node.at(-1) as onnx.NodeProto;
    expect(Number(softmax.attribute[0]!.i)).toBe(-1);
    const props = Object.fromEntries(m.metadataProps.map((p) => [p.key, p.value]));
    expect(JSON.parse(props['dga.families']!)).toEqual(FAMILIES);
    expect(m.docString).toContain(`${K}-class dense + softmax family head`);
  });

  it('agrees with tfjs within 1e-5 on 2400 names: score, logit and every family probability', async () => {
    const encoder = createEncoder({ vocabulary: DEFAULT_VOCABULARY, maxLength: MAX_LENGTH });
    const names = [...randomNames(2400, SEED + 3), '', 'a', 'google', 'xjw9k2qz0v-b7m1lq3pt8rf'];
    const chars = encoder.encodeBatch(names);
    const expected = tf.tidy(() => {
      const x = tf.tensor2d(chars, [names.length, MAX_LENGTH], 'int32');
      const withHidden = tf.model({ inputs: model.inputs, outputs: [...model.outputs, model.getLayer('lstm').output as tf.SymbolicTensor] });
      const [score, family, hidden] = withHidden.predict(x) as tf.Tensor[];
      const [kernel, bias] = model.getLayer('score').getWeights() as [tf.Tensor, tf.Tensor];
      return {
        score: score!.dataSync() as Float32Array,
        family: family!.dataSync() as Float32Array,
        logit: tf.add(tf.matMul(hidden!, kernel), bias).dataSync() as Float32Array,
      };
    });
    const actual = await runOnnx(onnxBytes, chars, names.length, 'family');
    expect(actual.families?.length).toBe(names.length * K);
    let scoreDiff = 0;
    let logitDiff = 0;
    let familyDiff = 0;
    for (let i = 0; i < names.length; i++) {
      scoreDiff = Math.max(scoreDiff, Math.abs(actual.scores[i]! - expected.score[i]!));
      logitDiff = Math.max(logitDiff, Math.abs(actual.logits[i]! - expected.logit[i]!));
    }
    for (let i = 0; i < names.length * K; i++) familyDiff = Math.max(familyDiff, Math.abs(actual.families![i]! - expected.family[i]!));
    // Non-trivial head: the arg-max class varies across names.
    const argmax = new Set(names.map((_, i) => { const row = [...expected.family.subarray(i * K, i * K + K)]; return row.indexOf(Math.max(...row)); }));
    console.info(`family-head parity over ${names.length} names: |score| ${scoreDiff.toExponential(2)}, |logit| ${logitDiff.toExponential(2)}, |family p| ${familyDiff.toExponential(2)}; ${argmax.size} arg-max classes`);
    expect(argmax.size).toBeGreaterThanOrEqual(3);
    expect(scoreDiff).toBeLessThan(1e-5);
    expect(logitDiff).toBeLessThan(1e-5);
    expect(familyDiff).toBeLessThan(1e-5);
  }, 60_000);

  it('scoreFrom "family": logit = logsumexp(family logits of the malware classes) - benign logit, as tfjs computes it (float and int8)', async () => {
    const fromFamily = { ...meta, architecture: { scoreFrom: 'family' as const } };
    const floatBytes = convertLayersModel({ modelJson: files.json, weights: files.weights, metadata: fromFamily });
    const int8Bytes = convertLayersModel({ modelJson: files.json, weights: files.weights, metadata: fromFamily }, { scheme: 'int8-weights' });
    const g = parseModel(floatBytes).graph as onnx.GraphProto;
    expect(g.node.map((n) => n.opType)).toEqual(expect.arrayContaining(['ReduceLogSumExp', 'Gather', 'Slice', 'Sub']));
    expect(g.initializer.some((t) => (t.name ?? '').startsWith('score.'))).toBe(false); // the score head is left out
    const encoder = createEncoder({ vocabulary: DEFAULT_VOCABULARY, maxLength: MAX_LENGTH });
    const names = [...randomNames(1500, SEED + 11), '', 'a', 'google', 'xjw9k2qz0v-b7m1lq3pt8rf'];
    const chars = encoder.encodeBatch(names);
    const reference = tfjsReference(tf, model, chars, names.length, MAX_LENGTH, 500, 'family');
    // by hand from the family probabilities: log(1 - p_benign) - log(p_benign)
    const ownFamily = tfjsReference(tf, model, chars, names.length, MAX_LENGTH, 500).families!;
    const scoreHead = tfjsReference(tf, model, chars, names.length, MAX_LENGTH, 500).logits;
    let byHand = 0;
    let fromScoreHead = 0;
    for (let i = 0; i < names.length; i++) {
      const pb = ownFamily[i * K]!;
      byHand = Math.max(byHand, Math.abs(reference.logits[i]! - (Math.log(1 - pb) - Math.log(pb))));
      fromScoreHead = Math.max(fromScoreHead, Math.abs(reference.logits[i]! - scoreHead[i]!));
    }
    expect(byHand).toBeLessThan(1e-3);
    expect(fromScoreHead).toBeGreaterThan(0.1); // a different head, not the score head again
    for (const bytes of [floatBytes, int8Bytes]) {
      const actual = await runOnnx(bytes, chars, names.length, 'family');
      const expected = bytes === floatBytes ? reference : await runOnnx(floatBytes, chars, names.length, 'family');
      let logitDiff = 0;
      let scoreDiff = 0;
      for (let i = 0; i < names.length; i++) {
        logitDiff = Math.max(logitDiff, Math.abs(actual.logits[i]! - expected.logits[i]!));
        scoreDiff = Math.max(scoreDiff, Math.abs(actual.scores[i]! - 1 / (1 + Math.exp(-actual.logits[i]!))));
      }
      expect(logitDiff).toBeLessThan(bytes === floatBytes ? 1e-5 : 0.05);
      expect(scoreDiff).toBeLessThan(1e-6);
    }
  }, 60_000);

  it('folds padding: names scored in length groups at their own width equal full width (float and int8), and tfjs', async () => {
    const encoder = createEncoder({ vocabulary: DEFAULT_VOCABULARY, maxLength: MAX_LENGTH });
    const names = [...randomNames(1200, SEED + 5), '', 'a', 'xjw9k2qz0v-b7m1lq3pt8rf', 'q'.repeat(MAX_LENGTH), 'z'.repeat(MAX_LENGTH + 3)];
    const expected = tf.tidy(() => {
      const x = tf.tensor2d(encoder.encodeBatch(names), [names.length, MAX_LENGTH], 'int32');
      const [score, family] = model.predict(x) as tf.Tensor[];
      return { score: score!.dataSync() as Float32Array, family: family!.dataSync() as Float32Array };
    });
    const widths = names.map((n) => Math.max(1, encoder.encodedLength(n)));
    for (const options of [{}, { scheme: 'int8-weights' }] as BuildOptions[]) {
      const bytes = convertLayersModel({ modelJson: files.json, weights: files.weights, metadata: meta }, options);
      const scorer = await createOnnxScorer({ model: bytes, wasm: await readFile(ortWasmPath()), maxLength: MAX_LENGTH, familyName: 'family', padStepsName: 'pad_steps' });
      const full = await scorer.score(encoder.encodeBatch(names), names.length);
      let foldDiff = 0;
      let tfjsDiff = 0;
      const seen = new Set<number>();
      // One call per width (plus one mixed call of every width below 8, padded to 7).
      const groups = [...new Set(widths)].map((w) => (w < 8 ? 7 : w));
      for (const width of new Set(groups)) {
        const rows = widths.flatMap((w, i) => ((w < 8 ? 7 : w) === width ? [i] : []));
        const r = await scorer.score(encoder.encodeBatch(rows.map((i) => names[i]!), width), rows.length, width);
        rows.forEach((i, j) => {
          seen.add(width);
          foldDiff = Math.max(foldDiff, Math.abs(r.scores[j]! - full.scores[i]!), Math.abs(r.logits[j]! - full.logits[i]!));
          for (let k = 0; k < K; k++) foldDiff = Math.max(foldDiff, Math.abs(r.families![j * K + k]! - full.families![i * K + k]!));
          if (options.scheme === undefined) {
            tfjsDiff = Math.max(tfjsDiff, Math.abs(r.scores[j]! - expected.score[i]!));
            for (let k = 0; k < K; k++) tfjsDiff = Math.max(tfjsDiff, Math.abs(r.families![j * K + k]! - expected.family[i * K + k]!));
          }
        });
      }
      console.info(
        `tiny two-head model ${options.scheme ?? 'float'}: folded (${seen.size} widths) vs full width max |diff| ${foldDiff.toExponential(2)}` +
          (options.scheme === undefined ? `; vs tfjs max |score|, |family p| diff ${tfjsDiff.toExponential(2)}` : ''),
      );
      expect(seen.size).toBeGreaterThan(10);
      expect(foldDiff).toBeLessThanOrEqual(1e-6);
      expect(tfjsDiff).toBeLessThan(1e-5);
      await expect(scorer.score(new Int32Array(2 * 3), 2, 3)).resolves.toMatchObject({ scores: expect.any(Float32Array) });
      await expect(scorer.score(new Int32Array(5), 1, 5)).resolves.toBeTruthy();
      await expect(scorer.score(new Int32Array(4), 1, 5)).rejects.toThrow(/expected 1 x 5 indices/);
      await expect(scorer.score(new Int32Array(MAX_LENGTH + 1), 1, MAX_LENGTH + 1)).rejects.toThrow(/width must be an integer in 1\.\.20/);
    }
  }, 60_000);

  it('exports a functional model with only the score head, like the sequential one', async () => {
    const single = buildTinyFunctional({ family: false });
    setSeededWeights(single, SEED);
    const a = await artifactsOf(single);
    single.dispose();
    const bytes = convertLayersModel({ modelJson: a.json, weights: a.weights, metadata });
    const g = parseModel(bytes).graph as onnx.GraphProto;
    expect(g.output.map((o) => o.name)).toEqual(['logit', 'score']);
    expect(() => convertLayersModel({ modelJson: a.json, weights: a.weights, metadata: meta })).toThrow(/lists 6 families but the model has no family head/);
  });

  it('gives identical bytes for the same input', () => {
    const again = convertLayersModel({ modelJson: structuredClone(files.json), weights: files.weights.slice(), metadata: structuredClone(meta) });
    expect(sha256(again)).toBe(sha256(onnxBytes));
  });

  it('checks the family names against the head', () => {
    const convert = (m: object) => () => convertLayersModel({ modelJson: files.json, weights: files.weights, metadata: m });
    expect(convert({ ...meta, families: FAMILIES.slice(0, 5) })).toThrow(/metadata.families has 5 names but the family head "family" has 6 units/);
    expect(convert({ ...meta, families: ['other', ...FAMILIES.slice(1)] })).toThrow(/families\[0\] is "other", expected "benign"/);
    expect(convert(metadata)).toThrow(/6-class family head "family" but metadata has no "families"/);
    // Custom output name from metadata.onnx.family.
    const renamed = convertLayersModel({ modelJson: files.json, weights: files.weights, metadata: { ...meta, onnx: { ...meta.onnx, family: 'fam' } } });
    expect((parseModel(renamed).graph as onnx.GraphProto).output.map((o) => o.name)).toEqual(['logit', 'score', 'fam']);
  });

  describe('rejects other topologies, naming the layer and option', () => {
    const mutate = (edit: (layers: FunctionalLayer[], config: Record<string, unknown>) => void) => {
      const json = structuredClone(files.json);
      const config = json.modelTopology.config as Record<string, unknown>;
      edit(config.layers as FunctionalLayer[], config);
      return () => convertLayersModel({ modelJson: json, weights: files.weights, metadata: meta });
    };
    const layer = (layers: FunctionalLayer[], name: string) => layers.find((l) => l.name === name)!;
    const from = (source: string) => [[[source, 0, 0, {}]]];

    it('other activations and sizes on the heads', () => {
      expect(mutate((l) => (layer(l, 'family').config.activation = 'relu'))).toThrow(/Dense layer "family": units=6, activation="relu"/);
      expect(mutate((l) => (layer(l, 'family').config.activation = 'sigmoid'))).toThrow(/Dense layer "family": units=6, activation="sigmoid"/);
      expect(mutate((l) => (layer(l, 'score').config.activation = 'softmax'))).toThrow(/Dense layer "score": a softmax head without a Dense\(1, sigmoid\) score head/);
      expect(mutate((l) => (layer(l, 'family').config.use_bias = false))).toThrow(/Dense layer "family": use_bias=false/);
    });

    it('an extra layer between the trunk and a head, or after a head', () => {
      expect(
        mutate((l) => {
          l.splice(4, 0, { name: 'extra', class_name: 'Dense', config: { name: 'extra', units: U, activation: 'relu', use_bias: true }, inbound_nodes: from('dropout') });
          layer(l, 'score').inbound_nodes = from('extra');
        }),
      ).toThrow(/Dense layer "score": layer after the Dense head "extra"/);
      expect(
        mutate((l, c) => {
          l.push({ name: 'act', class_name: 'Activation', config: { name: 'act', activation: 'softmax' }, inbound_nodes: from('family') });
          c.output_layers = [['score', 0, 0], ['act', 0, 0]];
        }),
      ).toThrow(/Activation layer "act": layer after the Dense head "family"/);
      expect(
        mutate((l) => {
          l.splice(2, 0, { name: 'bn', class_name: 'BatchNormalization', config: { name: 'bn' }, inbound_nodes: from('embedding') });
          layer(l, 'lstm').inbound_nodes = from('bn');
        }),
      ).toThrow(/BatchNormalization layer "bn": layer class BatchNormalization/);
    });

    it('multiple inputs, other connections, shared layers, call arguments', () => {
      expect(
        mutate((l, c) => {
          l.unshift({ name: 'extra_in', class_name: 'InputLayer', config: { name: 'extra_in', batch_input_shape: [null, 3] }, inbound_nodes: [] });
          c.input_layers = [['chars', 0, 0], ['extra_in', 0, 0]];
        }),
      ).toThrow(/2 inputs \("chars", "extra_in"\)/);
      expect(mutate((l) => (layer(l, 'family').inbound_nodes = from('lstm')))).toThrow(/Dropout layer "dropout": layer class Dropout reading LSTM layer "lstm" alongside/);
      expect(mutate((l) => (layer(l, 'family').inbound_nodes = from('embedding')))).toThrow(
        /Embedding layer "embedding": its output feeds 2 layers \(LSTM layer "lstm", Dense layer "family"\)/,
      );
      expect(mutate((l) => (layer(l, 'family').inbound_nodes = [[['dropout', 0, 0, {}], ['lstm', 0, 0, {}]]]))).toThrow(/Dense layer "family": 2 inputs/);
      expect(mutate((l) => (layer(l, 'score').inbound_nodes = [...from('dropout'), ...from('dropout')]))).toThrow(/Dense layer "score": called 2 times/);
      expect(mutate((l) => (layer(l, 'lstm').inbound_nodes = [[['embedding', 0, 0, { mask: true }]]]))).toThrow(/LSTM layer "lstm": call arguments/);
      expect(mutate((_, c) => (c.output_layers = [['score', 0, 0]]))).toThrow(/outputs \[score\] are not exactly the Dense heads \[family, score\]/);
    });

    it('GRU and a Masking layer, which the trainer never produces', () => {
      expect(mutate((l) => (layer(l, 'lstm').class_name = 'GRU'))).toThrow(/GRU layer "lstm": GRU cells are not exported/);
      expect(
        mutate((l) => {
          l.splice(1, 0, { name: 'mask', class_name: 'Masking', config: { name: 'mask', mask_value: 0 }, inbound_nodes: from('chars') });
          layer(l, 'embedding').inbound_nodes = from('mask');
        }),
      ).toThrow(/Masking layer "mask": masking is not exported/);
    });
  });
});

describe('masked model (Embedding mask_zero, input of any width) -> ONNX', () => {
  let model: tf.LayersModel;
  let files: { json: LayersModelJson; weights: Uint8Array };
  const meta = { ...metadata, families: FAMILIES, onnx: { ...metadata.onnx, family: 'family' } };

  beforeAll(async () => {
    await tf.setBackend('cpu');
    model = buildTinyFunctional({ masked: true });
    setSeededWeights(model, SEED + 11);
    files = await artifactsOf(model);
  });
  afterAll(() => model?.dispose());

  it('exports with zero pad-state tables for rows of one length and, split by length, agrees with tfjs', async () => {
    const bytes = convertLayersModel({ modelJson: files.json, weights: files.weights, metadata: meta });
    expect(rowsOfOneLengthOf(bytes)).toBe(true);
    expect(rowsOfOneLengthOf(convertLayersModel({ modelJson: (await artifactsOf(buildTinyFunctional())).json, weights: (await artifactsOf(buildTinyFunctional())).weights, metadata: meta }))).toBe(false);
    const g = parseModel(bytes).graph as onnx.GraphProto;
    expect(g.node.find((n) => n.opType === 'LSTM')!.input![4]).toBe(''); // no sequence_lens
    // Taken as one call, mixed lengths go wrong (pad steps run from the zero state): hence the split.
    const raw = await createOnnxScorer({ model: bytes, wasm: await readFile(ortWasmPath()), maxLength: MAX_LENGTH, familyName: 'family', padStepsName: padStepsInputOf(bytes) });
    const mixed = createEncoder({ vocabulary: DEFAULT_VOCABULARY, maxLength: MAX_LENGTH }).encodeBatch(['ab', 'abcdefghij']);
    const unsplit = await raw.score(mixed, 2, MAX_LENGTH);
    const split = await runOnnx(bytes, mixed, 2, 'family');
    expect(Math.abs(unsplit.scores[0]! - split.scores[0]!)).toBeGreaterThan(1e-4);
    for (const table of ['lstm.pad_state_h', 'lstm.pad_state_c']) {
      const t = g.initializer.find((i) => i.name === table)!;
      expect(Array.from(tensorValues(t) as Float32Array).every((v) => v === 0)).toBe(true);
    }
    const encoder = createEncoder({ vocabulary: DEFAULT_VOCABULARY, maxLength: MAX_LENGTH });
    const names = [...randomNames(600, SEED + 5), 'a', 'google'].filter((n) => n !== ''); // the classifier never sends ''
    const full = encoder.encodeBatch(names);
    const expected = tf.tidy(() => (model.predict(tf.tensor2d(full, [names.length, MAX_LENGTH], 'int32')) as tf.Tensor[])[0]!.dataSync() as Float32Array);
    // The same names without any padding beyond their own length give the same tfjs scores (the mask).
    const short = names.filter((n) => n.length <= 6);
    expect(short.length).toBeGreaterThan(10);
    const narrow = tf.tidy(() => (model.predict(tf.tensor2d(encoder.encodeBatch(short, 6), [short.length, 6], 'int32')) as tf.Tensor[])[0]!.dataSync() as Float32Array);
    short.forEach((n, i) => expect(Math.abs(narrow[i]! - expected[names.indexOf(n)]!)).toBeLessThan(1e-6));
    const atFull = await runOnnx(bytes, full, names.length, 'family');
    const atSix = await runOnnx(bytes, encoder.encodeBatch(short, 6), short.length, 'family', 6);
    let diff = 0;
    names.forEach((_, i) => (diff = Math.max(diff, Math.abs(atFull.scores[i]! - expected[i]!))));
    short.forEach((n, i) => (diff = Math.max(diff, Math.abs(atSix.scores[i]! - expected[names.indexOf(n)]!))));
    expect(diff).toBeLessThan(1e-5);
  });

  it('refuses an export that would run the pad steps (no folding)', () => {
    expect(() => convertLayersModel({ modelJson: files.json, weights: files.weights, metadata: meta }, { foldPadding: false })).toThrow(
      /masks its padding \(mask_zero\); only a padding-folding export/,
    );
    expect(() => convertLayersModel({ modelJson: files.json, weights: files.weights, metadata: meta }, { scheme: 'int8-dqlstm' })).toThrow(/cannot fold padding|masks its padding/);
  });
});

describe('bigram model (train.ts --bigrams: character + bigram embedding, masked) -> ONNX', () => {
  const meta = { ...metadata, families: TINY_FAMILIES, onnx: { ...metadata.onnx, family: 'family' } };
  const build = (seed: number) => {
    const model = createFamilyModel({
      vocabulary: DEFAULT_VOCABULARY, maxLength: MAX_LENGTH, embeddingDim: E, units: U, dropout: 0.25, learningRate: 0.01,
      families: TINY_FAMILIES, familyLossWeight: 0.5, masked: true, bigrams: true,
    });
    setSeededWeights(model, seed);
    return model;
  };

  it('builds Slice, Pad, Mul, Add -> Gather on the bigram table, added to the character embedding', async () => {
    await tf.setBackend('cpu');
    const model = build(SEED + 21);
    const files = await artifactsOf(model);
    const g = parseModel(convertLayersModel({ modelJson: files.json, weights: files.weights, metadata: meta })).graph as onnx.GraphProto;
    const ops = g.node.map((n) => n.name);
    expect(ops.slice(0, 7)).toEqual(['embedding', 'bigram.drop_last', 'bigram.shift', 'bigram.scale', 'bigram.index', 'bigram_embedding', 'embedding_sum']);
    const table = g.initializer.find((i) => i.name === 'bigram_embedding.weight')!;
    expect(table.dims!.map(Number)).toEqual([V * V, E]);
    const int8 = parseModel(convertLayersModel({ modelJson: files.json, weights: files.weights, metadata: meta }, { scheme: 'int8-weights' })).graph as onnx.GraphProto;
    expect(int8.initializer.find((i) => i.name === 'bigram_embedding.weight.scale')!.dims!.map(Number)).toEqual([E]); // one scale per column
    model.dispose();
  });

  it('agrees with tfjs on names scored at their own width (float within 1e-5; int8 = float once the weights are on the int8 grid)', async () => {
    await tf.setBackend('cpu');
    const model = build(SEED + 22);
    snapModelToInt8Grid(model); // as quantization-aware training ends
    const files = await artifactsOf(model);
    const float = convertLayersModel({ modelJson: files.json, weights: files.weights, metadata: meta });
    const int8 = convertLayersModel({ modelJson: files.json, weights: files.weights, metadata: meta }, { scheme: 'int8-weights' });
    const encoder = createEncoder({ vocabulary: DEFAULT_VOCABULARY, maxLength: MAX_LENGTH });
    const names = [...randomNames(400, SEED + 23), 'a', 'zz', 'google'].filter((n) => n !== '');
    const expected = tf.tidy(() => (model.predict(tf.tensor2d(encoder.encodeBatch(names), [names.length, MAX_LENGTH], 'int32')) as tf.Tensor[]).map((t) => t.dataSync() as Float32Array));
    // The bigram term matters: the same model with a zero bigram table scores differently.
    const zeroed = build(SEED + 22);
    snapModelToInt8Grid(zeroed);
    zeroed.getLayer('bigram_embedding').setWeights([tf.zeros([V * V, E])]);
    const without = tf.tidy(() => (zeroed.predict(tf.tensor2d(encoder.encodeBatch(names), [names.length, MAX_LENGTH], 'int32')) as tf.Tensor[])[0]!.dataSync() as Float32Array);
    expect(Math.max(...names.map((_, i) => Math.abs(without[i]! - expected[0]![i]!)))).toBeGreaterThan(1e-2);
    let diff = 0;
    let int8Diff = 0;
    const byLength = new Map<number, number[]>();
    names.forEach((n, i) => byLength.set(Math.min(n.length, MAX_LENGTH), [...(byLength.get(Math.min(n.length, MAX_LENGTH)) ?? []), i]));
    for (const [width, rows] of byLength) {
      const chars = encoder.encodeBatch(rows.map((i) => names[i]!), width);
      const a = await runOnnx(float, chars, rows.length, 'family', width);
      const b = await runOnnx(int8, chars, rows.length, 'family', width);
      rows.forEach((row, k) => {
        diff = Math.max(diff, Math.abs(a.scores[k]! - expected[0]![row]!));
        for (let c = 0; c < TINY_FAMILIES.length; c++) diff = Math.max(diff, Math.abs(a.families![k * TINY_FAMILIES.length + c]! - expected[1]![row * TINY_FAMILIES.length + c]!));
        int8Diff = Math.max(int8Diff, Math.abs(a.scores[k]! - b.scores[k]!));
      });
    }
    expect(diff).toBeLessThan(1e-5);
    expect(int8Diff).toBeLessThan(1e-6);
    model.dispose();
    zeroed.dispose();
  });

  it('refuses a bigram branch it does not know (other base, or a plain Add of the embeddings)', async () => {
    await tf.setBackend('cpu');
    const files = await artifactsOf(build(SEED + 24));
    const edit = (fn: (layers: FunctionalLayer[]) => void) => {
      const json = structuredClone(files.json);
      fn((json.modelTopology as { config: { layers: FunctionalLayer[] } }).config.layers);
      return () => convertLayersModel({ modelJson: json, weights: files.weights, metadata: meta });
    };
    expect(edit((l) => (l.find((x) => x.class_name === 'BigramIndex')!.config.base = 40))).toThrow(/bigram_embedding.*input_dim 1444 is not BigramIndex base 40 squared/);
    expect(edit((l) => (l.find((x) => x.class_name === 'MaskedSum')!.class_name = 'Add'))).toThrow(/bigram branch must be exactly one BigramIndex and one MaskedSum|2 inputs/);
  });
});

/**
 * hashedTableParity's bounds: the float export within 1e-5 of tfjs, int8 within 1e-6 of float (weights on the
 * int8 grid), a pre-padded full-width row as its own width, and the part zeroed in `zeroed` worth > 1e-2. Disposes both.
 */
async function expectTermParity(model: tf.LayersModel, zeroed: tf.LayersModel, meta: object, names: string[]) {
  const r = await hashedTableParity(model, zeroed, meta, names);
  expect(r.termDiff).toBeGreaterThan(1e-2);
  expect(r.diff).toBeLessThan(1e-5);
  expect(r.int8Diff).toBeLessThan(1e-6);
  expect(r.paddedDiff).toBeLessThan(1e-5);
  model.dispose();
  zeroed.dispose();
}

/**
 * A hashed-table model against tfjs at every width: the largest |difference| of the float export (scores and
 * family probabilities), of int8 against float, and of the model against the same model with the table
 * `zeroedTable` at zero (the table's term), over names grouped by their own width.
 */
async function hashedTableParity(model: tf.LayersModel, zeroed: tf.LayersModel, meta: object, names: string[]) {
  const predict = (m: tf.LayersModel, chars: Int32Array, n: number, width: number) =>
    tf.tidy(() => (m.predict(tf.tensor2d(chars, [n, width], 'int32')) as tf.Tensor[]).map((t) => t.dataSync() as Float32Array));
  const files = await artifactsOf(model);
  const float = convertLayersModel({ modelJson: files.json, weights: files.weights, metadata: meta as never });
  const int8 = convertLayersModel({ modelJson: files.json, weights: files.weights, metadata: meta as never }, { scheme: 'int8-weights' });
  const encoder = createEncoder({ vocabulary: DEFAULT_VOCABULARY, maxLength: MAX_LENGTH });
  let diff = 0;
  let int8Diff = 0;
  let termDiff = 0;
  const byLength = new Map<number, number[]>();
  names.forEach((n, i) => byLength.set(Math.min(n.length, MAX_LENGTH), [...(byLength.get(Math.min(n.length, MAX_LENGTH)) ?? []), i]));
  for (const [width, rows] of byLength) {
    const chars = encoder.encodeBatch(rows.map((i) => names[i]!), width);
    const [expected, expectedFamilies] = predict(model, chars, rows.length, width);
    const [without] = predict(zeroed, chars, rows.length, width);
    const a = await runOnnx(float, chars, rows.length, 'family', width);
    const b = await runOnnx(int8, chars, rows.length, 'family', width);
    rows.forEach((_, k) => {
      diff = Math.max(diff, Math.abs(a.scores[k]! - expected![k]!));
      for (let c = 0; c < TINY_FAMILIES.length; c++) diff = Math.max(diff, Math.abs(a.families![k * TINY_FAMILIES.length + c]! - expectedFamilies![k * TINY_FAMILIES.length + c]!));
      int8Diff = Math.max(int8Diff, Math.abs(a.scores[k]! - b.scores[k]!));
      termDiff = Math.max(termDiff, Math.abs(without![k]! - expected![k]!));
    });
  }
  // tfjs masks pad steps: a pre-padded full-width input scores as the name's own width does.
  const last = names[names.length - 1]!;
  const full = predict(model, encoder.encodeBatch(['ab', last]), 2, MAX_LENGTH)[0]!;
  const own = await runOnnx(float, encoder.encodeBatch([last], last.length), 1, 'family', last.length);
  return { diff, int8Diff, termDiff, paddedDiff: Math.abs(full[1]! - own.scores[0]!) };
}

describe('trigram model (train.ts --trigrams: + hashed trigram embedding after the bigram one) -> ONNX', () => {
  const B = 53;
  const meta = { ...metadata, families: TINY_FAMILIES, onnx: { ...metadata.onnx, family: 'family' } };
  const build = (seed: number, trigramBuckets = B) => {
    const model = createFamilyModel({
      vocabulary: DEFAULT_VOCABULARY, maxLength: MAX_LENGTH, embeddingDim: E, units: U, dropout: 0.25, learningRate: 0.01,
      families: TINY_FAMILIES, familyLossWeight: 0.5, masked: true, bigrams: true, trigramBuckets,
    });
    setSeededWeights(model, seed);
    return model;
  };
  const predict = (model: tf.LayersModel, chars: Int32Array, n: number, width: number) =>
    tf.tidy(() => (model.predict(tf.tensor2d(chars, [n, width], 'int32')) as tf.Tensor[]).map((t) => t.dataSync() as Float32Array));

  it('hashes (prev2 x prev x current) into the trigram table with Mod (pad steps: row 0, by a Where) and adds it after the bigram sum', async () => {
    await tf.setBackend('cpu');
    const files = await artifactsOf(build(SEED + 31));
    const g = parseModel(convertLayersModel({ modelJson: files.json, weights: files.weights, metadata: { ...meta, architecture: { trigrams: B } } })).graph as onnx.GraphProto;
    const ops = g.node.map((n) => n.name);
    expect(ops.indexOf('embedding_sum')).toBeLessThan(ops.indexOf('trigram_sum'));
    for (const op of ['trigram.hash', 'trigram.index', 'trigram_embedding']) expect(ops).toContain(op);
    expect(g.node.find((n) => n.name === 'trigram_sum')!.input).toEqual(['embedded_sum_pairs', 'embedded_triples']);
    expect(g.node.find((n) => n.name === 'to_time_major')!.input).toEqual(['embedded']);
    expect(g.initializer.find((i) => i.name === 'trigram_embedding.weight')!.dims!.map(Number)).toEqual([B + 1, E]);
    const int8 = parseModel(convertLayersModel({ modelJson: files.json, weights: files.weights, metadata: meta }, { scheme: 'int8-weights' })).graph as onnx.GraphProto;
    expect(int8.initializer.find((i) => i.name === 'trigram_embedding.weight.scale')!.dims!.map(Number)).toEqual([E]);
    // metadata that says otherwise is refused
    expect(() => convertLayersModel({ modelJson: files.json, weights: files.weights, metadata: { ...meta, architecture: { trigrams: 99 } } })).toThrow(
      /architecture.trigrams 99 disagrees with the model \(53\)/,
    );
  });

  it('agrees with tfjs at every width, also pre-padded (float within 1e-5; int8 = float on the int8 grid); the trigram term matters', async () => {
    await tf.setBackend('cpu');
    const model = build(SEED + 32);
    snapModelToInt8Grid(model);
    const zeroed = build(SEED + 32);
    snapModelToInt8Grid(zeroed);
    zeroed.getLayer('trigram_embedding').setWeights([tf.zeros([B + 1, E])]);
    const names = [...randomNames(300, SEED + 33), 'a', 'zz', 'abc', 'google', 'xyz'].filter((n) => n !== '');
    await expectTermParity(model, zeroed, meta, names);
  });

  it('builds its own pair index when the model has no bigram branch, and agrees with tfjs', async () => {
    await tf.setBackend('cpu');
    const model = createFamilyModel({
      vocabulary: DEFAULT_VOCABULARY, maxLength: MAX_LENGTH, embeddingDim: E, units: U, dropout: 0.25, learningRate: 0.01,
      families: TINY_FAMILIES, familyLossWeight: 0.5, masked: true, trigramBuckets: B,
    });
    setSeededWeights(model, SEED + 35);
    const files = await artifactsOf(model);
    const float = convertLayersModel({ modelJson: files.json, weights: files.weights, metadata: meta });
    const g = parseModel(float).graph as onnx.GraphProto;
    expect(g.node.map((n) => n.name)).toContain('trigram.pair');
    expect(g.node.find((n) => n.name === 'trigram_sum')!.input).toEqual(['embedded_chars', 'embedded_triples']);
    const encoder = createEncoder({ vocabulary: DEFAULT_VOCABULARY, maxLength: MAX_LENGTH });
    let diff = 0;
    for (const name of ['a', 'qz', 'abc', 'google', 'xjwqkzpvbnlk']) {
      const chars = encoder.encodeBatch([name], name.length);
      const expected = predict(model, chars, 1, name.length)[0]!;
      diff = Math.max(diff, Math.abs((await runOnnx(float, chars, 1, 'family', name.length)).scores[0]! - expected[0]!));
    }
    expect(diff).toBeLessThan(1e-5);
    model.dispose();
  });

  it('refuses a trigram table whose size is not buckets + 1', async () => {
    await tf.setBackend('cpu');
    const files = await artifactsOf(build(SEED + 34));
    const json = structuredClone(files.json);
    (json.modelTopology as { config: { layers: FunctionalLayer[] } }).config.layers.find((x) => x.class_name === 'TrigramIndex')!.config.buckets = 60;
    expect(() => convertLayersModel({ modelJson: json, weights: files.weights, metadata: meta })).toThrow(/trigram_embedding.*input_dim 54 is not TrigramIndex buckets 60 \+ 1/);
  });
});

describe('four-gram model (train.ts --fourgrams: + hashed four-gram embedding after the trigram one) -> ONNX', () => {
  const B = 53;
  const B4 = 97;
  const meta = { ...metadata, families: TINY_FAMILIES, onnx: { ...metadata.onnx, family: 'family' } };
  const build = (seed: number, bigrams = true) => {
    const model = createFamilyModel({
      vocabulary: DEFAULT_VOCABULARY, maxLength: MAX_LENGTH, embeddingDim: E, units: U, dropout: 0.25, learningRate: 0.01,
      families: TINY_FAMILIES, familyLossWeight: 0.5, masked: true, bigrams, trigramBuckets: B, fourgramBuckets: B4,
    });
    setSeededWeights(model, seed);
    return model;
  };

  it('extends the trigram code by one character, hashes it into its own table and adds it last', async () => {
    await tf.setBackend('cpu');
    const files = await artifactsOf(build(SEED + 41));
    const g = parseModel(convertLayersModel({ modelJson: files.json, weights: files.weights, metadata: { ...meta, architecture: { trigrams: B, fourgrams: B4 } } })).graph as onnx.GraphProto;
    const ops = g.node.map((n) => n.name);
    expect(ops.indexOf('trigram_sum')).toBeLessThan(ops.indexOf('fourgram_sum'));
    expect(g.node.find((n) => n.name === 'fourgram.prev_code.drop_last')!.input!.slice(0, 1)).toEqual(['trigram.code']);
    expect(g.node.find((n) => n.name === 'trigram_sum')!.input).toEqual(['embedded_sum_pairs', 'embedded_triples']);
    expect(g.node.find((n) => n.name === 'trigram_sum')!.output).toEqual(['embedded_sum_triples']);
    expect(g.node.find((n) => n.name === 'fourgram_sum')!.input).toEqual(['embedded_sum_triples', 'embedded_fours']);
    expect(g.node.find((n) => n.name === 'to_time_major')!.input).toEqual(['embedded']);
    expect(g.initializer.find((i) => i.name === 'fourgram_embedding.weight')!.dims!.map(Number)).toEqual([B4 + 1, E]);
    const int8 = parseModel(convertLayersModel({ modelJson: files.json, weights: files.weights, metadata: meta }, { scheme: 'int8-weights' })).graph as onnx.GraphProto;
    expect(int8.initializer.find((i) => i.name === 'fourgram_embedding.weight.scale')!.dims!.map(Number)).toEqual([E]);
    expect(() => convertLayersModel({ modelJson: files.json, weights: files.weights, metadata: { ...meta, architecture: { fourgrams: 99 } } })).toThrow(
      /architecture.fourgrams 99 disagrees with the model \(97\)/,
    );
  });

  it('agrees with tfjs at every width, with and without the bigram branch (float within 1e-5; int8 = float on the int8 grid); the four-gram term matters', async () => {
    await tf.setBackend('cpu');
    const names = [...randomNames(300, SEED + 43), 'a', 'zz', 'abc', 'google', 'wxyz'].filter((n) => n !== '');
    for (const bigrams of [true, false]) {
      const model = build(SEED + 42, bigrams);
      snapModelToInt8Grid(model);
      const zeroed = build(SEED + 42, bigrams);
      snapModelToInt8Grid(zeroed);
      zeroed.getLayer('fourgram_embedding').setWeights([tf.zeros([B4 + 1, E])]);
      await expectTermParity(model, zeroed, meta, names);
    }
  });

  it('refuses an order it does not export, two four-gram branches, and (when building) four-grams without trigrams', async () => {
    await tf.setBackend('cpu');
    const files = await artifactsOf(build(SEED + 44));
    const layersOf = (json: typeof files.json) => (json.modelTopology as { config: { layers: FunctionalLayer[] } }).config.layers;
    const badOrder = structuredClone(files.json);
    for (const l of layersOf(badOrder)) if (l.class_name === 'TrigramIndex' && l.config.order === undefined) l.config.order = 5;
    expect(() => convertLayersModel({ modelJson: badOrder, weights: files.weights, metadata: meta })).toThrow(/trigram_index.*order 5 \(3 or 4 are exported\)/);
    const twoFours = structuredClone(files.json);
    for (const l of layersOf(twoFours)) if (l.class_name === 'TrigramIndex') l.config.order = 4;
    expect(() => convertLayersModel({ modelJson: twoFours, weights: files.weights, metadata: meta })).toThrow(/exactly one TrigramIndex of order 4/);
    expect(() => createFamilyModel({
      vocabulary: DEFAULT_VOCABULARY, maxLength: MAX_LENGTH, embeddingDim: E, units: U, dropout: 0.25, learningRate: 0.01,
      families: TINY_FAMILIES, familyLossWeight: 0.5, masked: true, fourgramBuckets: B4,
    })).toThrow(/four-gram table needs the trigram table/);
  });
});

describe('bidirectional model (train.ts --bidirectional: forward and backward LSTM, masked) -> ONNX', () => {
  const B = 53;
  const meta = { ...metadata, families: TINY_FAMILIES, onnx: { ...metadata.onnx, family: 'family' } };
  const build = (seed: number, tables = true) => {
    const model = createFamilyModel({
      vocabulary: DEFAULT_VOCABULARY, maxLength: MAX_LENGTH, embeddingDim: E, units: U, dropout: 0.25, learningRate: 0.01,
      families: TINY_FAMILIES, familyLossWeight: 0.5, masked: true, bigrams: tables, trigramBuckets: tables ? B : 0, bidirectional: true,
    });
    setSeededWeights(model, seed);
    return model;
  };

  it('writes one bidirectional LSTM node (W, R, B stacked forward then backward) and heads on [N, 2U]', async () => {
    await tf.setBackend('cpu');
    const files = await artifactsOf(build(SEED + 51));
    const names = files.json.weightsManifest.flatMap((m) => m.weights.map((w) => w.name));
    expect(names).toEqual(expect.arrayContaining(['lstm/forward_lstm/kernel', 'lstm/backward_lstm/recurrent_kernel', 'family/kernel']));
    for (const scheme of ['float', 'int8-weights'] as const) {
      const g = parseModel(convertLayersModel({ modelJson: files.json, weights: files.weights, metadata: { ...meta, architecture: { bidirectional: true } } }, { scheme })).graph as onnx.GraphProto;
      const lstm = g.node.find((n) => n.name === 'lstm')!;
      expect(lstm.opType).toBe('LSTM');
      expect(lstm.attribute!.find((a) => a.name === 'direction')!.s).toEqual(new TextEncoder().encode('bidirectional'));
      expect(g.node.find((n) => n.name === 'lstm.W')!.opType).toBe('Concat');
      expect(g.node.find((n) => n.name === 'lstm.W')!.input).toEqual(['lstm.W.forward', 'lstm.W.backward']);
      expect(g.initializer.find((i) => i.name === 'lstm.B')!.dims!.map(Number)).toEqual([2, 8 * U]);
      const kernel = scheme === 'float' ? 'family.kernel' : 'family.kernel.q';
      expect(g.initializer.find((i) => i.name === kernel)!.dims!.map(Number)).toEqual([2 * U, TINY_FAMILIES.length]);
      if (scheme === 'int8-weights') expect(g.initializer.find((i) => i.name === 'lstm.W.backward.scale')!.dims!.map(Number)).toEqual([4 * U, 1]);
    }
    expect(() => convertLayersModel({ modelJson: files.json, weights: files.weights, metadata: { ...meta, architecture: { bidirectional: false } } })).toThrow(
      /architecture.bidirectional false disagrees with the model \(true\)/,
    );
  });

  it('agrees with tfjs at every width, also pre-padded (float within 1e-5; int8 = float on the int8 grid); the backward direction matters', async () => {
    await tf.setBackend('cpu');
    const model = build(SEED + 52);
    snapModelToInt8Grid(model);
    const zeroed = build(SEED + 52);
    snapModelToInt8Grid(zeroed);
    // Weights in order: forward kernel, recurrent kernel, bias, then the backward three.
    const w = zeroed.getLayer('lstm').getWeights();
    zeroed.getLayer('lstm').setWeights([...w.slice(0, 3), ...w.slice(3).map((t) => tf.zerosLike(t))]);
    const names = [...randomNames(300, SEED + 53), 'a', 'zz', 'abc', 'google', 'xyz'].filter((n) => n !== '');
    await expectTermParity(model, zeroed, meta, names);
  });

  it('refuses other merge modes, schemes that cannot stack directions, an unmasked model, and (when building) an unmasked bidirectional LSTM', async () => {
    await tf.setBackend('cpu');
    const files = await artifactsOf(build(SEED + 54));
    const edited = (edit: (layers: FunctionalLayer[]) => void) => {
      const json = structuredClone(files.json);
      edit((json.modelTopology as { config: { layers: FunctionalLayer[] } }).config.layers);
      return () => convertLayersModel({ modelJson: json, weights: files.weights, metadata: meta });
    };
    expect(edited((l) => (l.find((x) => x.class_name === 'Bidirectional')!.config.merge_mode = 'sum'))).toThrow(/Bidirectional layer "lstm": merge_mode="sum" \(only concat\)/);
    expect(edited((l) => ((l.find((x) => x.class_name === 'Bidirectional')!.config.layer as FunctionalLayer).class_name = 'GRU'))).toThrow(/wraps "GRU" \(only an LSTM\)/);
    // (without the n-gram tables, which refuse an unmasked embedding themselves)
    const plain = await artifactsOf(build(SEED + 55, false));
    const unmasked = structuredClone(plain.json);
    (unmasked.modelTopology as { config: { layers: FunctionalLayer[] } }).config.layers.find((x) => x.name === 'embedding')!.config.mask_zero = false;
    expect(() => convertLayersModel({ modelJson: unmasked, weights: plain.weights, metadata: meta })).toThrow(/bidirectional LSTM exports only from a masked model/);
    expect(() => convertLayersModel({ modelJson: files.json, weights: files.weights, metadata: meta }, { scheme: 'int8-dqlstm', foldPadding: false })).toThrow(
      /bidirectional LSTM exports with scheme float or int8-weights only, not int8-dqlstm/,
    );
    expect(() => createFamilyModel({
      vocabulary: DEFAULT_VOCABULARY, maxLength: MAX_LENGTH, embeddingDim: E, units: U, dropout: 0.25, learningRate: 0.01,
      families: TINY_FAMILIES, familyLossWeight: 0.5, bidirectional: true,
    })).toThrow(/bidirectional LSTM needs masked/);
  });
});

describe('onnx-builder', () => {
  it('checks element counts against dims', () => {
    expect(() => makeTensor('w', 'FLOAT', [2, 3], new Float32Array(5))).toThrow(/5 values given for dims \[2, 3\] \(6 elements\)/);
    expect(() => makeTensor('s', 'INT64', [2], [1])).toThrow(/1 values given/);
    expect(() => makeTensor('i', 'INT32', [1], [1.5])).toThrow(/not an int32/);
    const t = makeTensor('w', 'FLOAT', [2, 2], [1, 2, 3, 4.5]);
    expect([...tensorValues(t)]).toEqual([1, 2, 3, 4.5]);
    expect([...tensorValues(makeTensor('s', 'INT64', [2], [-1, 16]))]).toEqual([-1n, 16n]);
  });

  it('writes attributes sorted by name, whatever the key order', () => {
    const a = makeNode('LSTM', ['x'], ['y'], { hidden_size: 4, direction: 'forward', activations: ['Sigmoid', 'Tanh', 'Tanh'] });
    const b = makeNode('LSTM', ['x'], ['y'], { activations: ['Sigmoid', 'Tanh', 'Tanh'], hidden_size: 4, direction: 'forward' });
    expect(a.attribute!.map((x) => x.name)).toEqual(['activations', 'direction', 'hidden_size']);
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });

  it('rejects a graph whose node reads an undefined value', () => {
    expect(() =>
      makeGraph({
        name: 'g',
        nodes: [makeNode('Sigmoid', ['nope'], ['y'])],
        inputs: [makeValueInfo('x', 'FLOAT', ['batch'])],
        outputs: [makeValueInfo('y', 'FLOAT', ['batch'])],
      }),
    ).toThrow(/input "nope" is not defined/);
  });
});

describe('scripts/export-onnx.ts command line', () => {
  const ROOT = join(import.meta.dirname, '../..');
  const exportCli = (args: string[]) =>
    promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/export-onnx.ts', ...args], { cwd: ROOT, timeout: 30_000 }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );

  it('refuses bad flags and missing inputs with exit 2, one line naming the problem and the usage', async () => {
    const missing = join(tmpdir(), 'dga-edge-no-such-model');
    for (const [args, message] of [
      [['--bogus'], /Unknown option '--bogus'/],
      [['--samples', '0'], /--samples must be an integer >= 1 \(got "0"\)/],
      [['--int8-scheme', 'fp16'], /--int8-scheme must be one of int8-weights/],
      [['--model', missing], /model directory not found: .*dga-edge-no-such-model/],
    ] as const) {
      const r = await exportCli([...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toMatch(/Usage: npx tsx scripts\/export-onnx.ts/);
    }
  }, 60_000);
});
