/**
 * Open-set family attribution, measured: if every name whose top family (after the suffix prior) has a
 * probability below tau were called "other", how many names of families the model never saw would go to
 * "other", and how much attribution of the families it saw would be lost? Run it on a leave-family-out
 * model (scripts/build-dataset.ts --holdout-families) with its test and holdout files:
 *
 *   npx tsx scripts/open-set.ts --model DIR/dga.int8.onnx --metadata DIR/metadata.json \
 *     --test runs/dataset-lofo/test.tsv --holdout runs/dataset-lofo/holdout.tsv [--tau 0,0.3,0.5,0.7,0.9]
 *
 * Prints one line per tau. Nothing is served from this: it measures a rule (model/LEAVE-FAMILY-OUT.md).
 */
import { existsSync, readFileSync } from 'node:fs';
import type { FamilyScore } from '../src/core/families.js';
import { loadNodeClassifier } from '../src/runtime/node-model.js';
import { parseFlags, requiredFlag, runScript, UsageError } from './lib/cli-flags.js';
import { parseSplitTsv } from './lib/dataset.js';
import { topFamilies } from './lib/top-family.js';

const HELP = `Usage: npx tsx scripts/open-set.ts --model FILE --metadata FILE --test FILE --holdout FILE [--tau LIST]

  --model FILE      ONNX model (a leave-family-out model)                 (required)
  --metadata FILE   its metadata.json (with familySuffixPrior, if used)  (required)
  --test FILE       split TSV of the families it saw (DGA rows are used) (required)
  --holdout FILE    split TSV of the held-out families                   (required)
  --tau LIST        comma-separated thresholds in [0, 1)                 (default: 0,0.3,0.4,0.5,0.6,0.7,0.8,0.9)
  -h, --help        show this help`;

async function main(): Promise<number | 'help'> {
  const values = parseFlags(process.argv.slice(2), {
    model: { type: 'string' },
    metadata: { type: 'string' },
    test: { type: 'string' },
    holdout: { type: 'string' },
    tau: { type: 'string', default: '0,0.3,0.4,0.5,0.6,0.7,0.8,0.9' },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) return 'help';
  const files = { model: requiredFlag('model', values.model), metadata: requiredFlag('metadata', values.metadata), test: requiredFlag('test', values.test), holdout: requiredFlag('holdout', values.holdout) };
  for (const [flag, path] of Object.entries(files)) if (!existsSync(path)) throw new UsageError(`--${flag} ${path}: no such file`);
  const taus = values.tau.split(',').map(Number);
  if (taus.some((t) => !(t >= 0 && t < 1))) throw new UsageError(`--tau must list numbers in [0, 1), got "${values.tau}"`);
  const classifier = await loadNodeClassifier({ modelPath: files.model, metadataPath: files.metadata });
  if (!classifier.familyNames?.includes('other')) throw new UsageError(`${files.metadata}: the model has no "other" family class`);
  const known = new Set(classifier.familyNames);
  const dgaRows = (path: string) => parseSplitTsv(readFileSync(path, 'utf8'), path).filter((r) => r.label === 1);
  const seen = dgaRows(files.test);
  const unseen = dgaRows(files.holdout);
  const seenTop = await topFamilies(classifier, seen.map((r) => r.name));
  const unseenTop = await topFamilies(classifier, unseen.map((r) => r.name));
  process.stdout.write(`${seen.length} DGA names of seen families, ${unseen.length} of held-out families (${[...new Set(unseen.map((r) => r.family))].join(', ')})\n`);
  for (const tau of taus) {
    const pick = (t: FamilyScore | null) => (t === null ? null : t.probability < tau ? 'other' : t.name);
    let right = 0;
    seen.forEach((r, i) => {
      if (pick(seenTop[i]!) === (known.has(r.family) ? r.family : 'other')) right++;
    });
    const perFamily = new Map<string, { other: number; n: number }>();
    unseen.forEach((r, i) => {
      const f = perFamily.get(r.family) ?? { other: 0, n: 0 };
      f.n++;
      if (pick(unseenTop[i]!) === 'other') f.other++;
      perFamily.set(r.family, f);
    });
    const toOther = [...perFamily.values()].reduce((a, f) => a + f.other, 0);
    const pct = (a: number, n: number) => `${((100 * a) / n).toFixed(1)}%`;
    process.stdout.write(
      `tau ${tau}: seen families attributed right ${pct(right, seen.length)}; held-out names -> "other" ${pct(toOther, unseen.length)} (` +
        [...perFamily].map(([family, f]) => `${family} ${pct(f.other, f.n)}`).join(', ') + ')\n',
    );
  }
  // What the head calls each held-out family (the rule aside): the known family it resembles most.
  const called = new Map<string, Map<string, number>>();
  unseen.forEach((r, i) => {
    const name = unseenTop[i]?.name ?? '(none)';
    const m = called.get(r.family) ?? new Map<string, number>();
    m.set(name, (m.get(name) ?? 0) + 1);
    called.set(r.family, m);
  });
  process.stdout.write(
    'held-out families are mostly called: ' +
      [...called].map(([family, m]) => {
        const [name, n] = [...m].sort((a, b) => b[1] - a[1])[0]!;
        const total = [...m.values()].reduce((a, b) => a + b, 0);
        return `${family} -> ${name} (${((100 * n) / total).toFixed(0)}%)`;
      }).join(', ') + '\n',
  );
  return 0;
}

runScript('open-set', HELP, main);
