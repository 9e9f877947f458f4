import type { ModelMetadata } from './metadata.js';

/** Index 0 is reserved for padding; every vocabulary character maps to its position + 1. */
export const PAD_INDEX = 0;

/**
 * Turns labels into the fixed-size integer matrix the model reads: one row of `maxLength` indices per
 * label, zeros in front (pre-padding) so the recurrent layer's last step is the label's last character.
 * Training, export parity tests, the CLI and the Worker all go through this one encoder.
 */
export interface Encoder {
  readonly vocabulary: string;
  readonly maxLength: number;
  /** Row-major [labels.length, maxLength] matrix of indices. */
  encodeBatch(labels: readonly string[]): Int32Array;
  /** One label into `out` at row `row` (no allocation; `out` must hold that row). */
  encodeInto(label: string, out: Int32Array, row: number): void;
}

/** Builds the encoder described by the model metadata (vocabulary and maximum length). */
export function createEncoder(meta: Pick<ModelMetadata, 'vocabulary' | 'maxLength'>): Encoder {
  const { vocabulary, maxLength } = meta;
  // A 128-entry table: the normaliser only ever hands over ASCII, so a lookup beats a Map in the hot path.
  const table = new Int32Array(128).fill(-1);
  for (let i = 0; i < vocabulary.length; i++) {
    const code = vocabulary.charCodeAt(i);
    if (code >= 128) throw new RangeError(`encoder: vocabulary character ${JSON.stringify(vocabulary[i])} is not ASCII`);
    table[code] = i + 1;
  }

  function encodeInto(label: string, out: Int32Array, row: number): void {
    const base = row * maxLength;
    // Labels longer than maxLength keep their first maxLength characters.
    const length = Math.min(label.length, maxLength);
    const offset = maxLength - length;
    out.fill(PAD_INDEX, base, base + offset);
    for (let i = 0; i < length; i++) {
      const code = label.charCodeAt(i);
      const index = code < 128 ? table[code]! : -1;
      if (index < 0) {
        throw new RangeError(`encoder: character ${JSON.stringify(label[i])} of "${label}" is not in the vocabulary`);
      }
      out[base + offset + i] = index;
    }
  }

  return {
    vocabulary,
    maxLength,
    encodeInto,
    encodeBatch(labels) {
      const out = new Int32Array(labels.length * maxLength);
      labels.forEach((label, row) => encodeInto(label, out, row));
      return out;
    },
  };
}

/** Characters a normalised label can contain: letters, digits and hyphen. */
export const DEFAULT_VOCABULARY = 'abcdefghijklmnopqrstuvwxyz0123456789-';
