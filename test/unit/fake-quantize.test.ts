import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createEncoder, DEFAULT_VOCABULARY } from '../../src/core/encode.js';
import { createOnnxScorer } from '../../src/runtime/onnx-scorer.js';
import { ortWasmPath } from '../../src/runtime/node-model.js';
import { createRng } from '../../scripts/lib/dataset.js';
import { FakeQuantizer, quantizedWeights, snapModelToInt8Grid, snapToInt8Grid } from '../../scripts/lib/fake-quantize.js';
import { compareOutputs, scoreInBatches } from '../../scripts/lib/parity.js';
import { convertLayersModel, padStepsInputOf } from '../../scripts/lib/tfjs-to-onnx.js';
import { setupWasmBackend } from '../../scripts/lib/tfjs-wasm-backend.js';
import { createFamilyModel, trainLoop, type EncodedFamilySet } from '../../scripts/lib/train-model.js';
import { generateNames } from '../fixtures/names.js';
import { artifactsOf, buildTinyFunctional, setSeededWeights } from '../fixtures/tiny-models.js';

const families = ['benign', 'alpha', 'beta', 'other'];
const T = 12;

beforeAll(async () => {
  await setupWasmBackend();
});

function onGrid(v: tf.LayerVariable): boolean {
  const values = v.read().dataSync() as Float32Array;
  const again = snapToInt8Grid(values, v.shape as number[]);
  return values.every((x, i) => x === again[i]);
}

function data(seed: number, n: number): EncodedFamilySet {
  const rng = createRng(seed);
  const family = Int32Array.from({ length: n }, () => Math.floor(rng() * 4));
  const x = Int32Array.from({ length: n * T }, (_, i) => 1 + ((family[Math.floor(i / T)]! * 7 + Math.floor(rng() * 5)) % 38));
  return { x, y: Float32Array.from(family, (f) => (f === 0 ? 0 : 1)), family, n, maxLength: T };
}

