import { describe, expect, it } from 'vitest';
import { attributionAt, chooseMinProbability, openSetFamily } from '../../src/core/open-set.js';
import { parseModelMetadata } from '../../src/core/metadata.js';
import { parseConfig } from '../../src/config.js';
import { testMetadata } from '../fixtures/metadata.js';

const metadata = testMetadata();

const top = (name: string, probability: number) => ({ name, probability });

describe('open-set family attribution', () => {
  it('openSetFamily: the top family at or above the cut-off, else "other" with 1 - p and the nearest family', () => {
    expect(openSetFamily(top('necurs', 0.5), 0.5)).toEqual(top('necurs', 0.5));
    expect(openSetFamily(top('necurs', 0.49), 0.5)).toEqual({ name: 'other', probability: 0.51, nearest: top('necurs', 0.49) });
    // the head's own pooled class stays what it is
    expect(openSetFamily(top('other', 0.2), 0.5)).toEqual(top('other', 0.2));
    expect(openSetFamily(top('necurs', 0.01), 0)).toEqual(top('necurs', 0.01));
  });

  it('attributionAt counts names whose reported family is their true one ("other" included)', () => {
    const tops = [top('a', 0.9), top('a', 0.4), top('b', 0.3), null];
    const truths = ['a', 'a', 'other', 'b'];
    expect(attributionAt(tops, truths, 0)).toBe(0.5); // the first two
    expect(attributionAt(tops, truths, 0.35)).toBe(0.75); // the third becomes "other", which it is
    expect(attributionAt(tops, truths, 0.5)).toBe(0.5); // the second becomes "other" and is lost
    expect(() => attributionAt(tops, ['a'], 0)).toThrow(/differ in length/);
  });

  it('chooseMinProbability: the largest cut-off within the budget of validation attribution', () => {
    // 100 names right at probabilities 0.01 .. 1.00: a cut-off t loses the names below it
    const tops = Array.from({ length: 100 }, (_, i) => top('a', (i + 1) / 100));
    const truths = tops.map(() => 'a');
    expect(chooseMinProbability(tops, truths, 0)).toMatchObject({ minProbability: 0.01, validation: { names: 100, attributedAtZero: 1, attributedAtMin: 1 } });
    expect(chooseMinProbability(tops, truths, 0.05)).toMatchObject({ minProbability: 0.06, budget: 0.05, validation: { attributedAtMin: 0.95 } });
    expect(() => chooseMinProbability(tops, truths, 1)).toThrow(/budget/);
    expect(() => chooseMinProbability([], [], 0.02)).toThrow(/no validation names/);
  });

  it('metadata: familyOpenSet needs a family head and a cut-off in [0, 1)', () => {
    const withFamilies = { ...metadata, families: ['benign', 'a', 'other'], onnx: { ...metadata.onnx, family: 'family' } };
    const openSet = { minProbability: 0.5, budget: 0.02, validation: { names: 1, attributedAtZero: 1, attributedAtMin: 1 } };
    expect(parseModelMetadata({ ...withFamilies, familyOpenSet: openSet }).familyOpenSet?.minProbability).toBe(0.5);
    expect(() => parseModelMetadata({ ...metadata, familyOpenSet: openSet })).toThrow(/needs a family head/);
    expect(() => parseModelMetadata({ ...withFamilies, familyOpenSet: { ...openSet, minProbability: 1 } })).toThrow(/familyOpenSet.minProbability/);
    expect(() => parseModelMetadata({ ...withFamilies, familyOpenSet: 'x' })).toThrow(/familyOpenSet.minProbability/);
  });

  it('FAMILY_MIN_PROBABILITY: unset keeps the model\'s cut-off; a value in [0, 1) overrides it; anything else is a deployment error', () => {
    expect(parseConfig({}).familyMinProbability).toBeUndefined();
    expect(parseConfig({ FAMILY_MIN_PROBABILITY: '' }).familyMinProbability).toBeUndefined();
    expect(parseConfig({ FAMILY_MIN_PROBABILITY: '0' }).familyMinProbability).toBe(0);
    expect(parseConfig({ FAMILY_MIN_PROBABILITY: '0.7' }).familyMinProbability).toBe(0.7);
    for (const bad of ['1', '-0.1', 'half']) expect(() => parseConfig({ FAMILY_MIN_PROBABILITY: bad })).toThrow(/FAMILY_MIN_PROBABILITY=.* must be in \[0, 1\)/);
  });
});
