import type { ModelMetadata } from './metadata.js';

/** Index 0 is reserved for padding; every vocabulary character maps to its position + 1. */
export const PAD_INDEX = 0;

/**
 * Turns labels into the integer matrix the model reads: one row of `width` indices per label (default
 * `maxLength`), zeros in front (pre-padding) so the recurrent layer's last step is the label's last character.
 * Labels longer than maxLength keep their first maxLength characters. A padding-folded model takes rows
 * narrower than maxLength (down to the batch's longest label); the result is the same as at full width.
 * Training, export parity tests, the CLI and the Worker all go through this one encoder.
 */
export interface Encoder {
  readonly vocabulary: string;
  readonly maxLength: number;
  /** Characters of `label` the model sees: min(label.length, maxLength). The narrowest width that holds it. */
  encodedLength(label: string): number;
  /** Row-major [labels.length, width] matrix of indices; width 1..maxLength must hold every (truncated) label. */
  encodeBatch(labels: readonly string[], width?: number): Int32Array;
  /** One label into `out` at row `row` of a [*, width] matrix (no allocation; `out` must hold that row). */
  encodeInto(label: string, out: Int32Array, row: number, width?: number): void;
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

  function checkWidth(width: number): void {
    if (!Number.isInteger(width) || width < 1 || width > maxLength) throw new RangeError(`encoder: width must be an integer in 1..${maxLength}, got ${width}`);
  }

  function encodeInto(label: string, out: Int32Array, row: number, width = maxLength): void {
    const base = row * width;
    // Labels longer than maxLength keep their first maxLength characters.
    const length = Math.min(label.length, maxLength);
    const offset = width - length;
    if (offset < 0) throw new RangeError(`encoder: "${label}" needs width ${length}, got ${width}`);
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
    encodeInto(label, out, row, width = maxLength) {
      checkWidth(width);
      encodeInto(label, out, row, width);
    },
    encodedLength: (label) => Math.min(label.length, maxLength),
    encodeBatch(labels, width = maxLength) {
      checkWidth(width);
      const out = new Int32Array(labels.length * width);
      labels.forEach((label, row) => encodeInto(label, out, row, width));
      return out;
    },
  };
}

/** Characters a normalised label can contain: letters, digits and hyphen. */
export const DEFAULT_VOCABULARY = 'abcdefghijklmnopqrstuvwxyz0123456789-';

/**
 * Characters in row `row` of a pre-padded [*, width] matrix (the encoder's format): width minus its leading
 * zeros; 0 for an all-padding row.
 */
export function paddedRowLength(chars: ArrayLike<number>, row: number, width: number): number {
  let start = 0;
  while (start < width && chars[row * width + start] === 0) start++;
  return width - start;
}
