import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createEncoder, DEFAULT_VOCABULARY } from '../../src/core/encode.js';
import { createOnnxScorer } from '../../src/runtime/onnx-scorer.js';
import { ortWasmPath } from '../../src/runtime/node-model.js';
import { checkGraph, makeGraph, makeModel, makeNode, makeTensor, makeValueInfo, parseModel, tensorValues, type onnx } from '../../scripts/lib/onnx-builder.js';
import { dequantize, maxRelativeError, quantizePerChannel, transposeLast2 } from '../../scripts/lib/onnx-quantize.js';
import { compareOutputs, scoreInBatches, type ModelOutputs } from '../../scripts/lib/parity.js';
import { convertLayersModel, padStepsInputOf, type BuildOptions } from '../../scripts/lib/tfjs-to-onnx.js';
import { generateNames } from '../fixtures/names.js';
import { artifactsOf, buildTinyFunctional, setSeededWeights, TINY, TINY_FAMILIES } from '../fixtures/tiny-models.js';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('int8 per-channel quantization', () => {
  it('is symmetric per channel: scale = max|w| / 127, codes in [-127, 127], error <= scale / 2', () => {
    // [2, 3], channels along axis 0 (rows) and along axis 1 (columns).
    const w = Float32Array.from([0.5, -1.27, 0.01, 2, 0, -0.3]);
    const rows = quantizePerChannel(w, [2, 3], 0);
    expect([...rows.scales]).toEqual([Math.fround(1.27 / 127), Math.fround(2 / 127)]);
    expect([...rows.q]).toEqual([50, -127, 1, 127, 0, -19]);
    const cols = quantizePerChannel(w, [2, 3], 1);
    expect(cols.scales.length).toBe(3);
    expect(cols.q[3]).toBe(127); // 2 is the largest of column 0
    for (const t of [rows, cols]) {
      const back = dequantize(t);
      const channels = t.dims[t.axis]!;
      const inner = t.axis === 0 ? 3 : 1;
      back.forEach((v, i) => expect(Math.abs(v - w[i]!)).toBeLessThanOrEqual(t.scales[Math.floor(i / inner) % channels]! / 2 + 1e-9));
      expect(maxRelativeError(w, t)).toBeLessThanOrEqual(0.5 / 127 + 1e-6);
    }
  });

  it('maps negated weights to negated codes, and an all-zero channel to zeros with scale 1', () => {
    const w = Float32Array.from([0.3, -0.3, 0.7, -0.7, 0, 0]);
    const t = quantizePerChannel(w, [3, 2], 0);
    expect([...t.q]).toEqual([127, -127, 127, -127, 0, 0]);
    expect(t.scales[2]).toBe(1);
    expect(() => quantizePerChannel(Float32Array.from([NaN]), [1], 0)).toThrow(/non-finite/);
    expect(() => quantizePerChannel(new Float32Array(5), [2, 3], 0)).toThrow(/5 values for dims \[2, 3\]/);
  });

  it('transposes the last two dims', () => {
    expect([...transposeLast2(Int8Array.from([1, 2, 3, 4, 5, 6]), [1, 2, 3])]).toEqual([1, 4, 2, 5, 3, 6]);
  });
});

describe('onnx-builder int8 support', () => {
  it('writes int8 / uint8 tensors as one byte per element and range-checks them', () => {
    const t = makeTensor('q', 'INT8', [4], [-127, -1, 0, 127]);
    expect(t.rawData!.byteLength).toBe(4);
    expect([...tensorValues(t)]).toEqual([-127, -1, 0, 127]);
    expect([...tensorValues(makeTensor('u', 'UINT8', [2], [0, 255]))]).toEqual([0, 255]);
    expect(() => makeTensor('q', 'INT8', [1], [128])).toThrow(/128 is not an int8/);
    expect(() => makeTensor('u', 'UINT8', [1], [-1])).toThrow(/-1 is not a uint8/);
  });

  it('checks int8 payload sizes and opset imports of node domains', () => {
    const graph = makeGraph({
      name: 'g',
      nodes: [makeNode('Cast', ['q'], ['y'], { to: 1 })],
      initializers: [makeTensor('q', 'INT8', [3], [1, 2, 3])],
      inputs: [],
      outputs: [makeValueInfo('y', 'FLOAT', [3])],
    });
    const bad = structuredClone(graph);
    bad.initializer![0]!.dims = [4];
    expect(() => checkGraph(bad)).toThrow(/raw_data has 3 bytes, dims need 4/);
    const ms = { ...graph, node: [makeNode('DynamicQuantizeLSTM', ['q'], ['y'], {}, { domain: 'com.microsoft' })] };
    expect(() => makeModel(ms, { opset: 17, producerName: 'p', producerVersion: '1' })).toThrow(/domain "com.microsoft", which has no opset import/);
    const ok = makeModel(ms, { opset: 17, producerName: 'p', producerVersion: '1', extraOpsets: [['com.microsoft', 1]] });
    expect(ok.opsetImport!.map((o) => o.domain)).toEqual(['', 'com.microsoft']);
  });
});

