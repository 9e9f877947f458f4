import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_VOCABULARY } from '../../src/core/encode.js';
import { parseModelMetadata, type ModelMetadata } from '../../src/core/metadata.js';
import { parameterCount } from '../../scripts/lib/report.js';
import { normalizeDomain } from '../../src/core/normalize.js';
import { buildDataset, buildSplits, checkDataDir, createRng, formatSplitTsv, loadDataset, parseSplitTsv, readDataDir, readSplitFile } from '../../scripts/lib/dataset.js';
import { BigramIndex, MaskedSum, TrigramIndex } from '../../scripts/lib/bigram-index.js';
import { canonicalFamily } from '../../scripts/lib/family-map.js';
import { fileLoadHandler, fileSaveHandler } from '../../scripts/lib/tfjs-files.js';
import { setupWasmBackend } from '../../scripts/lib/tfjs-wasm-backend.js';
import {
  benignWeightedBinaryCrossentropy,
  BIGRAM_EMBEDDING,
  TRIGRAM_EMBEDDING,
  FOURGRAM_EMBEDDING,
  copyWeights,
  createFamilyModel,
  createModel,
  FAMILY_MODEL_LAYER_NAMES,
  familyMetrics,
  isMasked,
  LAYER_NAMES,
  lengthBuckets,
  loadCheckpoint,
  loadLayersModelDir,
  nextLearningRate,
  predictAll,
  rocAuc,
  rowLengths,
  thresholdAtFpr,
  trainLoop,
  type EncodedFamilySet,
} from '../../scripts/lib/train-model.js';

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

  it('refuses a learning-rate patience that early stopping would never reach', async () => {
    const err = await run(process.execPath, ['--import', 'tsx', 'scripts/train.ts', '--data', join(tmp, 'nope'), '--lr-patience', '3', '--patience', '3'], { cwd: ROOT }).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(err?.code).toBe(2);
    expect(err?.stderr).toMatch(/--lr-patience 3 must be below --patience 3/);
  });

  it('refuses a bidirectional LSTM over counted padding', async () => {
    const err = await run(process.execPath, ['--import', 'tsx', 'scripts/train.ts', '--data', join(tmp, 'nope'), '--bidirectional', '--padding', 'count'], { cwd: ROOT }).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(err?.code).toBe(2);
    expect(err?.stderr).toMatch(/--bidirectional needs --padding mask/);
  });

  it('refuses a four-gram table without the trigram table it extends', async () => {
    const err = await run(process.execPath, ['--import', 'tsx', 'scripts/train.ts', '--data', join(tmp, 'nope'), '--fourgrams', '16383'], { cwd: ROOT }).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(err?.code).toBe(2);
    expect(err?.stderr).toMatch(/--fourgrams needs --trigrams/);
  });
});