describe('quantization-aware training (fake-quantize.ts)', () => {
  it('targets exactly the kernels the int8 export stores as int8', async () => {
    await tf.setBackend('cpu');
    const names = quantizedWeights(buildTinyFunctional()).map((v) => v.originalName);
    expect(names).toEqual(['lstm/recurrent_kernel', 'lstm/kernel', 'score/kernel', 'family/kernel']);
    expect(quantizedWeights(buildTinyFunctional({ family: false })).map((v) => v.originalName)).toHaveLength(3);
    // A bidirectional LSTM holds both directions' kernels; each is stored as int8.
    const bidi = createFamilyModel({ vocabulary: DEFAULT_VOCABULARY, maxLength: T, embeddingDim: 4, units: 3, dropout: 0, learningRate: 0.01, families, familyLossWeight: 0.5, masked: true, bidirectional: true });
    expect(quantizedWeights(bidi).map((v) => v.originalName)).toEqual([
      'lstm/forward_lstm/recurrent_kernel', 'lstm/backward_lstm/recurrent_kernel', 'lstm/forward_lstm/kernel', 'lstm/backward_lstm/kernel', 'score/kernel', 'family/kernel',
    ]);
  });

  it('snaps per output column, idempotently, within half a step of the original', () => {
    const w = Float32Array.from([0.5, -2, 0.01, 1.27, 0.3, -0.001]); // [3, 2]: columns [0.5, 0.01, 0.3], [-2, 1.27, -0.001]
    const s = snapToInt8Grid(w, [3, 2]);
    expect(s[0]).toBe(0.5); // the column maximum is exact
    expect(s[1]).toBe(-2);
    expect(Math.abs(s[2]! - 0.01)).toBeLessThanOrEqual(0.5 / 127 / 2 + 1e-9);
    expect(Math.abs(s[5]! - -0.001)).toBeLessThanOrEqual(2 / 127 / 2 + 1e-9);
    expect([...snapToInt8Grid(s, [3, 2])]).toEqual([...s]);
  });

  it('enter() puts the grid values in place; leave() restores the float weights plus what changed meanwhile', async () => {
    await tf.setBackend('cpu');
    const model = buildTinyFunctional();
    setSeededWeights(model, 7);
    const [recurrent] = quantizedWeights(model);
    const before = recurrent!.read().dataSync().slice();
    const q = new FakeQuantizer(model);
    q.enter();
    expect(quantizedWeights(model).every(onGrid)).toBe(true);
    expect(() => q.enter()).toThrow(/already entered/);
    q.leave();
    expect([...recurrent!.read().dataSync()]).toEqual([...before]);
    q.enter();
    const grid = recurrent!.read().dataSync().slice();
    recurrent!.write(tf.tidy(() => recurrent!.read().add(0.001))); // an optimizer step while entered
    q.leave();
    const after = recurrent!.read().dataSync();
    after.forEach((v, i) => expect(v).toBeCloseTo(before[i]! + (Math.fround(grid[i]! + 0.001) - grid[i]!), 6));
    expect(() => q.leave()).toThrow(/not entered/);
  });

  it('trains on the grid and ends on it, so the int8 ONNX computes what the float ONNX computes', async () => {
    await tf.setBackend('wasm');
    Math.random = createRng(11);
    const model = createFamilyModel({ vocabulary: DEFAULT_VOCABULARY, maxLength: T, embeddingDim: 6, units: 8, dropout: 0.2, learningRate: 0.01, families, familyLossWeight: 0.5 });
    const start = model.getWeights().map((w) => w.dataSync().slice());
    const result = await trainLoop(model, data(1, 512), data(2, 128), {
      epochs: 2, batchSize: 64, seed: 3, monitor: 'val_loss', patience: 5, minDelta: 0, familyLossWeight: 0.5, quantizationAware: true,
    });
    expect(result.state.history).toHaveLength(2);
    expect(result.state.history.every((h) => Number.isFinite(h.val_loss))).toBe(true);
    expect(quantizedWeights(model).every(onGrid)).toBe(true);
    // It learned: the weights moved by more than rounding would.
    const moved = model.getWeights().some((w, i) => w.dataSync().some((v, j) => Math.abs(v - start[i]![j]!) > 0.05));
    expect(moved).toBe(true);

    await tf.setBackend('cpu');
    const a = await artifactsOf(model);
    const metadata = { vocabulary: DEFAULT_VOCABULARY, maxLength: T, threshold: 0.5, families, onnx: { input: 'chars', score: 'score', logit: 'logit', family: 'family' } };
    const input = { modelJson: a.json, weights: a.weights, metadata };
    const names = generateNames(1000, 5);
    const chars = createEncoder(metadata).encodeBatch(names);
    const wasm = await readFile(ortWasmPath());
    const outputs = async (bytes: Uint8Array) => {
      const scorer = await createOnnxScorer({ model: bytes, wasm, maxLength: T, familyName: 'family', padStepsName: padStepsInputOf(bytes) });
      return scoreInBatches(scorer, chars, names.length, T);
    };
    const c = compareOutputs(await outputs(convertLayersModel(input)), await outputs(convertLayersModel(input, { scheme: 'int8-weights' })), 0.5);
    expect(c.maxScoreDiff).toBeLessThan(1e-6);
    expect(c.maxFamilyDiff).toBeLessThan(1e-6);
    expect(c.sameDecision).toBe(1);
  });

  it('snapModelToInt8Grid leaves other weights alone', async () => {
    await tf.setBackend('cpu');
    const model = buildTinyFunctional();
    setSeededWeights(model, 9);
    const embedding = model.getLayer('embedding').getWeights()[0]!.dataSync().slice();
    snapModelToInt8Grid(model);
    expect(quantizedWeights(model).every(onGrid)).toBe(true);
    expect([...model.getLayer('embedding').getWeights()[0]!.dataSync()]).toEqual([...embedding]);
  });
});
