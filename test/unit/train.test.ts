import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_VOCABULARY } from '../../src/core/encode.js';
import { parseModelMetadata } from '../../src/core/metadata.js';
import { normalizeDomain } from '../../src/core/normalize.js';
import { buildDataset, checkDataDir, createRng, loadDataset, readDataDir } from '../../scripts/lib/dataset.js';
import { fileLoadHandler } from '../../scripts/lib/tfjs-files.js';
import { setupWasmBackend } from '../../scripts/lib/tfjs-wasm-backend.js';
import { createModel, LAYER_NAMES, rocAuc, thresholdAtFpr } from '../../scripts/lib/train-model.js';

const ROOT = resolve(import.meta.dirname, '../..');
const run = promisify(execFile);
let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'dga-train-test-'));
  await setupWasmBackend();
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** Runs `fn` on a backend and returns plain arrays (no tensors cross backends). */
async function on<T>(backend: 'cpu' | 'wasm', fn: () => T | Promise<T>): Promise<T> {
  await tf.setBackend(backend);
  return fn();
}

function rand(seed: number, shape: number[]): tf.Tensor {
  const rng = createRng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => rng() * 2 - 1), shape);
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-4): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  expect(worst).toBeLessThanOrEqual(tol);
}

describe('createModel', () => {
  it('builds embedding -> lstm -> dropout -> score with the exporter-facing options', async () => {
    await tf.setBackend('wasm');
    const model = createModel({ vocabulary: DEFAULT_VOCABULARY, maxLength: 8, embeddingDim: 4, units: 3, dropout: 0.5, learningRate: 0.01 });
    expect(model.layers.map((l) => l.name)).toEqual([...LAYER_NAMES]);
    const [embedding, lstm, , score] = model.layers;
    expect(embedding!.getConfig()).toMatchObject({ inputDim: DEFAULT_VOCABULARY.length + 1, outputDim: 4, inputLength: 8, maskZero: false });
    expect(lstm!.getConfig()).toMatchObject({ units: 3, activation: 'tanh', recurrentActivation: 'sigmoid', returnSequences: false, useBias: true });
    expect(score!.getConfig()).toMatchObject({ units: 1, activation: 'sigmoid' });
    expect(lstm!.getWeights().map((w) => w.shape)).toEqual([[4, 12], [3, 12], [12]]);
    const x = tf.tensor2d(Int32Array.from({ length: 5 * 8 }, (_, i) => i % 38), [5, 8], 'int32');
    const y = model.predict(x) as tf.Tensor;
    expect(y.shape).toEqual([5, 1]);
    for (const p of y.dataSync()) expect(p > 0 && p < 1).toBe(true);
    tf.dispose([x, y]);
    model.dispose();
  });
});

