import { describe, expect, it } from 'vitest';
import { createEncoder, DEFAULT_VOCABULARY, PAD_INDEX, paddedRowLength } from '../../src/core/encode.js';

describe('createEncoder', () => {
  const encoder = createEncoder({ vocabulary: DEFAULT_VOCABULARY, maxLength: 6 });

  it('pre-pads with zeros so the label ends in the last column', () => {
    expect([...encoder.encodeBatch(['ab'])]).toEqual([PAD_INDEX, PAD_INDEX, PAD_INDEX, PAD_INDEX, 1, 2]);
  });

  it('maps each vocabulary character to its position plus one', () => {
    expect([...encoder.encodeBatch(['z09-'])].slice(2)).toEqual([26, 27, 36, 37]);
  });

  it('keeps the first maxLength characters of a longer label', () => {
    expect([...encoder.encodeBatch(['abcdefgh'])]).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('encodes a batch row by row', () => {
    const out = encoder.encodeBatch(['a', 'bb', '']);
    expect(out).toHaveLength(18);
    expect([...out.slice(0, 6)]).toEqual([0, 0, 0, 0, 0, 1]);
    expect([...out.slice(6, 12)]).toEqual([0, 0, 0, 0, 2, 2]);
    expect([...out.slice(12)]).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('encodes to a narrower width (pre-padded to the batch width), the truncation unchanged', () => {
    expect([...encoder.encodeBatch(['ab', 'c'], 3)]).toEqual([0, 1, 2, 0, 0, 3]);
    expect([...encoder.encodeBatch(['abcdefgh'], 6)]).toEqual([1, 2, 3, 4, 5, 6]);
    expect(encoder.encodedLength('abcdefgh')).toBe(6);
    expect(encoder.encodedLength('ab')).toBe(2);
    expect(() => encoder.encodeBatch(['abc'], 2)).toThrow(/needs width 3/);
    expect(() => encoder.encodeBatch(['a'], 7)).toThrow(/width must be an integer in 1\.\.6/);
    expect(() => encoder.encodeBatch(['a'], 0)).toThrow(/width/);
  });

  it('rejects characters outside the vocabulary, naming them', () => {
    expect(() => encoder.encodeBatch(['a_b'])).toThrow(/"_"/);
    expect(() => encoder.encodeBatch(['ü'])).toThrow(/vocabulary/);
  });

  it('rejects a vocabulary it cannot index', () => {
    expect(() => createEncoder({ vocabulary: 'abü', maxLength: 4 })).toThrow(/ASCII/);
  });
});

describe('paddedRowLength', () => {
  it('reads back each row length of an encoded batch, 0 for an all-padding row', () => {
    const encoder = createEncoder({ vocabulary: DEFAULT_VOCABULARY, maxLength: 8 });
    const labels = ['a', 'abcdefgh', 'abcdefghijk', 'xyz', ''];
    const chars = encoder.encodeBatch(labels, 8);
    expect(labels.map((_, i) => paddedRowLength(chars, i, 8))).toEqual([1, 8, 8, 3, 0]);
  });
});
