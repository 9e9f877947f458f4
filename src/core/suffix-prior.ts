/**
 * Family attribution by label *and* public suffix. The LSTM reads only the scored label (as in Woodbridge
 * et al.), so random-letter families with the same alphabet and lengths (cryptolocker, ramnit, conficker,
 * necurs, ...) look alike to it; but a DGA draws its suffixes from a fixed list that is part of the
 * algorithm (conficker: .ws .cn .cc ...; necurs: 43 ccTLDs; ramnit: .com). P(suffix | family), counted on
 * the training split (scripts/suffix-prior.ts) and smoothed, re-ranks the family head's answer:
 *
 *   P(family | DGA, label, suffix) ∝ P(family | DGA, label) x P(suffix | family)
 *
 * It touches only the family ranking: the DGA score and the `dga` flag stay the model's (the suffix
 * distribution of benign names in a 2015 top list is not one to learn a decision from).
 */

import { normalizeDomain } from './normalize.js';

/** metadata.json `familySuffixPrior`: per-family counts of public suffixes among the training split's DGA names. */
export interface FamilySuffixPrior {
  /** Additive smoothing per suffix (a family's unseen suffix still gets alpha / (n + alpha * suffixes)). */
  alpha: number;
  /** Distinct suffixes among the counted names (the smoothing's vocabulary size). */
  suffixes: number;
  /** family -> suffix -> count; families of metadata.families (not "benign"). */
  counts: Record<string, Record<string, number>>;
}

/** Per-class weights for a suffix, aligned with metadata.families (index 0, benign, is unused and 1). */
export interface SuffixWeights {
  weightsFor(suffix: string): Float32Array;
}

export function checkFamilySuffixPrior(value: unknown, families: readonly string[] | undefined): FamilySuffixPrior {
  const fail = (why: string): never => {
    throw new Error(`familySuffixPrior: ${why}`);
  };
  if (!families) fail('the model lists no families');
  if (!value || typeof value !== 'object') fail('must be an object');
  const v = value as Partial<FamilySuffixPrior>;
  if (typeof v.alpha !== 'number' || !(v.alpha > 0)) fail('alpha must be a positive number');
  if (typeof v.suffixes !== 'number' || !Number.isInteger(v.suffixes) || v.suffixes < 1) fail('suffixes must be a positive integer');
  if (!v.counts || typeof v.counts !== 'object') fail('counts must be an object');
  const known = new Set(families!.slice(1));
  for (const [family, bySuffix] of Object.entries(v.counts!)) {
    if (!known.has(family)) fail(`counts lists "${family}", which is not one of the model's malware families`);
    if (!bySuffix || typeof bySuffix !== 'object') fail(`counts.${family} must be an object`);
    for (const [suffix, n] of Object.entries(bySuffix)) {
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) fail(`counts.${family}.${suffix} must be a positive integer`);
    }
  }
  return v as FamilySuffixPrior;
}

/**
 * The weights: one row per suffix seen in training (built when first asked for); any other suffix
 * re-ranks nothing.
 * Rows are normalised to a maximum of 1 (only ratios between families matter, and it keeps float32 exact
 * enough). A family without counts gets the same weight for every suffix, i.e. no re-ranking.
 */
export function createSuffixWeights(prior: FamilySuffixPrior, families: readonly string[]): SuffixWeights {
  const width = families.length;
  const totals = new Float64Array(width);
  const hasCounts = new Uint8Array(width);
  const seen = new Set<string>();
  families.forEach((family, i) => {
    const bySuffix = prior.counts[family];
    if (i === 0 || !bySuffix) return;
    hasCounts[i] = 1;
    for (const [suffix, n] of Object.entries(bySuffix)) {
      totals[i] = totals[i]! + n;
      seen.add(suffix);
    }
  });
  const vocabulary = Math.max(prior.suffixes, seen.size);
  const row = (suffix: string): Float32Array => {
    const p = new Float64Array(width);
    let max = 0;
    for (let i = 1; i < width; i++) {
      if (!hasCounts[i]) continue;
      p[i] = ((prior.counts[families[i]!]![suffix] ?? 0) + prior.alpha) / (totals[i]! + prior.alpha * vocabulary);
      max = Math.max(max, p[i]!);
    }
    // Benign, and families without counts, get the row's largest weight: they neither gain nor lose against the best match.
    return Float32Array.from(p, (v, i) => (i > 0 && hasCounts[i] ? v / max : 1));
  };
  // Rows are built on first use: a Worker's first request then pays for one suffix, not all of them
  // (building every row took ~10 ms of a cold isolate's CPU).
  const rows = new Map<string, Float32Array>();
  // A suffix no training DGA used says nothing about the family (smoothing alone would favour the small
  // families): no re-ranking.
  const neutral = new Float32Array(width).fill(1);
  return {
    weightsFor(suffix) {
      if (!seen.has(suffix)) return neutral;
      let w = rows.get(suffix);
      if (!w) rows.set(suffix, (w = row(suffix)));
      return w;
    },
  };
}

/** The public suffix the classifier weighs for a name (normalize.ts), or undefined when the name does not normalise. */
export function publicSuffixOf(name: string): string | undefined {
  try {
    return normalizeDomain(name).publicSuffix || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Counts public suffixes per family over labelled DGA names (the training split: never validation or
 * test). Families the model does not list are counted as "other" when it has that class; names that do not
 * normalise are skipped (and counted).
 */
export function buildFamilySuffixPrior(
  rows: Iterable<{ name: string; family: string }>,
  families: readonly string[],
  alpha = 1,
): { prior: FamilySuffixPrior; skipped: number } {
  const known = new Set(families.slice(1));
  const fallback = known.has('other') ? 'other' : undefined;
  const counts: Record<string, Record<string, number>> = {};
  const suffixes = new Set<string>();
  let skipped = 0;
  for (const { name, family } of rows) {
    const target = known.has(family) ? family : fallback;
    const suffix = publicSuffixOf(name);
    if (!target || !suffix) {
      skipped++;
      continue;
    }
    const bySuffix = (counts[target] ??= {});
    bySuffix[suffix] = (bySuffix[suffix] ?? 0) + 1;
    suffixes.add(suffix);
  }
  // Stable output: families in model order, suffixes by count then name.
  const ordered: Record<string, Record<string, number>> = {};
  for (const family of families.slice(1)) {
    const bySuffix = counts[family];
    if (!bySuffix) continue;
    ordered[family] = Object.fromEntries(Object.entries(bySuffix).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)));
  }
  return { prior: { alpha, suffixes: suffixes.size, counts: ordered }, skipped };
}
