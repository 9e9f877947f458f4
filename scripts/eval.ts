/**
 * Evaluates a trained model on labelled names through the same pre-processing and classifier as serving,
 * and writes metrics.json, roc.svg and report.md (and optionally the model card).
 *
 *   npx tsx scripts/eval.ts --model model/dga.onnx --metadata model/metadata.json --test runs/dataset/test.tsv
 *       [--holdout runs/dataset/holdout.tsv] [--benign-extra FILE] --out runs/eval
 *       [--card model/CARD.md] [--quantization runs/int8-scheme.md] [--format onnx|tfjs] [--tfjs model/tfjs]
 *       [--min-support 50] [--top-k 12] [--quiet]
 *
 * Input lines: `name<TAB>label<TAB>family` (label 0 = benign, 1 = DGA; family "benign" for label 0); blank
 * lines and `#` comments are skipped. --benign-extra also takes plain one-name-per-line files (all benign).
 * Names the normaliser rejects are counted and reported, not fatal. Thresholds for target FPRs come from
 * all benign names (test file plus --benign-extra). See scripts/lib/metrics.ts for the threshold rule.
 *
 * Scoring goes through the serving classifier (`loadNodeClassifier`: onnxruntime-web, normaliser, encoder)
 * with `logit: true` (ranking at FPR 1e-4 needs it: scores saturate near 1) and `families: 1` when the
 * model has a family head. For --format tfjs the same `createClassifier` runs over the tfjs model instead.
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClassifier, isClassificationError, type Classifier } from '../src/core/classifier.js';
import { normalizeDomain } from '../src/core/normalize.js';
import type { ModelMetadata } from '../src/core/metadata.js';
import { openSetFamily, OTHER_FAMILY } from '../src/core/open-set.js';
import type { Scorer } from '../src/core/scorer.js';
import { loadNodeClassifier, readMetadata } from '../src/runtime/node-model.js';
import { commandLine, integerFlag, parseFlags, requiredFlag, runScript, UsageError } from './lib/cli-flags.js';
import {
  bootstrapIntervals,
  bootstrapMacroTpr,
  confusionMatrix,
  detectionByGroup,
  multiclassReport,
  operatingPointAt,
  operatingPointAtFpr,
  rocAuc,
  rocCurve,
  sigmoid32,
} from './lib/metrics.js';
import {
  renderModelCard,
  renderReport,
  type EvalResult,
  type FamilyDetection,
  type FamilyHeadResult,
  type OpenSetFigures,
  type FileCounts,
  type FprPoint,
  type HoldoutResult,
  type TopBenign,
} from './lib/report.js';
import { renderRocSvg, type RocMarker, type RocSeries } from './lib/roc-svg.js';

/** Target false-positive rates reported; per-family detection uses FAMILY_FPR. */
export const TARGET_FPRS = [1e-2, 1e-3, 1e-4] as const;
export const FAMILY_FPR = 1e-3;

// ---------------------------------------------------------------------------------------------------------
// Input

/** One labelled input line. */
export interface LabelledName {
  name: string;
  label: 0 | 1;
  family: string;
}

export interface ParsedFile {
  records: LabelledName[];
  lines: number;
  malformed: number;
  malformedExamples: string[];
}

/**
 * Parses `name<TAB>label<TAB>family` lines. With `plainBenign`, a line without a tab is a benign name (for
 * --benign-extra lists); a header line (label column not 0/1 on the first line) is skipped silently.
 */
export function parseLabelledTsv(text: string, options: { plainBenign?: boolean } = {}): ParsedFile {
  const records: LabelledName[] = [];
  const malformedExamples: string[] = [];
  let malformed = 0;
  let lines = 0;
  let first = true;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '' || line.startsWith('#')) continue;
    const cols = line.split('\t');
    const isFirst = first;
    first = false;
    if (cols.length === 1 && options.plainBenign) {
      lines++;
      records.push({ name: cols[0]!.trim(), label: 0, family: 'benign' });
      continue;
    }
    const label = cols[1]?.trim();
    if (label !== '0' && label !== '1') {
      if (isFirst && cols.length >= 2 && /label/i.test(label ?? '')) continue; // header
      lines++;
      malformed++;
      if (malformedExamples.length < 5) malformedExamples.push(JSON.stringify(line.slice(0, 120)));
      continue;
    }
    lines++;
    const family = cols[2]?.trim() || (label === '0' ? 'benign' : 'unknown');
    records.push({ name: cols[0]!, label: label === '1' ? 1 : 0, family: label === '0' ? 'benign' : family });
  }
  return { records, lines, malformed, malformedExamples };
}

// ---------------------------------------------------------------------------------------------------------
// Scoring

