import { echoableValue } from './describe-value.js';
import { createEncoder } from './encode.js';
import { DgaEdgeError } from './errors.js';
import { topFamilies, type FamilyScore } from './families.js';
import { openSetFamily, type ReportedFamily } from './open-set.js';
import { createSuffixWeights } from './suffix-prior.js';
import { planChunks } from './chunk-plan.js';
import { LruCache } from './lru-cache.js';
import type { ModelMetadata } from './metadata.js';
import { normalizeDomain, type NormalizedDomain } from './normalize.js';
import type { Scorer } from './scorer.js';

/** One classified name, as the API and the CLI return it. */
export interface Classification {
  /** The input as given. */
  domain: string;
  /** Normalised name (lowercase, punycode, no trailing dot). */
  name: string;
  /** What the model scored: the label left of the public suffix (its Latin reading for an IDN); "" if unscored. */
  scored: string;
  /** Probability that the name was made by a DGA, 0..1 (0 when `unscored`). */
  score: number;
  /**
   * Present when the model was not run: `non_latin_label`, the label is an internationalised name with no
   * Latin letter or digit (normalize.ts scoredForm); the model reads Latin characters only, so it passes.
   */
  unscored?: 'non_latin_label';
  /** score >= threshold. */
  dga: boolean;
  /**
   * Most likely family (P(family | DGA)), present when `dga` is true and the model has a family head; "other"
   * with `nearest` when no known family reaches the open-set cut-off (src/core/open-set.ts).
   */
  family?: ReportedFamily;
  /** Top-k families, when asked for (`families: k`) and the model has a family head. */
  families?: FamilyScore[];
  /** The model's logit, when asked for (`logit: true`); ranks names where probabilities saturate near 1. */
  logit?: number;
}

/** Per-call options of Classifier.classify. */
export interface ClassifyOptions {
  /** Also return the top-k families for every name (0 = no list). Needs a family head. */
  families?: number;
  /** Also return the logit. */
  logit?: boolean;
  /** Filled in with where the time went (for Server-Timing headers and benchmarks). */
  timings?: ClassifyTimings;
}

/** Milliseconds spent per stage of one classify call, and how many rows the model scored. */
export interface ClassifyTimings {
  modelMs: number;
  totalMs: number;
  modelRows: number;
}

/** An input that could not be classified; the rest of its batch is still answered. */
export interface ClassificationError {
  /** The input as given when it is a string, number, boolean or null; null for an array or object. */
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
  /** Top-family probability below which `family` is "other" (src/core/open-set.ts); 0 = off. */
  readonly familyMinProbability: number;
  /** Which export of the model runs (e.g. "int8", "float"), for /v1/model. */
  readonly variant: string | undefined;
  /** Family-head classes (index 0 "benign"), or undefined for a binary-only model. */
  readonly familyNames: readonly string[] | undefined;
  /** Classifies names in input order; invalid names yield ClassificationError entries, never a throw. */
  classify(domains: readonly unknown[], options?: ClassifyOptions): Promise<ClassificationOutcome[]>;
}

export interface ClassifierOptions {
  metadata: ModelMetadata;
  scorer: Scorer;
  /** Overrides metadata.threshold (deployment setting DGA_THRESHOLD). */
  threshold?: number;
  /** Overrides metadata.familyOpenSet.minProbability (FAMILY_MIN_PROBABILITY); 0 turns "other" by rule off. */
  familyMinProbability?: number;
  /** Names per model call at most; bounds the input tensor's memory. Default 1024. */
  chunkSize?: number;
  /** Scored labels remembered per classifier (per isolate in the Worker); 0 disables. Default 10,000. */
  cacheSize?: number;
  /** Which export of the model the scorer runs, reported as-is (e.g. "int8"). */
  variant?: string;
}

/** What the model said about one scored label; a cache entry. */
interface LabelScore {
  score: number;
  logit: number;
  /** This label's family-head row, when the model has one. */
  families?: Float32Array;
}

export function isClassificationError(outcome: ClassificationOutcome): outcome is ClassificationError {
  return 'error' in outcome;
}