describe('wasm training kernels match the cpu backend', () => {
  it('UnsortedSegmentSum (the Embedding gradient), including out-of-range ids', async () => {
    const ids = [0, 3, 3, 9, 1, 0, -1, 12, 5, 5, 5, 2];
    const compute = () =>
      tf.tidy(() => tf.unsortedSegmentSum(rand(1, [ids.length, 7]), tf.tensor1d(ids, 'int32'), 10).dataSync().slice());
    const cpu = await on('cpu', compute);
    const wasm = await on('wasm', compute);
    expectClose(wasm, cpu);
    // and through the gather gradient, as the Embedding layer uses it
    const grad = () =>
      tf.tidy(() => {
        const table = rand(2, [38, 5]);
        const idx = tf.tensor2d([[0, 0, 3, 7], [37, 3, 3, 1]], [2, 4], 'int32');
        return tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, idx), rand(3, [2, 4, 5]))))(table).dataSync().slice();
      });
    expectClose(await on('wasm', grad), await on('cpu', grad));
  });

  it('BatchMatMul and fused MatMul with transposed operands', async () => {
    const compute = () =>
      tf.tidy(() => {
        const out: number[] = [];
        for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
          const a = rand(4, ta ? [17, 9] : [9, 17]);
          const b = rand(5, tb ? [6, 17] : [17, 6]);
          out.push(...tf.matMul(a, b, ta, tb).dataSync());
          const a3 = rand(6, ta ? [3, 17, 9] : [3, 9, 17]);
          const b3 = rand(7, tb ? [3, 6, 17] : [3, 17, 6]);
          out.push(...tf.matMul(a3, b3, ta, tb).dataSync());
          out.push(...tf.fused.matMul({ a, b, transposeA: ta, transposeB: tb, bias: rand(8, [6]), activation: 'relu' }).dataSync());
        }
        return out;
      });
    expectClose(await on('wasm', compute), await on('cpu', compute));
  });

  it('Slice, Unpack and SplitV (copy-free versions)', async () => {
    const compute = () =>
      tf.tidy(() => {
        const x = rand(9, [4, 5, 6]);
        const out: number[] = [];
        out.push(...tf.slice(x, [1, 0, 0], [2, 5, 6]).dataSync()); // contiguous
        out.push(...tf.slice(x, [1, 2, 3], [3, 2, 2]).dataSync()); // strided
        out.push(...tf.slice(rand(10, [3, 4, 5, 2]), [0, 1, 1, 1], [2, 3, 3, 1]).dataSync());
        out.push(...tf.slice(rand(11, [7, 8]), [2, 3], [4, -1]).dataSync());
        for (const t of tf.unstack(x, 1)) out.push(...t.dataSync());
        for (const t of tf.unstack(x, 0)) out.push(...t.dataSync());
        for (const t of tf.split(x, [1, 3, 2], 2)) out.push(...t.dataSync());
        for (const t of tf.split(x, 2, 0)) out.push(...t.dataSync());
        return out;
      });
    expectClose(await on('wasm', compute), await on('cpu', compute), 0);
  });

  it('one LSTM training step gives the same weights on wasm and cpu', async () => {
    const options = { vocabulary: DEFAULT_VOCABULARY, maxLength: 10, embeddingDim: 6, units: 5, dropout: 0, learningRate: 0.01 };
    const rng = createRng(12);
    const xs = Int32Array.from({ length: 16 * 10 }, (_, i) => (i % 10 < 4 ? 0 : 1 + Math.floor(rng() * 37)));
    const ys = Float32Array.from({ length: 16 }, (_, i) => i % 2);
    let initial: { values: Float32Array; shape: number[] }[] = [];
    const step = async (): Promise<number[][]> => {
      const model = createModel(options);
      if (initial.length === 0) initial = model.getWeights().map((w) => ({ values: w.dataSync().slice() as Float32Array, shape: w.shape }));
      else model.setWeights(initial.map((w) => tf.tensor(w.values, w.shape)));
      const x = tf.tensor2d(xs, [16, 10], 'int32');
      const y = tf.tensor2d(ys, [16, 1]);
      await model.trainOnBatch(x, y);
      await model.trainOnBatch(x, y);
      const weights = model.getWeights().map((w) => Array.from(w.dataSync()));
      tf.dispose([x, y]);
      model.dispose();
      return weights;
    };
    const cpu = await on('cpu', step);
    const wasm = await on('wasm', step);
    expect(wasm.length).toBe(cpu.length);
    wasm.forEach((w, i) => expectClose(w, cpu[i]!));
  });
});

async function writeTree(dir: string, files: Record<string, string[]>): Promise<void> {
  for (const [path, lines] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), `${lines.join('\n')}\n`);
  }
}

function randomLabels(seed: number, count: number, length: number): string[] {
  const rng = createRng(seed);
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  return Array.from({ length: count }, () => Array.from({ length }, () => letters[Math.floor(rng() * 26)]).join(''));
}

