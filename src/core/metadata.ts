import type { FamilyOpenSet } from './open-set.js';
import { checkFamilySuffixPrior, type FamilySuffixPrior } from './suffix-prior.js';

/**
 * The model's metadata (model/metadata.json): everything serving needs to pre-process names exactly as
 * training did, plus the facts the API reports about the model. Training writes it; export and serving
 * read it. Anything that changes how a name becomes a tensor lives here, never in code constants.
 */
export interface ModelMetadata {
  /** Stable model identifier reported by the API, e.g. "dga-lstm". */
  id: string;
  /** Version of this trained artefact, e.g. "2026.11.27-1". */
  version: string;
  /** ISO timestamp of training. */
  createdAt: string;
  /** Characters known to the encoder; character i gets index i + 1 (0 is padding). */
  vocabulary: string;
  /** Encoded length; longer labels are truncated (first `maxLength` characters kept). */
  maxLength: number;
  /** Padding side: "pre" puts zeros in front, so the recurrent layer ends on the real characters. */
  padding: 'pre';
  /** Score at or above which a name is called DGA. */
  threshold: number;
  /** Layer sizes and options, for the model card and the exporter's checks. */
  architecture: {
    cell: 'lstm';
    embeddingDim: number;
    units: number;
    dropout: number;
    recurrentActivation: 'sigmoid';
    /**
     * Pad steps are masked (they leave the LSTM state unchanged), so a name's result does not depend on
     * how wide it was padded; the ONNX graph computes this itself. Absent (older models): pad steps count.
     */
    maskPadding?: boolean;
    /**
     * "family": the graph's logit and score come from the family head (log P(malware) - log P(benign)),
     * not from the separate score head. Absent: the score head. Serving reads the graph's outputs either way.
     */
    scoreFrom?: 'score' | 'family';
    /**
     * An embedding of character bigrams (previous x current character) is added to the character
     * embedding before the LSTM (train.ts --bigrams). The graph computes it from its input; informational.
     */
    bigrams?: boolean;
    /**
     * Rows of a hashed embedding of character trigrams (two previous characters x current one, mod this
     * many, + 1) added before the LSTM as well (train.ts --trigrams). The graph computes it; informational.
     */
    trigrams?: number;
    /** Rows of the hashed four-gram embedding added after the trigram one (train.ts --fourgrams); informational. */
    fourgrams?: number;
    /**
     * The LSTM reads each name both ways (train.ts --bidirectional): a forward and a backward LSTM of
     * `units` each, the heads on their concatenated last states. Absent: forward only.
     */
    bidirectional?: boolean;
  };
  /**
   * Input and output tensor names of the ONNX graph; `family` only when the model has a family head.
   * `padSteps` names the int32 [batch] input of a padding-folded graph (exporter >= 1.2): such a graph takes
   * `input` pre-padded to any width T <= maxLength and pad_steps = maxLength - T. Without it the graph
   * takes full-width [batch, maxLength] input only.
   */
  onnx: { input: string; score: string; logit: string; family?: string; padSteps?: string };
  /**
   * Classes of the family head, in output order, when the model has one: index 0 is "benign", the rest are
   * malware families, including "other" for families too rare to learn on their own.
   */
  families?: string[];
  /**
   * Public suffixes per malware family in the training split (scripts/suffix-prior.ts): re-ranks the family
   * head's answer by the name's suffix (src/core/suffix-prior.ts). Never changes the score.
   */
  familySuffixPrior?: FamilySuffixPrior;
  /**
   * Open-set attribution (src/core/open-set.ts, chosen by scripts/open-set.ts on validation): a DGA name whose
   * top family is below `minProbability` gets family "other". Never changes the score or `families`.
   */
  familyOpenSet?: FamilyOpenSet;
  /** Free-form summary of the training run (data counts, epochs, seed, wall time, validation figures). */
  training: Record<string, unknown>;
}

/** Field-by-field check of parsed metadata JSON; throws a message naming the first bad field. */
export function parseModelMetadata(value: unknown): ModelMetadata {
  if (typeof value !== 'object' || value === null) throw new TypeError('model metadata: expected an object');
  const m = value as Record<string, unknown>;
  const need = (key: string, type: string) => {
    if (typeof m[key] !== type) throw new TypeError(`model metadata: "${key}" must be a ${type}`);
  };
  need('id', 'string');
  need('version', 'string');
  need('vocabulary', 'string');
  need('maxLength', 'number');
  need('threshold', 'number');
  if (m.padding !== 'pre') throw new TypeError('model metadata: "padding" must be "pre"');
  const vocabulary = m.vocabulary as string;
  if (new Set(vocabulary).size !== vocabulary.length) {
    throw new TypeError('model metadata: "vocabulary" has repeated characters');
  }
  const maxLength = m.maxLength as number;
  if (!Number.isInteger(maxLength) || maxLength < 1 || maxLength > 253) {
    throw new RangeError('model metadata: "maxLength" must be an integer in 1..253');
  }
  const threshold = m.threshold as number;
  if (!(threshold >= 0 && threshold <= 1)) throw new RangeError('model metadata: "threshold" must be in 0..1');
  if (typeof m.onnx !== 'object' || m.onnx === null) throw new TypeError('model metadata: "onnx" must be an object');
  const onnx = m.onnx as Record<string, unknown>;
  if (onnx.padSteps !== undefined && (typeof onnx.padSteps !== 'string' || onnx.padSteps === '')) {
    throw new TypeError('model metadata: "onnx.padSteps" must name the pad-steps input');
  }
  const architecture = m.architecture as Record<string, unknown> | undefined;
  if (architecture?.scoreFrom !== undefined && architecture.scoreFrom !== 'score' && architecture.scoreFrom !== 'family') {
    throw new TypeError('model metadata: "architecture.scoreFrom" must be "score" or "family"');
  }
  if (architecture?.scoreFrom === 'family' && m.families === undefined) {
    throw new TypeError('model metadata: "architecture.scoreFrom" is "family" but the model lists no families');
  }
  if (m.families !== undefined) {
    const families = m.families;
    if (!Array.isArray(families) || families.length < 2 || families[0] !== 'benign' || families.some((f) => typeof f !== 'string')) {
      throw new TypeError('model metadata: "families" must be a list of names starting with "benign"');
    }
    if (typeof onnx.family !== 'string') throw new TypeError('model metadata: "onnx.family" must name the family output');
  }
  if (m.familySuffixPrior !== undefined) {
    try {
      checkFamilySuffixPrior(m.familySuffixPrior, m.families as string[] | undefined);
    } catch (error) {
      throw new TypeError(`model metadata: ${(error as Error).message}`);
    }
  }
  if (m.familyOpenSet !== undefined) {
    const open = m.familyOpenSet as Record<string, unknown> | null;
    if (m.families === undefined) throw new TypeError('model metadata: "familyOpenSet" needs a family head ("families")');
    if (typeof open !== 'object' || open === null || typeof open.minProbability !== 'number' || !(open.minProbability >= 0 && open.minProbability < 1)) {
      throw new TypeError('model metadata: "familyOpenSet.minProbability" must be a number in [0, 1)');
    }
  }
  return value as ModelMetadata;
}
