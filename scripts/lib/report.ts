import type { ModelMetadata } from '../../src/core/metadata.js';
import type { BootstrapIntervals, ConfusionMatrix, Interval, FprOperatingPoint, MulticlassReport, OperatingPoint } from './metrics.js';

/**
 * The evaluation's figures (written as metrics.json) and their two markdown renderings: the evaluation
 * report (report.md, next to metrics.json) and the model card (model/CARD.md). Pure: strings in, strings
 * out; scripts/eval.ts does the I/O.
 */

/** What was read from one input file. */
export interface FileCounts {
  file: string;
  /** Non-blank, non-comment lines. */
  lines: number;
  /** Lines that were not `name<TAB>label[<TAB>family]` with label 0/1 (or skipped as a duplicate). */
  malformed: number;
  malformedExamples: string[];
  /** Names the normaliser rejected (counted, not scored). */
  invalid: number;
  invalidExamples: { name: string; message: string }[];
  /** Scored names by class. */
  benign: number;
  dga: number;
}

export interface FamilyDetection {
  family: string;
  n: number;
  /** Detected at the operating point for FPR 1e-3 (threshold from the benign names). */
  atFpr: { detected: number; tpr: number };
  /** Detected at the metadata threshold (what serving does). */
  atThreshold: { detected: number; tpr: number };
  meanScore: number;
}

export interface TopBenign {
  name: string;
  scored: string;
  score: number;
  logit: number | null;
  source: string;
  patterns: string[];
}

export interface FprPoint extends FprOperatingPoint {
  /** The threshold as a score (probability); equals `threshold` when ranking by score. */
  scoreThreshold: number;
  /** The threshold as a logit, when ranking by logit. */
  logitThreshold: number | null;
  /** FPR on each benign source separately (test file, --benign-extra), same threshold. */
  fprBySource: Record<string, { n: number; falsePositives: number; fpr: number }>;
}

export type FamilyHeadResult =
  | { available: false; reason: string }
  | {
      available: true;
      /** Where predictions came from: the head's probabilities (argmax over malware classes) or the classifier's top family. */
      source: 'probabilities' | 'classifier';
      /** The ranking weighed the public suffix in (metadata familySuffixPrior, src/core/suffix-prior.ts). */
      suffixPrior?: boolean;
      minSupport: number;
      /** DGA test names evaluated (all DGA names in the test file). */
      samples: number;
      /** True families absent from metadata.families, counted as "other" (or kept, if there is no "other"). */
      mappedToOther: Record<string, number>;
      /** DGA names without any family prediction, counted as predicted "(none)". */
      unpredicted: number;
      report: MulticlassReport;
      confusion: ConfusionMatrix;
      /** The same with the metadata's open-set cut-off applied, as the API answers (familyOpenSet). */
      openSet?: OpenSetFigures;
    };

export interface OpenSetFigures {
  minProbability: number;
  /** Share of DGA test names the cut-off turned into "other". */
  toOther: number;
  report: MulticlassReport;
}

export interface HoldoutResult {
  file: string;
  targetFpr: number;
  /** Threshold on the ranking key, from the benign names of the test file (plus --benign-extra). */
  threshold: number;
  scoreThreshold: number;
  perFamily: FamilyDetection[];
  /** Unweighted mean over held-out families of the detection rate. */
  macroTpr: number;
  /** Its 95% bootstrap interval (benign and each family's names resampled; eval.ts --bootstrap). */
  macroTprInterval?: Interval;
  macroTprAtThreshold: number;
  /** Overall detection (all held-out names pooled). */
  pooledTpr: number;
  /** AUC of held-out DGA names against the benign names. */
  auc: number;
  /** Share of held-out DGA names whose family is reported as "other" (open-set cut-off minProbability), with a family head. */
  toOther?: number;
  minProbability?: number;
}

/** Everything metrics.json holds. */
export interface EvalResult {
  generatedAt: string;
  commandLine: string;
  model: {
    id: string;
    version: string;
    createdAt: string;
    format: 'onnx' | 'tfjs';
    path: string;
    metadataPath: string;
    threshold: number;
  };
  /** What the binary ranking metrics sort by: the logit when the model exposes it (scores saturate near 1). */
  rankingKey: 'logit' | 'score';
  data: {
    test: FileCounts;
    holdout?: FileCounts;
    benignExtra?: FileCounts;
    /** Scored names used for the binary metrics. */
    benign: number;
    dga: number;
    /** DGA names per family in the test file. */
    families: Record<string, number>;
  };
  binary: {
    auc: { score: number; logit: number | null };
    atFpr: FprPoint[];
    /** 95% bootstrap intervals of the AUC (by the ranking key) and of each atFpr TPR (eval.ts --bootstrap). */
    intervals?: BootstrapIntervals;
    atMetadataThreshold: OperatingPoint & { fprBySource: FprPoint['fprBySource'] };
    /** Per family; sorted by detection at FPR 1e-3, lowest first. */
    perFamily: FamilyDetection[];
    topBenign: TopBenign[];
    /** Benign names flagged at FPR 1e-3, by look-alike pattern. */
    falsePositivePatterns: { targetFpr: number; flagged: number; counts: Record<string, number> };
  };
  holdout?: HoldoutResult;
  familyHead: FamilyHeadResult;
  timing: { scoringSeconds: number; namesPerSecond: number };
}

