import type { FamilyScore } from './families.js';

/**
 * Open-set family attribution: a DGA name whose most likely known family is not likely enough is called
 * "other" instead of being forced onto the family it resembles most (1 - the top family's probability is the
 * classic maximum-softmax-probability test for "none of these"). Without it, every family the model never saw
 * is attributed to a known one (model/LEAVE-FAMILY-OUT.md: matsnu -> rovnix, emotet -> ramnit).
 *
 * The cut-off (`minProbability`) is chosen on validation names of the families the model knows, like the
 * DGA threshold is chosen on benign validation names: the largest value that costs at most `budget` of
 * their attribution (chooseMinProbability).
 */

export const OTHER_FAMILY = 'other';

/** The family reported for a DGA name; `nearest` is set when the open-set rule called it "other". */
export interface ReportedFamily extends FamilyScore {
  nearest?: FamilyScore;
}

export interface FamilyOpenSet {
  /** Top-family probability below which a DGA name's family is reported as "other". 0 = off. */
  minProbability: number;
  /** The share of seen-family attribution on validation the cut-off was allowed to cost. */
  budget: number;
  /** How it was chosen: validation DGA names, and the share attributed right at 0 and at minProbability. */
  validation: { names: number; attributedAtZero: number; attributedAtMin: number };
}

/**
 * The family to report for a DGA name: the top family, or "other" when its probability is below
 * `minProbability`. A rule-made "other" carries 1 - p(top) as its probability and names the family it was
 * nearest to.
 */
export function openSetFamily(top: FamilyScore, minProbability: number): ReportedFamily {
  if (top.probability >= minProbability || top.name === OTHER_FAMILY) return top;
  return { name: OTHER_FAMILY, probability: 1 - top.probability, nearest: top };
}

/** Share of names whose reported family (after the rule at `minProbability`) equals their true family. */
export function attributionAt(tops: readonly (FamilyScore | null)[], truths: readonly string[], minProbability: number): number {
  if (tops.length !== truths.length) throw new RangeError('tops and truths differ in length');
  if (tops.length === 0) return 0;
  let right = 0;
  tops.forEach((top, i) => {
    if (top && openSetFamily(top, minProbability).name === truths[i]) right++;
  });
  return right / tops.length;
}

/**
 * The largest cut-off on a 0.01 grid (0 .. 0.99) whose attribution of validation names of known families is
 * at most `budget` below that with no cut-off. `truths` are the names' families, pooled ones as "other".
 */
export function chooseMinProbability(tops: readonly (FamilyScore | null)[], truths: readonly string[], budget: number): FamilyOpenSet {
  if (!(budget >= 0 && budget < 1)) throw new RangeError(`budget must be in [0, 1), got ${budget}`);
  if (tops.length === 0) throw new RangeError('no validation names to choose a cut-off on');
  const atZero = attributionAt(tops, truths, 0);
  let best = 0;
  let atBest = atZero;
  for (let step = 1; step < 100; step++) {
    const tau = step / 100;
    const at = attributionAt(tops, truths, tau);
    // A tolerance for float rounding: a cost of exactly `budget` is allowed.
    if (at >= atZero - budget - 1e-12) {
      best = tau;
      atBest = at;
    }
  }
  return { minProbability: best, budget, validation: { names: tops.length, attributedAtZero: atZero, attributedAtMin: atBest } };
}