/** A name after the classifier: the serving score plus what the Scorer gave and the classifier dropped. */
export interface ScoredName extends LabelledName {
  scored: string;
  score: number;
  /** NaN when the model does not expose it. */
  logit: number;
  /** Predicted family (argmax over malware classes, or the classifier's), null if the model has no family head. */
  predictedFamily: string | null;
  /** The probability of predictedFamily (for the open-set cut-off), when known. */
  predictedProbability?: number;
  /** Where predictedFamily came from: the top-1 of the head's ranked families, or the family of a DGA call. */
  familySource?: 'probabilities' | 'classifier';
  source: string;
}

export interface ScoringEngine {
  classifier: Classifier;
  metadata: ModelMetadata;
}

/** The serving classifier over the ONNX model in onnxruntime-web (`loadNodeClassifier`). */
export async function createOnnxEngine(modelPath: string, metadataPath: string): Promise<ScoringEngine> {
  const classifier = await loadNodeClassifier({ modelPath, metadataPath });
  return { classifier, metadata: classifier.metadata };
}

/**
 * The same classifier (normaliser, encoder, chunking) over the tfjs LayersModel on the wasm backend, for
 * checking the export or evaluating before it. Logits and family probabilities come from one forward pass
 * (train-model.ts `predictAll`), reading the score from the head the metadata names.
 */
export async function createTfjsEngine(dir: string, metadataPath: string): Promise<ScoringEngine> {
  const metadata = await readMetadata(metadataPath);
  const { setupWasmBackend } = await import('./lib/tfjs-wasm-backend.js');
  const tf = await setupWasmBackend();
  const { fileLoadHandler } = await import('./lib/tfjs-files.js');
  const { predictAll } = await import('./lib/train-model.js');
  const model = await tf.loadLayersModel(fileLoadHandler(dir));
  const withFamilies = metadata.families !== undefined && model.outputNames.length > 1;
  const scorer: Scorer = {
    async score(narrow, count, width = metadata.maxLength) {
      // The classifier sends rows pre-padded only to the call's width when the metadata says the model folds
      // its padding (onnx.padSteps, written by the exporter); the tfjs model takes full-width rows.
      const chars = width === metadata.maxLength ? narrow : widenRows(narrow, count, width, metadata.maxLength);
      const set = { x: chars, n: count, maxLength: metadata.maxLength };
      const p = predictAll(model, set, { scoreFrom: metadata.architecture.scoreFrom, familyProbabilities: withFamilies });
      return p.familyProbabilities ? { scores: p.scores, logits: p.logits, families: p.familyProbabilities } : { scores: p.scores, logits: p.logits };
    },
  };
  return engineFromScorer(scorer, metadata);
}

/** Pre-pads rows of `width` characters to `maxLength` (leading zeros, as the encoder pads). */
export function widenRows(rows: Int32Array, count: number, width: number, maxLength: number): Int32Array {
  const out = new Int32Array(count * maxLength);
  for (let r = 0; r < count; r++) out.set(rows.subarray(r * width, (r + 1) * width), r * maxLength + (maxLength - width));
  return out;
}

/** Builds the engine around any Scorer (tests use a fake one). */
export function engineFromScorer(scorer: Scorer, metadata: ModelMetadata): ScoringEngine {
  return { classifier: createClassifier({ metadata, scorer }), metadata };
}

/**
 * Classifies records in batches; invalid names go to `invalid`. Progress goes to `progress` (stderr) every
 * few seconds for long runs.
 */
export async function scoreRecords(
  engine: ScoringEngine,
  records: readonly LabelledName[],
  source: string,
  progress?: (message: string) => void,
  batchSize = 8192,
): Promise<{ scored: ScoredName[]; invalid: { name: string; message: string }[]; invalidCount: number }> {
  const scored: ScoredName[] = [];
  const invalid: { name: string; message: string }[] = [];
  let invalidCount = 0;
  const started = performance.now();
  let lastReport = started;
  // families: 1 asks for the most likely malware family of every name (not only of those called DGA).
  const options = { logit: true, families: engine.classifier.familyNames ? 1 : 0 };
  for (let start = 0; start < records.length; start += batchSize) {
    const batch = records.slice(start, start + batchSize);
    const outcomes = await engine.classifier.classify(
      batch.map((r) => r.name),
      options,
    );
    outcomes.forEach((outcome, i) => {
      const record = batch[i]!;
      if (isClassificationError(outcome)) {
        invalidCount++;
        if (invalid.length < 20) invalid.push({ name: record.name, message: outcome.error.message });
        return;
      }
      const top = outcome.families?.[0];
      scored.push({
        ...record,
        scored: outcome.scored,
        score: outcome.score,
        logit: typeof outcome.logit === 'number' ? outcome.logit : NaN,
        predictedFamily: top?.name ?? outcome.family?.name ?? null,
        ...(top ? { predictedProbability: top.probability } : {}),
        ...(top ? { familySource: 'probabilities' as const } : outcome.family ? { familySource: 'classifier' as const } : {}),
        source,
      });
    });
    const now = performance.now();
    if (progress && (now - lastReport > 3000 || start + batchSize >= records.length) && records.length > batchSize) {
      const done = Math.min(records.length, start + batchSize);
      const rate = done / ((now - started) / 1000);
      progress(`${source}: ${done}/${records.length} names scored (${Math.round(rate)}/s, ~${Math.ceil((records.length - done) / rate)} s left)`);
      lastReport = now;
    }
  }
  return { scored, invalid, invalidCount };
}

