import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { formatScoresTsv, type ScoredName } from '../../scripts/eval.js';
import { verdict } from '../../scripts/compare-scores.js';
import { blendFigures, joinScores, meanLogits, pairedBootstrap, parseScoresTsv } from '../../scripts/lib/score-blend.js';
import { createRng } from '../../scripts/lib/seeded-random.js';

const ROOT = join(import.meta.dirname, '../..');

const row = (name: string, label: 0 | 1, logit: number, family = label ? 'fam' : 'benign', source = 'test'): ScoredName => ({
  name,
  label,
  family,
  source,
  scored: name.split('.')[0]!,
  score: 1 / (1 + Math.exp(-logit)),
  logit,
  predictedFamily: 'fam',
  predictedProbability: 0.9,
});

describe('score blending (scripts/blend-scores.ts)', () => {
  it('round-trips eval rows, leaves out unscored names and refuses malformed rows with their line', () => {
    const text = formatScoresTsv([row('a.com', 0, -3), row('b.com', 1, 4.5), { ...row('xn--p1ai.xn--p1ai', 0, NaN), scored: '', predictedFamily: null, predictedProbability: undefined }]);
    expect(parseScoresTsv(text)).toEqual([
      { name: 'a.com', label: 0, family: 'benign', source: 'test', logit: -3 },
      { name: 'b.com', label: 1, family: 'fam', source: 'test', logit: 4.5 },
    ]);
    expect(() => parseScoresTsv(`${text}c.com\t7\tbenign\ttest\tc\t0.5\t0\t\t\n`, 'x.tsv')).toThrow(/x\.tsv:5: expected a label 0\/1 and a logit/);
    expect(() => parseScoresTsv('name\tlabel\n', 'y.tsv')).toThrow(/y\.tsv: no "family" column/);
  });

  it('joins on the names every file scored, averages logits, and a blend can rank what neither model ranks alone', () => {
    // A puts d1 below the benign b1, B puts d2 below it; the mean ranks both DGA names above every benign one.
    const a = [row('b1.com', 0, 0), row('b2.com', 0, -5), row('d1.com', 1, -1), row('d2.com', 1, 4), row('only-a.com', 1, 9)];
    const b = [row('b1.com', 0, 0), row('b2.com', 0, -5), row('d1.com', 1, 4), row('d2.com', 1, -1)];
    const joined = joinScores([
      { file: 'a', rows: parseScoresTsv(formatScoresTsv(a)) },
      { file: 'b', rows: parseScoresTsv(formatScoresTsv(b)) },
    ]);
    expect(joined.labels).toEqual(Uint8Array.from([0, 0, 1, 1]));
    expect(Array.from(meanLogits(joined.logits))).toEqual([0, -5, 1.5, 1.5]);
    expect(blendFigures(joined.logits[0]!, joined.labels, joined.families, 1).auc).toBe(0.75);
    const blend = blendFigures(meanLogits(joined.logits), joined.labels, joined.families, 1);
    expect(blend.auc).toBe(1);
    expect(blend.tpr).toEqual([1, 1, 1]);
    expect(blend.familyMean).toBe(1);
    expect(() => joinScores([{ file: 'dup.tsv', rows: [...parseScoresTsv(formatScoresTsv(a)), { name: 'a1', label: 0, family: 'benign', source: 'test', logit: 0 }, { name: 'a1', label: 0, family: 'benign', source: 'test', logit: 1 }] }])).toThrow(/dup\.tsv: a1 \(label 0, test\) appears twice/);
  });

  it('prints every model and blend as a table; one file is a usage error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dga-blend-'));
    await writeFile(join(dir, 'a.tsv'), formatScoresTsv([row('b1.com', 0, 0), row('d1.com', 1, -1), row('d2.com', 1, 4), row('h.com', 1, 2, 'held', 'holdout')]));
    await writeFile(join(dir, 'b.tsv'), formatScoresTsv([row('b1.com', 0, 0), row('d1.com', 1, 4), row('d2.com', 1, -1)]));
    const cli = (args: string[]) =>
      promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/blend-scores.ts', ...args], { cwd: ROOT, timeout: 30_000 }).then(
        (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
        (e: { code: number; stdout: string; stderr: string }) => e,
      );
    const ok = await cli([join(dir, 'a.tsv'), join(dir, 'b.tsv')]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^3 names scored by all 2 files/);
    expect(ok.stdout).toContain('| mean of A + B | 1.00000 | 100.0 / 100.0 / 100.0 |');
    const one = await cli([join(dir, 'a.tsv')]);
    expect(one.code).toBe(2);
    expect(one.stderr).toMatch(/blend-scores: give at least two scores\.tsv files/);
    const held = await cli([join(dir, 'a.tsv'), join(dir, 'b.tsv'), '--source', 'holdout']);
    expect(held.code).toBe(2);
    expect(held.stderr).toMatch(/b\.tsv: no rows of source "holdout"/);
  }, 60_000);
});

