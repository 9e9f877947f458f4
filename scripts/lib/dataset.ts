import { existsSync, statSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { normalizeDomain } from '../../src/core/normalize.js';
import { BENIGN_FAMILY, canonicalFamily, FAMILY_MAP, OTHER_FAMILY } from './family-map.js';
import { createRng } from './seeded-random.js';

/**
 * Training data for the DGA classifier, read from a directory laid out as
 *
 *   <dir>/benign/*.txt               label 0 (family "benign")
 *   <dir>/dga/<source>/<family>.txt  label 1 (family = file name without .txt, merged across sources)
 *
 * one domain per line. `readDataDir` does the I/O; `buildDataset` is pure (given the raw lines and a seed
 * it always returns the same split).
 *
 * Rules, in order:
 * 1. Every line is normalised with `normalizeDomain` (the same code serving uses); invalid names, and names
 *    serving does not score (scored label "", normalize.ts scoredForm), are skipped and counted. Blank
 *    lines and `#` comments are ignored.
 * 2. Names are de-duplicated across files within a class (first file in sorted path order keeps it; for a
 *    DGA name listed by two families the first family wins and the clash is counted).
 * 3. Benign wins: a normalised name present in both the benign and the DGA lists is dropped from DGA.
 * 4. The model only sees the scored label, so examples are de-duplicated at the (scored label, label) level,
 *    and benign wins there too: a DGA name whose scored label is also a benign scored label is dropped
 *    (the same input cannot carry both labels). Both conflict counts go into the summary.
 * 5. Per-family cap (seeded random choice within the family), then an optional total subsample.
 * 6. Split by a seeded hash of the scored label. A registrable name determines its scored label (the label
 *    left of the public suffix), so all names sharing a registrable name -- and, more strictly, all
 *    registrable names sharing a scored label (google.com / google.de) -- land on the same side: no
 *    registrable name and no model input is in both train and validation.
 * 7. Seeded shuffle of both sides.
 */

export type Label = 0 | 1;

/** One line of one data file. */
export interface RawEntry {
  domain: string;
  label: Label;
  /** "benign" for label 0, else the DGA family (file name without .txt). */
  family: string;
  /** Path of the file relative to the data directory, e.g. "dga/netlab360_ddofm/tinba.txt". */
  file: string;
}

/** One training example: what the model sees (scored) and what it should answer (label). */
export interface Example {
  scored: string;
  label: Label;
  family: string;
  /** The first normalised name that produced this example, and its registrable name (or the name). */
  name: string;
  registrable: string;
  file: string;
}

export interface DatasetOptions {
  /** Seed for the cap, subsample, split and shuffles. */
  seed: number;
  /** Fraction of the keys (scored labels) put in validation, 0 <= f < 1. */
  valFraction: number;
  /** Maximum examples per DGA family after de-duplication; 0 or undefined = no cap. */
  familyCap?: number;
  /** Maximum examples in total (after the cap), chosen at random; 0 or undefined = all. */
  sample?: number;
}

export interface FamilySummary {
  files: string[];
  lines: number;
  invalid: number;
  /** Examples after de-duplication and conflict removal, before the cap. */
  examples: number;
  /** Dropped by the per-family cap. */
  capped: number;
  /** Dropped by benign-wins (name or scored label). */
  benignWins: number;
  train: number;
  validation: number;
}

export interface DatasetSummary {
  files: { file: string; label: Label; family: string; lines: number }[];
  perClass: Record<'benign' | 'dga', {
    lines: number;
    invalid: number;
    uniqueNames: number;
    examples: number;
    train: number;
    validation: number;
  }>;
  perFamily: Record<string, FamilySummary>;
  /** Same normalised name in two files of the same class (the first file keeps it). */
  duplicateNames: number;
  /** DGA names listed under two different families (the first family keeps it). */
  crossFamilyNames: number;
  /** DGA names dropped because the same name is in the benign lists. */
  benignWinsNames: number;
  /** DGA names dropped because their scored label is a benign scored label. */
  benignWinsScored: number;
  /** Names collapsed into an existing (scored label, label) example. */
  duplicateScored: number;
  /** A few invalid lines with the reason, for the log. */
  invalidExamples: string[];
  droppedByCap: number;
  droppedBySample: number;
  maxScoredLength: number;
  options: DatasetOptions;
}

export interface Dataset {
  train: Example[];
  validation: Example[];
  summary: DatasetSummary;
}

export { createRng };

/** In-place Fisher-Yates shuffle with the given generator. */
export function shuffleInPlace<T>(items: T[], rng: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const tmp = items[i]!;
    items[i] = items[j]!;
    items[j] = tmp;
  }
  return items;
}