export function createClassifier(options: ClassifierOptions): Classifier {
  const { metadata, scorer, chunkSize = 1024, cacheSize = 10_000 } = options;
  const threshold = options.threshold ?? metadata.threshold;
  if (!(threshold >= 0 && threshold <= 1)) throw new RangeError(`threshold must be in 0..1, got ${threshold}`);
  const familyMinProbability = options.familyMinProbability ?? metadata.familyOpenSet?.minProbability ?? 0;
  if (!(familyMinProbability >= 0 && familyMinProbability < 1)) throw new RangeError(`familyMinProbability must be in [0, 1), got ${familyMinProbability}`);
  if (!(Number.isInteger(chunkSize) && chunkSize >= 1)) throw new RangeError(`chunkSize must be a positive integer, got ${chunkSize}`);
  const encoder = createEncoder(metadata);
  // A padding-folded model takes each call pre-padded only to its own longest label; an older one needs
  // every row at full width.
  const foldsPadding = metadata.onnx.padSteps !== undefined;
  const widthOf = (label: string) => (foldsPadding ? Math.max(1, encoder.encodedLength(label)) : metadata.maxLength);
  const model = { id: metadata.id, version: metadata.version };

  const familyNames = metadata.families;
  const familyWidth = familyNames?.length ?? 0;
  const cache = new LruCache<string, LabelScore>(cacheSize);
  // The cache holds the model's answer per label; the suffix re-ranks families per name, after it.
  const suffixWeights = familyNames && metadata.familySuffixPrior ? createSuffixWeights(metadata.familySuffixPrior, familyNames) : undefined;

  /**
   * Scores distinct labels: cached ones come from the LRU, the rest go to the model in chunks of similar
   * length (planChunks), each padded only to its own longest label. Repeated names (popular sites, a DGA's
   * own retries) then cost a map lookup instead of an LSTM run.
   */
  async function scoreLabels(labels: string[], timings: ClassifyTimings | undefined): Promise<LabelScore[]> {
    const out = new Array<LabelScore>(labels.length);
    const missing: number[] = [];
    labels.forEach((label, i) => {
      const hit = cache.get(label);
      if (hit) out[i] = hit;
      else missing.push(i);
    });
    for (const chunk of planChunks(missing.map((i) => widthOf(labels[i]!)), chunkSize)) {
      const rows = chunk.rows.map((r) => missing[r]!);
      const encoded = encoder.encodeBatch(rows.map((i) => labels[i]!), chunk.width);
      const started = timings ? performance.now() : 0;
      const batch = await scorer.score(encoded, rows.length, chunk.width);
      if (timings) {
        timings.modelMs += performance.now() - started;
        timings.modelRows += rows.length;
      }
      if (familyWidth > 0 && (!batch.families || batch.families.length !== rows.length * familyWidth)) {
        throw new Error(`model returned no family probabilities of width ${familyWidth} (metadata lists ${familyWidth} families)`);
      }
      rows.forEach((i, r) => {
        const entry: LabelScore = {
          score: batch.scores[r]!,
          logit: batch.logits[r]!,
          families: familyWidth > 0 ? batch.families!.slice(r * familyWidth, (r + 1) * familyWidth) : undefined,
        };
        out[i] = entry;
        cache.set(labels[i]!, entry);
      });
    }
    return out;
  }

  return {
    model,
    metadata,
    threshold,
    familyMinProbability,
    variant: options.variant,
    familyNames,
    async classify(domains, options = {}) {
      const { timings } = options;
      const started = timings ? performance.now() : 0;
      const k = familyNames ? Math.max(0, Math.floor(options.families ?? 0)) : 0;
      const normalized: (NormalizedDomain | ClassificationError)[] = domains.map((domain) => {
        try {
          return normalizeDomain(domain as string);
        } catch (error) {
          // Structured items are echoed as null: answers stay bounded and always serialisable.
          if (error instanceof DgaEdgeError) return { domain: echoableValue(domain), error: { code: error.code, message: error.message } };
          throw error;
        }
      });
      // Many names share a scored label (www.example.com, example.com): score each label once.
      const labelIndex = new Map<string, number>();
      for (const item of normalized) {
        if ('scored' in item && item.scored !== '' && !labelIndex.has(item.scored)) labelIndex.set(item.scored, labelIndex.size);
      }
      const scored = await scoreLabels([...labelIndex.keys()], timings);
      const results = normalized.map((item): ClassificationOutcome => {
        if (!('scored' in item)) return item;
        if (item.scored === '') return { domain: item.input, name: item.name, scored: '', score: 0, dga: false, unscored: 'non_latin_label' };
        const label = scored[labelIndex.get(item.scored)!]!;
        const dga = label.score >= threshold;
        const result: Classification = { domain: item.input, name: item.name, scored: item.scored, score: label.score, dga };
        if (familyNames && label.families) {
          const ranked = topFamilies(familyNames, label.families, 0, Math.max(k, 1), suffixWeights?.weightsFor(item.publicSuffix));
          // The top-k list stays the head's ranking; only the single answer may be "other" (open set).
          if (dga) result.family = openSetFamily(ranked[0]!, familyMinProbability);
          if (k > 0) result.families = ranked;
        }
        if (options.logit) result.logit = label.logit;
        return result;
      });
      if (timings) timings.totalMs += performance.now() - started;
      return results;
    },
  };
}