describe('paired comparison (scripts/compare-scores.ts)', () => {
  // 400 benign names around 0 and 400 DGA names around 2 (seeded); model B lifts a quarter of the DGA names.
  const rng = createRng(5);
  const labels = Uint8Array.from({ length: 800 }, (_, i) => (i < 400 ? 0 : 1));
  const families = Array.from(labels, (l, i) => (l ? (i % 2 ? 'f1' : 'f2') : 'benign'));
  const a = Float64Array.from(labels, (l) => (l ? 2 : 0) + 1.5 * (rng() - 0.5) * 2);
  const b = Float64Array.from(a, (x, i) => (labels[i] && i % 4 === 0 ? x + 3 : x));

  it('finds no difference between a model and itself, and a real one when B is better on some names', () => {
    const same = pairedBootstrap(a, a, labels, families, { resamples: 100, seed: 1 });
    for (const d of [same.auc, ...same.tpr, same.familyMean]) expect(d).toEqual({ difference: 0, low: 0, high: 0 });
    expect(verdict(same.auc)).toBe('within noise');
    const better = pairedBootstrap(a, b, labels, families, { resamples: 200, seed: 1 });
    expect(better.resamples).toBe(200);
    expect(better.auc.difference).toBeCloseTo(blendFigures(b, labels, families).auc - blendFigures(a, labels, families).auc, 12);
    expect(better.auc.low).toBeGreaterThan(0);
    expect(verdict(better.auc)).toBe('B higher');
    expect(verdict(pairedBootstrap(b, a, labels, families, { resamples: 200, seed: 1 }).auc)).toBe('A higher');
    expect(better.tpr[0].low).toBeLessThanOrEqual(better.tpr[0].difference);
    expect(better.tpr[0].high).toBeGreaterThanOrEqual(better.tpr[0].difference);
    expect(pairedBootstrap(a, b, labels, families, { resamples: 200, seed: 1 })).toEqual(better);
    expect(() => pairedBootstrap(a, b.subarray(1), labels, families, { resamples: 10, seed: 1 })).toThrow(/different lengths/);
    expect(() => pairedBootstrap(a, b, labels, families, { resamples: 0, seed: 1 })).toThrow(/resamples must be a positive integer/);
  });

  it('prints the figures of A and B and their differences with intervals; one file is a usage error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dga-compare-'));
    // 100 held-out names too (all DGA): --source holdout measures them against the test file's benign names.
    const held = (logits: Float64Array) => Array.from(logits.subarray(400, 500), (x, i) => row(`h${i}.org`, 1, x, 'held', 'holdout'));
    const tsv = (logits: Float64Array) => formatScoresTsv([...Array.from(logits, (x, i) => row(`n${i}.com`, labels[i] as 0 | 1, x, families[i])), ...held(logits)]);
    await writeFile(join(dir, 'a.tsv'), tsv(a));
    await writeFile(join(dir, 'b.tsv'), tsv(b));
    const cli = (args: string[]) =>
      promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/compare-scores.ts', ...args], { cwd: ROOT, timeout: 30_000 }).then(
        (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
        (e: { code: number; stdout: string; stderr: string }) => e,
      );
    const ok = await cli([join(dir, 'a.tsv'), join(dir, 'b.tsv'), '--resamples', '100']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^800 names \(source test\) scored by both; 100 paired bootstrap resamples, seed 1/);
    expect(ok.stdout).toMatch(/\| AUC \| [\d.]+ \| [\d.]+ \| \+[\d.]+ \| \+[\d.]+ \.\. \+[\d.]+ \| B higher \|/);
    expect(ok.stdout).toContain('| detection at FPR 1e-3 (%) |');
    const unseen = await cli([join(dir, 'a.tsv'), join(dir, 'b.tsv'), '--resamples', '50', '--source', 'holdout']);
    expect(unseen.code).toBe(0);
    expect(unseen.stdout).toMatch(/^500 names \(source holdout\) scored by both/);
    const one = await cli([join(dir, 'a.tsv')]);
    expect(one.code).toBe(2);
    expect(one.stderr).toMatch(/compare-scores: give exactly two scores\.tsv files/);
    const bad = await cli([join(dir, 'a.tsv'), join(dir, 'b.tsv'), '--resamples', 'many']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--resamples must be a positive integer, got "many"/);
  }, 60_000);
});
