/**
 * Synthetic DGA labels for training (`train.ts --synthetic N`): random strings drawn from generic
 * generators, not from any family's algorithm. The model learns each family's length and alphabet so well
 * that a random-string family it never saw (necurs, pykspa, shiotob on the leave-family-out split) can fall
 * below a strict threshold; names that are random at every length and over several alphabets teach the
 * score "random is DGA" apart from any one family's shape.
 *
 * The rows carry no family of their own. By default their family target is "any malware class"
 * (ANY_MALWARE_FAMILY), so the family loss pushes P(benign) down without choosing a family; with
 * `--synthetic-family other` it is the head's "other" class (familyIndices below). Either way the
 * attribution of real families is left to the real names.
 */
import { OTHER_FAMILY } from './family-map.js';
import { createRng } from './seeded-random.js';

/** Family index of a synthetic row: its target is the set of every malware class (see familyTargets). */
export const ANY_MALWARE_FAMILY = -1;

/** The `family` field of a synthetic example (never a class of the family head). */
export const SYNTHETIC_FAMILY = '*synthetic*';

export interface SyntheticGenerator {
  name: string;
  alphabet: string;
  minLength: number;
  maxLength: number;
  /** Share of the synthetic names drawn from this generator. */
  share: number;
}

/**
 * Lengths start at 8: shorter random strings are as often real brands and abbreviations as DGA names, and
 * the benign tail there is what sets the threshold at FPR 1e-3.
 */
export const SYNTHETIC_GENERATORS: readonly SyntheticGenerator[] = [
  { name: 'letters', alphabet: 'abcdefghijklmnopqrstuvwxyz', minLength: 8, maxLength: 24, share: 0.5 },
  { name: 'letters+digits', alphabet: 'abcdefghijklmnopqrstuvwxyz0123456789', minLength: 8, maxLength: 24, share: 0.3 },
  { name: 'hex', alphabet: '0123456789abcdef', minLength: 12, maxLength: 32, share: 0.2 },
];

export interface SyntheticName {
  label: string;
  generator: string;
}

/** `count` random labels (seeded: the same seed gives the same list), split across the generators by share. */
export function syntheticLabels(count: number, seed: number, generators: readonly SyntheticGenerator[] = SYNTHETIC_GENERATORS): SyntheticName[] {
  if (!Number.isInteger(count) || count < 0) throw new Error(`synthetic count must be a non-negative integer, got ${count}`);
  const total = generators.reduce((s, g) => s + g.share, 0);
  if (!(total > 0)) throw new Error('synthetic generators need a positive total share');
  const rng = createRng(seed ^ 0x5e7d1c);
  const out: SyntheticName[] = [];
  let assigned = 0;
  generators.forEach((g, i) => {
    const n = i === generators.length - 1 ? count - assigned : Math.round((count * g.share) / total);
    assigned += n;
    for (let k = 0; k < n; k++) {
      const length = g.minLength + Math.floor(rng() * (g.maxLength - g.minLength + 1));
      let label = '';
      for (let c = 0; c < length; c++) label += g.alphabet[Math.floor(rng() * g.alphabet.length)];
      out.push({ label, generator: g.name });
    }
  });
  return out;
}

/** How a word-list name is drawn (`train.ts --synthetic-words N`). */
export interface WordNameShape {
  /** Chance of 2, 3, 4, ... words in a name (index 0 is two words). */
  wordCounts: readonly number[];
  /** Names shorter than this are drawn again: two short words are as often a brand as a DGA name. */
  minLength: number;
  maxLength: number;
}

export const WORD_NAME_SHAPE: WordNameShape = { wordCounts: [0.25, 0.45, 0.3], minLength: 10, maxLength: 40 };

/**
 * `count` concatenations of words drawn at random (seeded): half of the words from `common`, half from
 * `all`, so the vocabulary is neither one family's list nor only everyday words. A generic word-list DGA,
 * the kind the paper's model missed (matsnu, suppobox, gozi): no family's own list is used.
 */