// ---------------------------------------------------------------------------------------------------------
// Figures

/** Look-alike patterns of benign names that character models tend to flag. */
export function benignPatterns(name: string, scored: string): string[] {
  const out: string[] = [];
  if (scored.startsWith('xn--') || name.split('.').some((l) => l.startsWith('xn--'))) out.push('punycode');
  if (/^[0-9a-f]{8,}$/.test(scored) && /[0-9]/.test(scored) && /[a-f]/.test(scored)) out.push('hex/hash');
  else if (scored.length >= 4 && (scored.match(/[0-9]/g)?.length ?? 0) / scored.length >= 0.4) out.push('digit-heavy');
  if (scored.length <= 4) out.push('short');
  if (scored.length >= 20) out.push('long');
  if (!/[aeiouy]/.test(scored.replace(/[0-9-]/g, '')) && scored.replace(/[0-9-]/g, '').length >= 3) out.push('no vowels');
  return out;
}

export interface EvaluateInput {
  test: ScoredName[];
  holdout?: ScoredName[];
  benignExtra?: ScoredName[];
  metadata: ModelMetadata;
  threshold: number;
  minSupport: number;
  topK: number;
  /** Bootstrap resamples for the intervals of AUC and TPR at the target FPRs (0: none). */
  bootstrap?: number;
}

/** Seed of the bootstrap draws: the same scores give the same intervals. */
const BOOTSTRAP_SEED = 20161;

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

function familyDetections(
  names: ScoredName[],
  key: (n: ScoredName) => number,
  thresholdAtFpr: number,
  metadataThreshold: number,
): FamilyDetection[] {
  const dga = names.filter((n) => n.label === 1);
  const groups = dga.map((n) => n.family);
  const atFpr = detectionByGroup(dga.map(key), groups, thresholdAtFpr);
  const atThr = detectionByGroup(dga.map((n) => n.score), groups, metadataThreshold);
  const scoreSums = new Map<string, number>();
  for (const n of dga) scoreSums.set(n.family, (scoreSums.get(n.family) ?? 0) + n.score);
  return [...atFpr]
    .map(([family, d]) => {
      const t = atThr.get(family)!;
      return {
        family,
        n: d.n,
        atFpr: { detected: d.detected, tpr: d.tpr },
        atThreshold: { detected: t.detected, tpr: t.tpr },
        meanScore: scoreSums.get(family)! / d.n,
      };
    })
    .sort((a, b) => a.atFpr.tpr - b.atFpr.tpr || b.n - a.n || (a.family < b.family ? -1 : 1));
}

/**
 * The family the API reports for a name: its top family, or "other" below the metadata's open-set cut-off
 * (src/core/open-set.ts); null without a prediction.
 */
function servedFamily(n: ScoredName, minProbability: number): string | null {
  if (n.predictedFamily === null || n.predictedProbability === undefined) return n.predictedFamily;
  return openSetFamily({ name: n.predictedFamily, probability: n.predictedProbability }, minProbability).name;
}

function familyHead(test: ScoredName[], metadata: ModelMetadata, minSupport: number, topK: number): FamilyHeadResult {
  const families = metadata.families;
  if (!families) return { available: false, reason: 'metadata.json has no "families" (the model has no family head)' };
  const dga = test.filter((n) => n.label === 1);
  if (dga.length === 0) return { available: false, reason: 'the test file has no DGA names' };
  const predicted = dga.filter((n) => n.predictedFamily !== null).length;
  if (predicted === 0) {
    return { available: false, reason: 'the classifier returned no family predictions (Scorer has no `families` output and results have no `family`)' };
  }
  const known = new Set(families);
  const hasOther = known.has('other');
  const mappedToOther: Record<string, number> = {};
  const truth = dga.map((n) => {
    if (known.has(n.family)) return n.family;
    mappedToOther[n.family] = (mappedToOther[n.family] ?? 0) + 1;
    return hasOther ? 'other' : n.family;
  });
  const preds = dga.map((n) => n.predictedFamily ?? '(none)');
  const minProbability = metadata.familyOpenSet?.minProbability ?? 0;
  let openSet: OpenSetFigures | undefined;
  if (minProbability > 0 && dga.every((n) => n.predictedProbability !== undefined)) {
    const served = dga.map((n) => servedFamily(n, minProbability) ?? '(none)');
    const changed = served.filter((p, i) => p !== preds[i]).length;
    openSet = { minProbability, toOther: changed / dga.length, report: multiclassReport(truth, served, minSupport) };
  }
  return {
    available: true,
    source: dga.some((n) => n.familySource === 'probabilities') ? 'probabilities' : 'classifier',
    ...(metadata.familySuffixPrior ? { suffixPrior: true } : {}),
    minSupport,
    samples: dga.length,
    mappedToOther: hasOther ? mappedToOther : {},
    unpredicted: dga.length - predicted,
    report: multiclassReport(truth, preds, minSupport),
    ...(openSet ? { openSet } : {}),
    confusion: confusionMatrix(truth, preds, topK, hasOther ? ['other'] : []),
  };
}

