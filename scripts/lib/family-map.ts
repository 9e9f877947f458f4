/**
 * Canonical DGA family names for the family head and the per-family figures.
 *
 * The data sources name the same algorithm differently (and, more rarely, use one name for two
 * algorithms). Each entry below maps a source family name (the file name without .txt, lower case) to the
 * canonical name; names not listed map to themselves. The evidence for each decision was read off
 * ../shared/data (November 2026): character classes of the label left of the TLD, the most common label
 * length and the TLDs used, per file (see the awk one-liner in the report, rerun it when the data changes).
 *
 * Merged (one algorithm, several names):
 * - `gameover`  <- netlab360_ddofm/gameover (12k), ddofm_unknown/gameover_zeus (31k),
 *                  andrewaeva_dds/newgoz (1.7k), baderj_generated/newgoz (1k), andrewaeva_generated/zeus (1k).
 *   All five are the post-takedown ("new") GameOver Zeus DGA: labels of [a-z0-9] with digits in (almost)
 *   every label, length 24-31 (mode 26), TLDs .com/.net/.org/.biz in equal shares. Indistinguishable in
 *   samples and statistics, so one class. (andrewaeva's "zeus" file is this algorithm, not classic Zeus.)
 *   Canonical name "gameover" is 360 Netlab's / DGArchive's, the largest in-the-wild source.
 * - `cryptolocker` <- andrewaeva_dds, andrewaeva_generated, netlab360_ddofm: letters only, length 12-19,
 *   same TLD set (.ru/.com/.net/.org/.info/.biz/.co.uk). Same algorithm under the same name: merged.
 * - Same-name files from several sources (murofet, necurs, ramnit, ranbyus, symmi, tinba, pushdo, dircrypt,
 *   newgoz -> gameover) are merged by name. Checked: murofet (letters, 14-24, same TLDs), necurs, ramnit,
 *   ranbyus, symmi and tinba agree in character class, length and TLDs across sources. pushdo (.ru length 8
 *   in andrewaeva vs .kz length 9 in baderj) and dircrypt (length 20 in netlab vs 8 in baderj) are variants
 *   (seeds / versions) of one DGA: kept as one family.
 *
 * Kept distinct:
 * - `goz` (andrewaeva_dds/goz): letters only, length ~26, .ru only -- the original (P2P-era) GameOver Zeus
 *   DGA, a different algorithm from `gameover` (no digits, other TLD). Its own class.
 * - `murofet` vs `gameover`: murofet (Licat) is Zeus-derived malware but its DGA (letters only, 14-24,
 *   mixed TLDs) looks nothing like gameover's. Distinct.
 * - `emotet` (netlab, letters, .eu) vs others: distinct.
 * - `monerominer` (netlab, mixed) and `monerodownloader` (baderj, digits + new gTLDs) are different DGAs
 *   despite the similar name: distinct.
 *
 * Families with fewer than --min-family examples (after de-duplication, before the cap) are pooled as
 * `other` by the dataset builder (the explicit "rare or unknown family" class), not here.
 */
export const FAMILY_MAP: Readonly<Record<string, string>> = Object.freeze({
  gameover_zeus: 'gameover',
  newgoz: 'gameover',
  zeus: 'gameover',
  // identity entries documented above, listed so that the summary shows the decision
  gameover: 'gameover',
  goz: 'goz',
  cryptolocker: 'cryptolocker',
  murofet: 'murofet',
});

/** The class for families too rare to learn on their own (and, at inference, unknown ones). */
export const OTHER_FAMILY = 'other';
export const BENIGN_FAMILY = 'benign';

/** Canonical family name for a source family name (file name without .txt). */
export function canonicalFamily(sourceFamily: string): string {
  const key = sourceFamily.trim().toLowerCase();
  return FAMILY_MAP[key] ?? key;
}