describe('dataset v2 (build-dataset splits)', () => {
  let dir: string;
  const benign = [...randomLabels(20, 60, 7).map((l) => `${l}.com`), 'qiita.com', 'www.example.org', 'example.org'];
  beforeAll(async () => {
    dir = join(tmp, 'data-v2');
    await writeTree(dir, {
      'benign/top.txt': benign,
      // the same algorithm under three source names -> one canonical family "gameover"
      'dga/netlab/gameover.txt': randomLabels(21, 30, 26).map((l) => `${l}1.com`),
      'dga/unknown/gameover_zeus.txt': randomLabels(22, 30, 26).map((l) => `${l}2.net`),
      'dga/gen/newgoz.txt': randomLabels(23, 30, 26).map((l) => `${l}3.org`),
      'dga/gen/conficker.txt': ['qiita.com', 'qiita.net', ...randomLabels(24, 50, 8).map((l) => `${l}.ws`)],
      'dga/gen/tinba.txt': randomLabels(25, 60, 12).map((l) => `www.${l}.in`),
      // rare families -> "other"
      'dga/gen/tofsee.txt': randomLabels(26, 3, 7).map((l) => `${l}.ch`),
      'dga/gen/mirai.txt': randomLabels(27, 2, 12).map((l) => `${l}.online`),
      'dga/gen/matsnu.txt': ['mountainrecordbalance.com', 'gardenwindowlaughter.com', 'lettermachinehistory.com'],
    });
  });

  const opts = { seed: 5, valFraction: 0.2, testFraction: 0.2, familyCap: 0, minFamily: 10, holdoutFamilies: [] as string[] };

  it('applies the family map, pools rare families as "other" and lets benign win', async () => {
    expect(canonicalFamily('gameover_zeus')).toBe('gameover');
    expect(canonicalFamily('newgoz')).toBe('gameover');
    expect(canonicalFamily('zeus')).toBe('gameover');
    expect(canonicalFamily('goz')).toBe('goz');
    const sp = buildSplits(await readDataDir(dir), opts);
    const rows = [...sp.train, ...sp.val, ...sp.test];
    const families = new Set(rows.map((r) => r.family));
    expect([...families].sort()).toEqual(['benign', 'conficker', 'gameover', 'other', 'tinba']);
    expect(rows.filter((r) => r.family === 'gameover')).toHaveLength(90);
    expect(rows.filter((r) => r.family === 'other')).toHaveLength(8); // tofsee 3 + mirai 2 + matsnu 3
    expect(sp.summary.pooledAsOther).toEqual({ matsnu: 3, mirai: 2, tofsee: 3 });
    expect(sp.summary.applied).toMatchObject({ gameover_zeus: 'gameover', newgoz: 'gameover', gameover: 'gameover' });
    expect(sp.summary.benignWinsNames).toBe(1);
    expect(sp.summary.benignWinsScored).toBe(1);
    expect(rows.filter((r) => r.name.startsWith('qiita.')).map((r) => r.label)).toEqual([0]);
    for (const r of rows) expect(r.label === 0).toBe(r.family === 'benign');
    // original names are kept (FQDN), not the normalised label
    expect(rows.some((r) => r.name.startsWith('www.') && r.family === 'tinba')).toBe(true);
  });

  it('never puts a scored label in two splits, for several seeds', async () => {
    const entries = await readDataDir(dir);
    for (const seed of [1, 2, 3]) {
      const sp = buildSplits(entries, { ...opts, seed });
      const sets = (['train', 'val', 'test'] as const).map((k) => new Set(sp[k].map((r) => normalizeDomain(r.name).scored)));
      expect(sets.every((x) => x.size > 0)).toBe(true);
      for (let i = 0; i < 3; i++) for (let j = i + 1; j < 3; j++) expect([...sets[i]!].filter((x) => sets[j]!.has(x))).toEqual([]);
    }
  });

  it('train-only caps add training rows of a family and leave val and test exactly as they were', async () => {
    const entries = await readDataDir(dir);
    const capped = { ...opts, familyCap: 20 };
    const base = buildSplits(entries, capped);
    const more = buildSplits(entries, { ...capped, trainFamilyCaps: { gameover: 80 } });
    const sorted = (rows: { name: string }[]) => rows.map((r) => r.name).sort();
    expect(sorted(more.val)).toEqual(sorted(base.val));
    expect(sorted(more.test)).toEqual(sorted(base.test));
    const baseTrain = new Set(base.train.map((r) => r.name));
    const extra = more.train.filter((r) => !baseTrain.has(r.name));
    expect(extra.length).toBeGreaterThan(20); // ~60% of the 60 rows beyond the cap hash to train
    expect(extra.every((r) => r.family === 'gameover')).toBe(true);
    expect(more.train.filter((r) => baseTrain.has(r.name))).toHaveLength(base.train.length);
    expect(more.summary.counts.gameover!.trainExtra).toBe(extra.length);
    expect(more.summary.droppedByCap).toBe(base.summary.droppedByCap - extra.length);
    // no scored label in two splits, extra rows included
    const heldOut = new Set([...more.val, ...more.test].map((r) => normalizeDomain(r.name).scored));
    expect(extra.filter((r) => heldOut.has(normalizeDomain(r.name).scored))).toEqual([]);
    expect(() => buildSplits(entries, { ...capped, trainFamilyCaps: { matsnu: 80 } })).toThrow(/no such family/);
    expect(() => buildSplits(entries, { ...capped, trainFamilyCaps: { gameover: 10 } })).toThrow(/above the family cap 20/);
  });

  it('leave-family-out: holdout families only in holdout', async () => {
    const sp = buildSplits(await readDataDir(dir), { ...opts, holdoutFamilies: ['gameover_zeus', 'tinba'] });
    for (const k of ['train', 'val', 'test'] as const) expect(sp[k].filter((r) => r.family === 'gameover' || r.family === 'tinba')).toEqual([]);
    expect(sp.holdout).toHaveLength(90 + 60);
    expect(new Set(sp.holdout.map((r) => r.family))).toEqual(new Set(['gameover', 'tinba']));
    expect(sp.summary.options.holdoutFamilies).toEqual(['gameover', 'tinba']);
  });

  it('TSV format round-trips and the CLI writes the split files', async () => {
    const rows = [{ name: 'www.example.com', label: 0 as const, family: 'benign' }, { name: 'abc.biz', label: 1 as const, family: 'other' }];
    expect(formatSplitTsv(rows)).toBe('www.example.com\t0\tbenign\nabc.biz\t1\tother\n');
    expect(parseSplitTsv(formatSplitTsv(rows))).toEqual(rows);
    expect(() => parseSplitTsv('a.com\t2\tx\n')).toThrow(/expected/);
    const out = join(tmp, 'ds-v2');
    await run(process.execPath, ['--import', 'tsx', 'scripts/build-dataset.ts', '--data', dir, '--out', out, '--min-family', '10',
      '--holdout-families', 'tinba', '--val-fraction', '0.2', '--test-fraction', '0.2', '--seed', '5'], { cwd: ROOT, timeout: 30_000 });
    for (const f of ['train', 'val', 'test', 'holdout']) {
      const text = await readFile(join(out, `${f}.tsv`), 'utf8');
      for (const line of text.trimEnd().split('\n')) expect(line).toMatch(/^[^\t]+\t[01]\t[a-z0-9_]+$/);
    }
    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
    expect(summary.counts.tinba.holdout).toBe(60);
    expect(summary.counts.gameover.train + summary.counts.gameover.val + summary.counts.gameover.test).toBe(90);
    const { examples } = await readSplitFile(join(out, 'train.tsv'));
    expect(examples.every((e) => e.scored.length > 0 && !e.scored.includes('.'))).toBe(true);
    // Bad command lines: exit 2 with one line naming the flag, then the usage.
    const refused = async (args: string[]) =>
      run(process.execPath, ['--import', 'tsx', 'scripts/build-dataset.ts', ...args], { cwd: ROOT, timeout: 30_000 }).then(
        () => ({ code: 0, stderr: '' }),
        (e: { code: number; stderr: string }) => e,
      );
    for (const [args, message] of [
      [['--data', dir, '--out', out, '--val-fraction', '1.5'], /--val-fraction must be a number in \[0, 1\), got "1.5"/],
      [['--data', dir, '--out', out, '--seed', 'x'], /--seed must be an integer >= 0, got "x"/],
      [['--data', dir, '--out', out, '--train-cap', 'tinba'], /bad --train-cap tinba/],
      [['--data', join(tmp, 'nope'), '--out', out], /--data: data directory .* does not exist/],
      [['--out', out], /--data is required/],
      [['--data', dir, '--out', out, '--val-fraction', '0.6', '--test-fraction', '0.5'], /valFraction \+ testFraction/],
    ] as const) {
      const r = await refused([...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toMatch(/Usage: npx tsx scripts\/build-dataset.ts/);
    }
  }, 60_000);
});

describe('two-headed model, checkpoints and early stopping', () => {
  const families = ['benign', 'conficker', 'tinba', 'other'];
  const make = (seed: number) => {
    Math.random = createRng(seed);
    return createFamilyModel({ vocabulary: DEFAULT_VOCABULARY, maxLength: 8, embeddingDim: 4, units: 3, dropout: 0.2, learningRate: 0.01, families, familyLossWeight: 0.5 });
  };
  const data = (seed: number, n: number): EncodedFamilySet => {
    const rng = createRng(seed);
    const family = Int32Array.from({ length: n }, () => Math.floor(rng() * 4));
    const x = Int32Array.from({ length: n * 8 }, (_, i) => 1 + ((family[Math.floor(i / 8)]! * 7 + Math.floor(rng() * 5)) % 38));
    return { x, y: Float32Array.from(family, (f) => (f === 0 ? 0 : 1)), family, n, maxLength: 8 };
  };

  it('has input chars, the exporter-facing layers and [n,1] + [n,K] outputs', async () => {
    await tf.setBackend('wasm');
    const model = make(1);
    expect(model.layers.map((l) => l.name)).toEqual([...FAMILY_MODEL_LAYER_NAMES]);
    expect(model.inputNames).toEqual(['chars']);
    expect(model.getLayer('lstm').getConfig()).toMatchObject({ recurrentActivation: 'sigmoid', returnSequences: false });
    expect(model.getLayer('family').getConfig()).toMatchObject({ units: 4, activation: 'softmax' });
    const [score, family] = model.predict(tf.zeros([3, 8], 'int32')) as tf.Tensor[];
    expect(score!.shape).toEqual([3, 1]);
    expect(family!.shape).toEqual([3, 4]);
    const sums = tf.sum(family!, 1).dataSync();
    for (const v of sums) expect(v).toBeCloseTo(1, 5);
    const m = familyMetrics([0, 1, 1, 2], [0, 1, 2, 2], families, 1);
    expect(m.accuracy).toBe(0.75);
    expect(m.perClass.tinba!.precision).toBe(0.5);
  });

  it('checkpoints every epoch and resumes from the saved epoch with the optimizer state', async () => {
    await tf.setBackend('wasm');
    const dir = join(tmp, 'ck');
    const base = { batchSize: 32, seed: 3, monitor: 'val_loss' as const, patience: 5, minDelta: 0, familyLossWeight: 0.5, checkpointDir: dir, checkpointInfo: { families } };
    const train = data(1, 256);
    const val = data(2, 64);
    const first = await trainLoop(make(2), train, val, { ...base, epochs: 1 });
    expect(first.state.epoch).toBe(1);
    expect((await readFile(join(dir, 'latest'), 'utf8')).trim()).toBe('epoch-001');
    const ck = await loadCheckpoint(dir, { learningRate: 0.01, familyLossWeight: 0.5 });
    expect(ck.info).toEqual({ families });
    expect(ck.state.epoch).toBe(1);
    const iter = (await ck.model.optimizer.getWeights())[0]!;
    expect(iter.tensor.dataSync()[0]).toBe(8); // 256 / 32 steps
    const epochsSeen: number[] = [];
    const second = await trainLoop(ck.model, train, val, { ...base, epochs: 3, resume: { state: ck.state, bestWeights: ck.bestWeights }, onEpochEnd: (r) => epochsSeen.push(r.epoch) });
    expect(epochsSeen).toEqual([2, 3]);
    expect(second.state.history.map((h) => h.epoch)).toEqual([1, 2, 3]);
    expect((await readFile(join(dir, 'latest'), 'utf8')).trim()).toBe('epoch-003');
    expect((await readdir(dir)).filter((e) => e.startsWith('epoch-'))).toEqual(['epoch-003']);
  });

  it('keepEpochWeights leaves every epoch\'s tfjs weights; only the newest epoch can be resumed from', async () => {
    await tf.setBackend('wasm');
    const dir = join(tmp, 'ck-keep');
    const weightsAfter: Float32Array[] = [];
    await trainLoop(make(3), data(1, 128), data(2, 32), {
      epochs: 3, batchSize: 32, seed: 3, monitor: 'val_loss', patience: 5, minDelta: 0, familyLossWeight: 0.5, checkpointDir: dir, keepEpochWeights: true,
      onEpochEnd: () => undefined,
      afterEpochTrain: (_epoch, m) => {
        weightsAfter.push(m.getWeights()[0]!.dataSync().slice() as Float32Array);
      },
    });
    expect((await readdir(dir)).filter((e) => e.startsWith('epoch-')).sort()).toEqual(['epoch-001', 'epoch-002', 'epoch-003']);
    expect((await readdir(join(dir, 'epoch-001'))).sort()).toEqual(['tfjs']);
    expect((await readdir(join(dir, 'epoch-003'))).sort()).toEqual(['best.bin', 'best.json', 'optimizer.bin', 'optimizer.json', 'state.json', 'tfjs']);
    for (const [i, epoch] of ['epoch-001', 'epoch-002', 'epoch-003'].entries()) {
      const saved = await loadLayersModelDir(join(dir, epoch, 'tfjs'));
      expect(Array.from(saved.getWeights()[0]!.dataSync())).toEqual(Array.from(weightsAfter[i]!));
    }
    expect(weightsAfter[0]).not.toEqual(weightsAfter[2]);
  });

  it('average-weights.ts writes the mean of every weight (and snaps to the int8 grid on request); other topologies exit 2', async () => {
    await tf.setBackend('wasm');
    const dirs = [join(tmp, 'avg-a'), join(tmp, 'avg-b'), join(tmp, 'avg-c')];
    const models = [make(11), make(12), make(13)];
    for (const [i, m] of models.entries()) await m.save(fileSaveHandler(dirs[i]!));
    const out = join(tmp, 'avg-out');
    const r = await run(process.execPath, ['--import', 'tsx', 'scripts/average-weights.ts', '--out', out, ...dirs], { cwd: ROOT, timeout: 60_000 });
    expect(r.stderr).toMatch(/mean of 3 models/);
    const avg = await loadLayersModelDir(out);
    const all = models.map((m) => m.getWeights().map((w) => w.dataSync()));
    avg.getWeights().forEach((w, i) => {
      const got = w.dataSync();
      for (let j = 0; j < got.length; j++) expect(got[j]!).toBeCloseTo((all[0]![i]![j]! + all[1]![i]![j]! + all[2]![i]![j]!) / 3, 6);
    });
    // --int8-grid: the LSTM kernel holds at most 255 distinct multiples of one scale per output column.
    await run(process.execPath, ['--import', 'tsx', 'scripts/average-weights.ts', '--int8-grid', '--out', out, ...dirs], { cwd: ROOT, timeout: 60_000 });
    const snapped = (await loadLayersModelDir(out)).getLayer('lstm').getWeights()[0]!;
    const [rows, cols] = snapped.shape as [number, number];
    const values = snapped.dataSync();
    for (let c = 0; c < cols; c++) {
      const column = Array.from({ length: rows }, (_, r) => values[r * cols + c]!);
      const step = Math.max(...column.map(Math.abs)) / 127;
      for (const v of column) expect(Math.abs(v / step - Math.round(v / step))).toBeLessThan(1e-3);
    }
    // A model with other weight shapes is refused with a usage error naming it.
    Math.random = createRng(14);
    const other = createFamilyModel({ vocabulary: DEFAULT_VOCABULARY, maxLength: 8, embeddingDim: 4, units: 5, dropout: 0.2, learningRate: 0.01, families, familyLossWeight: 0.5 });
    const otherDir = join(tmp, 'avg-other');
    await other.save(fileSaveHandler(otherDir));
    const bad = await run(process.execPath, ['--import', 'tsx', 'scripts/average-weights.ts', '--out', out, dirs[0]!, otherDir], { cwd: ROOT, timeout: 60_000 }).catch((e: { code: number; stderr: string }) => e);
    expect((bad as { code: number }).code).toBe(2);
    expect((bad as { stderr: string }).stderr).toMatch(/avg-other: weights differ/);
  }, 120_000);

  it('early stopping restores the best epoch weights', async () => {
    await tf.setBackend('wasm');
    const model = make(4);
    let bestSnapshot: Float32Array[] = [];
    const result = await trainLoop(model, data(5, 256), data(6, 64), {
      epochs: 6, batchSize: 32, seed: 1, monitor: 'val_score_loss', patience: 2, minDelta: 0, familyLossWeight: 0.5,
      afterEpochTrain: (epoch, m) => {
        if (epoch === 1) bestSnapshot = m.getWeights().map((w) => w.dataSync().slice() as Float32Array);
        // ruin every epoch after the second: validation loss gets far worse than epoch 2's
        if (epoch >= 2) m.setWeights(m.getWeights().map((w, i) => tf.mul(w, i % 2 ? -7 : 9)));
      },
    });
    expect(result.state.stopped).toBe(true);
    expect(result.state.epoch).toBe(4); // epochs 3 and 4 worse than 2, patience 2
    expect(result.restoredEpoch).toBe(2);
    model.getWeights().forEach((w, i) => expectClose(w.dataSync(), bestSnapshot[i]!, 0));
  });
  it('lowers the learning rate after --lr-patience epochs without improvement, records it, and a resume continues at the lowered rate', async () => {
    await tf.setBackend('wasm');
    const dir = join(tmp, 'ck-lr');
    const cuts: [number, number, number][] = [];
    const ruin = (epoch: number, m: tf.LayersModel) => {
      // every epoch after the first is made worse than the first, so the monitor never improves again
      if (epoch >= 1) m.setWeights(m.getWeights().map((w, i) => tf.mul(w, i % 2 ? -7 : 9)));
    };
    const base = {
      batchSize: 32, seed: 1, monitor: 'val_score_loss' as const, patience: 10, minDelta: 0, familyLossWeight: 0.5, checkpointDir: dir,
      learningRateDecay: { patience: 2, factor: 0.5, min: 0.002 }, learningRate: 0.01,
      onLearningRateCut: (epoch: number, from: number, to: number) => cuts.push([epoch, from, to]),
      afterEpochTrain: ruin,
    };
    const first = await trainLoop(make(7), data(5, 128), data(6, 32), { ...base, epochs: 5 });
    expect(first.state.history.map((h) => h.learningRate)).toEqual([0.01, 0.01, 0.01, 0.005, 0.005]);
    expect(cuts).toEqual([[3, 0.01, 0.005], [5, 0.005, 0.0025]]);
    expect(first.state.learningRate).toBe(0.0025);
    const ck = await loadCheckpoint(dir, { learningRate: 0.01, familyLossWeight: 0.5 });
    expect(ck.state.learningRate).toBe(0.0025);
    // the resumed run starts at the checkpoint's rate; the next cut stops at the floor
    const second = await trainLoop(ck.model, data(5, 128), data(6, 32), { ...base, epochs: 7, learningRate: ck.state.learningRate, resume: { state: ck.state, bestWeights: ck.bestWeights } });
    expect(second.state.history.map((h) => h.learningRate)).toEqual([0.01, 0.01, 0.01, 0.005, 0.005, 0.0025, 0.0025]);
    expect(cuts.at(-1)).toEqual([7, 0.0025, 0.002]);
    expect(nextLearningRate({ patience: 1, factor: 0.5, min: 0.002 }, 0.002, 0, false)).toEqual({ rate: 0.002, wait: 1, cut: false });
    expect(nextLearningRate({ patience: 3, factor: 0.1, min: 0 }, 0.1, 2, true)).toEqual({ rate: 0.1, wait: 0, cut: false });
  });
});

describe('benign-weighted score loss', () => {
  it('multiplies the cross-entropy of benign rows by the weight and leaves DGA rows alone', () => {
    const yTrue = tf.tensor2d([0, 1, 0, 1], [4, 1]);
    const yPred = tf.tensor2d([0.9, 0.9, 0.2, 0.3], [4, 1]);
    const plain = benignWeightedBinaryCrossentropy(1)(yTrue, yPred).arraySync() as number[];
    const weighted = benignWeightedBinaryCrossentropy(3)(yTrue, yPred).arraySync() as number[];
    expect(plain[0]).toBeCloseTo(-Math.log(0.1), 4);
    expect(weighted[0]).toBeCloseTo(3 * plain[0]!, 4);
    expect(weighted[2]).toBeCloseTo(3 * plain[2]!, 4);
    expect(weighted[1]).toBeCloseTo(plain[1]!, 6);
    expect(weighted[3]).toBeCloseTo(plain[3]!, 6);
    tf.dispose([yTrue, yPred]);
  });
});

describe('masked model and length-bucketed training', () => {
  const families = ['benign', 'conficker', 'tinba', 'other'];
  const T = 8;
  const make = (seed: number, masked = true, bidirectional = false) => {
    Math.random = createRng(seed);
    return createFamilyModel({ vocabulary: DEFAULT_VOCABULARY, maxLength: T, embeddingDim: 4, units: 3, dropout: 0.2, learningRate: 0.01, families, familyLossWeight: 0.5, masked, bidirectional });
  };
  /** Rows of 1..T characters, pre-padded with zeros to T (what the encoder gives). */
  const data = (seed: number, n: number): EncodedFamilySet => {
    const rng = createRng(seed);
    const family = Int32Array.from({ length: n }, () => Math.floor(rng() * 4));
    const x = new Int32Array(n * T);
    for (let i = 0; i < n; i++) {
      const len = 1 + Math.floor(rng() * T);
      for (let j = T - len; j < T; j++) x[i * T + j] = 1 + ((family[i]! * 7 + Math.floor(rng() * 5)) % 37);
    }
    return { x, y: Float32Array.from(family, (f) => (f === 0 ? 0 : 1)), family, n, maxLength: T };
  };

  it('lengthBuckets: every row once, each batch as wide as its longest row, narrower than T, same for a seed', () => {
    const set = data(1, 1000);
    const lengths = rowLengths(set);
    expect(Math.min(...lengths)).toBe(1);
    expect(Math.max(...lengths)).toBe(T);
    const batches = lengthBuckets(lengths, 32, createRng(9), 4);
    const seen = new Uint8Array(set.n);
    for (const b of batches) {
      expect(b.rows.length).toBeLessThanOrEqual(32);
      expect(b.width).toBe(Math.max(...Array.from(b.rows, (r) => lengths[r]!)));
      for (const r of b.rows) seen[r]!++;
    }
    expect(seen.every((v) => v === 1)).toBe(true);
    expect(batches.length).toBe(Math.ceil(1000 / 32));
    const meanWidth = batches.reduce((a, b) => a + b.width * b.rows.length, 0) / set.n;
    expect(meanWidth).toBeLessThan(6); // lengths are uniform in 1..8 (mean 4.5); padding to T would be 8
    expect(lengthBuckets(lengths, 32, createRng(9), 4)).toEqual(batches);
    expect(lengthBuckets(lengths, 32, createRng(10), 4)).not.toEqual(batches);
  });

  /** The first 20 rows scored alone at exactly their own width give the scores of the full-width batch. */
  const expectOwnWidthScores = (model: tf.LayersModel, set: EncodedFamilySet, full: ArrayLike<number>) => {
    const lengths = rowLengths(set);
    for (let i = 0; i < 20; i++) {
      const w = lengths[i]!;
      const own = (model.predict(tf.tensor2d(set.x.slice(i * T + T - w, (i + 1) * T), [1, w], 'int32')) as tf.Tensor[])[0]!.dataSync();
      expect(Math.abs(own[0]! - full[i]!)).toBeLessThan(1e-6);
    }
  };

  it('a masked model gives the same outputs whatever the padding, and predictAll (sorted batches) matches predict, family probabilities included', async () => {
    await tf.setBackend('wasm');
    const model = make(2);
    expect(isMasked(model)).toBe(true);
    expect(isMasked(make(2, false))).toBe(false);
    const set = data(3, 300);
    const full = (model.predict(tf.tensor2d(set.x, [set.n, T], 'int32')) as tf.Tensor[])[0]!.dataSync();
    expectOwnWidthScores(model, set, full);
    const p = predictAll(model, set, { batchSize: 16, familyProbabilities: true });
    for (let i = 0; i < set.n; i++) expect(Math.abs(p.scores[i]! - full[i]!)).toBeLessThan(1e-5);
    // The family softmax comes back in input order from the same (length-sorted) pass.
    const families = (model.predict(tf.tensor2d(set.x, [set.n, T], 'int32')) as tf.Tensor[])[1]!.dataSync();
    expect(p.familyProbabilities).toHaveLength(families.length);
    for (let i = 0; i < families.length; i++) expect(Math.abs(p.familyProbabilities![i]! - families[i]!)).toBeLessThan(1e-5);
    expect(predictAll(model, set).familyProbabilities).toBeUndefined();
    // An unmasked model's result does depend on the padding (the pad steps run through the LSTM).
    const unmasked = make(2, false);
    const a = (unmasked.predict(tf.tensor2d(set.x.slice(0, T), [1, T], 'int32')) as tf.Tensor[])[0]!.dataSync()[0]!;
    const w0 = rowLengths(set)[0]!;
    expect(w0).toBeLessThan(T);
    const padded = new Int32Array(T);
    padded.set(set.x.slice(T - w0, T), T - w0);
    expect(a).toBeCloseTo((unmasked.predict(tf.tensor2d(padded, [1, T], 'int32')) as tf.Tensor[])[0]!.dataSync()[0]!, 6);
  });

  it('a bidirectional model: the backward pass starts at the last character whatever the padding; predictAll matches predict; both directions count', async () => {
    await tf.setBackend('wasm');
    const model = make(5, true, true);
    expect(model.getLayer('lstm').getClassName()).toBe('Bidirectional');
    expect((model.getLayer('lstm').output as tf.SymbolicTensor).shape).toEqual([null, 6]); // 2 x 3 units
    const set = data(6, 200);
    const full = (model.predict(tf.tensor2d(set.x, [set.n, T], 'int32')) as tf.Tensor[])[0]!.dataSync();
    expectOwnWidthScores(model, set, full);
    const p = predictAll(model, set, { batchSize: 16 });
    for (let i = 0; i < set.n; i++) expect(Math.abs(p.scores[i]! - full[i]!)).toBeLessThan(1e-5);
    // Silencing the backward LSTM (forward kernel, recurrent kernel, bias; then the backward three) changes the scores.
    const w = model.getLayer('lstm').getWeights();
    model.getLayer('lstm').setWeights([...w.slice(0, 3), ...w.slice(3).map((t) => tf.zerosLike(t))]);
    const forwardOnly = (model.predict(tf.tensor2d(set.x, [set.n, T], 'int32')) as tf.Tensor[])[0]!.dataSync();
    expect(Math.max(...Array.from(full, (v, i) => Math.abs(v - forwardOnly[i]!)))).toBeGreaterThan(1e-3);
    expect(() => make(5, false, true)).toThrow(/bidirectional LSTM needs masked/);
  });

  it('the model card\'s parameter count is the model\'s, one way or both, with the n-gram tables', () => {
    for (const bidirectional of [false, true]) {
      Math.random = createRng(7);
      const model = createFamilyModel({ vocabulary: DEFAULT_VOCABULARY, maxLength: T, embeddingDim: 4, units: 3, dropout: 0.2, learningRate: 0.01, families, familyLossWeight: 0.5, masked: true, bigrams: true, trigramBuckets: 31, bidirectional });
      const counted = parameterCount({
        vocabulary: DEFAULT_VOCABULARY, families,
        architecture: { cell: 'lstm', embeddingDim: 4, units: 3, dropout: 0.2, recurrentActivation: 'sigmoid', bigrams: true, trigrams: 31, ...(bidirectional ? { bidirectional } : {}) },
      } as ModelMetadata);
      // The score head exists in the graph even when the served score comes from the family head.
      expect(counted.total).toBe(model.countParams());
      expect(counted.lstm).toBe((bidirectional ? 2 : 1) * 4 * (4 * 3 + 3 * 3 + 3));
    }
  });

  it('bucketed epochs resume exactly: 1 + 1 epochs from a checkpoint equal 2 epochs in one run', async () => {
    await tf.setBackend('wasm');
    const base = { batchSize: 32, seed: 5, monitor: 'val_loss' as const, patience: 5, minDelta: 0, familyLossWeight: 0.5 };
    const train = data(4, 300);
    const val = data(5, 80);
    const straight = make(6);
    const r = await trainLoop(straight, train, val, { ...base, epochs: 2 });
    expect(r.state.history.map((h) => h.epoch)).toEqual([1, 2]);
    expect(r.state.history[0]!.family_loss).toBeGreaterThan(0);
    const dir = join(tmp, 'ck-masked');
    await trainLoop(make(6), train, val, { ...base, epochs: 1, checkpointDir: dir, checkpointInfo: {} });
    const ck = await loadCheckpoint(dir, { learningRate: 0.01, familyLossWeight: 0.5 });
    expect(isMasked(ck.model)).toBe(true);
    await trainLoop(ck.model, train, val, { ...base, epochs: 2, resume: { state: ck.state, bestWeights: ck.bestWeights } });
    const want = straight.getWeights();
    ck.model.getWeights().forEach((w, i) => expectClose(w.dataSync(), want[i]!.dataSync(), 1e-6));
  });

  it('copyWeights warm-starts a masked model from an unmasked one and refuses another embedding size', async () => {
    await tf.setBackend('wasm');
    const from = make(7, false);
    const to = make(8, true);
    copyWeights(from, to);
    to.getWeights().forEach((w, i) => expectClose(w.dataSync(), from.getWeights()[i]!.dataSync(), 0));
    Math.random = createRng(9);
    const bigger = createFamilyModel({ vocabulary: DEFAULT_VOCABULARY, maxLength: T, embeddingDim: 5, units: 3, dropout: 0.2, learningRate: 0.01, families, familyLossWeight: 0.5 });
    expect(() => copyWeights(from, bigger)).toThrow(/weights differ: saved .*embedding\/embeddings\[38,4\].*this run's model .*embedding\/embeddings\[38,5\]/);
  });

  it('copyWeights widens the LSTM: the wider model starts with the narrower one\'s outputs, and training moves its new units', async () => {
    await tf.setBackend('wasm');
    const from = make(7, true);
    Math.random = createRng(10);
    const wide = createFamilyModel({ vocabulary: DEFAULT_VOCABULARY, maxLength: T, embeddingDim: 4, units: 7, dropout: 0.2, learningRate: 0.01, families, familyLossWeight: 0.5, masked: true });
    copyWeights(from, wide);
    const set = data(11, 64);
    const x = tf.tensor2d(set.x, [set.n, T], 'int32');
    const [a, b] = [from.predict(x) as tf.Tensor[], wide.predict(x) as tf.Tensor[]];
    expectClose(b[0]!.dataSync(), a[0]!.dataSync(), 1e-6);
    expectClose(b[1]!.dataSync(), a[1]!.dataSync(), 1e-6);
    // The new units are not dead: one epoch gives their head rows non-zero weights.
    const headRows = () => Array.from(wide.getLayer('family').getWeights()[0]!.dataSync()).slice(3 * families.length);
    expect(headRows().every((v) => v === 0)).toBe(true);
    await trainLoop(wide, set, set, { epochs: 1, batchSize: 16, seed: 1, monitor: 'val_loss', patience: 5, minDelta: 0, familyLossWeight: 0.5 });
    expect(headRows().some((v) => v !== 0)).toBe(true);
    // Narrowing is refused.
    expect(() => copyWeights(wide, make(8, true))).toThrow(/weights differ/);
  });

  it('BigramIndex: previous x current character, 0 on pad steps and padding before the first character', async () => {
    await tf.setBackend('wasm');
    const layer = new BigramIndex({ base: 38 });
    // "ab" and "cab" pre-padded to width 4 (a=1, b=2, c=3), and a full row "abcd".
    const x = tf.tensor2d([0, 0, 1, 2, 0, 3, 1, 2, 1, 2, 3, 4], [3, 4], 'int32');
    const out = layer.apply(x) as tf.Tensor;
    expect(out.dtype).toBe('int32');
    expect(Array.from(out.dataSync())).toEqual([0, 0, 1, 1 * 38 + 2, 0, 3, 3 * 38 + 1, 1 * 38 + 2, 1, 1 * 38 + 2, 2 * 38 + 3, 3 * 38 + 4]);
    expect(Array.from((layer.apply(tf.tensor2d([5], [1, 1], 'int32')) as tf.Tensor).dataSync())).toEqual([5]); // width 1
  });

  it('TrigramIndex: two previous characters x current one, hashed into buckets 1..B, 0 on pad steps', async () => {
    await tf.setBackend('wasm');
    const layer = new TrigramIndex({ base: 38, buckets: 101 });
    // "ab" pre-padded to width 4 and a full row "abcd" (a=1, b=2, c=3, d=4).
    const out = layer.apply(tf.tensor2d([0, 0, 1, 2, 1, 2, 3, 4], [2, 4], 'int32')) as tf.Tensor;
    const h = (p2: number, p1: number, c: number) => (((p2 * 38 + p1) * 38 + c) % 101) + 1;
    expect(out.dtype).toBe('int32');
    expect(Array.from(out.dataSync())).toEqual([0, 0, h(0, 0, 1), h(0, 1, 2), h(0, 0, 1), h(0, 1, 2), h(1, 2, 3), h(2, 3, 4)]);
    expect(Array.from(out.dataSync()).every((v) => v >= 0 && v <= 101)).toBe(true);
    expect(Array.from((layer.apply(tf.tensor2d([5], [1, 1], 'int32')) as tf.Tensor).dataSync())).toEqual([h(0, 0, 5)]); // width 1
    expect(new TrigramIndex({ base: 38, buckets: 101 }).getConfig()).toMatchObject({ base: 38, buckets: 101 });
    expect(new TrigramIndex({ base: 38, buckets: 101 }).getConfig()).not.toHaveProperty('order'); // saved trigram models stay as they were
  });

  it('TrigramIndex order 4: three previous characters x current one, hashed into buckets 1..B, 0 on pad steps', async () => {
    await tf.setBackend('wasm');
    const layer = new TrigramIndex({ base: 38, buckets: 1009, order: 4 });
    const out = layer.apply(tf.tensor2d([0, 0, 0, 1, 2, 1, 2, 3, 4, 5], [2, 5], 'int32')) as tf.Tensor;
    const h = (p3: number, p2: number, p1: number, c: number) => ((((p3 * 38 + p2) * 38 + p1) * 38 + c) % 1009) + 1;
    expect(Array.from(out.dataSync())).toEqual([0, 0, 0, h(0, 0, 0, 1), h(0, 0, 1, 2), h(0, 0, 0, 1), h(0, 0, 1, 2), h(0, 1, 2, 3), h(1, 2, 3, 4), h(2, 3, 4, 5)]);
    expect(new TrigramIndex({ base: 38, buckets: 1009, order: 4 }).getConfig()).toMatchObject({ base: 38, buckets: 1009, order: 4 });
    expect(() => new TrigramIndex({ base: 38, buckets: 7, order: 5 })).toThrow(/order 5 is not 3 or 4/);
  });

  it('MaskedSum with dropRate: in training each name keeps its bigram term scaled by 1/(1-rate) or loses it; at inference it is always added', async () => {
    await tf.setBackend('wasm');
    const layer = new MaskedSum({ dropRate: 0.5 });
    const a = tf.zeros([400, 3, 2]);
    const b = tf.ones([400, 3, 2]);
    expect(Array.from((layer.apply([a, b]) as tf.Tensor).dataSync()).every((v) => v === 1)).toBe(true);
    Math.random = createRng(5);
    const trained = (layer.call([a, b], { training: true }) as tf.Tensor).arraySync() as number[][][];
    const rows = trained.map((r) => r.flat());
    for (const r of rows) expect(r.every((v) => v === r[0]) && (r[0] === 0 || r[0] === 2)).toBe(true); // whole names, scaled
    const dropped = rows.filter((r) => r[0] === 0).length;
    expect(dropped).toBeGreaterThan(150);
    expect(dropped).toBeLessThan(250);
    expect(new MaskedSum({ dropRate: 0.5 }).getConfig().dropRate).toBe(0.5);
  });

  it('a bigram model warm-started from one without bigrams starts as that model (zero bigram table), then the table trains', async () => {
    await tf.setBackend('wasm');
    const from = make(10);
    Math.random = createRng(11);
    const to = createFamilyModel({ vocabulary: DEFAULT_VOCABULARY, maxLength: T, embeddingDim: 4, units: 3, dropout: 0.2, learningRate: 0.01, families, familyLossWeight: 0.5, masked: true, bigrams: true });
    copyWeights(from, to);
    const table = () => to.getLayer(BIGRAM_EMBEDDING).getWeights()[0]!.dataSync();
    expect(Array.from(table()).every((v) => v === 0)).toBe(true);
    const set = data(12, 200);
    const a = predictAll(from, set, { familyProbabilities: true });
    const b = predictAll(to, set, { familyProbabilities: true });
    expectClose(b.scores, a.scores, 1e-6);
    expectClose(b.familyProbabilities!, a.familyProbabilities!, 1e-6);
    // Variable widths: the bigram model's mask still makes padding irrelevant.
    const lengths = rowLengths(set);
    for (let i = 0; i < 10; i++) {
      const w = lengths[i]!;
      const own = (to.predict(tf.tensor2d(set.x.slice(i * T + T - w, (i + 1) * T), [1, w], 'int32')) as tf.Tensor[])[0]!.dataSync()[0]!;
      expect(Math.abs(own - b.scores[i]!)).toBeLessThan(1e-6);
    }
    await trainLoop(to, data(13, 256), data(14, 64), { epochs: 1, batchSize: 32, seed: 1, monitor: 'val_loss', patience: 2, minDelta: 0, familyLossWeight: 0.5 });
    expect(Array.from(table()).some((v) => v !== 0)).toBe(true);
    // The other direction is refused: a bigram model's weights do not fit a model without the table.
    expect(() => copyWeights(to, make(15))).toThrow(/weights differ/);
  });
  it('a trigram model warm-started from a bigram model starts as that model (zero trigram table), then the table trains', async () => {
    await tf.setBackend('wasm');
    const opts = { vocabulary: DEFAULT_VOCABULARY, maxLength: T, embeddingDim: 4, units: 3, dropout: 0.2, learningRate: 0.01, families, familyLossWeight: 0.5, masked: true, bigrams: true };
    Math.random = createRng(21);
    const from = createFamilyModel(opts);
    from.getLayer(BIGRAM_EMBEDDING).setWeights([tf.randomNormal([38 * 38, 4], 0, 0.3, 'float32', 3)]);
    const to = createFamilyModel({ ...opts, trigramBuckets: 97, trigramDropout: 0.5 });
    copyWeights(from, to);
    const table = () => to.getLayer(TRIGRAM_EMBEDDING).getWeights()[0]!.dataSync();
    expect(table().length).toBe(98 * 4);
    expect(Array.from(table()).every((v) => v === 0)).toBe(true);
    const set = data(22, 100);
    expectClose(predictAll(to, set).scores, predictAll(from, set).scores, 1e-6);
    await trainLoop(to, data(23, 256), data(24, 64), { epochs: 1, batchSize: 32, seed: 1, monitor: 'val_loss', patience: 2, minDelta: 0, familyLossWeight: 0.5 });
    expect(Array.from(table()).some((v) => v !== 0)).toBe(true);
    expect(() => copyWeights(to, from)).toThrow(/weights differ/);
  });
  it('a four-gram model warm-started from a trigram model starts as that model (zero four-gram table), then the table trains', async () => {
    await tf.setBackend('wasm');
    const opts = { vocabulary: DEFAULT_VOCABULARY, maxLength: T, embeddingDim: 4, units: 3, dropout: 0.2, learningRate: 0.01, families, familyLossWeight: 0.5, masked: true, bigrams: true, trigramBuckets: 97 };
    Math.random = createRng(31);
    const from = createFamilyModel(opts);
    from.getLayer(TRIGRAM_EMBEDDING).setWeights([tf.randomNormal([98, 4], 0, 0.3, 'float32', 4)]);
    const to = createFamilyModel({ ...opts, fourgramBuckets: 193, fourgramDropout: 0.8 });
    copyWeights(from, to);
    const table = () => to.getLayer(FOURGRAM_EMBEDDING).getWeights()[0]!.dataSync();
    expect(table().length).toBe(194 * 4);
    expect(Array.from(table()).every((v) => v === 0)).toBe(true);
    expect(Array.from(to.getLayer(TRIGRAM_EMBEDDING).getWeights()[0]!.dataSync())).toEqual(Array.from(from.getLayer(TRIGRAM_EMBEDDING).getWeights()[0]!.dataSync()));
    const set = data(32, 100);
    expectClose(predictAll(to, set).scores, predictAll(from, set).scores, 1e-6);
    await trainLoop(to, data(33, 256), data(34, 64), { epochs: 1, batchSize: 32, seed: 1, monitor: 'val_loss', patience: 2, minDelta: 0, familyLossWeight: 0.5 });
    expect(Array.from(table()).some((v) => v !== 0)).toBe(true);
    expect(() => copyWeights(to, from)).toThrow(/weights differ/);
  });
});

describe('scripts/train.ts --dataset (two heads) end to end', () => {
  it('trains, writes families metadata, and resumes from the checkpoint', async () => {
    const ds = join(tmp, 'e2e-ds');
    const fam = (seed: number, n: number, len: number, tld: string, family: string) =>
      randomLabels(seed, n, len).map((l) => `${l}.${tld}\t1\t${family}`);
    const benign = randomLabels(40, 40, 6).map((l) => `www.${l}.com\t0\tbenign`);
    const rows = [...benign, ...fam(41, 20, 12, 'com', 'tinba'), ...fam(42, 20, 8, 'ws', 'conficker'), ...fam(43, 6, 10, 'biz', 'other')];
    await mkdir(ds, { recursive: true });
    await writeFile(join(ds, 'train.tsv'), `${rows.slice(0, 70).join('\n')}\n`);
    await writeFile(join(ds, 'val.tsv'), `${rows.slice(70).join('\n')}\n`);
    await writeFile(join(ds, 'test.tsv'), `${rows.slice(60).join('\n')}\n`);
    const out = join(tmp, 'e2e-v2');
    const args = ['--import', 'tsx', 'scripts/train.ts', '--dataset', ds, '--out', out, '--embedding-dim', '4', '--units', '4',
      '--batch-size', '16', '--max-length', '16', '--seed', '3', '--oversample-min', '10'];
    const r1 = await run(process.execPath, [...args, '--epochs', '1', '--monitor', 'val_auc', '--version', 'e2e-first'], { cwd: ROOT, timeout: 60_000 });
    expect(r1.stderr).toMatch(/family head, 4 classes: benign,conficker,tinba,other/);
    const meta1 = parseModelMetadata(JSON.parse(await readFile(join(out, 'metadata.json'), 'utf8')));
    expect(meta1.families).toEqual(['benign', 'conficker', 'tinba', 'other']);
    // public suffixes per family from the training rows (family attribution, src/core/suffix-prior.ts)
    expect(meta1.familySuffixPrior?.counts.conficker).toEqual({ ws: expect.any(Number) });
    expect(Object.keys(meta1.familySuffixPrior!.counts).sort()).toEqual(['conficker', 'tinba']); // no "other" row in this training slice
    expect(meta1.familySuffixPrior!.counts.tinba).toEqual({ com: 20 });
    expect(meta1.onnx).toEqual({ input: 'chars', score: 'score', logit: 'logit', family: 'family' });
    // the open-set cut-off, chosen on the validation DGA names within the default budget (src/core/open-set.ts)
    expect(meta1.familyOpenSet).toMatchObject({ budget: 0.02, validation: { names: expect.any(Number) } });
    expect(meta1.familyOpenSet!.validation.attributedAtMin).toBeGreaterThanOrEqual(meta1.familyOpenSet!.validation.attributedAtZero - 0.02 - 1e-9);
    expect(r1.stderr).toMatch(/open-set cut-off [\d.]+ \(budget 0\.02: validation attribution/);
    expect(meta1.training).toMatchObject({ epochs: 1 });
    expect(meta1.architecture.maskPadding).toBe(true); // the default: --padding mask
    expect(r1.stderr).toMatch(/padding masked, length-bucketed batches/);
    expect((meta1.training as { test?: unknown }).test).toBeDefined();
    // A resume that names only the checkpoint continues the same run: data, output, sizes, monitor and
    // version come from the checkpoint, not from train.ts's defaults.
    const resumeArgs = ['--import', 'tsx', 'scripts/train.ts', '--resume', join(out, 'checkpoint')];
    const refused = await run(process.execPath, [...resumeArgs, '--units', '6'], { cwd: ROOT, timeout: 60_000 }).catch((e: { code: number; stderr: string }) => e);
    expect(refused).toMatchObject({ code: 2 });
    expect((refused as { stderr: string }).stderr).toMatch(/--units 6: the checkpoint's run used --units 4/);
    const noCheckpoint = await run(process.execPath, ['--import', 'tsx', 'scripts/train.ts', '--resume', ds], { cwd: ROOT, timeout: 60_000 }).catch((e: { code: number; stderr: string }) => e);
    expect((noCheckpoint as { stderr: string }).stderr).toMatch(/holds no checkpoint/);
    const r2 = await run(process.execPath, [...resumeArgs, '--epochs', '2'], { cwd: ROOT, timeout: 60_000 });
    expect(r2.stderr).toMatch(/resumed from .*epoch-001 \(epoch 1/);
    expect(r2.stderr).toMatch(/resuming with the run's own .*--monitor val_auc/);
    expect(r2.stderr).toMatch(/epoch 2\/2/);
    expect(r2.stderr).not.toMatch(/epoch 1\/2 /);
    const meta2 = parseModelMetadata(JSON.parse(await readFile(join(out, 'metadata.json'), 'utf8')));
    expect((meta2.training as { history: { epoch: number }[] }).history.map((h) => h.epoch)).toEqual([1, 2]);
    expect(meta2.version).toBe('e2e-first');
    expect(meta2.architecture).toMatchObject({ embeddingDim: 4, units: 4 });
    expect((meta2.training as { hyperparameters: { monitor: string } }).hyperparameters.monitor).toBe('val_auc');
    const commands = (meta2.training as { commandLines: string[] }).commandLines;
    expect(commands).toHaveLength(2); // the first run and the resume, for the model card
    expect(commands[0]).not.toMatch(/--resume/);
    expect(commands[1]).toMatch(/--resume/);
    await tf.setBackend('wasm');
    const model = await tf.loadLayersModel(fileLoadHandler(join(out, 'tfjs')));
    expect(model.layers.map((l) => l.name)).toEqual([...FAMILY_MODEL_LAYER_NAMES]);
    const outs = model.predict(tf.zeros([2, 16], 'int32')) as tf.Tensor[];
    expect(outs.map((t) => t.shape)).toEqual([[2, 1], [2, 4]]);

    // A new run warm-started from the saved weights, with the pad steps counted this time.
    const out3 = join(tmp, 'e2e-init');
    const r3 = await run(process.execPath, [...args, '--out', out3, '--epochs', '1', '--init-from', join(out, 'tfjs'), '--padding', 'count', '--benign-weight', '2.5', '--score-from', 'family', '--synthetic', '40', '--synthetic-words', '10', '--synthetic-syllables', '6', '--synthetic-family', 'other'], { cwd: ROOT, timeout: 60_000 });
    expect(r3.stderr).toMatch(/the DGA score comes from the family head/);
    expect(r3.stderr).toMatch(/synthetic DGA names \{"letters":20,"letters\+digits":12,"hex":8,"words":10,"syllables":6\}/);
    expect(r3.stderr).toMatch(/weights initialised from .*e2e-v2\/tfjs/);
    expect(r3.stderr).toMatch(/padding counted/);
    const meta3 = parseModelMetadata(JSON.parse(await readFile(join(out3, 'metadata.json'), 'utf8')));
    expect(meta3.architecture.maskPadding).toBeUndefined();
    expect(meta3.architecture.scoreFrom).toBe('family');
    // synthetic names get no family class of their own (here they train the "other" class) and no suffix counts
    expect(meta3.families).toEqual(['benign', 'conficker', 'tinba', 'other']);
    expect(Object.keys(meta3.familySuffixPrior!.counts).sort()).toEqual(['conficker', 'tinba']);
    expect(meta3.training).toMatchObject({ data: { synthetic: { byGenerator: { letters: 20, 'letters+digits': 12, hex: 8, words: 10, syllables: 6 }, droppedAsBenign: 0 } }, hyperparameters: { synthetic: 40, syntheticWords: 10, syntheticSyllables: 6, syntheticFamily: 'other' } });
    // the epoch's validation figures read the same head as the final ones (one epoch: the same weights)
    const t3 = meta3.training as { history: { val_auc: number }[]; validation: { auc: number } };
    expect(t3.history[0]!.val_auc).toBeCloseTo(t3.validation.auc, 6);
    expect(() => parseModelMetadata({ ...meta3, architecture: { ...meta3.architecture, scoreFrom: 'both' } })).toThrow(/scoreFrom/);

    // --bidirectional: recorded in the metadata, and the saved model reads names both ways.
    const outBidi = join(tmp, 'e2e-bidi');
    await run(process.execPath, [...args, '--out', outBidi, '--epochs', '1', '--bidirectional', '--trigrams', '63'], { cwd: ROOT, timeout: 60_000 });
    const metaBidi = parseModelMetadata(JSON.parse(await readFile(join(outBidi, 'metadata.json'), 'utf8')));
    expect(metaBidi.architecture).toMatchObject({ units: 4, bidirectional: true, trigrams: 63, maskPadding: true });
    const modelBidi = await tf.loadLayersModel(fileLoadHandler(join(outBidi, 'tfjs')));
    expect(modelBidi.getLayer('lstm').getClassName()).toBe('Bidirectional');
    expect(meta3.architecture.bidirectional).toBeUndefined();
    expect(() => parseModelMetadata({ ...meta3, families: undefined, onnx: { ...meta3.onnx, family: undefined } })).toThrow(/lists no families/);
    const badFrom = await run(process.execPath, [...args, '--out', out3, '--score-from', 'both'], { cwd: ROOT, timeout: 60_000 }).catch((e: { code: number; stderr: string }) => e);
    expect((badFrom as { stderr: string }).stderr).toMatch(/--score-from must be score or family/);
    const badSynthetic = await run(process.execPath, [...args, '--out', out3, '--synthetic-family', 'none'], { cwd: ROOT, timeout: 60_000 }).catch((e: { code: number; stderr: string }) => e);
    expect(badSynthetic).toMatchObject({ code: 2 });
    expect((badSynthetic as { stderr: string }).stderr).toMatch(/--synthetic-family must be any or other/);
    // the warm start lists the commands behind the weights it started from (the first run and its resume)
    expect((meta3.training as { commandLines: string[] }).commandLines).toEqual([...commands, expect.stringMatching(/--init-from .*e2e-v2\/tfjs/)]);
    expect((meta3.training as { hyperparameters: { loss: string } }).hyperparameters.loss).toMatch(/^benign-weighted \(2\.5\) binaryCrossentropy.*\(synthetic names: the "other" class\)$/);
    const bad = await run(process.execPath, [...args, '--out', out3, '--init-from', join(out, 'tfjs'), '--resume', join(out, 'checkpoint')], { cwd: ROOT, timeout: 60_000 }).catch((e: { code: number; stderr: string }) => e);
    expect(bad).toMatchObject({ code: 2 });
    expect((bad as { stderr: string }).stderr).toMatch(/give one of them/);
    const wrong = await run(process.execPath, [...args, '--out', out3, '--embedding-dim', '6', '--init-from', join(out, 'tfjs')], { cwd: ROOT, timeout: 60_000 }).catch((e: { code: number; stderr: string }) => e);
    expect((wrong as { stderr: string }).stderr).toMatch(/--init-from .*weights differ/);
    // a wider LSTM starts from the narrower model (scripts/lib/widen-lstm.ts)
    const out4 = join(tmp, 'e2e-wide');
    await run(process.execPath, [...args, '--out', out4, '--units', '6', '--epochs', '1', '--init-from', join(out, 'tfjs')], { cwd: ROOT, timeout: 60_000 });
    expect(parseModelMetadata(JSON.parse(await readFile(join(out4, 'metadata.json'), 'utf8'))).architecture.units).toBe(6);

    // Distillation: two teachers of other sizes, blended into the family targets of a new run.
    const out5 = join(tmp, 'e2e-distil');
    const r5 = await run(process.execPath, [...args, '--out', out5, '--epochs', '1', '--teacher', `${join(out, 'tfjs')},${join(out4, 'tfjs')}`, '--teacher-weight', '0.6'], { cwd: ROOT, timeout: 60_000 });
    expect(r5.stderr.match(/teacher .*: family probabilities of \d+ training rows/g)).toHaveLength(2);
    const meta5 = parseModelMetadata(JSON.parse(await readFile(join(out5, 'metadata.json'), 'utf8')));
    expect(meta5.training).toMatchObject({ hyperparameters: { teachers: [join(out, 'tfjs'), join(out4, 'tfjs')], teacherWeight: 0.6 } });
    expect((meta5.training as { hyperparameters: { loss: string } }).hyperparameters.loss).toMatch(/soft targets: 0\.6 x the teachers' blended distribution/);
    for (const [extra, message] of [
      [['--teacher', join(out, 'tfjs'), '--synthetic', '10'], /--teacher cannot be combined with --synthetic/],
      [['--teacher', join(tmp, 'nope')], /--teacher .*nope must hold model\.json/],
      [['--teacher', join(out, 'tfjs'), '--teacher-weight', '0'], /--teacher-weight must be in \(0, 1\]/],
    ] as const) {
      const e = await run(process.execPath, [...args, '--out', out5, ...extra], { cwd: ROOT, timeout: 60_000 }).catch((x: { code: number; stderr: string }) => x);
      expect(e).toMatchObject({ code: 2 });
      expect((e as { stderr: string }).stderr).toMatch(message);
    }
  }, 200_000);
});
