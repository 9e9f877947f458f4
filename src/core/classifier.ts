import { createEncoder } from './encode.js';
import { DgaEdgeError } from './errors.js';
import type { ModelMetadata } from './metadata.js';
import { normalizeDomain, type NormalizedDomain } from './normalize.js';
import type { Scorer } from './scorer.js';

/** One classified name, as the API and the CLI return it. */
export interface Classification {
  /** The input as given. */
  domain: string;
  /** Normalised name (lowercase, punycode, no trailing dot). */
  name: string;
  /** The label the model scored. */
  scored: string;
  /** Probability that the name was made by a DGA, 0..1. */
  score: number;
  /** score >= threshold. */
  dga: boolean;
}

/** An input that could not be classified; the rest of its batch is still answered. */
export interface ClassificationError {
  domain: unknown;
  error: { code: string; message: string };
}

export type ClassificationOutcome = Classification | ClassificationError;

export interface ModelRef {
  id: string;
  version: string;
}

export interface Classifier {
  readonly model: ModelRef;
  readonly metadata: ModelMetadata;
  /** The threshold in force (the metadata's, unless the deployment overrides it). */
  readonly threshold: number;
  /** Classifies names in input order; invalid names yield ClassificationError entries, never a throw. */
  classify(domains: readonly unknown[]): Promise<ClassificationOutcome[]>;
}

export interface ClassifierOptions {
  metadata: ModelMetadata;
  scorer: Scorer;
  /** Overrides metadata.threshold (deployment setting DGA_THRESHOLD). */
  threshold?: number;
  /** Names per model call; bounds the input tensor's memory. Default 1024. */
  chunkSize?: number;
}

export function isClassificationError(outcome: ClassificationOutcome): outcome is ClassificationError {
  return 'error' in outcome;
}

/**
 * Builds the classifier shared by the Worker and the CLI: normalise, deduplicate the scored labels, encode,
 * score in chunks, and map scores back to the inputs in order.
 */
export function createClassifier(options: ClassifierOptions): Classifier {
  const { metadata, scorer, chunkSize = 1024 } = options;
  const threshold = options.threshold ?? metadata.threshold;
  if (!(threshold >= 0 && threshold <= 1)) throw new RangeError(`threshold must be in 0..1, got ${threshold}`);
  const encoder = createEncoder(metadata);
  const model = { id: metadata.id, version: metadata.version };

  async function scoreLabels(labels: string[]): Promise<Float32Array> {
    const scores = new Float32Array(labels.length);
    for (let start = 0; start < labels.length; start += chunkSize) {
      const chunk = labels.slice(start, start + chunkSize);
      const batch = await scorer.score(encoder.encodeBatch(chunk), chunk.length);
      scores.set(batch.scores, start);
    }
    return scores;
  }

  return {
    model,
    metadata,
    threshold,
    async classify(domains) {
      const normalized: (NormalizedDomain | ClassificationError)[] = domains.map((domain) => {
        try {
          return normalizeDomain(domain as string);
        } catch (error) {
          if (error instanceof DgaEdgeError) return { domain, error: { code: error.code, message: error.message } };
          throw error;
        }
      });
      // Many names share a scored label (www.example.com, example.com): score each label once.
      const labelIndex = new Map<string, number>();
      for (const item of normalized) {
        if ('scored' in item && !labelIndex.has(item.scored)) labelIndex.set(item.scored, labelIndex.size);
      }
      const scores = await scoreLabels([...labelIndex.keys()]);
      return normalized.map((item): ClassificationOutcome => {
        if (!('scored' in item)) return item;
        const score = scores[labelIndex.get(item.scored)!]!;
        return { domain: item.input, name: item.name, scored: item.scored, score, dga: score >= threshold };
      });
    },
  };
}
