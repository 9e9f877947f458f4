// The family each name is attributed to (the classifier's top-1 ranking: head and suffix prior), for the
// attribution measurements (open-set.ts, suffix-prior-by-source.ts).
import { isClassificationError, type Classifier } from '../../src/core/classifier.js';
import type { FamilyScore } from '../../src/core/families.js';

/** Top family per name, in input order; null for a name that is invalid or gets no ranking. */
export async function topFamilies(classifier: Classifier, names: readonly string[], chunk = 2000): Promise<(FamilyScore | null)[]> {
  const out: (FamilyScore | null)[] = [];
  for (let i = 0; i < names.length; i += chunk) {
    for (const r of await classifier.classify(names.slice(i, i + chunk), { families: 1 })) {
      out.push(isClassificationError(r) || !r.families?.[0] ? null : r.families[0]);
    }
  }
  return out;
}
