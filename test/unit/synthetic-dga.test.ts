import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ANY_MALWARE_FAMILY, countByGenerator, familyIndices, SYNTHETIC_FAMILY, SYNTHETIC_GENERATORS, syntheticLabels, SYLLABLE_NAME_SHAPE, syntheticSyllableLabels, syntheticWordLabels, WORD_NAME_SHAPE } from '../../scripts/lib/synthetic-dga.js';
import { englishWords } from '../../scripts/lib/word-list.js';
import { familyTargets, weightedSetCrossentropy } from '../../scripts/lib/train-model.js';

describe('synthetic DGA names', () => {
  it('splits the count by share, keeps each generator to its alphabet and lengths, and is seeded', () => {
    const names = syntheticLabels(1000, 7);
    expect(names).toHaveLength(1000);
    expect(countByGenerator(names)).toEqual({ letters: 500, 'letters+digits': 300, hex: 200 });
    for (const g of SYNTHETIC_GENERATORS) {
      const own = names.filter((n) => n.generator === g.name);
      for (const { label } of own) {
        expect(label.length).toBeGreaterThanOrEqual(g.minLength);
        expect(label.length).toBeLessThanOrEqual(g.maxLength);
        for (const c of label) expect(g.alphabet).toContain(c);
      }
      // every length of the range is drawn (uniform lengths, not one family's shape)
      expect(new Set(own.map((n) => n.label.length)).size).toBe(g.maxLength - g.minLength + 1);
    }
    expect(new Set(names.map((n) => n.label)).size).toBe(1000);
    expect(syntheticLabels(1000, 7)).toEqual(names);
    expect(syntheticLabels(1000, 8)).not.toEqual(names);
    expect(syntheticLabels(0, 7)).toEqual([]);
  });

  it('refuses a bad count or generators without a share', () => {
    expect(() => syntheticLabels(-1, 1)).toThrow(/non-negative integer/);
    expect(() => syntheticLabels(2.5, 1)).toThrow(/non-negative integer/);
    expect(() => syntheticLabels(3, 1, [{ name: 'x', alphabet: 'ab', minLength: 1, maxLength: 2, share: 0 }])).toThrow(/positive total share/);
  });
});

describe('synthetic word-list names', () => {
  it('joins 2-4 words of the list, within the length bounds, seeded', () => {
    const words = { common: ['alpha', 'bravo', 'charlie'], all: ['alpha', 'bravo', 'charlie', 'delta', 'echo'] };
    const names = syntheticWordLabels(300, 3, words);
    expect(names).toHaveLength(300);
    const counts = new Set<number>();
    for (const { label, generator } of names) {
      expect(generator).toBe('words');
      expect(label.length).toBeGreaterThanOrEqual(WORD_NAME_SHAPE.minLength);
      expect(label.length).toBeLessThanOrEqual(WORD_NAME_SHAPE.maxLength);
      const parts = label.match(/alpha|bravo|charlie|delta|echo/g)!;
      expect(parts.join('')).toBe(label);
      counts.add(parts.length);
    }
    expect([...counts].sort()).toEqual([2, 3, 4]);
    expect(syntheticWordLabels(300, 3, words)).toEqual(names);
    expect(() => syntheticWordLabels(1, 3, { common: [], all: [] })).toThrow(/non-empty word list/);
  });

  it('reads plain lowercase English words, the everyday ones a subset of all', () => {
    const { common, all } = englishWords();
    expect(common.length).toBeGreaterThan(5000);
    expect(all.length).toBeGreaterThan(common.length);
    for (const w of all) expect(w).toMatch(/^[a-z]{3,10}$/);
    expect(common).toContain('house');
    expect(all).toEqual(expect.arrayContaining(common.slice(0, 100)));
  });
});