describe('int8 ONNX export of a two-head model', () => {
  const { T, K } = TINY;
  const metadata = {
    vocabulary: DEFAULT_VOCABULARY,
    maxLength: T,
    threshold: 0.5,
    families: TINY_FAMILIES,
    onnx: { input: 'chars', score: 'score', logit: 'logit', family: 'family' },
  };
  const names = generateNames(2000, 99);
  const chars = createEncoder(metadata).encodeBatch(names);
  let input: Parameters<typeof convertLayersModel>[0];
  let floatOut: ModelOutputs;

  const run = async (bytes: Uint8Array) => {
    const scorer = await createOnnxScorer({ model: bytes, wasm: await readFile(ortWasmPath()), maxLength: T, familyName: 'family', padStepsName: padStepsInputOf(bytes) });
    return { scorer, out: await scoreInBatches(scorer, chars, names.length, T) };
  };
  const convert = (options: BuildOptions) => convertLayersModel(input, options);

  beforeAll(async () => {
    await tf.setBackend('cpu');
    const model = buildTinyFunctional();
    setSeededWeights(model, 4242);
    const a = await artifactsOf(model);
    model.dispose();
    input = { modelJson: a.json, weights: a.weights, metadata };
    floatOut = (await run(convert({}))).out;
  });

  it('stores W, R and both head kernels as int8 (float embedding and biases), default domain only', () => {
    const bytes = convert({ scheme: 'int8-weights' });
    const m = parseModel(bytes);
    const g = m.graph as onnx.GraphProto;
    const types = Object.fromEntries(g.initializer.map((t) => [t.name, t.dataType]));
    expect(types).toMatchObject({ 'lstm.W.q': 3, 'lstm.R.q': 3, 'score.kernel.q': 3, 'family.kernel.q': 3, 'embedding.weight': 1, 'lstm.B': 1, 'family.bias': 1 });
    expect(g.node.filter((n) => n.opType === 'DequantizeLinear')).toHaveLength(0);
    expect(g.node.filter((n) => n.opType === 'Cast').map((n) => n.input![0])).toEqual(['lstm.W.q', 'lstm.R.q', 'score.kernel.q', 'family.kernel.q']);
    expect(m.opsetImport.map((o) => o.domain)).toEqual(['']);
    expect(m.metadataProps.find((p) => p.key === 'dga.weights')?.value).toMatch(/^int8-weights: int8 per-channel symmetric/);
    // The float embedding (and, when folding padding, the float pad-state tables) is a large share of a tiny model.
    expect(convert({ scheme: 'int8-weights', foldPadding: false }).length).toBeLessThan(convert({ foldPadding: false }).length * 0.75);
    expect(bytes.length - convert({ scheme: 'int8-weights', foldPadding: false }).length).toBe(convert({}).length - convert({ foldPadding: false }).length);
    expect(sha256(convert({ scheme: 'int8-weights' }))).toBe(sha256(bytes));
  });

  it('stays close to the float model (score, logit, family) and does not depend on the batch', async () => {
    const { scorer, out } = await run(convert({ scheme: 'int8-weights' }));
    const c = compareOutputs(floatOut, out, 0.5);
    console.info(
      `tiny model int8-weights vs float over ${c.count} names: max |score| ${c.maxScoreDiff.toExponential(2)}, |logit| ${c.maxLogitDiff.toExponential(2)}, ` +
        `|family p| ${c.maxFamilyDiff!.toExponential(2)}; same decision ${(100 * c.sameDecision).toFixed(2)}%, same top family ${(100 * c.familyArgmaxAgreement!).toFixed(2)}%`,
    );
    expect(c.nonFinite).toBe(false);
    expect(c.maxScoreDiff).toBeLessThan(0.02);
    expect(c.maxFamilyDiff).toBeLessThan(0.02);
    expect(c.sameDecision).toBeGreaterThanOrEqual(0.995);
    for (let i = 0; i < 40; i++) {
      const alone = await scorer.score(chars.subarray(i * T, (i + 1) * T), 1);
      expect(Math.abs(alone.scores[0]! - out.scores[i]!)).toBeLessThan(1e-6);
    }
  });

  it('gives the same outputs with DequantizeLinear or Cast+Mul, with the embedding as int8 when asked', async () => {
    const castMul = (await run(convert({ scheme: 'int8-weights' }))).out;
    const dq = (await run(convert({ scheme: 'int8-weights', dequantize: 'DequantizeLinear' }))).out;
    expect(compareOutputs(castMul, dq).maxScoreDiff).toBeLessThan(1e-6);
    const withEmbedding = convert({ scheme: 'int8-weights', int8Embedding: true });
    const g = parseModel(withEmbedding).graph as onnx.GraphProto;
    expect(g.initializer.find((t) => t.name === 'embedding.weight.q')?.dataType).toBe(3);
    expect(compareOutputs(floatOut, (await run(withEmbedding)).out).nonFinite).toBe(false);
  });

  it('unrolls the LSTM exactly (float) and runs the dynamic-quantization schemes', async () => {
    const unrolled = compareOutputs(floatOut, (await run(convert({ scheme: 'float-unrolled' }))).out);
    expect(unrolled.maxScoreDiff).toBeLessThan(1e-5);
    expect(unrolled.maxLogitDiff).toBeLessThan(1e-5);
    expect(unrolled.maxFamilyDiff).toBeLessThan(1e-5);
    const dqlstmBytes = convert({ scheme: 'int8-dqlstm' });
    expect(parseModel(dqlstmBytes).opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 17], ['com.microsoft', 1]]);
    for (const [label, bytes] of [['int8-dqlstm', dqlstmBytes], ['int8-mmi', convert({ scheme: 'int8-mmi' })]] as const) {
      const c = compareOutputs(floatOut, (await run(bytes)).out, 0.5);
      console.info(`tiny model ${label} vs float: max |score| ${c.maxScoreDiff.toExponential(2)}, same decision ${(100 * c.sameDecision).toFixed(2)}%`);
      expect(c.nonFinite).toBe(false);
      expect(c.maxScoreDiff).toBeLessThan(0.5);
    }
  });

  it('has family outputs of the right shape in every scheme', async () => {
    for (const scheme of ['int8-weights', 'int8-dqlstm', 'int8-mmi'] as const) {
      const { out } = await run(convert({ scheme }));
      expect(out.families?.length).toBe(names.length * K);
    }
  });
});
