import type { Classifier } from '../../src/core/classifier.js';
import { createRng } from './seeded-random.js';

/**
 * Names for the DNS-over-HTTPS scenarios of `npm run load`: benign-looking ones (two or three dictionary
 * words, as people name sites) that the filter forwards, and DGA-looking ones (long random consonant-heavy
 * strings) that it blocks. Candidates are screened with the same model in Node before the run, so each
 * scenario knows the RCODE it must get (NOERROR forwarded, NXDOMAIN blocked) and the rare candidate the
 * model judges the other way is dropped instead of turning up as a "wrong" answer.
 */

const WORDS = (
  'acme alpine amber anchor apple arrow atlas autumn bakery basket beacon berry birch blue bridge bright ' +
  'brook canvas castle cedar central cherry city clear cloud coast copper corner cottage country craft ' +
  'crystal daily delta desert digital eagle east echo ember falcon family farm field first forest fox fresh ' +
  'garden gentle global gold golden grand green grove harbor harvest haven hill home honey island ivy jade ' +
  'journal kitchen lake land lemon light lime little lucky maple market meadow metro mill modern moon ' +
  'mountain native nature north oak ocean olive open orange orchard pacific paper park peak pine pixel ' +
  'planet point prime pure quick rain red river rock rose royal sage salt sand school sea silver simple ' +
  'sky smart snow solar south spark spring square star stone studio summer sun sunny swift table tiger ' +
  'time travel tree true union urban valley vista water wave west white wild willow wind winter wolf wood ' +
  'world yellow zen'
).split(' ');
const TLDS = ['com', 'net', 'org', 'io', 'de', 'co.uk'];
const CONSONANTS = 'bcdfghjklmnpqrstvwxz';

/** A seeded generator of fresh benign-looking names, e.g. `maplebakery.com`, `bluerivertravel.net`. */
export function benignNameGenerator(seed: number): () => string {
  const rng = createRng(seed);
  const pick = <T>(list: readonly T[]) => list[Math.floor(rng() * list.length)]!;
  const seen = new Set<string>();
  return () => {
    for (;;) {
      const words = Array.from({ length: rng() < 0.6 ? 2 : 3 }, () => pick(WORDS));
      const name = `${words.join(rng() < 0.2 ? '-' : '')}.${pick(TLDS)}`;
      if (!seen.has(name)) {
        seen.add(name);
        return name;
      }
    }
  };
}

/** A seeded generator of fresh DGA-looking names: 14-24 letters, mostly consonants, some digits. */
export function dgaNameGenerator(seed: number): () => string {
  const rng = createRng(seed);
  const seen = new Set<string>();
  return () => {
    for (;;) {
      const length = 14 + Math.floor(rng() * 11);
      let label = '';
      for (let i = 0; i < length; i++) {
        const u = rng();
        label += u < 0.1 ? String(Math.floor(rng() * 10)) : u < 0.3 ? 'aeiou'[Math.floor(rng() * 5)] : CONSONANTS[Math.floor(rng() * CONSONANTS.length)];
      }
      const name = `${label}.${TLDS[Math.floor(rng() * 4)]}`;
      if (!seen.has(name)) {
        seen.add(name);
        return name;
      }
    }
  };
}

/** Names handed out in order; after the last one they repeat from the start (`wrapped` counts how often). */
export interface NamePool {
  next(): string;
  readonly size: number;
  readonly wrapped: number;
  /** Candidates dropped because the model judged them the other way. */
  readonly dropped: number;
}

/**
 * Draws `size` names from `generate` that the classifier judges `wantDga` (true: DGA, false: benign),
 * screening candidates in batches of 1000. Throws if fewer than half of 20 * size candidates qualify (the
 * generator no longer fits the model).
 */
export async function screenedPool(classifier: Classifier, generate: () => string, size: number, wantDga: boolean): Promise<NamePool> {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`size must be a positive integer, got ${size}`);
  const names: string[] = [];
  let dropped = 0;
  while (names.length < size) {
    const batch = Array.from({ length: 1000 }, generate);
    for (const result of await classifier.classify(batch)) {
      if ('score' in result && result.dga === wantDga) names.push(result.domain);
      else dropped++;
    }
    if (dropped > 10 * size) throw new Error(`only ${names.length} of ${names.length + dropped} candidate names were judged ${wantDga ? 'DGA' : 'benign'}`);
  }
  names.length = size;
  let at = 0;
  let wrapped = 0;
  return {
    next() {
      if (at === names.length) {
        at = 0;
        wrapped++;
      }
      return names[at++]!;
    },
    size,
    get wrapped() {
      return wrapped;
    },
    dropped,
  };
}