/**
 * Computes every figure from scored names (pure apart from reading its input). The ranking key is the
 * logit when every name has one, else the score; the metadata threshold always applies to the score, as in
 * serving. Returns the figures plus ROC series for the plot.
 */
export function evaluate(input: EvaluateInput): {
  figures: Pick<EvalResult, 'rankingKey' | 'binary' | 'holdout' | 'familyHead'> & { benign: number; dga: number; families: Record<string, number> };
  series: RocSeries[];
  markers: RocMarker[];
} {
  const { metadata, threshold } = input;
  const all = [...input.test, ...(input.benignExtra ?? [])];
  const useLogit = all.length > 0 && all.every((n) => Number.isFinite(n.logit)) && (input.holdout ?? []).every((n) => Number.isFinite(n.logit));
  const key = useLogit ? (n: ScoredName) => n.logit : (n: ScoredName) => n.score;
  const toScore = (v: number) => (useLogit ? (Number.isFinite(v) ? sigmoid32(v) : v > 0 ? Infinity : 0) : v);
  const values = all.map(key);
  const labels = all.map((n) => n.label);
  const benignSources = [...new Set(all.filter((n) => n.label === 0).map((n) => n.source))];
  const fprBySource = (threshold: number, k: (n: ScoredName) => number) =>
    Object.fromEntries(
      benignSources.map((s) => {
        const benign = all.filter((n) => n.label === 0 && n.source === s);
        const fp = benign.filter((n) => k(n) >= threshold).length;
        return [s, { n: benign.length, falsePositives: fp, fpr: benign.length ? fp / benign.length : NaN }];
      }),
    );

  const atFpr: FprPoint[] = TARGET_FPRS.map((target) => {
    const p = operatingPointAtFpr(values, labels, target);
    return {
      ...p,
      scoreThreshold: toScore(p.threshold),
      logitThreshold: useLogit ? p.threshold : null,
      fprBySource: fprBySource(p.threshold, key),
    };
  });
  const familyPoint = atFpr.find((p) => p.targetFpr === FAMILY_FPR)!;
  const metaPoint = operatingPointAt(all.map((n) => n.score), labels, threshold);

  const families: Record<string, number> = {};
  for (const n of input.test) if (n.label === 1) families[n.family] = (families[n.family] ?? 0) + 1;

  const benign = all.filter((n) => n.label === 0);
  const topBenign: TopBenign[] = [...benign]
    .sort((a, b) => key(b) - key(a) || b.score - a.score)
    .slice(0, 50)
    .map((n) => ({
      name: n.name,
      scored: n.scored,
      score: n.score,
      logit: Number.isFinite(n.logit) ? n.logit : null,
      source: n.source,
      patterns: benignPatterns(n.name, n.scored),
    }));
  const flagged = benign.filter((n) => key(n) >= familyPoint.threshold);
  const patternCounts: Record<string, number> = {};
  for (const n of flagged) {
    const ps = benignPatterns(n.name, n.scored);
    for (const p of ps.length ? ps : ['no listed pattern']) patternCounts[p] = (patternCounts[p] ?? 0) + 1;
  }

  const series: RocSeries[] = [];
  const markers: RocMarker[] = [];
  const aucScore = rocAuc(all.map((n) => n.score), labels);
  const aucKey = useLogit ? rocAuc(values, labels) : aucScore;
  const curve = rocCurve(values, labels);
  const intervals = input.bootstrap ? bootstrapIntervals(values, labels, TARGET_FPRS, { resamples: input.bootstrap, seed: BOOTSTRAP_SEED }) : undefined;
  series.push({ label: `test: ${input.test.filter((n) => n.label === 1).length} DGA vs ${benign.length} benign (AUC ${aucKey.toFixed(4)})`, fpr: curve.fpr, tpr: curve.tpr });

  let holdout: HoldoutResult | undefined;
  // Families never seen should be called "other": how often they are, as served.
  const heldOutMinProbability = metadata.familyOpenSet?.minProbability ?? 0;
  const heldDga = (input.holdout ?? []).filter((n) => n.label === 1);
  if (heldDga.length) {
    const perFamily = familyDetections(heldDga, key, familyPoint.threshold, threshold);
    const hv = [...benign.map(key), ...heldDga.map(key)];
    const hl = [...benign.map(() => 0), ...heldDga.map(() => 1)];
    const auc = rocAuc(hv, hl);
    const hc = rocCurve(hv, hl);
    series.push({ label: `held-out families: ${heldDga.length} DGA (AUC ${auc.toFixed(4)})`, fpr: hc.fpr, tpr: hc.tpr, dashed: true });
    holdout = {
      file: '',
      targetFpr: FAMILY_FPR,
      threshold: familyPoint.threshold,
      scoreThreshold: familyPoint.scoreThreshold,
      perFamily,
      macroTpr: mean(perFamily.map((f) => f.atFpr.tpr)),
      ...(input.bootstrap
        ? {
            macroTprInterval: bootstrapMacroTpr(
              benign.map(key),
              perFamily.map((f) => heldDga.filter((n) => n.family === f.family).map(key)),
              FAMILY_FPR,
              { resamples: input.bootstrap, seed: BOOTSTRAP_SEED },
            ),
          }
        : {}),
      macroTprAtThreshold: mean(perFamily.map((f) => f.atThreshold.tpr)),
      pooledTpr: heldDga.filter((n) => key(n) >= familyPoint.threshold).length / heldDga.length,
      auc,
      ...(heldDga.every((n) => n.predictedFamily !== null && n.predictedProbability !== undefined)
        ? { toOther: heldDga.filter((n) => servedFamily(n, heldOutMinProbability) === OTHER_FAMILY).length / heldDga.length, minProbability: heldOutMinProbability }
        : {}),
    };
  }
  for (const p of atFpr) {
    if (p.meaningful && Number.isFinite(p.fpr)) markers.push({ label: `FPR ${p.targetFpr.toExponential(0)}: TPR ${(p.tpr * 100).toFixed(1)}%`, fpr: p.fpr, tpr: p.tpr, color: '#555555' });
  }
  markers.push({ label: `metadata threshold: TPR ${(metaPoint.tpr * 100).toFixed(1)}%`, fpr: metaPoint.fpr, tpr: metaPoint.tpr, color: '#d62728' });

  return {
    figures: {
      rankingKey: useLogit ? 'logit' : 'score',
      benign: benign.length,
      dga: all.length - benign.length,
      families,
      binary: {
        auc: { score: aucScore, logit: useLogit ? aucKey : null },
        atFpr,
        ...(intervals ? { intervals } : {}),
        atMetadataThreshold: { ...metaPoint, fprBySource: fprBySource(threshold, (n) => n.score) },
        perFamily: familyDetections(input.test, key, familyPoint.threshold, threshold),
        topBenign,
        falsePositivePatterns: { targetFpr: FAMILY_FPR, flagged: flagged.length, counts: patternCounts },
      },
      holdout,
      familyHead: familyHead(input.test, metadata, input.minSupport, input.topK),
    },
    series,
    markers,
  };
}

