/** A malware family and the model's probability for it, given that the name is a DGA name. */
export interface FamilyScore {
  name: string;
  probability: number;
}

/**
 * Ranks the family head's classes for one name. Class 0 is "benign"; the others are renormalised to
 * sum to 1 (P(family | DGA) = p_family / (1 - p_benign)), so the figure answers "if this is a DGA, which
 * one?" independently of how sure the binary head is. `weights` (per class, from the name's public suffix:
 * src/core/suffix-prior.ts) multiply the probabilities before that renormalisation. Returns at most `k`
 * families, most likely first.
 */
export function topFamilies(names: readonly string[], probabilities: Float32Array, row: number, k: number, weights?: Float32Array): FamilyScore[] {
  const width = names.length;
  const base = row * width;
  const p = (i: number) => probabilities[base + i]! * (weights ? weights[i]! : 1);
  let dgaMass = 0;
  for (let i = 1; i < width; i++) dgaMass += p(i);
  const ranked: FamilyScore[] = [];
  for (let i = 1; i < width; i++) {
    ranked.push({ name: names[i]!, probability: dgaMass > 0 ? p(i) / dgaMass : 0 });
  }
  ranked.sort((a, b) => b.probability - a.probability || a.name.localeCompare(b.name));
  return ranked.slice(0, Math.max(0, k));
}