/** FNV-1a of `seed:key`, scaled to [0, 1): a split that does not depend on order or sampling. */
export function splitHash(key: string, seed: number): number {
  let h = 0x811c9dc5;
  const s = `${seed}:${key}`;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // One extra avalanche round so that nearby keys spread.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return (h >>> 0) / 4294967296;
}

/** Throws a clear error unless `dir` has the benign/ + dga/ layout. */
export function checkDataDir(dir: string): void {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new Error(`data directory "${dir}" does not exist`);
  }
  for (const sub of ['benign', 'dga']) {
    const p = join(dir, sub);
    if (!existsSync(p) || !statSync(p).isDirectory()) {
      throw new Error(`data directory "${dir}" has no ${sub}/ folder (expected benign/*.txt and dga/<source>/<family>.txt)`);
    }
  }
}

function linesOf(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    out.push(line);
  }
  return out;
}

/** Reads every list under `dir` (sorted by path, so the result is deterministic). */
export async function readDataDir(dir: string): Promise<RawEntry[]> {
  checkDataDir(dir);
  const files: { path: string; label: Label; family: string }[] = [];
  const benignDir = join(dir, 'benign');
  for (const f of (await readdir(benignDir)).sort()) {
    if (f.endsWith('.txt')) files.push({ path: join(benignDir, f), label: 0, family: 'benign' });
  }
  const dgaDir = join(dir, 'dga');
  for (const source of (await readdir(dgaDir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    if (!source.isDirectory()) continue;
    for (const f of (await readdir(join(dgaDir, source.name))).sort()) {
      if (f.endsWith('.txt')) files.push({ path: join(dgaDir, source.name, f), label: 1, family: f.slice(0, -4) });
    }
  }
  if (!files.some((f) => f.label === 0)) throw new Error(`no benign/*.txt files in "${dir}"`);
  if (!files.some((f) => f.label === 1)) throw new Error(`no dga/<source>/<family>.txt files in "${dir}"`);
  const entries: RawEntry[] = [];
  for (const f of files) {
    const file = relative(dir, f.path).split('\\').join('/');
    for (const domain of linesOf(await readFile(f.path, 'utf8'))) {
      entries.push({ domain, label: f.label, family: f.family, file });
    }
  }
  return entries;
}

function emptyFamily(): FamilySummary {
  return { files: [], lines: 0, invalid: 0, examples: 0, capped: 0, benignWins: 0, train: 0, validation: 0 };
}

/** The pure part: normalise, de-duplicate, resolve conflicts, cap, sample, split, shuffle. */
export function buildDataset(entries: readonly RawEntry[], options: DatasetOptions): Dataset {
  const { seed, valFraction } = options;
  if (!(valFraction >= 0 && valFraction < 1)) throw new RangeError('valFraction must be in [0, 1)');
  const perFamily: Record<string, FamilySummary> = {};
  const fam = (family: string) => (perFamily[family] ??= emptyFamily());
  const fileLines = new Map<string, { file: string; label: Label; family: string; lines: number }>();
  const perClass = {
    benign: { lines: 0, invalid: 0, uniqueNames: 0, examples: 0, train: 0, validation: 0 },
    dga: { lines: 0, invalid: 0, uniqueNames: 0, examples: 0, train: 0, validation: 0 },
  };
  const cls = (label: Label) => (label === 0 ? perClass.benign : perClass.dga);
  const invalidExamples: string[] = [];
  let duplicateNames = 0;
  let crossFamilyNames = 0;

  // 1-2: normalise and de-duplicate names within each class.
  type Named = { name: string; registrable: string; scored: string; label: Label; family: string; file: string };
  const byName: [Map<string, Named>, Map<string, Named>] = [new Map(), new Map()];
  for (const e of entries) {
    const fl = fileLines.get(e.file) ?? { file: e.file, label: e.label, family: e.family, lines: 0 };
    fl.lines++;
    fileLines.set(e.file, fl);
    const f = fam(e.family);
    if (!f.files.includes(e.file)) f.files.push(e.file);
    f.lines++;
    cls(e.label).lines++;
    let n;
    try {
      n = normalizeDomain(e.domain);
      if (n.scored === '') throw new Error('no Latin letter or digit in the scored label: serving does not score it');
    } catch (err) {
      f.invalid++;
      cls(e.label).invalid++;
      if (invalidExamples.length < 20) invalidExamples.push(`${e.file}: ${JSON.stringify(e.domain)}: ${(err as Error).message}`);
      continue;
    }
    const map = byName[e.label];
    const seen = map.get(n.name);
    if (seen !== undefined) {
      if (seen.family !== e.family) crossFamilyNames++;
      else duplicateNames++;
      continue;
    }
    map.set(n.name, {
      name: n.name,
      registrable: n.registrable || n.name,
      scored: n.scored,
      label: e.label,
      family: e.family,
      file: e.file,
    });
  }
  perClass.benign.uniqueNames = byName[0].size;
  perClass.dga.uniqueNames = byName[1].size;

  // 3-4: benign wins (by name, then by scored label); collapse to (scored, label).
  const benignScored = new Map<string, Example>();
  let duplicateScored = 0;
  for (const n of byName[0].values()) {
    if (benignScored.has(n.scored)) {
      duplicateScored++;
      continue;
    }
    benignScored.set(n.scored, { scored: n.scored, label: 0, family: n.family, name: n.name, registrable: n.registrable, file: n.file });
  }
  let benignWinsNames = 0;
  let benignWinsScored = 0;
  const dgaScored = new Map<string, Example>();
  for (const n of byName[1].values()) {
    if (byName[0].has(n.name)) {
      benignWinsNames++;
      fam(n.family).benignWins++;
      continue;
    }
    if (benignScored.has(n.scored)) {
      benignWinsScored++;
      fam(n.family).benignWins++;
      continue;
    }
    if (dgaScored.has(n.scored)) {
      duplicateScored++;
      continue;
    }
    dgaScored.set(n.scored, { scored: n.scored, label: 1, family: n.family, name: n.name, registrable: n.registrable, file: n.file });
  }

  // 5: per-family cap (DGA only), then the total subsample.
  const rng = createRng(seed);
  let examples: Example[] = [...benignScored.values()];
  const byFamily = new Map<string, Example[]>();
  for (const ex of dgaScored.values()) {
    let list = byFamily.get(ex.family);
    if (list === undefined) byFamily.set(ex.family, (list = []));
    list.push(ex);
  }
  let droppedByCap = 0;
  for (const [family, list] of [...byFamily.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    fam(family).examples = list.length;
    const cap = options.familyCap ?? 0;
    if (cap > 0 && list.length > cap) {
      shuffleInPlace(list, rng);
      fam(family).capped = list.length - cap;
      droppedByCap += list.length - cap;
      list.length = cap;
    }
    for (const ex of list) examples.push(ex);
  }
  fam('benign').examples = benignScored.size;
  let droppedBySample = 0;
  if (options.sample !== undefined && options.sample > 0 && examples.length > options.sample) {
    shuffleInPlace(examples, rng);
    droppedBySample = examples.length - options.sample;
    examples = examples.slice(0, options.sample);
  }

  // 6-7: split by a hash of the scored label; shuffle.
  const train: Example[] = [];
  const validation: Example[] = [];
  let maxScoredLength = 0;
  for (const ex of examples) {
    maxScoredLength = Math.max(maxScoredLength, ex.scored.length);
    const toVal = splitHash(ex.scored, seed) < valFraction;
    (toVal ? validation : train).push(ex);
    const f = fam(ex.family);
    const c = cls(ex.label);
    c.examples++;
    if (toVal) {
      f.validation++;
      c.validation++;
    } else {
      f.train++;
      c.train++;
    }
  }
  shuffleInPlace(train, rng);
  shuffleInPlace(validation, rng);

  return {
    train,
    validation,
    summary: {
      files: [...fileLines.values()],
      perClass,
      perFamily,
      duplicateNames,
      crossFamilyNames,
      benignWinsNames,
      benignWinsScored,
      duplicateScored,
      invalidExamples,
      droppedByCap,
      droppedBySample,
      maxScoredLength,
      options: { ...options },
    },
  };
}

/** `readDataDir` + `buildDataset`. */
export async function loadDataset(dir: string, options: DatasetOptions): Promise<Dataset> {
  return buildDataset(await readDataDir(dir), options);
}

/** The q-quantile (0..1) of the scored-label lengths, nearest-rank. */
export function lengthQuantile(examples: readonly Example[], q: number): number {
  if (examples.length === 0) return 0;
  const lengths = examples.map((e) => e.scored.length).sort((a, b) => a - b);
  const rank = Math.min(lengths.length - 1, Math.max(0, Math.ceil(q * lengths.length) - 1));
  return lengths[rank]!;
}

// ---------------------------------------------------------------------------------------------------------
// Dataset v2: train / val / test (+ holdout) splits written as TSV by scripts/build-dataset.ts.
// ---------------------------------------------------------------------------------------------------------


export const SPLITS = ['train', 'val', 'test'] as const;
export type SplitName = (typeof SPLITS)[number] | 'holdout';

/** One row of a split file: `name<TAB>label<TAB>family` (the original name as listed, e.g. an FQDN). */
export interface SplitRow {
  name: string;
  label: Label;
  family: string;
}

export interface SplitOptions {
  seed: number;
  /** Fractions of scored labels in val and test (by a seeded hash of the scored label). */
  valFraction: number;
  testFraction: number;
  /** Maximum examples per canonical DGA family (seeded random choice); 0 = no cap. */
  familyCap: number;
  /** Families with fewer examples than this (after de-duplication, before the cap) are pooled as "other". */
  minFamily: number;
  /** Canonical families removed from train/val/test and written to holdout.tsv (leave-family-out). */
  holdoutFamilies: string[];
  /**
   * Larger caps for the training split only (family -> cap): of the family's examples beyond familyCap,
   * those whose hash puts them in train are kept. Val and test get exactly the rows they would get without
   * it, so a model trained on more of a family is still measured on the same held-out names.
   */
  trainFamilyCaps?: Record<string, number>;
}

export interface SplitSummary {
  options: SplitOptions;
  familyMap: Record<string, string>;
  rules: string[];
  /** Source family (file) -> canonical family, as applied. */
  applied: Record<string, string>;
  /** Families pooled into "other" with their example counts. */
  pooledAsOther: Record<string, number>;
  counts: Record<string, Record<SplitName | 'total' | 'capped' | 'trainExtra', number>>;
  totals: Record<SplitName, { benign: number; dga: number }>;
  lines: number;
  invalid: number;
  duplicateNames: number;
  crossFamilyNames: number;
  benignWinsNames: number;
  benignWinsScored: number;
  duplicateScored: number;
  droppedByCap: number;
  invalidExamples: string[];
}

export interface Splits {
  train: SplitRow[];
  val: SplitRow[];
  test: SplitRow[];
  holdout: SplitRow[];
  summary: SplitSummary;
}

/**
 * The pure part of scripts/build-dataset.ts. Rules, in order:
 * 1. Source family names are mapped to canonical names (family-map.ts).
 * 2. Names are normalised with `normalizeDomain` (invalid ones skipped and counted) and de-duplicated within
 *    a class across all files (first file in sorted path order keeps it).
 * 3. Benign wins: a DGA name listed as benign, or whose scored label is a benign scored label, is dropped.
 * 4. One example per (scored label, label): the model sees only the scored label, so further names with the
 *    same scored label are dropped (counted as duplicateScored). A scored label thus has exactly one label
 *    and one family.
 * 5. Holdout families (canonical names) are set aside whole (all their examples -> holdout).
 * 6. Families with < minFamily examples are pooled as "other"; then the per-family cap (other included).
 * 7. Split by a seeded hash of the scored label: [0, test) -> test, [test, test+val) -> val, rest -> train.
 * 8. trainFamilyCaps: a family's examples beyond the cap (in the cap's seeded order, up to its train cap) go
 *    to train when their hash says train; the others stay dropped, so val and test do not change.
 *    No scored label (hence no model input, and no registrable name) is in two splits.
 * 8. Each split is shuffled (seeded).
 */
export function buildSplits(entries: readonly RawEntry[], options: SplitOptions): Splits {
  const { seed, valFraction, testFraction } = options;
  if (!(valFraction >= 0 && testFraction >= 0 && valFraction + testFraction < 1)) {
    throw new RangeError('valFraction + testFraction must be in [0, 1)');
  }
  const holdout = new Set(options.holdoutFamilies.map(canonicalFamily));
  const applied: Record<string, string> = {};
  const invalidExamples: string[] = [];
  let lines = 0;
  let invalid = 0;
  let duplicateNames = 0;
  let crossFamilyNames = 0;
  type Named = { raw: string; name: string; scored: string; label: Label; family: string };
  const byName: [Map<string, Named>, Map<string, Named>] = [new Map(), new Map()];
  for (const e of entries) {
    lines++;
    const family = e.label === 0 ? BENIGN_FAMILY : canonicalFamily(e.family);
    if (e.label === 1) applied[e.family] = family;
    let n;
    try {
      n = normalizeDomain(e.domain);
      if (n.scored === '') throw new Error('no Latin letter or digit in the scored label: serving does not score it');
    } catch (err) {
      invalid++;
      if (invalidExamples.length < 20) invalidExamples.push(`${e.file}: ${JSON.stringify(e.domain)}: ${(err as Error).message}`);
      continue;
    }
    const map = byName[e.label];
    const seen = map.get(n.name);
    if (seen !== undefined) {
      if (seen.family !== family) crossFamilyNames++;
      else duplicateNames++;
      continue;
    }
    map.set(n.name, { raw: e.domain.trim(), name: n.name, scored: n.scored, label: e.label, family });
  }
  let duplicateScored = 0;
  const benignScored = new Map<string, Named>();
  for (const n of byName[0].values()) {
    if (benignScored.has(n.scored)) duplicateScored++;
    else benignScored.set(n.scored, n);
  }
  let benignWinsNames = 0;
  let benignWinsScored = 0;
  const dgaScored = new Map<string, Named>();
  for (const n of byName[1].values()) {
    if (byName[0].has(n.name)) benignWinsNames++;
    else if (benignScored.has(n.scored)) benignWinsScored++;
    else if (dgaScored.has(n.scored)) duplicateScored++;
    else dgaScored.set(n.scored, n);
  }

  // Group DGA examples by family; set holdout families aside; pool rare families as "other".
  const byFamily = new Map<string, Named[]>();
  for (const n of dgaScored.values()) {
    let list = byFamily.get(n.family);
    if (list === undefined) byFamily.set(n.family, (list = []));
    list.push(n);
  }
  const sortedFamilies = [...byFamily.keys()].sort();
  const holdoutRows: Named[] = [];
  const pooledAsOther: Record<string, number> = {};
  const kept = new Map<string, Named[]>();
  for (const family of sortedFamilies) {
    const list = byFamily.get(family)!;
    if (holdout.has(family)) {
      holdoutRows.push(...list);
      continue;
    }
    const target = family !== OTHER_FAMILY && list.length < options.minFamily ? OTHER_FAMILY : family;
    if (target === OTHER_FAMILY && family !== OTHER_FAMILY) pooledAsOther[family] = list.length;
    const into = kept.get(target) ?? [];
    for (const n of list) into.push(target === family ? n : { ...n, family: OTHER_FAMILY });
    kept.set(target, into);
  }
  const rng = createRng(seed);
  const counts: SplitSummary['counts'] = {};
  const count = (family: string) => (counts[family] ??= { train: 0, val: 0, test: 0, holdout: 0, total: 0, capped: 0, trainExtra: 0 });
  let droppedByCap = 0;
  const examples: Named[] = [...benignScored.values()];
  const trainOnly: Named[] = [];
  const trainCaps = options.trainFamilyCaps ?? {};
  for (const [family, cap] of Object.entries(trainCaps)) {
    if (!kept.has(family)) throw new Error(`train cap for ${family}: no such family in train/val/test (families: ${[...kept.keys()].sort().join(', ')})`);
    if (!Number.isInteger(cap) || cap <= options.familyCap || options.familyCap === 0) throw new Error(`train cap for ${family} must be an integer above the family cap ${options.familyCap}`);
  }
  count(BENIGN_FAMILY).total = benignScored.size;
  for (const family of [...kept.keys()].sort()) {
    const list = kept.get(family)!;
    const c = count(family);
    c.total = list.length;
    if (options.familyCap > 0 && list.length > options.familyCap) {
      shuffleInPlace(list, rng);
      const extra = list
        .slice(options.familyCap, trainCaps[family] ?? options.familyCap)
        .filter((n) => splitHash(n.scored, seed) >= testFraction + valFraction);
      trainOnly.push(...extra);
      c.trainExtra = extra.length;
      c.capped = list.length - options.familyCap - extra.length;
      droppedByCap += c.capped;
      list.length = options.familyCap;
    }
    examples.push(...list);
  }
  const out: Record<SplitName, SplitRow[]> = { train: [], val: [], test: [], holdout: [] };
  const totals: SplitSummary['totals'] = {
    train: { benign: 0, dga: 0 },
    val: { benign: 0, dga: 0 },
    test: { benign: 0, dga: 0 },
    holdout: { benign: 0, dga: 0 },
  };
  const put = (split: SplitName, n: Named) => {
    out[split].push({ name: n.raw, label: n.label, family: n.family });
    count(n.family)[split]++;
    totals[split][n.label === 0 ? 'benign' : 'dga']++;
  };
  for (const n of examples) {
    const h = splitHash(n.scored, seed);
    put(h < testFraction ? 'test' : h < testFraction + valFraction ? 'val' : 'train', n);
  }
  for (const n of trainOnly) put('train', n);
  for (const n of holdoutRows) {
    count(n.family).total++;
    put('holdout', n);
  }
  for (const split of Object.values(out)) shuffleInPlace(split, rng);
  return {
    ...out,
    summary: {
      options: { ...options, holdoutFamilies: [...holdout].sort() },
      familyMap: { ...FAMILY_MAP },
      rules: [
        'source family names mapped to canonical names (scripts/lib/family-map.ts)',
        'names normalised with normalizeDomain; invalid names and names serving does not score (no Latin letter or digit in the scored label) skipped',
        'names de-duplicated within a class across files (first file in sorted path order keeps the name)',
        'benign wins: DGA names listed as benign, or whose scored label is a benign scored label, are dropped',
        'one example per (scored label, label)',
        'holdout families set aside whole (holdout.tsv)',
        `families with < ${options.minFamily} examples pooled as "${OTHER_FAMILY}"`,
        `per-family cap ${options.familyCap || 'none'} (seeded random choice)`,
        ...Object.entries(trainCaps).map(([f, cap]) => `train split only: ${f} up to ${cap} (the rows beyond the cap that hash to train; val and test unchanged)`),
        `split by seeded hash of the scored label: test ${testFraction}, val ${valFraction}, rest train`,
      ],
      applied,
      pooledAsOther,
      counts,
      totals,
      lines,
      invalid,
      duplicateNames,
      crossFamilyNames,
      benignWinsNames,
      benignWinsScored,
      duplicateScored,
      droppedByCap,
      invalidExamples,
    },
  };
}

/** TSV text of split rows (`name<TAB>label<TAB>family`, one per line, trailing newline). */
export function formatSplitTsv(rows: readonly SplitRow[]): string {
  let s = '';
  for (const r of rows) s += `${r.name}\t${r.label}\t${r.family}\n`;
  return s;
}

/** Parses split TSV text; throws on malformed lines. */
export function parseSplitTsv(text: string, source = 'tsv'): SplitRow[] {
  const rows: SplitRow[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') continue;
    const parts = line.split('\t');
    if (parts.length !== 3 || (parts[1] !== '0' && parts[1] !== '1') || parts[0] === '' || parts[2] === '') {
      throw new Error(`${source}:${i + 1}: expected name<TAB>0|1<TAB>family, got ${JSON.stringify(line)}`);
    }
    rows.push({ name: parts[0]!, label: parts[1] === '1' ? 1 : 0, family: parts[2]! });
  }
  return rows;
}

/**
 * Reads a split file into training examples (normalising each name as serving does). Rows whose name no
 * longer normalises are skipped (counted in `invalid`).
 */
export async function readSplitFile(path: string): Promise<{ examples: Example[]; invalid: number }> {
  const rows = parseSplitTsv(await readFile(path, 'utf8'), path);
  const examples: Example[] = [];
  let invalid = 0;
  for (const r of rows) {
    let n;
    try {
      n = normalizeDomain(r.name);
    } catch {
      invalid++;
      continue;
    }
    if (n.scored === '') {
      invalid++; // serving does not score it (normalize.ts scoredForm)
      continue;
    }
    examples.push({ scored: n.scored, label: r.label, family: r.family, name: n.name, registrable: n.registrable || n.name, file: path });
  }
  return { examples, invalid };
}