describe('dataset', () => {
  let dir: string;
  const BENIGN = ['google', 'facebook', 'wikipedia', 'amazon', 'twitter', 'reddit', 'github', 'mozilla', 'apple', 'yahoo',
    'netflix', 'spotify', 'dropbox', 'linkedin', 'bing', 'ebay', 'paypal', 'adobe', 'cnn', 'bbc'];

  beforeAll(async () => {
    dir = join(tmp, 'data');
    await writeTree(dir, {
      'benign/a.txt': [...BENIGN.map((b) => `${b}.com`), 'www.google.com', 'qiita.com', 'news.bbc.co.uk', '1.2.3.4', 'bad_name.com', '', '# comment'],
      'benign/b.txt': ['google.com', 'google.de', 'GitHub.com.', 'bbc.co.uk'],
      'dga/src1/conficker.txt': ['qiita.com', 'qiita.net', 'xkcdqwpz.org', 'xkcdqwpz.info', ...randomLabels(1, 10, 8).map((l) => `${l}.biz`)],
      'dga/src2/conficker.txt': ['xkcdqwpz.org', ...randomLabels(2, 5, 9).map((l) => `${l}.ws`)],
      'dga/src2/tinba.txt': randomLabels(3, 40, 12).map((l) => `${l}.in`),
      'dga/src2/readme.md': ['not a list'],
    });
  });

  it('rejects a directory without benign/ or dga/', async () => {
    expect(() => checkDataDir(join(tmp, 'nope'))).toThrow(/does not exist/);
    await mkdir(join(tmp, 'half', 'benign'), { recursive: true });
    expect(() => checkDataDir(join(tmp, 'half'))).toThrow(/no dga\/ folder/);
    await expect(readDataDir(join(tmp, 'half'))).rejects.toThrow(/no dga\//);
  });

  it('normalises, de-duplicates, lets benign win and assigns families', async () => {
    const ds = await loadDataset(dir, { seed: 7, valFraction: 0.3 });
    const all = [...ds.train, ...ds.validation];
    const s = ds.summary;
    expect(s.perClass.benign.invalid).toBe(2);
    expect(s.perClass.dga.invalid).toBe(0);
    // qiita.com is in both lists (name-level), qiita.net shares the benign scored label "qiita"
    expect(s.benignWinsNames).toBe(1);
    expect(s.benignWinsScored).toBe(1);
    expect(all.filter((e) => e.scored === 'qiita').map((e) => e.label)).toEqual([0]);
    // one example per (scored, label): google.com / www.google.com / google.de collapse into "google"
    const keys = all.map((e) => `${e.label}:${e.scored}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(all.filter((e) => e.scored === 'google')).toHaveLength(1);
    expect(all.filter((e) => e.scored === 'xkcdqwpz')).toHaveLength(1);
    // families: benign, and the DGA file name merged across sources
    expect(s.perFamily.conficker!.files).toEqual(['dga/src1/conficker.txt', 'dga/src2/conficker.txt']);
    for (const e of all) {
      if (e.label === 0) expect(e.family).toBe('benign');
      else expect(e.family).toBe(e.file.split('/').pop()!.replace(/\.txt$/, ''));
    }
    expect(all.filter((e) => e.family === 'conficker')).toHaveLength(1 + 10 + 5); // xkcdqwpz + 10 + 5
    expect(all.filter((e) => e.family === 'tinba')).toHaveLength(40);
    expect(all.filter((e) => e.label === 0)).toHaveLength(BENIGN.length + 1); // + qiita
    expect(s.duplicateNames).toBe(3); // google.com, GitHub.com., xkcdqwpz.org
  });

  it('never puts a registrable name (or a scored label) on both sides of the split', async () => {
    const entries = await readDataDir(dir);
    for (const seed of [1, 2, 3, 4, 5]) {
      const ds = buildDataset(entries, { seed, valFraction: 0.4 });
      expect(ds.train.length).toBeGreaterThan(0);
      expect(ds.validation.length).toBeGreaterThan(0);
      const trainScored = new Set(ds.train.map((e) => e.scored));
      const valScored = new Set(ds.validation.map((e) => e.scored));
      expect([...trainScored].filter((x) => valScored.has(x))).toEqual([]);
      // every raw name's registrable name goes where its scored label went
      const side = (scored: string) => (trainScored.has(scored) ? 'train' : valScored.has(scored) ? 'val' : 'dropped');
      const sides = new Map<string, Set<string>>();
      for (const e of entries) {
        let n;
        try {
          n = normalizeDomain(e.domain);
        } catch {
          continue;
        }
        const reg = n.registrable || n.name;
        const set = sides.get(reg) ?? new Set<string>();
        const where = side(n.scored);
        if (where !== 'dropped') set.add(where);
        sides.set(reg, set);
      }
      for (const [reg, set] of sides) expect(set.size, reg).toBeLessThanOrEqual(1);
    }
  });

  it('caps families, subsamples and is reproducible for a seed', async () => {
    const entries = await readDataDir(dir);
    const a = buildDataset(entries, { seed: 3, valFraction: 0.2, familyCap: 12, sample: 40 });
    const b = buildDataset(entries, { seed: 3, valFraction: 0.2, familyCap: 12, sample: 40 });
    const all = [...a.train, ...a.validation];
    expect(all).toHaveLength(40);
    expect(a.summary.perFamily.tinba!.capped).toBe(28);
    expect(all.filter((e) => e.family === 'tinba').length).toBeLessThanOrEqual(12);
    expect(all.filter((e) => e.family === 'conficker').length).toBeLessThanOrEqual(12);
    expect(a.train.map((e) => e.scored)).toEqual(b.train.map((e) => e.scored));
    expect(a.validation.map((e) => e.scored)).toEqual(b.validation.map((e) => e.scored));
  });
});

describe('metrics', () => {
  it('AUC and threshold at a target FPR', () => {
    expect(rocAuc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).toBe(1);
    expect(rocAuc([0.5, 0.5], [0, 1])).toBe(0.5);
    const negatives = Array.from({ length: 1000 }, (_, i) => i / 1000);
    const values = [...negatives, 0.995, 0.5];
    const labels = [...negatives.map(() => 0), 1, 1];
    const t = thresholdAtFpr(values, labels, 0.005, 1);
    expect(t.fpr).toBe(0.005); // 0.995..0.999
    expect(t.threshold).toBeGreaterThan(0.994);
    expect(t.threshold).toBeLessThan(0.995);
    expect(t.tpr).toBe(0.5);
    expect(t.note).toMatch(/noisy/);
  });
});

describe('scripts/train.ts end to end', () => {
  it('trains one epoch on a tiny data set and writes model.json, weights.bin and metadata.json', async () => {
    const data = join(tmp, 'e2e-data');
    await writeTree(data, {
      'benign/top.txt': ['google.com', 'facebook.com', 'wikipedia.org', 'amazon.com', 'twitter.com', 'reddit.com', 'github.com',
        'mozilla.org', 'apple.com', 'yahoo.com', 'netflix.com', 'spotify.com', 'dropbox.com', 'linkedin.com', 'bing.com',
        'ebay.com', 'paypal.com', 'adobe.com', 'cnn.com', 'bbc.co.uk', 'stackoverflow.com', 'nytimes.com', 'weather.com', 'imdb.com'],
      'dga/gen/tinba.txt': randomLabels(5, 16, 12).map((l) => `${l}.com`),
      'dga/gen/conficker.txt': randomLabels(6, 16, 7).map((l) => `${l}.net`),
    });
    const out = join(tmp, 'e2e-model');
    const { stderr } = await run(
      process.execPath,
      ['--import', 'tsx', 'scripts/train.ts', '--data', data, '--out', out, '--epochs', '1', '--embedding-dim', '4', '--units', '4',
        '--batch-size', '16', '--max-length', '16', '--val-fraction', '0.3', '--seed', '3', '--version', 'test-1'],
      { cwd: ROOT, timeout: 60_000 },
    );
    expect(stderr).toMatch(/epoch 1\/1/);
    expect(stderr).toMatch(/validation AUC/);
    expect(existsSync(join(out, 'tfjs', 'model.json'))).toBe(true);
    expect(existsSync(join(out, 'tfjs', 'weights.bin'))).toBe(true);
    const meta = parseModelMetadata(JSON.parse(await readFile(join(out, 'metadata.json'), 'utf8')));
    expect(meta).toMatchObject({
      id: 'dga-lstm',
      version: 'test-1',
      vocabulary: DEFAULT_VOCABULARY,
      maxLength: 16,
      padding: 'pre',
      architecture: { cell: 'lstm', embeddingDim: 4, units: 4, dropout: 0.5, recurrentActivation: 'sigmoid' },
      onnx: { input: 'chars', score: 'score', logit: 'logit' },
    });
    expect(meta.training).toMatchObject({ epochs: 1, seed: 3 });
    expect(meta.training.commandLine).toMatch(/scripts\/train\.ts/);
    await tf.setBackend('wasm');
    const model = await tf.loadLayersModel(fileLoadHandler(join(out, 'tfjs')));
    expect(model.layers.map((l) => l.name)).toEqual([...LAYER_NAMES]);
    const y = model.predict(tf.zeros([2, 16], 'int32')) as tf.Tensor;
    expect(y.shape).toEqual([2, 1]);
  }, 60_000);

  it('fails clearly when --data is missing its folders', async () => {
    const err = await run(process.execPath, ['--import', 'tsx', 'scripts/train.ts', '--data', join(tmp, 'nope')], { cwd: ROOT }).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(err?.code).toBe(2);
    expect(err?.stderr).toMatch(/does not exist/);
  });
});
