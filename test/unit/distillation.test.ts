import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { distillationTargets, familyTargets, weightedSetCrossentropy, weightedSoftCrossentropy } from '../../scripts/lib/train-model.js';

describe('distillation targets (train.ts --teacher)', () => {
  it('mixes the teachers\' blended distribution with the label; rows sum to 1', () => {
    // two rows, three classes; teacher A and B disagree on row 0
    const a = Float32Array.from([0.8, 0.1, 0.1, 0.2, 0.3, 0.5]);
    const b = Float32Array.from([0.2, 0.4, 0.4, 0.2, 0.3, 0.5]);
    const t = distillationTargets([a, b], Int32Array.from([1, 2]), 3, 0.7);
    // blend = softmax of mean log-probabilities (a geometric mean, renormalised), i.e. a blend of logits
    const g = [Math.sqrt(0.8 * 0.2), Math.sqrt(0.1 * 0.4), Math.sqrt(0.1 * 0.4)];
    const z = g[0]! + g[1]! + g[2]!;
    expect(t[0]).toBeCloseTo((0.7 * g[0]!) / z, 6);
    expect(t[1]).toBeCloseTo((0.7 * g[1]!) / z + 0.3, 6);
    expect(t[2]).toBeCloseTo((0.7 * g[2]!) / z, 6);
    // teachers that agree: their distribution, plus the label's share
    [0.7 * 0.2, 0.7 * 0.3, 0.7 * 0.5 + 0.3].forEach((x, c) => expect(t[3 + c]).toBeCloseTo(x, 6));
    for (const r of [0, 1]) expect(t[r * 3]! + t[r * 3 + 1]! + t[r * 3 + 2]!).toBeCloseTo(1, 6);
    // weight 1: the teachers alone
    expect(distillationTargets([a], Int32Array.from([1, 2]), 3, 1)[0]).toBeCloseTo(0.8, 6);
  });

  it('refuses rows without one family (synthetic names) and teacher arrays of another shape', () => {
    const a = Float32Array.from([0.5, 0.5]);
    expect(() => distillationTargets([a], Int32Array.from([-1]), 2, 0.5)).toThrow(/out of range .*one label per row/);
    expect(() => distillationTargets([a], Int32Array.from([0, 1]), 2, 0.5)).toThrow(/hold 2 values, want 2 x 2/);
  });

  it('the soft loss is -sum(y log p): the categorical cross-entropy for a one-hot row, and lowest at the target', () => {
    const yPred = tf.tensor2d([[0.7, 0.2, 0.1], [0.2, 0.3, 0.5]]);
    const oneHot = familyTargets(Int32Array.from([0, 2]), 3);
    const soft = weightedSoftCrossentropy(0.5)(oneHot, yPred).arraySync() as number[];
    const set = weightedSetCrossentropy(0.5)(oneHot, yPred).arraySync() as number[];
    expect(soft[0]).toBeCloseTo(set[0]!, 6);
    expect(soft[1]).toBeCloseTo(set[1]!, 6);
    const target = tf.tensor2d([[0.2, 0.3, 0.5]]);
    const at = (p: number[]) => (weightedSoftCrossentropy(1)(target, tf.tensor2d([p])).arraySync() as number[])[0]!;
    expect(at([0.2, 0.3, 0.5])).toBeLessThan(at([0.1, 0.3, 0.6]));
    expect(at([0.2, 0.3, 0.5])).toBeLessThan(at([0.05, 0.05, 0.9])); // the set loss would prefer this one
    tf.dispose([yPred, oneHot, target]);
  });
});