// ---------------------------------------------------------------------------------------------------------
// CLI

export interface EvalOptions {
  model: string;
  metadata: string;
  test: string;
  out: string;
  holdout?: string;
  benignExtra?: string;
  /** Benign source lists: benign test names are tagged with the list that holds them (label audits). */
  benignLists?: string[];
  card?: string;
  quantization?: string;
  architecture?: string;
  unseenReport?: string;
  format: 'onnx' | 'tfjs';
  tfjs: string;
  minSupport: number;
  topK: number;
  bootstrap: number;
  quiet: boolean;
  commandLine: string;
  /** Use this engine instead of loading one (tests). */
  engine?: ScoringEngine;
}

const USAGE = `Usage: npx tsx scripts/eval.ts --test runs/dataset/test.tsv --out runs/eval [options]

Options:
  --model PATH          ONNX model (default model/dga.onnx)
  --metadata PATH       model metadata (default model/metadata.json)
  --test PATH           labelled names: name<TAB>label<TAB>family (required)
  --holdout PATH        names of families left out of training (leave-family-out)
  --benign-extra PATH   more benign names (TSV or one name per line), added to the benign pool
  --benign-lists A,B    benign source lists (one name per line, e.g. ../shared/data/benign/*.txt): each
                        benign test name is tagged with the first list, in this order, that holds it, and
                        FPRs and the highest-scoring benign names are reported per list (label audits)
  --out DIR             output directory for metrics.json, roc.svg, report.md and scores.tsv (every
                        scored name: label, family, source, score, logit, predicted family) (required)
  --card PATH           also write the model card there (roc.svg is copied next to it)
  --quantization PATH   markdown with int8/quantization figures to include in the card
  --architecture PATH   markdown with the measurements behind the architecture to include in the card
  --unseen-report PATH  without --holdout: the leave-family-out report the card cites for families never
                        seen (e.g. model/LEAVE-FAMILY-OUT.md; a served model has seen every family)
  --format onnx|tfjs    which artefact to score (default onnx)
  --tfjs DIR            tfjs model directory for --format tfjs (default model/tfjs)
  --min-support N       family-head averages over families with >= N test names (default 50)
  --top-k N             families shown in the confusion matrix (default 12)
  --bootstrap N         resamples for 95% bootstrap intervals of AUC, TPR at each target FPR and the
                        held-out families' mean detection (names drawn with replacement, seeded; 0 = none;
                        default 1000)
  --quiet               no progress on stderr
  --help                print this help`;