/** Families whose generators draw from word lists or look like real names (weak spots of character models). */
export const WORD_LIST_FAMILIES = ['matsnu', 'suppobox', 'gozi', 'nymaim2', 'pizd', 'rovnix', 'bigviktor', 'banjori', 'charbot'];

// ---------------------------------------------------------------------------------------------------------
// Formatting helpers

const pct = (x: number, digits = 2) => (Number.isFinite(x) ? `${(x * 100).toFixed(digits)}%` : 'n/a');
const fix = (x: number | null | undefined, digits = 4) =>
  x === null || x === undefined ? 'n/a' : Number.isFinite(x) ? x.toFixed(digits) : x > 0 ? '+inf' : x < 0 ? '-inf' : 'n/a';
const int = (n: number) => n.toLocaleString('en-US');
const sci = (x: number) => (x >= 0.01 ? String(x) : x.toExponential(0));
/** A score near 1 printed with enough digits to tell thresholds apart. */
const prob = (x: number) => (!Number.isFinite(x) ? fix(x) : x >= 0.99 ? x.toPrecision(9) : x.toFixed(4));

/** Escapes a cell for a markdown table. */
function cell(value: string | number): string {
  return String(value).replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** A markdown table; `align` per column: 'l' or 'r'. */
export function markdownTable(header: string[], rows: (string | number)[][], align?: ('l' | 'r')[]): string {
  const sep = header.map((_, i) => ((align?.[i] ?? 'l') === 'r' ? '---:' : '---'));
  return [header, sep, ...rows.map((r) => r.map(cell))].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

// ---------------------------------------------------------------------------------------------------------
// Tables shared by the report and the card

function binaryTables(r: EvalResult): string {
  const parts: string[] = [];
  const b = r.binary;
  const sources = Object.keys(b.atFpr[0]?.fprBySource ?? {});
  parts.push(
    `ROC AUC: **${fix(b.auc.score, 5)}** (by score)` +
      (b.auc.logit !== null ? `, **${fix(b.auc.logit, 5)}** (by logit)` : '') +
      ` on ${int(r.data.benign)} benign and ${int(r.data.dga)} DGA names. Ranking key for the operating points: **${r.rankingKey}**.` +
      (b.intervals ? ` ${pct(b.intervals.level, 0)} bootstrap interval of the AUC (by ${r.rankingKey}): ${fix(b.intervals.auc.low, 5)}-${fix(b.intervals.auc.high, 5)}.` : ''),
  );
  const tprInterval = (target: number) => b.intervals?.tprAtFpr.find((i) => i.targetFpr === target)?.tpr;
  const header = ['target FPR', 'TPR', ...(b.intervals ? [`TPR, ${pct(b.intervals.level, 0)} interval`] : []), 'FPR', 'false pos.', 'allowed', 'threshold (score)'];
  if (r.rankingKey === 'logit') header.push('threshold (logit)');
  if (sources.length > 1) header.push(...sources.map((s) => `FPR ${s}`));
  header.push('note');
  const rows = b.atFpr.map((p) => {
    const ci = tprInterval(p.targetFpr);
    const row: (string | number)[] = [sci(p.targetFpr), pct(p.tpr), ...(b.intervals ? [ci ? `${pct(ci.low)}-${pct(ci.high)}` : ''] : []), pct(p.fpr, 4), int(p.falsePositives), int(p.allowedFalsePositives), prob(p.scoreThreshold)];
    if (r.rankingKey === 'logit') row.push(fix(p.logitThreshold, 3));
    if (sources.length > 1) row.push(...sources.map((s) => pct(p.fprBySource[s]?.fpr ?? NaN, 4)));
    row.push(p.meaningful ? (p.note ?? '') : `**not meaningful**: ${p.note ?? ''}`);
    return row;
  });
  const t = b.atMetadataThreshold;
  const mrow: (string | number)[] = [`metadata threshold`, pct(t.tpr), ...(b.intervals ? [''] : []), pct(t.fpr, 4), int(t.falsePositives), '', prob(t.threshold)];
  if (r.rankingKey === 'logit') mrow.push('');
  if (sources.length > 1) mrow.push(...sources.map((s) => pct(t.fprBySource[s]?.fpr ?? NaN, 4)));
  mrow.push('what serving flags (score >= threshold)');
  rows.push(mrow);
  parts.push(markdownTable(header, rows, header.map((_, i) => (i >= 1 && i < header.length - 1 ? 'r' : 'l'))));
  parts.push(
    'Rule: the threshold for a target FPR is the smallest observed value whose FPR on the benign names is at most the target ' +
      '(no interpolation); with N benign names at most floor(target x N) are flagged. A target needs at least 1/target benign ' +
      'names to mean anything and about 10/target to be stable.' +
      (b.intervals
        ? ` Intervals: ${int(b.intervals.resamples)} stratified bootstrap resamples of the test names (benign and DGA drawn with replacement, ` +
          'thresholds re-picked in each); they measure the sampling noise of this test split, not the shift to names of other sources.'
        : ''),
  );
  return parts.join('\n\n');
}

function familyTable(families: FamilyDetection[], atFprLabel: string): string {
  return markdownTable(
    ['family', 'n', `TPR @ ${atFprLabel}`, 'TPR @ metadata threshold', 'mean score'],
    families.map((f) => [f.family, int(f.n), pct(f.atFpr.tpr, 1), pct(f.atThreshold.tpr, 1), fix(f.meanScore, 3)]),
    ['l', 'r', 'r', 'r', 'r'],
  );
}

function holdoutSection(h: HoldoutResult): string {
  return [
    `Held-out (leave-family-out) names from \`${h.file}\`, threshold for FPR ${sci(h.targetFpr)} taken from the benign names ` +
      `(score ${prob(h.scoreThreshold)}): macro-average detection **${pct(h.macroTpr, 1)}** ` +
      (h.macroTprInterval ? `(95% bootstrap interval ${pct(h.macroTprInterval.low, 1)}-${pct(h.macroTprInterval.high, 1)}; ` : '(') +
      `${pct(h.macroTprAtThreshold, 1)} at the metadata threshold), pooled ${pct(h.pooledTpr, 1)}, AUC against benign ${fix(h.auc, 4)}.` +
      (h.toOther !== undefined
        ? ` Family as served: ${pct(h.toOther, 1)} of these names are called "other" (open-set cut-off ${fix(h.minProbability ?? 0, 2)}); the rest are pinned on a known family.`
        : ''),
    familyTable(h.perFamily, `FPR ${sci(h.targetFpr)}`),
  ].join('\n\n');
}

function confusionTable(c: ConfusionMatrix): string {
  const header = ['true \\ predicted', ...c.columns];
  const rows = c.rows.map((row, i) => [row, ...c.counts[i]!.map((n) => (n === 0 ? '.' : int(n)))]);
  return markdownTable(header, rows, header.map((_, i) => (i === 0 ? 'l' : 'r')));
}

function familyHeadSection(f: FamilyHeadResult): string {
  if (!f.available) return `Not evaluated: ${f.reason}.`;
  const rep = f.report;
  const parts = [
    `Predictions from ${f.source === 'probabilities' ? "the family head's probabilities (argmax over malware classes)" : "the classifier's reported family"}` +
      `${f.suffixPrior ? ', re-ranked by the public suffix (metadata familySuffixPrior: P(suffix | family) from the training split)' : ''} ` +
      `for the ${int(f.samples)} DGA test names. Averages over the ${rep.evaluated.length} families with >= ${f.minSupport} test names: ` +
      `**micro-F1 ${fix(rep.micro.f1, 4)}**, **macro-F1 ${fix(rep.macro.f1, 4)}** (accuracy over all DGA names ${pct(rep.accuracy, 1)}).`,
  ];
  if (f.openSet) {
    const o = f.openSet;
    parts.push(
      `As served, with the open-set cut-off (metadata familyOpenSet: a top family below ${fix(o.minProbability, 2)} is reported as "other"): ` +
        `${pct(o.toOther, 1)} of the DGA test names become "other"; **micro-F1 ${fix(o.report.micro.f1, 4)}**, **macro-F1 ${fix(o.report.macro.f1, 4)}** ` +
        `(accuracy ${pct(o.report.accuracy, 1)}). The figures below are the head's ranking without it.`,
    );
  }
  const mapped = Object.entries(f.mappedToOther);
  if (mapped.length) {
    parts.push(`Test families the head has no class for, scored as "other": ${mapped.map(([k, v]) => `${k} (${int(v)})`).join(', ')}.`);
  }
  if (f.unpredicted) parts.push(`${int(f.unpredicted)} DGA names got no family prediction (counted as "(none)").`);
  if (rep.excluded.length) parts.push(`Left out of the averages (< ${f.minSupport} test names): ${rep.excluded.join(', ')}.`);
  parts.push(
    markdownTable(
      ['family', 'support', 'predicted', 'precision', 'recall', 'F1', 'in averages'],
      rep.perClass.map((c) => [c.label, int(c.support), int(c.predicted), fix(c.precision, 3), fix(c.recall, 3), fix(c.f1, 3), rep.evaluated.includes(c.label) ? 'yes' : '']),
      ['l', 'r', 'r', 'r', 'r', 'r', 'l'],
    ),
  );
  parts.push(`Confusion matrix (rows: true family, columns: predicted; top families by support, the rest folded into "(rest)"):`);
  parts.push(confusionTable(f.confusion));
  return parts.join('\n\n');
}

function topBenignTable(top: TopBenign[], limit = 20): string {
  return markdownTable(
    ['name', 'scored label', 'score', 'logit', 'source', 'looks like'],
    top.slice(0, limit).map((t) => [`\`${t.name}\``, `\`${t.scored}\``, prob(t.score), fix(t.logit, 2), t.source, t.patterns.join(', ')]),
    ['l', 'l', 'r', 'r', 'l', 'l'],
  );
}

function countsTable(r: EvalResult): string {
  const files = [r.data.test, r.data.holdout, r.data.benignExtra].filter((f): f is FileCounts => f !== undefined);
  return markdownTable(
    ['file', 'lines', 'benign', 'DGA', 'invalid names', 'malformed lines'],
    files.map((f) => [`\`${f.file}\``, int(f.lines), int(f.benign), int(f.dga), int(f.invalid), int(f.malformed)]),
    ['l', 'r', 'r', 'r', 'r', 'r'],
  );
}

function invalidNotes(r: EvalResult): string {
  const lines: string[] = [];
  for (const f of [r.data.test, r.data.holdout, r.data.benignExtra]) {
    if (!f) continue;
    for (const e of f.invalidExamples.slice(0, 5)) lines.push(`- \`${f.file}\`: \`${e.name}\`: ${e.message}`);
    for (const e of f.malformedExamples.slice(0, 3)) lines.push(`- \`${f.file}\`: malformed: ${e}`);
  }
  return lines.length ? `Examples of skipped lines:\n\n${lines.join('\n')}` : '';
}

// ---------------------------------------------------------------------------------------------------------
// report.md

/** The evaluation report: what was run, on what, and every table. */
export function renderReport(r: EvalResult): string {
  const s: string[] = [];
  s.push(`# Evaluation: ${r.model.id} ${r.model.version}`);
  s.push(
    [
      `- Date: ${r.generatedAt}`,
      `- Model: \`${r.model.path}\` (${r.model.format}), metadata \`${r.model.metadataPath}\`, created ${r.model.createdAt}, threshold ${prob(r.model.threshold)}`,
      `- Command: \`${r.commandLine}\``,
      `- Scoring: ${r.timing.scoringSeconds.toFixed(1)} s, ${int(Math.round(r.timing.namesPerSecond))} names/s`,
    ].join('\n'),
  );
  s.push('## Data');
  s.push(countsTable(r));
  const inv = invalidNotes(r);
  if (inv) s.push(inv);
  s.push('## Binary detection (DGA vs benign)');
  s.push(binaryTables(r));
  s.push('![ROC curve](roc.svg)');
  s.push('### Per family (test file)');
  s.push(familyTable(r.binary.perFamily, 'FPR 1e-3'));
  if (r.holdout) {
    s.push('## Held-out families');
    s.push(holdoutSection(r.holdout));
  }
  s.push('## Family head');
  s.push(familyHeadSection(r.familyHead));
  s.push('## Highest-scoring benign names');
  const fp = r.binary.falsePositivePatterns;
  s.push(
    `${int(fp.flagged)} benign names are flagged at FPR ${sci(fp.targetFpr)}; by pattern: ` +
      (Object.entries(fp.counts).map(([k, v]) => `${k} ${int(v)}`).join(', ') || 'none') +
      '.',
  );
  s.push(topBenignTable(r.binary.topBenign, 30));
  return s.join('\n\n') + '\n';
}

// ---------------------------------------------------------------------------------------------------------
// Model card

export interface CardOptions {
  /** The scripts/build-dataset.ts command that made the evaluated split, when known (from its summary.json). */
  datasetCommand?: string;
  /** Markdown from the quantization measurements (e.g. runs/int8-scheme.md), included verbatim. */
  quantization?: { file: string; markdown: string };
  /** Markdown with the measurements behind the architecture (e.g. model/ARCHITECTURE.md), included verbatim. */
  architecture?: { file: string; markdown: string };
  /** Size of the .onnx file in bytes. */
  onnxBytes?: number;
  /** Image path relative to the card. */
  rocImage?: string;
  /** Path, relative to the card, of the leave-family-out report that measures families never seen (no holdout in this run). */
  unseenReport?: string;
}

/** Trainable parameters of the embeddings (characters, and bigrams / hashed trigrams / hashed four-grams when present) / LSTM / dense heads (score, and family when present). */
export function parameterCount(m: ModelMetadata): { embedding: number; lstm: number; dense: number; total: number } {
  const v = m.vocabulary.length + 1;
  const { embeddingDim: e, units: u } = m.architecture;
  const hashedTable = (buckets?: number) => (buckets ? (buckets + 1) * e : 0); // row 0 for pad steps
  const embedding = v * e + (m.architecture.bigrams ? v * v * e : 0) + hashedTable(m.architecture.trigrams) + hashedTable(m.architecture.fourgrams);
  const directions = m.architecture.bidirectional ? 2 : 1;
  const lstm = directions * 4 * (e * u + u * u + u);
  const h = directions * u; // what the heads read
  const dense = h + 1 + (m.families ? (h + 1) * m.families.length : 0);
  return { embedding, lstm, dense, total: embedding + lstm + dense };
}

const get = (o: unknown, ...path: string[]): unknown => {
  let cur = o;
  for (const p of path) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
};

function dataSources(m: ModelMetadata): string {
  const files = get(m.training, 'data', 'files');
  const splits = ['train', 'val', 'test'].map((k) => [k, get(m.training, 'data', k)] as const);
  if (!Array.isArray(files) && splits.every(([, v]) => typeof v === 'object' && v !== null)) {
    // Trained from a built dataset (scripts/build-dataset.ts): report its split sizes.
    const rows = splits.map(([k, v]) => {
      const c = v as { benign?: number; dga?: number };
      return `| ${k} | ${int(c.benign ?? 0)} | ${int(c.dga ?? 0)} |`;
    });
    return [
      `Built by \`scripts/build-dataset.ts\` from ${typeof get(m.training, 'data', 'source') === 'string' ? `the split in \`${String(get(m.training, 'data', 'source')).split('/').slice(-2).join('/')}\`` : 'a built split'} ` +
        '(a data directory of benign lists `benign/*.txt` and DGA lists `dga/<source>/<family>.txt`; the split\'s `summary.json` records the directory, the family map and every rule applied).',
      '| split | benign | DGA |\n| --- | ---: | ---: |\n' + rows.join('\n'),
    ].join('\n\n');
  }
  if (!Array.isArray(files)) return 'Not recorded in metadata.json.';
  const bySource = new Map<string, { files: number; lines: number; label: number }>();
  for (const f of files as { file?: string; label?: number; lines?: number }[]) {
    const path = String(f.file ?? '');
    const source = path.split('/').slice(0, -1).join('/') || path;
    const entry = bySource.get(source) ?? { files: 0, lines: 0, label: Number(f.label ?? 0) };
    entry.files++;
    entry.lines += Number(f.lines ?? 0);
    bySource.set(source, entry);
  }
  return markdownTable(
    ['source directory', 'label', 'files', 'lines'],
    [...bySource].map(([s, e]) => [`\`${s}/\``, e.label === 1 ? 'DGA' : 'benign', e.files, int(e.lines)]),
    ['l', 'l', 'r', 'r'],
  );
}

/** Every train.ts invocation behind the model (training.commandLines, else the last commandLine). */
function trainingCommands(m: ModelMetadata): string[] {
  const list = get(m.training, 'commandLines');
  if (Array.isArray(list) && list.every((c) => typeof c === 'string')) return list as string[];
  const one = get(m.training, 'commandLine');
  return typeof one === 'string' ? [one] : [];
}

function trainingSection(m: ModelMetadata): string {
  const t = m.training;
  const lines: string[] = [];
  const cmd = get(t, 'commandLine');
  const cmds = trainingCommands(m);
  if (cmds.length > 1) lines.push(`Commands (every run behind these weights: resumes and warm starts, oldest first):\n\n\`\`\`sh\n${cmds.join('\n')}\n\`\`\``);
  else if (typeof cmd === 'string') lines.push(`Command:\n\n\`\`\`sh\n${cmd}\n\`\`\``);
  const facts: string[] = [];
  const wall = get(t, 'wallTimeSeconds');
  const epochHistory = get(t, 'history');
  const epochSeconds = Array.isArray(epochHistory) ? epochHistory.reduce((sum: number, h) => sum + Number((h as { seconds?: number }).seconds ?? 0), 0) : undefined;
  const cmdText = typeof cmd === 'string' ? cmd : '';
  if (typeof wall === 'number') {
    // A resumed run's wall time covers only its own epochs; the history covers all of them.
    facts.push(
      cmdText.includes('--resume') && epochSeconds
        ? `wall time ${(wall / 60).toFixed(1)} min for this resumed run; ${(epochSeconds / 60).toFixed(1)} min of training over all ${Array.isArray(epochHistory) ? epochHistory.length : '?'} epochs (sum of the epoch times below)`
        : `wall time ${(wall / 60).toFixed(1)} min`,
    );
  }
  const epochs = get(t, 'epochs');
  if (typeof epochs === 'number') facts.push(`${epochs} epochs`);
  const backend = get(t, 'backend');
  if (typeof backend === 'string') facts.push(`backend ${backend}`);
  const seed = get(t, 'seed');
  if (seed !== undefined) facts.push(`seed ${String(seed)}`);
  const sps = get(t, 'samplesPerSecond');
  if (typeof sps === 'number') facts.push(`${int(sps)} samples/s`);
  const samples = get(t, 'samples');
  if (samples && typeof samples === 'object') {
    facts.push(Object.entries(samples as Record<string, number>).map(([k, v]) => `${int(v)} ${k}`).join(', ') + ' examples');
  }
  if (facts.length) lines.push(facts.join('; ') + '.');
  const hp = get(t, 'hyperparameters');
  if (hp && typeof hp === 'object') {
    lines.push('Hyperparameters: ' + Object.entries(hp as Record<string, unknown>).map(([k, v]) => `${k} ${JSON.stringify(v)}`).join(', ') + '.');
  }
  const history = get(t, 'history');
  if (Array.isArray(history) && history.length) {
    const keys = Object.keys(history[0] as object);
    lines.push(
      markdownTable(
        keys,
        (history as Record<string, unknown>[]).map((h) => keys.map((k) => (typeof h[k] === 'number' && !Number.isInteger(h[k]) ? (h[k] as number).toFixed(4) : String(h[k])))),
        keys.map(() => 'r'),
      ),
    );
  }
  const val = get(t, 'validation');
  if (val && typeof val === 'object') {
    const v = val as Record<string, unknown>;
    lines.push(
      `Validation (training split): AUC ${fix(v.auc as number, 4)}; threshold ${prob(v.threshold as number)} chosen at FPR ${String(v.thresholdFpr)} ` +
        `on ${int(Number(v.benign ?? 0))} benign validation names (TPR ${pct(Number(v.tpr), 1)}).`,
    );
  }
  return lines.join('\n\n') || 'Not recorded in metadata.json.';
}

/**
 * The model card: what the model is, what it was trained on and how, how well it does (the evaluation's
 * tables), where it fails, what it is for, and how to rebuild it. Marked placeholders stay where a figure
 * is measured elsewhere (quantization).
 */
export function renderModelCard(r: EvalResult, m: ModelMetadata, options: CardOptions = {}): string {
  const s: string[] = [];
  const params = parameterCount(m);
  const a = m.architecture;
  s.push(`# Model card: ${m.id} ${m.version}`);
  s.push(
    `Character-level LSTM that scores a domain name's registrable label as generated by a domain-generation algorithm (DGA) or not ` +
      `(after Woodbridge et al. 2016, "Predicting Domain Generation Algorithms with Long Short-Term Memory Networks"). ` +
      `Generated by \`scripts/eval.ts\` on ${r.generatedAt}; figures below come from \`${r.data.test.file}\`.`,
  );

  s.push('## Model');
  s.push(
    [
      `- Architecture: embedding ${a.embeddingDim}${a.bigrams ? ` + bigram embedding ${a.embeddingDim} (previous x current character, ${(m.vocabulary.length + 1) ** 2} rows, added to the character embedding: more input features, no extra LSTM work)` : ''}${a.trigrams ? ` + hashed trigram embedding ${a.embeddingDim} (two previous characters x current one, mod ${a.trigrams}, ${a.trigrams + 1} rows, added likewise)` : ''}${a.fourgrams ? ` + hashed four-gram embedding ${a.embeddingDim} (three previous characters x current one, mod ${a.fourgrams}, ${a.fourgrams + 1} rows, added likewise)` : ''} -> ${a.bidirectional ? `bidirectional ${a.cell.toUpperCase()}, ${a.units} units each way (last states of both concatenated, ${2 * a.units} values)` : `${a.cell.toUpperCase()} ${a.units} units`} (recurrent activation ${a.recurrentActivation}) -> dropout ${a.dropout} (training only) -> dense 1 with sigmoid (score)${m.families ? ` and dense ${m.families.length} with softmax (family)` : ''}.`,
      `- Parameters: ${int(params.total)} (embedding ${int(params.embedding)}, LSTM ${int(params.lstm)}, dense ${int(params.dense)}).` +
        (options.onnxBytes ? ` ONNX file evaluated: ${(options.onnxBytes / 1024).toFixed(1)} KiB.` : ''),
      `- Outputs: \`${m.onnx.score}\` (probability of DGA) and \`${m.onnx.logit}\` (its logit)` +
        (m.families ? `; family head \`${m.onnx.family}\` over ${m.families.length} classes.` : '; no family head.') +
        (a.scoreFrom === 'family'
          ? ' The served score is read from the family head: logit = logsumexp(malware-class logits) - benign logit, i.e. score = 1 - P(benign) (`architecture.scoreFrom: "family"`, computed in the ONNX graph); the dense-1 score head is trained alongside as an auxiliary output and not exported, because the family head ranks names better at low false-positive rates (model/EXPERIMENTS.md).'
          : ''),
      `- Input pre-processing (src/core/normalize.ts, src/core/encode.ts, shared by training and serving): trim, lowercase, strip one trailing dot, ` +
        `IDNA (UTS #46) to punycode, validate (LDH labels, <= 253 octets, no IP addresses), split with the Public Suffix List (private section ` +
        `included, plus known dynamic-DNS suffixes), score the label left of the public suffix; an internationalised (punycode) label is read in ` +
        `Latin letters (accents off, other scripts dropped: xn--mnchen-3ya -> munchen) and one with no Latin letter or digit left is not scored ` +
        `(score 0, \`unscored: non_latin_label\`). Characters map to indices 1..${m.vocabulary.length} of ` +
        `\`${m.vocabulary}\`; labels are pre-padded with 0 to ${m.maxLength} characters (longer labels keep their first ${m.maxLength})` +
        (m.architecture.maskPadding ? '; the padding is masked (it does not change the LSTM state), so a batch need only be as wide as its longest label.' : '.'),
      `- Decision threshold: score >= ${prob(m.threshold)} (metadata.json; chosen on validation benign names, overridable per deployment).`,
      ...(m.familySuffixPrior
        ? [
            `- Family attribution: the family head's P(family | DGA, label) times P(public suffix | family), counted on the training split's DGA names ` +
              `(${Object.keys(m.familySuffixPrior.counts).length} families, ${m.familySuffixPrior.suffixes} suffixes, smoothing ${m.familySuffixPrior.alpha}; ` +
              `\`familySuffixPrior\` in metadata.json, scripts/suffix-prior.ts, src/core/suffix-prior.ts); a suffix no training DGA used changes nothing. ` +
              'The model reads the label only, so random-letter families that share an alphabet look alike to it, while each DGA draws its suffixes from a fixed list. The score and the `dga` flag do not use the suffix.',
          ]
        : []),
      ...(m.familyOpenSet
        ? [
            `- Unknown families: a DGA name whose top family is below ${fix(m.familyOpenSet.minProbability, 2)} is reported as "other" with its nearest known family ` +
              `(\`familyOpenSet\` in metadata.json, src/core/open-set.ts; overridable per deployment). The cut-off is the largest that costs at most ` +
              `${pct(m.familyOpenSet.budget, 0)} of attribution on ${int(m.familyOpenSet.validation.names)} validation DGA names ` +
              `(${pct(m.familyOpenSet.validation.attributedAtZero, 1)} -> ${pct(m.familyOpenSet.validation.attributedAtMin, 1)}); without it every family the model never saw is pinned on a known one.`,
          ]
        : []),
      `- Runtime: ONNX on onnxruntime-web (WASM) in Cloudflare Workers and Node: \`model/dga.int8.onnx\` (int8 weights, served by default) or \`model/dga.onnx\` (float, \`MODEL_PRECISION=float\`); the tfjs LayersModel (\`model/tfjs/\`) is the training artefact.`,
    ].join('\n'),
  );

  if (options.architecture) {
    s.push(`<!-- BEGIN architecture (from ${options.architecture.file}) -->\n${options.architecture.markdown.trim()}\n<!-- END architecture -->`);
  }

  s.push('## Data');
  s.push(dataSources(m));
  const perClass = get(m.training, 'data', 'perClass');
  if (perClass && typeof perClass === 'object') {
    const pc = perClass as Record<string, Record<string, number>>;
    const keys = [...new Set(Object.values(pc).flatMap((v) => Object.keys(v)))];
    s.push(markdownTable(['class', ...keys], Object.entries(pc).map(([k, v]) => [k, ...keys.map((key) => int(v[key] ?? 0))]), ['l', ...keys.map(() => 'r' as const)]));
  }
  s.push(
    [
      '- Family map: the family is the DGA file name without `.txt`, merged across sources; per-family counts (lines, invalid, de-duplicated, capped, ' +
        'train/validation) are in `model/metadata.json` under `training.data.perFamily`' +
        (m.families ? `; the family head's classes are \`metadata.families\` (${m.families.length}, "other" for rare families).` : '.'),
      '- Rules (scripts/lib/dataset.ts): names normalised as in serving (invalid ones skipped and counted); de-duplicated; benign wins on a name or ' +
        'scored-label clash; per-family cap; split by a seeded hash of the scored label, so no registrable name or model input is on both sides.',
      `- Evaluation data: ${countsTable(r).split('\n').length - 2} file(s), counts below.`,
    ].join('\n'),
  );
  s.push(countsTable(r));

  s.push('## Training');
  s.push(trainingSection(m));

  s.push('## Metrics');
  s.push(binaryTables(r));
  s.push(`![ROC curve](${options.rocImage ?? 'roc.svg'})`);
  s.push('### Per family (test file, lowest detection first)');
  s.push(familyTable(r.binary.perFamily, 'FPR 1e-3'));
  if (r.holdout) {
    s.push('### Held-out families');
    s.push(holdoutSection(r.holdout));
  }
  s.push('### Family head');
  s.push(familyHeadSection(r.familyHead));

  s.push('## Quantization');
  if (options.quantization) {
    s.push(`<!-- BEGIN quantization (from ${options.quantization.file}) -->\n${options.quantization.markdown.trim()}\n<!-- END quantization -->`);
  } else {
    s.push(
      '<!-- QUANTIZATION: pending. Re-run eval with --quantization <file.md> (e.g. runs/int8-scheme.md) to include int8 size, latency and metric deltas here. -->\n' +
        '_Not measured yet: int8 / quantized model size, latency and metric changes go here._',
    );
  }

  s.push('## Weak spots');
  const weak: string[] = [];
  const lowest = r.binary.perFamily.filter((f) => f.n >= 20).slice(0, 8);
  if (lowest.length) weak.push(`- Lowest detection at FPR 1e-3 (families with >= 20 test names): ${lowest.map((f) => `${f.family} ${pct(f.atFpr.tpr, 1)}`).join(', ')}.`);
  const word = r.binary.perFamily.filter((f) => WORD_LIST_FAMILIES.includes(f.family));
  weak.push(
    word.length
      ? `- Word-list and look-alike DGAs (${WORD_LIST_FAMILIES.join(', ')}) read like real names to a character model: ${word.map((f) => `${f.family} ${pct(f.atFpr.tpr, 1)}`).join(', ')} at FPR 1e-3.`
      : `- Word-list DGAs (${WORD_LIST_FAMILIES.join(', ')}): none in the test file; expect low detection for them.`,
  );
  if (r.holdout) {
    const h = r.holdout.perFamily.slice(0, 8);
    weak.push(`- Families never seen in training: macro detection ${pct(r.holdout.macroTpr, 1)} at FPR 1e-3; lowest ${h.map((f) => `${f.family} ${pct(f.atFpr.tpr, 1)}`).join(', ')}.`);
  } else {
    weak.push(
      options.unseenReport
        ? `- Families never seen in training: this model saw every family of its test split; a model trained the same way with families held out is measured in [${options.unseenReport}](${options.unseenReport}).`
        : '- Families never seen in training: not measured in this run (pass --holdout).',
    );
  }
  const byList = Object.entries(r.binary.atMetadataThreshold.fprBySource ?? {}).filter(([k]) => k.startsWith('test: '));
  if (byList.length > 1) {
    weak.push(
      `- Benign labels by source list (eval.ts --benign-lists), flagged at the shipped threshold: ` +
        byList.map(([k, v]) => `${k.slice('test: '.length)} ${pct(v.fpr, 2)} (${int(v.falsePositives)} of ${int(v.n)})`).join(', ') +
        '. A list built from DNS query volume also ranks the DGA names of infected hosts: those are scored high rightly and counted here as false positives.',
    );
  }
  const fp = r.binary.falsePositivePatterns;
  weak.push(
    `- Known false-positive patterns: hex/hash-like labels, digit-heavy labels, short acronyms, long word concatenations (the price of catching word-list DGAs); ` +
      `internationalised names are read in Latin letters or left unscored (normalize.ts scoredForm), which took the benign IDNs of the training lists from 8 of 70 flagged to 0; ` +
      `the training benign lists are 2014-2017 top lists, so newer and regional names score higher. Of the ${int(fp.flagged)} benign test names flagged at FPR ${sci(fp.targetFpr)}: ` +
      (Object.entries(fp.counts).map(([k, v]) => `${k} ${int(v)}`).join(', ') || 'none') +
      '. Highest-scoring benign names:',
  );
  s.push(weak.join('\n'));
  s.push(topBenignTable(r.binary.topBenign, 20));

  s.push('## Intended use and limits');
  s.push(
    [
      '- Intended: a fast signal in DNS filtering and threat hunting (edge API, CLI), ranking or flagging names for review or blocking alongside other evidence (reputation, age, NXDOMAIN rates).',
      '- Scores one label, not the whole name or traffic: subdomain-based and fast-flux abuse, phishing and typosquatting are out of scope.',
      `- Not a sole blocking decision: at the shipped threshold ${pct(r.binary.atMetadataThreshold.fpr, 3)} of the benign evaluation names (${int(r.binary.atMetadataThreshold.falsePositives)} of ${int(r.binary.atMetadataThreshold.negatives)}) are flagged, ` +
        'and more on newer, regional or internationalised names than the 2014-2017 top lists it was trained on.',
      '- Trained on public generator re-implementations and feed dumps up to about 2023; new generators, especially dictionary-based ones, are detected far less (see held-out families).',
      '- Family attribution, when present, is a hint for triage, not ground truth; several sources name the same malware differently.',
    ].join('\n'),
  );

  s.push('## How to reproduce');
  const trainCmd = trainingCommands(m).join('\n') || undefined;
  const datasetCmd = options.datasetCommand ? `${options.datasetCommand}\n` : '';
  // Steps that changed the metadata after training (suffix prior, open-set cut-off), as they recorded themselves.
  const recorded = get(m.training, 'afterTraining');
  const afterTraining = Array.isArray(recorded) ? recorded.filter((c): c is string => typeof c === 'string') : [];
  s.push(
    '```sh\n' +
      'npm ci\n' +
      datasetCmd +
      `${typeof trainCmd === 'string' ? trainCmd : 'npx tsx scripts/train.ts --data ../shared/data --out model'}\n` +
      'npx tsx scripts/export-onnx.ts   # model/tfjs -> model/dga.onnx (see --help)\n' +
      afterTraining.map((c) => `${c}\n`).join('') +
      `${r.commandLine}\n` +
      '```',
  );
  return s.join('\n\n') + '\n';
}
