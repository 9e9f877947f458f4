import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { formatScoresTsv, type ScoredName } from '../../scripts/eval.js';
import { blendFigures, joinScores, meanLogits, parseScoresTsv } from '../../scripts/lib/score-blend.js';

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
