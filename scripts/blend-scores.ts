/**
 * Measures the mean-logit blend of models evaluated by scripts/eval.ts (each run writes <out>/scores.tsv):
 *
 *   npx tsx scripts/blend-scores.ts runs/eval-a/scores.tsv runs/eval-b/scores.tsv [more.tsv ...] [--source test]
 *
 * Prints, for every file alone and for every blend of two or more of them, AUC, detection at FPR 1e-2 / 1e-3 /
 * 1e-4 and the mean of per-family detection at FPR 1e-3, on the names all files scored (rows of --source, by
 * default the test file's, benign source tags included).
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseFlagsAndOperands, runScript, UsageError } from './lib/cli-flags.js';
import { blendFigures, joinScores, meanLogits, parseScoresTsv, type BlendFigures } from './lib/score-blend.js';

const HELP = `Usage: npx tsx scripts/blend-scores.ts A/scores.tsv B/scores.tsv [more ...] [--source test|holdout|benign-extra]

Reports each model and every blend (mean logit) of two or more, on the names every file scored.
  --source S   which rows: test (default; the test file's, whatever --benign-lists tagged), holdout, benign-extra
  -h, --help   show this help`;

const row = (label: string, f: BlendFigures) =>
  `| ${label} | ${f.auc.toFixed(5)} | ${f.tpr.map((t) => (100 * t).toFixed(1)).join(' / ')} | ${(100 * f.familyMean).toFixed(1)} |`;

/** Every subset of 0..n-1 with at least two members, smallest first. */
function blends(n: number): number[][] {
  const out: number[][] = [];
  for (let mask = 1; mask < 1 << n; mask++) {
    const members = [...Array(n).keys()].filter((i) => mask & (1 << i));
    if (members.length >= 2) out.push(members);
  }
  return out.sort((a, b) => a.length - b.length);
}

async function main(): Promise<number | 'help'> {
  const { values, operands } = parseFlagsAndOperands(process.argv.slice(2), { source: { type: 'string', default: 'test' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) return 'help';
  if (operands.length < 2) throw new UsageError('give at least two scores.tsv files');
  if (operands.length > 8) throw new UsageError('at most 8 files (every subset is reported)');
  const source = values.source;
  if (!['test', 'holdout', 'benign-extra'].includes(source)) throw new UsageError(`--source must be test, holdout or benign-extra, got "${source}"`);
  const files = [];
  for (const file of operands) {
    const text = await readFile(file, 'utf8').catch(() => {
      throw new UsageError(`${file}: cannot read it`);
    });
    const rows = parseScoresTsv(text, file).filter((r) => r.source === source || r.source.startsWith(`${source}: `));
    if (!rows.length) throw new UsageError(`${file}: no rows of source "${source}"`);
    files.push({ file, rows });
  }
  const joined = joinScores(files);
  const dropped = files.map((f) => f.rows.length - joined.labels.length);
  process.stdout.write(`${joined.labels.length} names scored by all ${files.length} files${dropped.some((d) => d > 0) ? ` (not in every file: ${dropped.join(', ')})` : ''}\n\n`);
  process.stdout.write('| model(s) | AUC | detection at FPR 1e-2 / 1e-3 / 1e-4 (%) | per-family mean at 1e-3 (%) |\n|---|---|---|---|\n');
  operands.forEach((file, i) => process.stdout.write(`${row(file, blendFigures(joined.logits[i]!, joined.labels, joined.families))}\n`));
  for (const members of blends(operands.length)) {
    const label = `mean of ${members.map((i) => String.fromCharCode(65 + i)).join(' + ')}`;
    process.stdout.write(`${row(label, blendFigures(meanLogits(members.map((i) => joined.logits[i]!)), joined.labels, joined.families))}\n`);
  }
  process.stdout.write(`\n${operands.map((f, i) => `${String.fromCharCode(65 + i)} = ${f}`).join('; ')}\n`);
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) runScript('blend-scores', HELP, main, (e) => (e instanceof Error ? e.message : undefined));
