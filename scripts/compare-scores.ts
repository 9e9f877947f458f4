/**
 * Compares two models evaluated by scripts/eval.ts on the same names (each run writes <out>/scores.tsv) with a
 * paired bootstrap of their differences:
 *
 *   npx tsx scripts/compare-scores.ts runs/eval-a/scores.tsv runs/eval-b/scores.tsv [--source test] [--resamples 1000]
 *
 * Prints A, B and B - A for AUC, detection at FPR 1e-2 / 1e-3 / 1e-4 and the mean of per-family detection at
 * 1e-3, each difference with its 95% interval and whether that interval excludes zero. The interval covers
 * the draw of test names, not the training seed: compare two seeds per arm as well (model/EXPERIMENTS.md 22, 28).
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { integerFlag, parseFlagsAndOperands, runScript, UsageError } from './lib/cli-flags.js';
import { joinScores, pairedBootstrap, parseScoresTsv, type PairedDifference } from './lib/score-blend.js';

const HELP = `Usage: npx tsx scripts/compare-scores.ts A/scores.tsv B/scores.tsv [--source test|holdout|benign-extra] [--resamples N] [--seed S]

Paired bootstrap of B - A on the names both files scored (AUC, detection at FPR 1e-2 / 1e-3 / 1e-4,
per-family mean at 1e-3), with 95% intervals.
  --source S      which rows: test (default), holdout (the held-out families' names against the test
                  file's benign names: families never seen), benign-extra
  --resamples N   bootstrap resamples (default 1000)
  --seed S        bootstrap seed (default 1)
  -h, --help      show this help`;

/** "B higher", "A higher" or "within noise": whether the interval of a difference B - A excludes zero. */
export function verdict(d: PairedDifference): string {
  if (d.low > 0) return 'B higher';
  if (d.high < 0) return 'A higher';
  return 'within noise';
}

async function main(): Promise<number | 'help'> {
  const { values, operands } = parseFlagsAndOperands(process.argv.slice(2), {
    source: { type: 'string', default: 'test' },
    resamples: { type: 'string' },
    seed: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return 'help';
  if (operands.length !== 2) throw new UsageError('give exactly two scores.tsv files (A, then B)');
  const source = values.source;
  if (!['test', 'holdout', 'benign-extra'].includes(source)) throw new UsageError(`--source must be test, holdout or benign-extra, got "${source}"`);
  const resamples = integerFlag('resamples', values.resamples, 1000);
  const seed = integerFlag('seed', values.seed, 1, { min: 0 });
  const files = [];
  for (const file of operands) {
    const text = await readFile(file, 'utf8').catch(() => {
      throw new UsageError(`${file}: cannot read it`);
    });
    const of = (r: { source: string }, s: string) => r.source === s || r.source.startsWith(`${s}: `);
    // Held-out names are all DGA: as in eval.ts, they are measured against the test file's benign names.
    const rows = parseScoresTsv(text, file).filter((r) => of(r, source) || (source === 'holdout' && r.label === 0 && of(r, 'test')));
    if (!rows.length) throw new UsageError(`${file}: no rows of source "${source}"`);
    files.push({ file, rows });
  }
  const joined = joinScores(files);
  const [a, b] = joined.logits as [Float64Array, Float64Array];
  if (!joined.labels.includes(0) || !joined.labels.includes(1)) throw new UsageError('the names both files scored need benign and DGA rows');
  process.stderr.write(`compare-scores: ${joined.labels.length} names scored by both files, ${resamples} paired resamples...\n`);
  const c = pairedBootstrap(a, b, joined.labels, joined.families, { resamples, seed });
  const { a: fa, b: fb } = c;
  const pct = (x: number) => (100 * x).toFixed(1);
  const signed = (x: number, f: (x: number) => string) => `${x >= 0 ? '+' : ''}${f(x)}`;
  const rows: [string, number, number, PairedDifference, (x: number) => string][] = [
    ['AUC', fa.auc, fb.auc, c.auc, (x) => x.toFixed(5)],
    ['detection at FPR 1e-2 (%)', fa.tpr[0], fb.tpr[0], c.tpr[0], pct],
    ['detection at FPR 1e-3 (%)', fa.tpr[1], fb.tpr[1], c.tpr[1], pct],
    ['detection at FPR 1e-4 (%)', fa.tpr[2], fb.tpr[2], c.tpr[2], pct],
    ['per-family mean at 1e-3 (%)', fa.familyMean, fb.familyMean, c.familyMean, pct],
  ];
  process.stdout.write(`${joined.labels.length} names (source ${source}) scored by both; ${resamples} paired bootstrap resamples, seed ${seed}\n\n`);
  process.stdout.write('| figure | A | B | B - A | 95% interval | |\n|---|---|---|---|---|---|\n');
  for (const [label, x, y, d, f] of rows) {
    process.stdout.write(`| ${label} | ${f(x)} | ${f(y)} | ${signed(d.difference, f)} | ${signed(d.low, f)} .. ${signed(d.high, f)} | ${verdict(d)} |\n`);
  }
  process.stdout.write(`\nA = ${operands[0]}; B = ${operands[1]}\n`);
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) runScript('compare-scores', HELP, main, (e) => (e instanceof Error ? e.message : undefined));