describe('synthetic pronounceable names', () => {
  it('strings consonant-vowel syllables within the length bounds, seeded', () => {
    const names = syntheticSyllableLabels(2000, 5);
    expect(names).toHaveLength(2000);
    expect(countByGenerator(names)).toEqual({ syllables: 2000 });
    const lengths = new Set<number>();
    for (const { label } of names) {
      expect(label.length).toBeGreaterThanOrEqual(SYLLABLE_NAME_SHAPE.minLength);
      expect(label.length).toBeLessThanOrEqual(SYLLABLE_NAME_SHAPE.maxLength);
      // A syllable has at most two consonants before its vowels and one after: no run of more than three.
      expect(label).toMatch(/^[a-z]+$/);
      expect(label).not.toMatch(/[^aeiou]{4}/);
      lengths.add(label.length);
    }
    expect(Math.min(...lengths)).toBe(SYLLABLE_NAME_SHAPE.minLength);
    expect(Math.max(...lengths)).toBe(SYLLABLE_NAME_SHAPE.maxLength);
    // About two letters in five are vowels: pronounceable, unlike the uniform random strings (5 in 26).
    const vowels = names.reduce((n, { label }) => n + label.replace(/[^aeiou]/g, '').length, 0) / names.reduce((n, { label }) => n + label.length, 0);
    expect(vowels).toBeGreaterThan(0.35);
    expect(vowels).toBeLessThan(0.55);
    expect(syntheticSyllableLabels(2000, 5)).toEqual(names);
    expect(syntheticSyllableLabels(50, 6)).not.toEqual(names.slice(0, 50));
    expect(syntheticSyllableLabels(0, 5)).toEqual([]);
    expect(() => syntheticSyllableLabels(-1, 5)).toThrow(/non-negative integer/);
  });
});

describe('family class indices (--synthetic-family)', () => {
  const families = ['benign', 'conficker', 'tinba', 'other'];
  const rows = [
    { label: 0, family: 'benign' },
    { label: 1, family: 'tinba' },
    { label: 1, family: 'pooled-small-family' },
    { label: 1, family: SYNTHETIC_FAMILY },
  ];

  it('maps benign to 0, known families to their class, unknown ones to "other", synthetic names to the malware set by default', () => {
    expect([...familyIndices(rows, families)]).toEqual([0, 2, 3, ANY_MALWARE_FAMILY]);
    expect([...familyIndices(rows, families, 'any')]).toEqual([0, 2, 3, ANY_MALWARE_FAMILY]);
  });

  it('with "other", synthetic names target the "other" class: a one-hot row on it', () => {
    const idx = familyIndices(rows, families, 'other');
    expect([...idx]).toEqual([0, 2, 3, 3]);
    const t = familyTargets(idx, 4);
    expect(t.arraySync()[3]).toEqual([0, 0, 0, 1]);
    t.dispose();
    expect(() => familyIndices(rows, ['benign', 'tinba'], 'other')).toThrow(/no "other"/);
  });
});

describe('set-valued family targets', () => {
  it('one-hot rows, and every malware class for a synthetic row', () => {
    const t = familyTargets(Int32Array.from([0, 2, ANY_MALWARE_FAMILY]), 4);
    expect(t.arraySync()).toEqual([[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 1, 1]]);
    expect(() => familyTargets([4], 4)).toThrow(/out of range/);
    t.dispose();
  });

  it('the loss is the categorical cross-entropy for one class and -log(1 - P(benign)) for the malware set', () => {
    const yPred = tf.tensor2d([[0.7, 0.1, 0.2, 0], [0.1, 0.3, 0.5, 0.1], [0.4, 0.3, 0.2, 0.1]]);
    const yTrue = familyTargets(Int32Array.from([0, 2, ANY_MALWARE_FAMILY]), 4);
    const loss = weightedSetCrossentropy(0.5)(yTrue, yPred).arraySync() as number[];
    const cce = tf.metrics.categoricalCrossentropy(yTrue.slice([0, 0], [2, 4]), yPred.slice([0, 0], [2, 4])).arraySync() as number[];
    expect(loss[0]).toBeCloseTo(0.5 * cce[0]!, 5);
    expect(loss[1]).toBeCloseTo(0.5 * cce[1]!, 5);
    expect(loss[2]).toBeCloseTo(-0.5 * Math.log(1 - 0.4), 5);
    tf.dispose([yPred, yTrue]);
  });
});
