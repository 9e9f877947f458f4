/**
 * Blending the per-name results of several models (the scores.tsv files scripts/eval.ts writes): the mean
 * of their logits, measured with the same figures as the card. It answers "would serving two models (or an
 * ensemble distilled into one) pay?" without exporting anything (model/EXPERIMENTS.md section 12).
 */
import { checkBootstrapOptions, detectionByGroup, operatingPointAtFpr, percentileInterval, rocAuc } from './metrics.js';
import { createRng } from './seeded-random.js';

export interface ScoreRow {
  name: string;
  label: 0 | 1;
  family: string;
  source: string;
  logit: number;
}

/**
 * Reads scores.tsv text (header row first); throws with the line number on a malformed row. Rows without a
 * logit (names the classifier does not score, e.g. a label in another script) are left out.
 */
export function parseScoresTsv(text: string, file = 'scores.tsv'): ScoreRow[] {
  const lines = text.split('\n');
  const header = lines[0]?.split('\t') ?? [];
  const col = (name: string) => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`${file}: no "${name}" column in the header (a scores.tsv from scripts/eval.ts?)`);
    return i;
  };
  const [iName, iLabel, iFamily, iSource, iLogit] = ['name', 'label', 'family', 'source', 'logit'].map(col) as [number, number, number, number, number];
  const rows: ScoreRow[] = [];
  for (let n = 1; n < lines.length; n++) {
    const line = lines[n]!;
    if (line === '') continue;
    const c = line.split('\t');
    const label = c[iLabel];
    if (c[iLogit] === '' && (label === '0' || label === '1')) continue;
    const logit = Number(c[iLogit]);
    if ((label !== '0' && label !== '1') || Number.isNaN(logit)) throw new Error(`${file}:${n + 1}: expected a label 0/1 and a logit, got ${JSON.stringify(line.slice(0, 120))}`);
    rows.push({ name: c[iName]!, label: label === '1' ? 1 : 0, family: c[iFamily]!, source: c[iSource]!, logit });
  }
  return rows;
}

export interface BlendFigures {
  names: number;
  auc: number;
  /** Detection at FPR 1e-2, 1e-3, 1e-4. */
  tpr: [number, number, number];
  /** Mean of per-family detection at FPR 1e-3 over families with >= minFamily names (50: the 29 families of model/EXPERIMENTS.md). */
  familyMean: number;
}

/** AUC, detection at the three FPRs and the per-family mean for one column of logits. */
export function blendFigures(logits: ArrayLike<number>, labels: ArrayLike<number>, families: readonly string[], minFamily = 50): BlendFigures {
  const points = [1e-2, 1e-3, 1e-4].map((f) => operatingPointAtFpr(logits, labels, f));
  const tpr = points.map((p) => p.tpr) as [number, number, number];
  const groups = detectionByGroup(logits, families, points[1]!.threshold);
  const kept = [...groups].filter(([family, g]) => family !== 'benign' && g.n >= minFamily).map(([, g]) => g.tpr);
  return { names: logits.length, auc: rocAuc(logits, labels), tpr, familyMean: kept.reduce((a, b) => a + b, 0) / Math.max(1, kept.length) };
}

/**
 * Joins the files on (name, label, source) and keeps the rows every file scored; returns their labels,
 * families and one logit column per file. Throws when a file has a key twice.
 */
export function joinScores(files: readonly { file: string; rows: readonly ScoreRow[] }[]): { labels: Uint8Array; families: string[]; logits: Float64Array[] } {
  const keyOf = (r: ScoreRow) => `${r.name}\t${r.label}\t${r.source}`;
  const maps = files.map(({ file, rows }) => {
    const m = new Map<string, ScoreRow>();
    for (const r of rows) {
      const k = keyOf(r);
      if (m.has(k)) throw new Error(`${file}: ${r.name} (label ${r.label}, ${r.source}) appears twice`);
      m.set(k, r);
    }
    return m;
  });
  const keys = [...maps[0]!.keys()].filter((k) => maps.every((m) => m.has(k)));
  return {
    labels: Uint8Array.from(keys, (k) => maps[0]!.get(k)!.label),
    families: keys.map((k) => maps[0]!.get(k)!.family),
    logits: maps.map((m) => Float64Array.from(keys, (k) => m.get(k)!.logit)),
  };
}

/** The element-wise mean of logit columns. */
export function meanLogits(columns: readonly Float64Array[]): Float64Array {
  const out = new Float64Array(columns[0]?.length ?? 0);
  for (const c of columns) for (let i = 0; i < out.length; i++) out[i]! += c[i]! / columns.length;
  return out;
}

/** A paired difference B - A with its bootstrap interval. */
export interface PairedDifference {
  /** On the names as scored. */
  difference: number;
  low: number;
  high: number;
}

export interface PairedComparison {
  resamples: number;
  /** Each model's figures on the names as scored. */
  a: BlendFigures;
  b: BlendFigures;
  auc: PairedDifference;
  /** Detection at FPR 1e-2, 1e-3, 1e-4. */
  tpr: [PairedDifference, PairedDifference, PairedDifference];
  familyMean: PairedDifference;
}

/**
 * Paired stratified bootstrap of the difference between two models scored on the same names (B - A): each
 * resample draws benign and DGA rows with replacement and measures both models on that one draw, so the
 * names both models find easy or hard cancel out. Far tighter than comparing two unpaired intervals; an
 * interval that excludes 0 is a difference this test split supports (the seed-to-seed spread of training is
 * another question: model/EXPERIMENTS.md section 22).
 */
export function pairedBootstrap(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  labels: ArrayLike<number>,
  families: readonly string[],
  options: { resamples: number; seed: number; level?: number },
): PairedComparison {
  const { resamples, seed, level } = checkBootstrapOptions('pairedBootstrap', options);
  if (a.length !== labels.length || b.length !== labels.length || families.length !== labels.length) throw new RangeError('pairedBootstrap: columns of different lengths');
  const flat = (f: BlendFigures) => [f.auc, ...f.tpr, f.familyMean];
  const figuresA = blendFigures(a, labels, families);
  const figuresB = blendFigures(b, labels, families);
  const pointA = flat(figuresA);
  const point = flat(figuresB).map((x, i) => x - pointA[i]!);
  const byLabel: [number[], number[]] = [[], []];
  for (let i = 0; i < labels.length; i++) byLabel[labels[i] === 1 ? 1 : 0].push(i);
  const rng = createRng(seed);
  const n = labels.length;
  const ra = new Float64Array(n);
  const rb = new Float64Array(n);
  // Each resample keeps the class sizes, so the benign rows come first and the labels never change.
  const rl = Uint8Array.from({ length: n }, (_, k) => (k < byLabel[0].length ? 0 : 1));
  const rf: string[] = new Array<string>(n);
  const diffs: number[][] = point.map(() => []);
  for (let r = 0; r < resamples; r++) {
    let k = 0;
    for (const rows of byLabel) {
      for (let j = 0; j < rows.length; j++, k++) {
        const i = rows[Math.floor(rng() * rows.length)]!;
        ra[k] = a[i]!;
        rb[k] = b[i]!;
        rf[k] = families[i]!;
      }
    }
    const fa = flat(blendFigures(ra, rl, rf));
    flat(blendFigures(rb, rl, rf)).forEach((x, i) => diffs[i]!.push(x - fa[i]!));
  }
  const out = point.map((difference, i) => ({ difference, ...percentileInterval(diffs[i]!, level) }));
  return { resamples, a: figuresA, b: figuresB, auc: out[0]!, tpr: [out[1]!, out[2]!, out[3]!], familyMean: out[4]! };
}