export function syntheticWordLabels(count: number, seed: number, words: { common: readonly string[]; all: readonly string[] }, shape: WordNameShape = WORD_NAME_SHAPE): SyntheticName[] {
  if (!Number.isInteger(count) || count < 0) throw new Error(`synthetic count must be a non-negative integer, got ${count}`);
  if (count > 0 && (words.common.length === 0 || words.all.length === 0)) throw new Error('word-list names need a non-empty word list');
  const rng = createRng(seed ^ 0x0a11ce);
  const pick = (list: readonly string[]) => list[Math.floor(rng() * list.length)]!;
  const out: SyntheticName[] = [];
  while (out.length < count) {
    let u = rng();
    let n = 2;
    for (let i = 0; i < shape.wordCounts.length - 1 && u >= shape.wordCounts[i]!; i++) {
      u -= shape.wordCounts[i]!;
      n++;
    }
    let label = '';
    for (let i = 0; i < n; i++) label += pick(rng() < 0.5 ? words.common : words.all);
    if (label.length >= shape.minLength && label.length <= shape.maxLength) out.push({ label, generator: 'words' });
  }
  return out;
}

/** How a pronounceable name is drawn (`train.ts --synthetic-syllables N`). */
export interface SyllableNameShape {
  /** Chance that a syllable opens with no consonant, one, or two. */
  onset: readonly [number, number, number];
  /** Chance of a second vowel in the nucleus. */
  diphthong: number;
  /** Chance of a closing consonant. */
  coda: number;
  minLength: number;
  maxLength: number;
}

export const SYLLABLE_NAME_SHAPE: SyllableNameShape = { onset: [0.15, 0.75, 0.1], diphthong: 0.2, coda: 0.3, minLength: 8, maxLength: 20 };

const CONSONANTS = 'bcdfghjklmnpqrstvwxyz';
const VOWELS = 'aeiou';

/**
 * `count` pronounceable random labels (seeded): syllables of consonant(s) + vowel(s) + an optional consonant,
 * every letter drawn uniformly from its class. No language's syllables and no family's algorithm: the shape
 * between random strings and words (`kaqobeluvi`, `zuhexmoati`) that letter-level models miss when a family
 * of it was never seen, because such names are neither random-looking nor made of words.
 * Starting at 8 letters for the same reason as the random strings: short pronounceable names are brands.
 */
export function syntheticSyllableLabels(count: number, seed: number, shape: SyllableNameShape = SYLLABLE_NAME_SHAPE): SyntheticName[] {
  if (!Number.isInteger(count) || count < 0) throw new Error(`synthetic count must be a non-negative integer, got ${count}`);
  const rng = createRng(seed ^ 0x5711ab);
  const letter = (set: string) => set[Math.floor(rng() * set.length)]!;
  const out: SyntheticName[] = [];
  while (out.length < count) {
    const target = shape.minLength + Math.floor(rng() * (shape.maxLength - shape.minLength + 1));
    let label = '';
    while (label.length < target) {
      const u = rng();
      const onset = u < shape.onset[0] ? 0 : u < shape.onset[0] + shape.onset[1] ? 1 : 2;
      for (let i = 0; i < onset; i++) label += letter(CONSONANTS);
      label += letter(VOWELS);
      if (rng() < shape.diphthong) label += letter(VOWELS);
      if (rng() < shape.coda) label += letter(CONSONANTS);
    }
    if (label.length <= shape.maxLength) out.push({ label, generator: 'syllables' });
  }
  return out;
}

/** Counts per generator, for the training log and metadata. */
export function countByGenerator(names: readonly SyntheticName[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const n of names) counts[n.generator] = (counts[n.generator] ?? 0) + 1;
  return counts;
}

/** Family target of synthetic names (`train.ts --synthetic-family`). */
export type SyntheticFamily = 'any' | 'other';

/**
 * Family-head class index of every example: 0 for benign, the family's class, "other" for a family the head
 * has no class for, and for synthetic names either ANY_MALWARE_FAMILY (the set of every malware class: only
 * P(benign) is pushed down) or the "other" class itself. "other" teaches the head that a DGA name unlike
 * every known family is "other" (the open-set answer) rather than the known family it resembles most.
 */
export function familyIndices(examples: readonly { label: number; family: string }[], families: readonly string[], syntheticFamily: SyntheticFamily = 'any'): Int32Array {
  const index = new Map(families.map((f, i) => [f, i]));
  const other = index.get(OTHER_FAMILY);
  if (other === undefined) throw new Error('the family classes have no "other"');
  const synthetic = syntheticFamily === 'other' ? other : ANY_MALWARE_FAMILY;
  return Int32Array.from(examples, (e) => (e.label === 0 ? 0 : e.family === SYNTHETIC_FAMILY ? synthetic : (index.get(e.family) ?? other)));
}
