/**
 * Does the family suffix prior carry over to lists from another source? For each DGA source of a data
 * directory, counts the prior on every *other* source and compares the family attribution of a sample of
 * this source's names: the family head alone, with that leave-one-source-out prior, and with the model's
 * own prior. (The head has seen most of these names in training; what is measured is the prior's effect.)
 *
 *   npx tsx scripts/suffix-prior-by-source.ts --data ../shared/data [--per-file 3000] [--seed 1]
 *
 * Uses the served model (model/dga.int8.onnx, model/metadata.json); model/EXPERIMENTS.md section 7 has a run.
 */
import { writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Classifier } from '../src/core/classifier.js';
import { buildFamilySuffixPrior } from '../src/core/suffix-prior.js';
import { DEFAULT_METADATA_PATH, loadNodeClassifier, readMetadata } from '../src/runtime/node-model.js';
import { integerFlag, parseFlags, requiredFlag, runScript } from './lib/cli-flags.js';
import { createRng, readDataDir, shuffleInPlace } from './lib/dataset.js';
import { canonicalFamily } from './lib/family-map.js';
import { topFamilies } from './lib/top-family.js';

const HELP = `Usage: npx tsx scripts/suffix-prior-by-source.ts --data DIR [--per-file N] [--seed N]

  --data DIR      data directory with dga/<source>/<family>.txt (required)
  --per-file N    names sampled (seeded) from each list file          (default: 3000)
  --seed N        sampling seed                                        (default: 1)
  -h, --help      show this help`;

interface Row {
  name: string;
  family: string;
}

async function main(): Promise<number | 'help'> {
  const values = parseFlags(process.argv.slice(2), {
    data: { type: 'string' },
    'per-file': { type: 'string' },
    seed: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) return 'help';
  const data = requiredFlag('data', values.data);
  const perFile = integerFlag('per-file', values['per-file'], 3000);
  const seed = integerFlag('seed', values.seed, 1, { min: 0 });
  const metadata = await readMetadata(DEFAULT_METADATA_PATH);
  if (!metadata.families) throw new Error('the served model has no family head');
  const families = metadata.families;
  const known = new Set(families.slice(1));
  // Sampled at random, not every k-th line: generated lists cycle through their suffixes.
  const byFile = new Map<string, Row[]>();
  for (const e of await readDataDir(data)) {
    if (e.label !== 1) continue;
    const family = canonicalFamily(e.family);
    const rows = byFile.get(e.file) ?? [];
    rows.push({ name: e.domain, family: known.has(family) ? family : 'other' });
    byFile.set(e.file, rows);
  }
  const rng = createRng(seed);
  const bySource = new Map<string, Row[]>();
  for (const [file, rows] of byFile) {
    const source = file.split('/')[1]!;
    bySource.set(source, [...(bySource.get(source) ?? []), ...shuffleInPlace(rows, rng).slice(0, perFile)]);
  }
  const dir = await mkdtemp(join(tmpdir(), 'dga-prior-'));
  const withPrior = async (prior: unknown, name: string) => {
    const path = join(dir, name);
    await writeFile(path, JSON.stringify({ ...metadata, familySuffixPrior: prior }));
    return loadNodeClassifier({ metadataPath: path });
  };
  const headAlone = await withPrior(undefined, 'head.json');
  const served = await loadNodeClassifier();
  const accuracy = async (classifier: Classifier, rows: Row[]) => {
    const top = await topFamilies(classifier, rows.map((r) => r.name));
    const n = top.filter((t) => t !== null).length;
    const right = top.filter((t, i) => t?.name === rows[i]!.family).length;
    return `${((100 * right) / n).toFixed(1)}%`;
  };
  process.stdout.write('| source | names | head alone | prior from the other sources | served prior |\n|---|---:|---:|---:|---:|\n');
  for (const [source, rows] of bySource) {
    const others = [...bySource].filter(([s]) => s !== source).flatMap(([, r]) => r);
    const { prior } = buildFamilySuffixPrior(others, families);
    const loso = await withPrior(prior, `loso-${source}.json`);
    process.stdout.write(`| ${source} | ${rows.length} | ${await accuracy(headAlone, rows)} | ${await accuracy(loso, rows)} | ${await accuracy(served, rows)} |\n`);
  }
  return 0;
}

runScript('suffix-prior-by-source', HELP, main);