/** Parses the command line; throws a UsageError for a bad flag. */
export function parseEvalArgs(argv: string[]): EvalOptions | 'help' {
  const values = parseFlags(argv, {
    model: { type: 'string', default: 'model/dga.onnx' },
    metadata: { type: 'string', default: 'model/metadata.json' },
    test: { type: 'string' },
    holdout: { type: 'string' },
    'benign-extra': { type: 'string' },
    'benign-lists': { type: 'string' },
    out: { type: 'string' },
    card: { type: 'string' },
    quantization: { type: 'string' },
    architecture: { type: 'string' },
    'unseen-report': { type: 'string' },
    format: { type: 'string', default: 'onnx' },
    tfjs: { type: 'string', default: 'model/tfjs' },
    'min-support': { type: 'string' },
    'top-k': { type: 'string' },
    bootstrap: { type: 'string' },
    quiet: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  });
  if (values.help) return 'help';
  const test = requiredFlag('test', values.test);
  const out = requiredFlag('out', values.out);
  if (values.format !== 'onnx' && values.format !== 'tfjs') throw new UsageError(`--format must be onnx or tfjs, got "${values.format}"`);
  const minSupport = integerFlag('min-support', values['min-support'], 50);
  const topK = integerFlag('top-k', values['top-k'], 12);
  const bootstrap = integerFlag('bootstrap', values.bootstrap, 1000, { min: 0 });
  return {
    model: values.model,
    metadata: values.metadata,
    test,
    out,
    holdout: values.holdout,
    benignExtra: values['benign-extra'],
    benignLists: values['benign-lists'] ? values['benign-lists'].split(',').map((p) => p.trim()).filter(Boolean) : undefined,
    card: values.card,
    quantization: values.quantization,
    architecture: values.architecture,
    unseenReport: values['unseen-report'],
    format: values.format,
    tfjs: values.tfjs,
    minSupport,
    topK,
    bootstrap,
    quiet: values.quiet,
    commandLine: commandLine('scripts/eval.ts', argv),
  };
}

/** The benign lists of --benign-lists: file name without `.txt` -> normalised names (unparseable lines skipped). */
export async function readBenignLists(paths: readonly string[]): Promise<{ list: string; names: Set<string> }[]> {
  const out: { list: string; names: Set<string> }[] = [];
  for (const path of paths) {
    if (!existsSync(path)) throw new UsageError(`--benign-lists ${path}: no such file`);
    const names = new Set<string>();
    for (const line of (await readFile(path, 'utf8')).split('\n')) {
      const raw = line.trim();
      if (raw === '' || raw.startsWith('#')) continue;
      try {
        names.add(normalizeDomain(raw).name);
      } catch {
        // not a valid name: build-dataset skipped it too
      }
    }
    out.push({ list: path.split('/').pop()!.replace(/\.txt$/, ''), names });
  }
  return out;
}

/**
 * Tags each benign test name with its source list (`test: <list>`, the first list holding it, or
 * `test: none of the lists`), so FPRs and the highest-scoring benign names can be read per list: a top
 * list built from DNS query volume carries the DGA names of infected hosts, which the model rightly scores
 * high and a benign label turns into false positives.
 */
export function tagBenignSources(scored: ScoredName[], lists: readonly { list: string; names: Set<string> }[]): void {
  for (const n of scored) {
    if (n.label !== 0) continue;
    const hit = lists.find((l) => l.names.has(n.name));
    n.source = `test: ${hit ? hit.list : 'none of the lists'}`;
  }
}

function fileCounts(file: string, parsed: ParsedFile, scored: ScoredName[], invalid: { name: string; message: string }[], invalidCount: number): FileCounts {
  return {
    file,
    lines: parsed.lines,
    malformed: parsed.malformed,
    malformedExamples: parsed.malformedExamples,
    invalid: invalidCount,
    invalidExamples: invalid,
    benign: scored.filter((n) => n.label === 0).length,
    dga: scored.filter((n) => n.label === 1).length,
  };
}

