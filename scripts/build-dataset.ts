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
import { parseArgs } from 'node:util';
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
function parseTrainCaps(text: string): Record<string, number> {
  const caps: Record<string, number> = {};
  for (const part of text.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const m = /^([a-z0-9_-]+)=(\d+)$/.exec(part);
    if (!m) fail(`bad --train-cap ${part} (want family=N, e.g. matsnu=100000)`);
    caps[m[1]!] = Number(m[2]);
  }
  return caps;
}

function fail(message: string): never {
  process.stderr.write(`build-dataset: ${message}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: process.argv.slice(2),
      strict: true,
      options: {
        data: { type: 'string' },
        out: { type: 'string' },
        'holdout-families': { type: 'string', default: '' },
        seed: { type: 'string', default: '42' },
        'family-cap': { type: 'string', default: '25000' },
        'train-cap': { type: 'string', default: '' },
        'min-family': { type: 'string', default: '200' },
        'val-fraction': { type: 'string', default: '0.1' },
        'test-fraction': { type: 'string', default: '0.1' },
        help: { type: 'boolean' },
      },
    }));
  } catch (err) {
    fail(`${(err as Error).message}\n\n${USAGE}`);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (typeof values.data !== 'string' || typeof values.out !== 'string') fail(`--data and --out are required\n\n${USAGE}`);
  const n = (k: string, ok: (x: number) => boolean) => {
    const x = Number(values[k]);
    if (!Number.isFinite(x) || !ok(x)) fail(`bad --${k} ${String(values[k])}`);
    return x;
  };
  const data = resolve(values.data);
  const out = resolve(values.out);
  try {
    checkDataDir(data);
  } catch (err) {
    fail((err as Error).message);
  }
  const options = {
    seed: n('seed', (x) => Number.isInteger(x) && x >= 0),
    familyCap: n('family-cap', (x) => Number.isInteger(x) && x >= 0),
    minFamily: n('min-family', (x) => Number.isInteger(x) && x >= 0),
    valFraction: n('val-fraction', (x) => x >= 0 && x < 1),
    testFraction: n('test-fraction', (x) => x >= 0 && x < 1),
    trainFamilyCaps: parseTrainCaps(String(values['train-cap'])),
    holdoutFamilies: String(values['holdout-families'])
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
  };
  const t0 = performance.now();
  let splits;
  try {
    splits = buildSplits(await readDataDir(data), options);
  } catch (err) {
    fail((err as Error).message);
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
}

main().catch((err: unknown) => {
  process.stderr.write(`build-dataset: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
