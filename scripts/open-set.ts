/**
 * Open-set family attribution (src/core/open-set.ts): a DGA name whose top family (after the suffix prior) has
 * a probability below a cut-off is called "other". This script chooses the cut-off on validation names of the
 * families a model saw, measures it on its test split and, for a leave-family-out model
 * (scripts/build-dataset.ts --holdout-families), on the families it never saw:
 *
 *   npx tsx scripts/open-set.ts --model DIR/dga.int8.onnx --metadata DIR/metadata.json \
 *     --val runs/dataset/val.tsv --test runs/dataset/test.tsv [--holdout FILE] [--budget 0.02] [--write]
 *
 * With --val the cut-off is the largest (0.01 grid) that costs at most --budget of the validation names'
 * attribution; --write stores it in the metadata as `familyOpenSet`, which the classifier then applies
 * (deployments override it with FAMILY_MIN_PROBABILITY). Prints one line per tau of --tau as well.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { attributionAt, chooseMinProbability, openSetFamily, OTHER_FAMILY } from '../src/core/open-set.js';
import { loadNodeClassifier } from '../src/runtime/node-model.js';
import { commandLine, parseFlags, requiredFlag, runScript, UsageError } from './lib/cli-flags.js';
import { parseSplitTsv } from './lib/dataset.js';
import { recordAfterTrainingStep } from './lib/metadata-steps.js';
import { topFamilies } from './lib/top-family.js';

const HELP = `Usage: npx tsx scripts/open-set.ts --model FILE --metadata FILE --test FILE [--val FILE] [--holdout FILE] [--budget X] [--write] [--tau LIST]

  --model FILE      ONNX model                                           (required)
  --metadata FILE   its metadata.json (with familySuffixPrior, if used)  (required)
  --test FILE       split TSV of the families it saw (DGA rows are used) (required)
  --val FILE        validation split TSV: choose the cut-off on its DGA rows
  --budget X        attribution share the cut-off may cost on --val      (default: 0.02)
  --write           store the chosen cut-off in --metadata (familyOpenSet); needs --val
  --holdout FILE    split TSV of held-out families (a leave-family-out model)
  --tau LIST        comma-separated cut-offs in [0, 1) to report as well (default: 0,0.3,0.4,0.5,0.6,0.7,0.8,0.9)
  -h, --help        show this help`;

async function main(): Promise<number | 'help'> {
  const values = parseFlags(process.argv.slice(2), {
    model: { type: 'string' },
    metadata: { type: 'string' },
    test: { type: 'string' },
    val: { type: 'string' },
    holdout: { type: 'string' },
    budget: { type: 'string', default: '0.02' },
    write: { type: 'boolean', default: false },
    tau: { type: 'string', default: '0,0.3,0.4,0.5,0.6,0.7,0.8,0.9' },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) return 'help';
  const files: Record<string, string> = { model: requiredFlag('model', values.model), metadata: requiredFlag('metadata', values.metadata), test: requiredFlag('test', values.test) };
  if (values.val) files.val = values.val;
  if (values.holdout) files.holdout = values.holdout;
  for (const [flag, path] of Object.entries(files)) if (!existsSync(path)) throw new UsageError(`--${flag} ${path}: no such file`);
  const taus = values.tau.split(',').map(Number);
  if (taus.some((t) => !(t >= 0 && t < 1))) throw new UsageError(`--tau must list numbers in [0, 1), got "${values.tau}"`);
  const budget = Number(values.budget);
  if (!(budget >= 0 && budget < 1)) throw new UsageError(`--budget must be a number in [0, 1), got "${values.budget}"`);
  if (values.write && !values.val) throw new UsageError('--write stores the cut-off chosen on --val: give --val');
  // The rankings come from the `families` list, which the stored cut-off never changes.
  const classifier = await loadNodeClassifier({ modelPath: files.model!, metadataPath: files.metadata! });
  if (!classifier.familyNames?.includes(OTHER_FAMILY)) throw new UsageError(`${files.metadata}: the model has no "${OTHER_FAMILY}" family class`);
  const known = new Set(classifier.familyNames);
  const dgaRows = (path: string) => parseSplitTsv(readFileSync(path, 'utf8'), path).filter((r) => r.label === 1);
  const truthOf = (family: string) => (known.has(family) ? family : OTHER_FAMILY);
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

  const seen = dgaRows(files.test!);
  const seenTop = await topFamilies(classifier, seen.map((r) => r.name));
  const seenTruth = seen.map((r) => truthOf(r.family));
  const unseen = files.holdout ? dgaRows(files.holdout) : [];
  const unseenTop = await topFamilies(classifier, unseen.map((r) => r.name));
  process.stdout.write(`${seen.length} test DGA names of seen families` + (files.holdout ? `, ${unseen.length} of held-out families (${[...new Set(unseen.map((r) => r.family))].join(', ')})` : '') + '\n');

  /** "seen attributed right x%; held-out names -> other y% (per family)" at one cut-off. */
  const line = (tau: number) => {
    let text = `seen families attributed right ${pct(attributionAt(seenTop, seenTruth, tau))}`;
    if (unseen.length > 0) {
      const perFamily = new Map<string, { other: number; n: number }>();
      unseen.forEach((r, i) => {
        const f = perFamily.get(r.family) ?? { other: 0, n: 0 };
        f.n++;
        const top = unseenTop[i];
        if (top && openSetFamily(top, tau).name === OTHER_FAMILY) f.other++;
        perFamily.set(r.family, f);
      });
      const toOther = [...perFamily.values()].reduce((a, f) => a + f.other, 0);
      text += `; held-out names -> "other" ${pct(toOther / unseen.length)} (` + [...perFamily].map(([family, f]) => `${family} ${pct(f.other / f.n)}`).join(', ') + ')';
    }
    return text;
  };
  for (const tau of taus) process.stdout.write(`tau ${tau}: ${line(tau)}\n`);

  if (files.val) {
    const val = dgaRows(files.val);
    const valTop = await topFamilies(classifier, val.map((r) => r.name));
    const chosen = chooseMinProbability(valTop, val.map((r) => truthOf(r.family)), budget);
    const v = chosen.validation;
    process.stdout.write(
      `chosen on ${v.names} validation DGA names with budget ${budget}: minProbability ${chosen.minProbability} ` +
        `(validation attribution ${pct(v.attributedAtZero)} -> ${pct(v.attributedAtMin)}); on test: ${line(chosen.minProbability)}\n`,
    );
    if (values.write) {
      const raw = JSON.parse(await readFile(files.metadata!, 'utf8')) as Record<string, unknown>;
      raw.familyOpenSet = chosen;
      recordAfterTrainingStep(raw, 'scripts/open-set.ts', commandLine('scripts/open-set.ts', process.argv.slice(2)));
      await writeFile(files.metadata!, `${JSON.stringify(raw, null, 2)}\n`);
      process.stderr.write(`open-set: wrote familyOpenSet to ${files.metadata}\n`);
    }
  }

  if (unseen.length > 0) {
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
  }
  return 0;
}

runScript('open-set', HELP, main);