/** Runs the whole evaluation and writes the outputs; returns the figures. */
export async function runEval(options: EvalOptions): Promise<EvalResult> {
  const log = options.quiet ? undefined : (m: string) => process.stderr.write(`eval: ${m}\n`);
  for (const [flag, path] of [['unseen-report', options.unseenReport], ['quantization', options.quantization], ['architecture', options.architecture]] as const) {
    if (path && !existsSync(path)) throw new UsageError(`--${flag} ${path}: no such file`);
  }
  // Read before scoring, so a bad path fails at once rather than after the test file is scored.
  const benignLists = options.benignLists?.length ? await readBenignLists(options.benignLists) : undefined;
  const engine =
    options.engine ??
    (options.format === 'tfjs' ? await createTfjsEngine(options.tfjs, options.metadata) : await createOnnxEngine(options.model, options.metadata));
  const metadata = engine.metadata;
  const threshold = engine.classifier.threshold;

  const load = async (path: string, plainBenign = false) => parseLabelledTsv(await readFile(path, 'utf8'), { plainBenign });
  const started = performance.now();
  const testParsed = await load(options.test);
  const test = await scoreRecords(engine, testParsed.records, 'test', log);
  if (benignLists) tagBenignSources(test.scored, benignLists);
  let extra: { parsed: ParsedFile; result: Awaited<ReturnType<typeof scoreRecords>> } | undefined;
  if (options.benignExtra) {
    const parsed = await load(options.benignExtra, true);
    // Names already in the test file's benign set would be counted twice.
    const known = new Set(testParsed.records.filter((r) => r.label === 0).map((r) => r.name));
    const fresh: LabelledName[] = [];
    for (const r of parsed.records) {
      if (r.label !== 0 || known.has(r.name)) {
        parsed.malformed++;
        if (parsed.malformedExamples.length < 5) parsed.malformedExamples.push(`${JSON.stringify(r.name)} (${r.label !== 0 ? 'not benign' : 'duplicate of a test name'})`);
        continue;
      }
      known.add(r.name);
      fresh.push(r);
    }
    parsed.records = fresh;
    extra = { parsed, result: await scoreRecords(engine, fresh, 'benign-extra', log) };
  }
  let held: { parsed: ParsedFile; result: Awaited<ReturnType<typeof scoreRecords>> } | undefined;
  if (options.holdout) {
    const parsed = await load(options.holdout);
    held = { parsed, result: await scoreRecords(engine, parsed.records, 'holdout', log) };
  }
  const seconds = (performance.now() - started) / 1000;
  const totalScored = test.scored.length + (extra?.result.scored.length ?? 0) + (held?.result.scored.length ?? 0);

  if (options.bootstrap) log?.(`figures, with ${options.bootstrap} bootstrap resamples for their intervals (--bootstrap 0: none)...`);
  const { figures, series, markers } = evaluate({
    test: test.scored,
    benignExtra: extra?.result.scored,
    holdout: held?.result.scored,
    metadata,
    threshold,
    minSupport: options.minSupport,
    topK: options.topK,
    bootstrap: options.bootstrap,
  });
  if (figures.holdout) figures.holdout.file = options.holdout!;

  const result: EvalResult = {
    generatedAt: new Date().toISOString(),
    commandLine: options.commandLine,
    model: {
      id: metadata.id,
      version: metadata.version,
      createdAt: metadata.createdAt,
      format: options.format,
      path: options.format === 'tfjs' ? options.tfjs : options.model,
      metadataPath: options.metadata,
      threshold,
    },
    rankingKey: figures.rankingKey,
    data: {
      test: fileCounts(options.test, testParsed, test.scored, test.invalid, test.invalidCount),
      ...(held ? { holdout: fileCounts(options.holdout!, held.parsed, held.result.scored, held.result.invalid, held.result.invalidCount) } : {}),
      ...(extra ? { benignExtra: fileCounts(options.benignExtra!, extra.parsed, extra.result.scored, extra.result.invalid, extra.result.invalidCount) } : {}),
      benign: figures.benign,
      dga: figures.dga,
      families: figures.families,
    },
    binary: figures.binary,
    ...(figures.holdout ? { holdout: figures.holdout } : {}),
    familyHead: figures.familyHead,
    timing: { scoringSeconds: seconds, namesPerSecond: totalScored / Math.max(seconds, 1e-9) },
  };

  await mkdir(options.out, { recursive: true });
  const svg = renderRocSvg(series, { title: `ROC: ${metadata.id} ${metadata.version} (${options.format})`, markers });
  // JSON has no Infinity: thresholds that flag nothing are written as null.
  await writeFile(join(options.out, 'metrics.json'), JSON.stringify(result, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n');
  await writeFile(join(options.out, 'roc.svg'), svg);
  await writeFile(join(options.out, 'report.md'), renderReport(result));
  await writeFile(join(options.out, 'scores.tsv'), formatScoresTsv([...test.scored, ...(extra?.result.scored ?? []), ...(held?.result.scored ?? [])]));
  if (options.card) {
    await mkdir(dirname(options.card), { recursive: true });
    const quantization = options.quantization ? { file: options.quantization, markdown: await readFile(options.quantization, 'utf8') } : undefined;
    const architecture = options.architecture ? { file: options.architecture, markdown: await readFile(options.architecture, 'utf8') } : undefined;
    const onnxBytes = options.format === 'onnx' ? (await stat(options.model)).size : undefined;
    const datasetCommand = await datasetCommandFor(options.test);
    const unseenReport = options.unseenReport ? relative(dirname(resolve(options.card)), resolve(options.unseenReport)) : undefined;
    await writeFile(options.card, renderModelCard(result, metadata, { quantization, architecture, onnxBytes, rocImage: 'roc.svg', datasetCommand, unseenReport }));
    const rocNextToCard = join(dirname(options.card), 'roc.svg');
    if (resolve(rocNextToCard) !== resolve(join(options.out, 'roc.svg'))) await copyFile(join(options.out, 'roc.svg'), rocNextToCard);
  }
  log?.(`wrote ${['metrics.json', 'roc.svg', 'report.md', 'scores.tsv'].map((f) => relative(process.cwd(), join(options.out, f))).join(', ')}${options.card ? ` and ${options.card}` : ''}`);
  return result;
}

/** The columns of <out>/scores.tsv, one row per scored name (error analysis, scripts/blend-scores.ts). */
export const SCORES_COLUMNS = ['name', 'label', 'family', 'source', 'scored', 'score', 'logit', 'predicted_family', 'predicted_probability'] as const;

/** Per-name results as TSV with a header row; numbers at full float32 precision, absent values empty. */
export function formatScoresTsv(rows: readonly ScoredName[]): string {
  const num = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '' : String(x));
  const lines = [SCORES_COLUMNS.join('\t')];
  for (const r of rows) {
    lines.push([r.name, r.label, r.family, r.source, r.scored, num(r.score), num(r.logit), r.predictedFamily ?? '', num(r.predictedProbability)].join('\t'));
  }
  return `${lines.join('\n')}\n`;
}

/** One-line summary for the terminal. */
function summary(r: EvalResult): string {
  const p = r.binary.atFpr.map((x) => `TPR@${x.targetFpr}=${(x.tpr * 100).toFixed(1)}%${x.meaningful ? '' : '(n/m)'}`).join(' ');
  return `AUC ${r.binary.auc.score.toFixed(4)} ${p} TPR@threshold=${(r.binary.atMetadataThreshold.tpr * 100).toFixed(1)}% (FPR ${(r.binary.atMetadataThreshold.fpr * 100).toFixed(3)}%)`;
}

async function main(): Promise<'help' | void> {
  const options = parseEvalArgs(process.argv.slice(2));
  if (options === 'help') return 'help';
  const result = await runEval(options);
  process.stdout.write(`${summary(result)}\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) runScript('eval', USAGE, main);

/**
 * The build-dataset command that made a split, rebuilt from the summary.json next to it (scripts/build-dataset.ts
 * records its options there); undefined when there is none.
 */
async function datasetCommandFor(testFile: string): Promise<string | undefined> {
  try {
    const dir = dirname(testFile);
    const summary = JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8')) as {
      options?: {
        seed?: number;
        familyCap?: number;
        minFamily?: number;
        valFraction?: number;
        testFraction?: number;
        holdoutFamilies?: string[];
        trainFamilyCaps?: Record<string, number>;
      };
    };
    const o = summary.options ?? {};
    const flags = [
      `--data ../shared/data --out ${dir}`,
      o.familyCap !== undefined ? `--family-cap ${o.familyCap}` : '',
      o.trainFamilyCaps && Object.keys(o.trainFamilyCaps).length
        ? `--train-cap ${Object.entries(o.trainFamilyCaps).map(([f, n]) => `${f}=${n}`).join(',')}`
        : '',
      o.minFamily !== undefined ? `--min-family ${o.minFamily}` : '',
      o.holdoutFamilies?.length ? `--holdout-families ${o.holdoutFamilies.join(',')}` : '',
      o.seed !== undefined ? `--seed ${o.seed}` : '',
    ].filter(Boolean);
    return `npx tsx scripts/build-dataset.ts ${flags.join(' ')}`;
  } catch {
    return undefined;
  }
}
