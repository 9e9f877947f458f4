// The open-set cut-off for a freshly trained model (src/core/open-set.ts), chosen in train.ts on the
// validation names exactly as scripts/open-set.ts chooses it for an exported one: the head's probabilities,
// re-ranked by the suffix prior the metadata will carry, then the largest cut-off within the budget.
import { topFamilies } from '../../src/core/families.js';
import { chooseMinProbability, OTHER_FAMILY, type FamilyOpenSet } from '../../src/core/open-set.js';
import { createSuffixWeights, publicSuffixOf, type FamilySuffixPrior } from '../../src/core/suffix-prior.js';

/**
 * `probabilities` is the family head's softmax, row-major [examples.length, families.length], in the order
 * of `examples`; only DGA rows (label 1) count. Families the model has no class for are truly "other".
 */
export function chooseOpenSetOnValidation(
  examples: readonly { name: string; label: number; family: string }[],
  probabilities: Float32Array,
  families: readonly string[],
  prior: FamilySuffixPrior | undefined,
  budget: number,
): FamilyOpenSet {
  if (probabilities.length !== examples.length * families.length) throw new RangeError('probabilities do not match examples x families');
  const weights = prior ? createSuffixWeights(prior, families) : undefined;
  const known = new Set(families);
  const tops = [];
  const truths = [];
  for (let i = 0; i < examples.length; i++) {
    const e = examples[i]!;
    if (e.label !== 1) continue;
    tops.push(topFamilies(families, probabilities, i, 1, weights?.weightsFor(publicSuffixOf(e.name) ?? ''))[0] ?? null);
    truths.push(known.has(e.family) ? e.family : OTHER_FAMILY);
  }
  return chooseMinProbability(tops, truths, budget);
}
