/**
 * Adds `familySuffixPrior` to a model's metadata.json: how often each malware family of the model used each
 * public suffix in the training split (src/core/suffix-prior.ts says why and how it re-ranks families).
 *
 *   npx tsx scripts/suffix-prior.ts --dataset runs/dataset [--metadata model/metadata.json] [--alpha 1]
 *
 * Reads only <dataset>/train.tsv (validation and test stay unseen). train.ts writes the same prior for the
 * names it trains on; this script adds it to metadata from older runs or with another --alpha, and
 * `--remove` takes it out again.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseModelMetadata } from '../src/core/metadata.js';
import { recordAfterTrainingStep } from './lib/metadata-steps.js';
import { buildFamilySuffixPrior } from '../src/core/suffix-prior.js';
import { commandLine, parseFlags, runScript, UsageError } from './lib/cli-flags.js';
import { parseSplitTsv } from './lib/dataset.js';

const HELP = `Usage: npx tsx scripts/suffix-prior.ts --dataset DIR [--metadata FILE] [--alpha X] [--remove]

Counts the public suffixes of each malware family in DIR/train.tsv (scripts/build-dataset.ts) and stores
them as "familySuffixPrior" in the metadata, so that family attribution weighs the suffix as well as the
label (the DGA score does not change).

  --dataset DIR     split directory with train.tsv (required unless --remove)
  --metadata FILE   model metadata to update                 (default: model/metadata.json)
  --alpha X         additive smoothing per suffix            (default: 1)
  --remove          drop familySuffixPrior from the metadata
  -h, --help        show this help`;

async function main(): Promise<number | 'help'> {
  const values = parseFlags(process.argv.slice(2), {
    dataset: { type: 'string' },
    metadata: { type: 'string', default: 'model/metadata.json' },
    alpha: { type: 'string', default: '1' },
    remove: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) return 'help';
  const alpha = Number(values.alpha);
  if (!(alpha > 0) || !Number.isFinite(alpha)) throw new UsageError(`--alpha must be a positive number, got "${values.alpha}"`);
  const raw = JSON.parse(await readFile(values.metadata, 'utf8')) as Record<string, unknown>;
  const metadata = parseModelMetadata(raw);
  if (values.remove) {
    delete raw.familySuffixPrior;
  } else {
    if (!values.dataset) throw new UsageError('--dataset is required');
    if (!metadata.families) throw new UsageError(`${values.metadata} lists no families: the model has no family head`);
    const path = join(values.dataset, 'train.tsv');
    if (!existsSync(path)) throw new UsageError(`--dataset ${values.dataset} has no train.tsv (a split directory from scripts/build-dataset.ts)`);
    const rows = parseSplitTsv(await readFile(path, 'utf8'), path).filter((r) => r.label === 1);
    const { prior, skipped } = buildFamilySuffixPrior(rows, metadata.families, alpha);
    raw.familySuffixPrior = prior;
    const pairs = Object.values(prior.counts).reduce((n, c) => n + Object.keys(c).length, 0);
    process.stderr.write(`suffix-prior: ${rows.length - skipped} DGA names of ${path}, ${Object.keys(prior.counts).length} families, ${prior.suffixes} suffixes, ${pairs} family/suffix pairs (${skipped} skipped)\n`);
  }
  recordAfterTrainingStep(raw, 'scripts/suffix-prior.ts', commandLine('scripts/suffix-prior.ts', process.argv.slice(2)));
  parseModelMetadata(raw); // the result must still load
  await writeFile(values.metadata, `${JSON.stringify(raw, null, 2)}\n`);
  process.stderr.write(`suffix-prior: wrote ${values.metadata}\n`);
  return 0;
}

runScript('suffix-prior', HELP, main);
