/**
 * Builds the train / val / test (+ holdout) split files the v2 trainer and scripts/eval.ts read.
 *
 *   npx tsx scripts/build-dataset.ts --data ../shared/data --out runs/dataset \
 *     [--holdout-families a,b] [--seed 42] [--family-cap 25000] [--train-cap matsnu=100000,...] [--min-family 200]
 *     [--val-fraction 0.1] [--test-fraction 0.1]
 *
 * Writes <out>/train.tsv, val.tsv, test.tsv (and holdout.tsv with --holdout-families), each line
 * `name<TAB>label<TAB>family` (label 0/1; family "benign" for label 0, else the canonical family or "other";
 * name = the name as listed in the data, e.g. an FQDN: readers normalise it with normalizeDomain), and
 * <out>/summary.json (counts per family per split, family map applied, rules, collisions dropped).
 * The rules are documented on buildSplits (scripts/lib/dataset.ts) and the map in scripts/lib/family-map.ts.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { integerFlag, parseFlags, requiredFlag, runScript, UsageError } from './lib/cli-flags.js';
import { buildSplits, checkDataDir, formatSplitTsv, readDataDir } from './lib/dataset.js';

const USAGE = `Usage: npx tsx scripts/build-dataset.ts --data <dir> --out <dir> [options]

Options:
  --holdout-families a,b   canonical families left out of train/val/test, written to holdout.tsv
  --seed N                 seed for the cap, split and shuffles (default 42)
  --family-cap N           maximum examples per DGA family, 0 = none (default 25000)
  --train-cap f=N,g=M      more training examples for these families (up to N before the split); val and
                           test keep exactly the rows --family-cap gives them, so they stay comparable
  --min-family N           families with fewer examples are pooled as "other" (default 200)
  --val-fraction F         share of scored labels in val (default 0.1)
  --test-fraction F        share of scored labels in test (default 0.1)`;

/** "matsnu=100000,rovnix=100000" -> { matsnu: 100000, rovnix: 100000 }. */
export function parseTrainCaps(text: string): Record<string, number> {
  const caps: Record<string, number> = {};
  for (const part of text.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const m = /^([a-z0-9_-]+)=(\d+)$/.exec(part);
    if (!m) throw new UsageError(`bad --train-cap ${part} (want family=N, e.g. matsnu=100000)`);
    caps[m[1]!] = Number(m[2]);
  }
  return caps;
}

/** A share in [0, 1) (a split may be empty, never everything). */
function fractionFlag(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0 || value >= 1) throw new UsageError(`--${name} must be a number in [0, 1), got "${raw}"`);
  return value;
}

async function main(): Promise<number | 'help'> {
  const values = parseFlags(process.argv.slice(2), {
    data: { type: 'string' },
    out: { type: 'string' },
    'holdout-families': { type: 'string' },
    seed: { type: 'string' },
    'family-cap': { type: 'string' },
    'train-cap': { type: 'string' },
    'min-family': { type: 'string' },
    'val-fraction': { type: 'string' },
    'test-fraction': { type: 'string' },
    help: { type: 'boolean' },
  });
  if (values.help) return 'help';
  const data = resolve(requiredFlag('data', values.data));
  const out = resolve(requiredFlag('out', values.out));
  const options = {
    seed: integerFlag('seed', values.seed, 42, { min: 0 }),
    familyCap: integerFlag('family-cap', values['family-cap'], 25000, { min: 0 }),
    minFamily: integerFlag('min-family', values['min-family'], 200, { min: 0 }),
    valFraction: fractionFlag('val-fraction', values['val-fraction'], 0.1),
    testFraction: fractionFlag('test-fraction', values['test-fraction'], 0.1),
    trainFamilyCaps: parseTrainCaps(values['train-cap'] ?? ''),
    holdoutFamilies: (values['holdout-families'] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
  };
  try {
    checkDataDir(data);
  } catch (err) {
    throw new UsageError(`--data: ${(err as Error).message}`);
  }
  const t0 = performance.now();
  const files = await readDataDir(data).catch((err: Error) => {
    throw new UsageError(`--data: ${err.message}`);
  });
  let splits;
  try {
    splits = buildSplits(files, options);
  } catch (err) {
    // buildSplits refuses contradictory options (e.g. fractions that leave no training split) with a message.
    throw new UsageError((err as Error).message);
  }
  await mkdir(out, { recursive: true });
  for (const name of ['train', 'val', 'test', 'holdout'] as const) {
    if (name === 'holdout' && options.holdoutFamilies.length === 0) continue;
    await writeFile(join(out, `${name}.tsv`), formatSplitTsv(splits[name]));
  }
  const s = splits.summary;
  await writeFile(join(out, 'summary.json'), `${JSON.stringify({ data, createdAt: new Date().toISOString(), ...s }, null, 2)}\n`);
  for (const [split, t] of Object.entries(s.totals)) process.stderr.write(`build-dataset: ${split} benign ${t.benign} dga ${t.dga}\n`);
  process.stderr.write(
    `build-dataset: ${Object.keys(s.counts).length - 1} families (+benign); pooled as other: ${Object.keys(s.pooledAsOther).join(',') || '-'}; ` +
      `invalid ${s.invalid}, benign-wins ${s.benignWinsNames}+${s.benignWinsScored}, duplicate scored ${s.duplicateScored}, capped ${s.droppedByCap}; ` +
      `wrote ${out} in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
  );
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) runScript('build-dataset', USAGE, main);
