import { execFile } from 'node:child_process';
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { ClassificationOutcome, Classifier } from '../../src/core/classifier.js';
import { DEFAULT_VOCABULARY } from '../../src/core/encode.js';
import type { ModelMetadata } from '../../src/core/metadata.js';
import type { Scorer } from '../../src/core/scorer.js';
import {
  benignPatterns,
  createOnnxEngine,
  createTfjsEngine,
  engineFromScorer,
  evaluate,
  parseEvalArgs,
  parseLabelledTsv,
  readBenignLists,
  runEval,
  scoreRecords,
  tagBenignSources,
  type EvalOptions,
  type ScoredName,
  type ScoringEngine,
} from '../../scripts/eval.js';
import { renderModelCard, renderReport, type EvalResult } from '../../scripts/lib/report.js';
import { parseScoresTsv } from '../../scripts/lib/score-blend.js';
import { rocAuc } from '../../scripts/lib/metrics.js';
import { testMetadata } from '../fixtures/metadata.js';

const FAMILIES = ['benign', 'alpha', 'beta', 'other'];

const metadata: ModelMetadata = testMetadata({
  id: 'fake',
  maxLength: 12,
  onnx: { input: 'chars', score: 'score', logit: 'logit', family: 'family' },
  families: FAMILIES,
});

const index = (ch: string) => DEFAULT_VOCABULARY.indexOf(ch) + 1;

/**
 * A stand-in model with a family head. Logit: 2 x (digits in the label) - 3, so the score saturates for
 * digit-heavy labels while the logit keeps ranking them. Family: by the last character
 * ("a" -> alpha, "b" -> beta, anything else -> other).
 */
function fakeScorer(): Scorer {
  const digits = new Set([...'0123456789'].map(index));
  return {
    async score(chars, count) {
      const logits = new Float32Array(count);
      const families = new Float32Array(count * FAMILIES.length);
      for (let row = 0; row < count; row++) {
        const cells = chars.subarray(row * 12, row * 12 + 12);
        let d = 0;
        for (const v of cells) if (digits.has(v)) d++;
        logits[row] = 2 * d - 3;
        const last = cells[11]!;
        const fam = last === index('a') ? 1 : last === index('b') ? 2 : 3;
        families.set([0.1, 0.1, 0.1, 0.1], row * 4);
        families[row * 4 + fam] = 0.7;
      }
      return { scores: logits.map((l) => 1 / (1 + Math.exp(-l))), logits, families };
    },
  };
}

describe('parseLabelledTsv', () => {
  it('reads name/label/family lines, skips a header, comments and blank lines, and counts malformed lines', () => {
    const p = parseLabelledTsv('name\tlabel\tfamily\n# comment\nexample.com\t0\tbenign\n\nabc123.net\t1\tzeus\r\nbroken\tx\tfoo\nplain.com\n');
    expect(p.records).toEqual([
      { name: 'example.com', label: 0, family: 'benign' },
      { name: 'abc123.net', label: 1, family: 'zeus' },
    ]);
    expect(p.lines).toBe(4);
    expect(p.malformed).toBe(2);
  });

  it('takes plain one-name-per-line benign lists when asked', () => {
    const p = parseLabelledTsv('a.com\nb.org\tx\n', { plainBenign: true });
    expect(p.records).toEqual([{ name: 'a.com', label: 0, family: 'benign' }]);
    expect(p.malformed).toBe(1);
  });
});

describe('benignPatterns', () => {
  it('names the look-alike patterns of benign names that score high', () => {
    expect(benignPatterns('xn--bcher-kva.de', 'xn--bcher-kva')).toContain('punycode');
    expect(benignPatterns('59cdcef1c8d74ef8.com', '59cdcef1c8d74ef8')).toContain('hex/hash');
    expect(benignPatterns('ibm.com', 'ibm')).toContain('short');
    expect(benignPatterns('wikipedia.org', 'wikipedia')).toEqual([]);
  });
});

describe('scoring and evaluate with a fake model', () => {
  const records = [
    ...['plain', 'words', 'more', 'names', 'home', 'shop1', 'blog', 'news', 'mail', 'site'].map((n) => ({ name: `${n}.com`, label: 0 as const, family: 'benign' })),
    ...['x1a', 'y22a', 'z333a', 'q4444a', 'w1b', 'e22b', 'r333b', 't4444a'].map((n) => ({ name: `${n}.net`, label: 1 as const, family: n.endsWith('a') ? 'alpha' : 'beta' })),
    { name: 'k55555c.org', label: 1 as const, family: 'gamma' },
    { name: 'bad_name!.com', label: 1 as const, family: 'alpha' },
  ];

  it('asks the classifier for logits and the top family of every name, and counts invalid names', async () => {
    const engine = engineFromScorer(fakeScorer(), metadata);
    const { scored, invalidCount, invalid } = await scoreRecords(engine, records, 'test', undefined, 4);
    expect(invalidCount).toBe(1);
    expect(invalid[0]!.name).toBe('bad_name!.com');
    const byName = Object.fromEntries(scored.map((s) => [s.name, s]));
    expect(byName['q4444a.net']!.logit).toBe(5);
    expect(byName['plain.com']!.logit).toBe(-3);
    expect(byName['r333b.net']!.predictedFamily).toBe('beta');
    expect(byName['k55555c.org']!.predictedFamily).toBe('other');
    expect(byName['k55555c.org']!.familySource).toBe('probabilities');
  });

  it('ranks by the logit, reports operating points, per-family detection and the family head', async () => {
    const engine = engineFromScorer(fakeScorer(), metadata);
    const { scored } = await scoreRecords(engine, records, 'test');
    const { figures, series } = evaluate({ test: scored, metadata, threshold: 0.5, minSupport: 2, topK: 2 });
    expect(figures.rankingKey).toBe('logit');
    // Logits: benign -3, except shop1 at -1, which ties with x1a and w1b: 2 half-pairs lost of 90.
    expect(figures.binary.auc.logit).toBeCloseTo(89 / 90, 12);
    expect(figures.binary.atFpr.map((p) => p.targetFpr)).toEqual([1e-2, 1e-3, 1e-4]);
    expect(figures.binary.atFpr.every((p) => !p.meaningful)).toBe(true); // 10 benign names
    expect(figures.binary.atMetadataThreshold).toMatchObject({ falsePositives: 0, truePositives: 7, positives: 9 });
    expect(figures.binary.topBenign[0]!.name).toBe('shop1.com');
    expect(figures.binary.intervals).toBeUndefined(); // no --bootstrap
    const boot = evaluate({ test: scored, metadata, threshold: 0.5, minSupport: 2, topK: 2, bootstrap: 300 }).figures.binary.intervals!;
    expect(boot).toMatchObject({ resamples: 300, level: 0.95 });
    expect(boot.auc.low).toBeLessThan(89 / 90);
    expect(boot.auc.high).toBe(1); // some draws leave shop1 out
    expect(boot.tprAtFpr.map((i) => i.targetFpr)).toEqual([1e-2, 1e-3, 1e-4]);
    expect(figures.binary.perFamily.map((f) => f.family).sort()).toEqual(['alpha', 'beta', 'gamma']);
    expect(series).toHaveLength(1);

    const head = figures.familyHead;
    expect(head.available).toBe(true);
    if (!head.available) return;
    expect(head.source).toBe('probabilities');
    expect(head.mappedToOther).toEqual({ gamma: 1 });
    // alpha 5/5 and beta 3/3 right; gamma has no class, so it is scored as "other" (support 1, below minSupport).
    expect(head.report.evaluated).toEqual(['alpha', 'beta']);
    expect(head.report.excluded).toEqual(['other']);
    expect(head.report.micro.f1).toBe(1);
    expect(head.confusion.rows).toEqual(['alpha', 'beta', 'other']); // the model's "other" class is always shown
    expect(head).not.toHaveProperty('openSet'); // no cut-off in this metadata

    // With an open-set cut-off above every top probability, every DGA name is "other" as served: only gamma's
    // name (truly "other") stays right, and the head's own figures are unchanged.
    const withCut = { ...metadata, familyOpenSet: { minProbability: 0.99, budget: 0.02, validation: { names: 1, attributedAtZero: 1, attributedAtMin: 1 } } };
    const cut = evaluate({ test: scored, metadata: withCut, threshold: 0.5, minSupport: 2, topK: 2 }).figures.familyHead;
    if (!cut.available) throw new Error('family head not evaluated');
    expect(cut.report.micro.f1).toBe(1);
    expect(cut.openSet).toMatchObject({ minProbability: 0.99, toOther: 8 / 9 });
    expect(cut.openSet!.report.accuracy).toBeCloseTo(1 / 9, 12);
  });

  it('uses the family a classifier reports when the Scorer gives no probabilities', async () => {
    const classifier: Classifier = {
      model: { id: 'x', version: '1' },
      metadata,
      threshold: 0.5,
      variant: undefined,
    familyMinProbability: 0,
      familyNames: FAMILIES,
      async classify(domains) {
        return domains.map((d, i): ClassificationOutcome => {
          const name = String(d);
          const out = { domain: name, name, scored: name.split('.')[0]!, score: i % 2 ? 0.9 : 0.1, dga: i % 2 === 1 };
          return { ...out, family: { name: name.startsWith('a') ? 'alpha' : 'beta', probability: 0.8 } } as ClassificationOutcome;
        });
      },
    };
    const engine: ScoringEngine = { classifier, metadata };
    const recs = [
      { name: 'aa.com', label: 1 as const, family: 'alpha' },
      { name: 'bb.com', label: 1 as const, family: 'alpha' },
      { name: 'cc.com', label: 0 as const, family: 'benign' },
    ];
    const { scored } = await scoreRecords(engine, recs, 'test');
    expect(scored.every((s) => Number.isNaN(s.logit))).toBe(true);
    const { figures } = evaluate({ test: scored, metadata, threshold: 0.5, minSupport: 1, topK: 5 });
    expect(figures.rankingKey).toBe('score');
    const head = figures.familyHead;
    expect(head.available && head.source).toBe('classifier');
    if (head.available) expect(head.report.perClass.find((c) => c.label === 'alpha')).toMatchObject({ support: 2, truePositives: 1 });
  });

  it('says the family head is not evaluated when the metadata has no families', async () => {
    const plain = { ...metadata, families: undefined, onnx: { input: 'chars', score: 'score', logit: 'logit' } };
    const engine = engineFromScorer(fakeScorer(), plain);
    const { scored } = await scoreRecords(engine, records, 'test');
    const { figures } = evaluate({ test: scored, metadata: plain, threshold: 0.5, minSupport: 2, topK: 2 });
    expect(figures.familyHead).toMatchObject({ available: false });
    expect(scored.every((s) => s.predictedFamily === null)).toBe(true);
  });
});

describe('parseEvalArgs', () => {
  it('needs --test and --out, and records the command line', () => {
    expect(() => parseEvalArgs(['--out', 'x'])).toThrow(/--test/);
    const o = parseEvalArgs(['--test', 't.tsv', '--out', 'o', '--min-support', '5']) as EvalOptions;
    expect(o).toMatchObject({ model: 'model/dga.onnx', format: 'onnx', minSupport: 5, topK: 12, bootstrap: 1000 });
    expect((parseEvalArgs(['--test', 't', '--out', 'o', '--bootstrap', '0']) as EvalOptions).bootstrap).toBe(0);
    expect(() => parseEvalArgs(['--test', 't', '--out', 'o', '--bootstrap', '1.5'])).toThrow(/--bootstrap must be an integer >= 0, got "1.5"/);
    expect(o.commandLine).toBe('npx tsx scripts/eval.ts --test t.tsv --out o --min-support 5');
    expect(() => parseEvalArgs(['--test', 't', '--out', 'o', '--format', 'pt'])).toThrow(/--format/);
  });
});

// Synthetic names only: the project never ships slices of the training lists.
const BENIGN = [
  'google.com', 'www.wikipedia.org', 'amazon.co.uk', 'github.com', 'example.org', 'weather.com', 'bbc.co.uk', 'mozilla.org',
  'cloudflare.com', 'stackoverflow.com', 'nytimes.com', 'apple.com', 'microsoft.com', 'linkedin.com', 'reddit.com', 'spotify.com',
  'xn--bcher-kva.de', 'ibm.com', 'openstreetmap.org', 'booking.com',
];
function randomLabels(seed: number, count: number, length: number, alphabet: string): string[] {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  return Array.from({ length: count }, () => Array.from({ length }, () => alphabet[Math.floor(rand() * alphabet.length)]).join(''));
}

describe('benign source lists (label audits)', () => {
  it('tags each benign name with the first list holding it, after normalisation; DGA names keep their source', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dga-lists-'));
    await writeFile(join(dir, 'alexa.txt'), 'Google.com\nwww.wikipedia.org.\nnot a name\n');
    await writeFile(join(dir, 'opendns.txt'), '# comment\ngoogle.com\nqxzvbnmlkj.ws\n');
    const lists = await readBenignLists([join(dir, 'alexa.txt'), join(dir, 'opendns.txt')]);
    expect(lists.map((l) => [l.list, [...l.names]])).toEqual([
      ['alexa', ['google.com', 'www.wikipedia.org']],
      ['opendns', ['google.com', 'qxzvbnmlkj.ws']],
    ]);
    const scored = (name: string, label: 0 | 1): ScoredName => ({ name, label, family: label ? 'x' : 'benign', scored: name, score: 0.5, logit: 0, predictedFamily: null, source: 'test' });
    const names = [scored('google.com', 0), scored('www.wikipedia.org', 0), scored('qxzvbnmlkj.ws', 0), scored('example.org', 0), scored('qxzvbnmlkj.ws', 1)];
    tagBenignSources(names, lists);
    expect(names.map((n) => n.source)).toEqual(['test: alexa', 'test: alexa', 'test: opendns', 'test: none of the lists', 'test']);
    await expect(readBenignLists([join(dir, 'missing.txt')])).rejects.toThrow(/--benign-lists .*missing\.txt: no such file/);
  });
});

describe('eval end to end with the committed ONNX model', () => {
  it('writes metrics.json, roc.svg, report.md and the model card from a tiny TSV', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dga-eval-'));
    const lines = ['name\tlabel\tfamily', ...BENIGN.map((n) => `${n}\t0\tbenign`), 'not a domain\t0\tbenign'];
    for (const n of randomLabels(1, 15, 16, 'abcdefghijklmnopqrstuvwxyz')) lines.push(`${n}.com\t1\trandalpha`);
    for (const n of randomLabels(2, 15, 12, 'abcdef0123456789')) lines.push(`${n}.net\t1\thexy`);
    await writeFile(join(dir, 'test.tsv'), lines.join('\n') + '\n');
    await writeFile(join(dir, 'holdout.tsv'), randomLabels(3, 10, 20, 'qwxzjkvbp').map((n) => `${n}.org\t1\theld`).join('\n') + '\n');
    await writeFile(join(dir, 'extra.txt'), 'duckduckgo.com\nwikipedia.org\ngoogle.com\n');
    await writeFile(join(dir, 'top.txt'), BENIGN.slice(0, 12).join('\n') + '\n');
    await writeFile(join(dir, 'int8.md'), '| model | size |\n| --- | --- |\n| int8 | 40 KiB |\n');
    await writeFile(join(dir, 'arch.md'), '## Architecture choice\n\nLSTM 64 against 128: measured.\n');
    const out = join(dir, 'out');
    const argv = ['--test', join(dir, 'test.tsv'), '--holdout', join(dir, 'holdout.tsv'), '--benign-extra', join(dir, 'extra.txt'), '--benign-lists', join(dir, 'top.txt'), '--out', out];
    argv.push('--card', join(dir, 'card', 'CARD.md'), '--quantization', join(dir, 'int8.md'), '--architecture', join(dir, 'arch.md'), '--quiet');
    const options = parseEvalArgs(argv) as EvalOptions;
    const result = await runEval(options);

    const metrics = JSON.parse(await readFile(join(out, 'metrics.json'), 'utf8')) as EvalResult;
    expect(metrics.model).toMatchObject({ id: 'dga-lstm', format: 'onnx' });
    expect(metrics.rankingKey).toBe('logit'); // the ONNX graph has a logit output
    expect(metrics.data.test).toMatchObject({ benign: 20, dga: 30, invalid: 1 });
    expect(metrics.data.benignExtra).toMatchObject({ benign: 2, malformed: 1 }); // google.com is already in the test file
    expect(metrics.data.benign).toBe(22);
    // FPR per benign source: the test names by list (--benign-lists), then --benign-extra
    const bySource = metrics.binary.atFpr[0]!.fprBySource;
    expect(Object.keys(bySource).sort()).toEqual(['benign-extra', 'test: none of the lists', 'test: top']);
    expect(bySource['test: top']!.n).toBe(12);
    expect(bySource['test: none of the lists']!.n).toBe(8);
    expect(metrics.binary.topBenign.find((t) => t.name === 'google.com')!.source).toBe('test: top');
    expect(metrics.binary.auc.score).toBeGreaterThan(0.5);
    expect(metrics.binary.atFpr).toHaveLength(3);
    expect(metrics.binary.atFpr[2]!.meaningful).toBe(false);
    expect(metrics.holdout!.perFamily.map((f) => f.family)).toEqual(['held']);
    expect(metrics.holdout!.macroTprInterval!.low).toBeLessThanOrEqual(metrics.holdout!.macroTpr);
    expect(metrics.holdout!.macroTprInterval!.high).toBeGreaterThanOrEqual(metrics.holdout!.macroTpr);
    // the committed model has an open-set cut-off: the report says how many unseen names are called "other"
    expect(metrics.holdout!.minProbability).toBe((await (await import('../../src/runtime/node-model.js')).readMetadata()).familyOpenSet!.minProbability);
    expect(metrics.holdout!.toOther).toBeGreaterThanOrEqual(0);
    expect(await readFile(join(out, 'report.md'), 'utf8')).toMatch(/Family as served: [\d.]+% of these names are called "other" \(open-set cut-off 0\.\d\d\)/);
    expect(metrics.familyHead.available).toBe(true); // the committed model has a family head
    expect(result.binary.auc.score).toBe(metrics.binary.auc.score);

    // scores.tsv: one row per scored name of every source, with the same ranking the metrics used.
    const scoresText = await readFile(join(out, 'scores.tsv'), 'utf8');
    const scoreLines = scoresText.trimEnd().split('\n');
    expect(scoreLines[0]).toBe('name\tlabel\tfamily\tsource\tscored\tscore\tlogit\tpredicted_family\tpredicted_probability');
    expect(scoreLines).toHaveLength(1 + 50 + 2 + 10); // test (the invalid name is not scored), benign-extra, holdout
    const google = scoreLines.find((l) => l.startsWith('google.com\t'))!.split('\t');
    expect(google.slice(0, 5)).toEqual(['google.com', '0', 'benign', 'test: top', 'google']);
    expect(Number(google[5])).toBe(metrics.binary.topBenign.find((t) => t.name === 'google.com')!.score);
    const testRows = parseScoresTsv(scoresText).filter((r) => r.source !== 'holdout'); // the binary figures pool test and benign-extra
    expect(rocAuc(testRows.map((r) => r.logit), testRows.map((r) => r.label))).toBeCloseTo(metrics.binary.auc.score, 12);
    expect(scoreLines.filter((l) => l.split('\t')[3] === 'holdout')).toHaveLength(10);

    // The classifier path is the serving one: same score as loadNodeClassifier for a name.
    const { loadNodeClassifier } = await import('../../src/runtime/node-model.js');
    const served = await loadNodeClassifier({ precision: 'float' }); // the file this eval ran on
    const [g] = await served.classify(['google.com']);
    const top = metrics.binary.topBenign.find((t) => t.name === 'google.com')!;
    expect(top.score).toBe((g as { score: number }).score);

    const report = await readFile(join(out, 'report.md'), 'utf8');
    for (const heading of ['# Evaluation: dga-lstm', '## Data', '## Binary detection', '## Held-out families', '## Family head']) {
      expect(report).toContain(heading);
    }
    expect(report).toContain(options.commandLine);
    expect(report).toContain('not meaningful');
    // the default 1000 bootstrap resamples: an interval for the AUC and each TPR, in metrics.json and the report
    expect(metrics.binary.intervals!.resamples).toBe(1000);
    const { auc: aucInterval } = metrics.binary.intervals!;
    expect(aucInterval.low).toBeLessThanOrEqual(metrics.binary.auc.logit!);
    expect(aucInterval.high).toBeGreaterThanOrEqual(metrics.binary.auc.logit!);
    expect(report).toMatch(/95% bootstrap interval of the AUC \(by logit\): [\d.]+-[\d.]+\./);
    expect(report).toContain('| target FPR | TPR | TPR, 95% interval |');
    expect(report).toMatch(/1,000 stratified bootstrap resamples/);
    expect(report).toMatch(/macro-average detection \*\*[\d.]+%\*\* \(95% bootstrap interval [\d.]+%-[\d.]+%; [\d.]+% at the metadata threshold\)/);
    const svg = await readFile(join(out, 'roc.svg'), 'utf8');
    expect(svg).toMatch(/<polyline class="roc"/);

    const card = await readFile(join(dir, 'card', 'CARD.md'), 'utf8');
    for (const heading of ['## Model', '## Data', '## Training', '## Metrics', '## Quantization', '## Weak spots', '## Intended use and limits', '## How to reproduce']) {
      expect(card).toContain(heading);
    }
    expect(card).toContain('| int8 | 40 KiB |');
    expect(card).toMatch(/Benign labels by source list \(eval\.ts --benign-lists\), flagged at the shipped threshold: top [\d.]+% \(\d+ of 12\), none of the lists [\d.]+% \(\d+ of 8\)/);
    // the architecture evidence goes right after the Model section
    expect(card.indexOf('LSTM 64 against 128: measured.')).toBeGreaterThan(card.indexOf('## Model'));
    expect(card.indexOf('LSTM 64 against 128: measured.')).toBeLessThan(card.indexOf('## Data'));
    expect(card).toContain('![ROC curve](roc.svg)');
    expect((await stat(join(dir, 'card', 'roc.svg'))).size).toBeGreaterThan(1000);
  });

  it('leaves a marked place for quantization figures when none are given', () => {
    const r = {
      ...minimalResult(),
    };
    const card = renderModelCard(r, { ...metadata, families: undefined });
    expect(card).toMatch(/<!-- QUANTIZATION: pending/);
    expect(card).toContain('Families never seen in training: not measured in this run (pass --holdout)');
    // a served model has seen every family: the card cites the leave-family-out report instead
    const cited = renderModelCard(r, { ...metadata, families: undefined }, { unseenReport: 'LEAVE-FAMILY-OUT.md' });
    expect(cited).toContain('a model trained the same way with families held out is measured in [LEAVE-FAMILY-OUT.md](LEAVE-FAMILY-OUT.md)');
    expect(renderReport(r)).toContain('## Family head');
  });

  it('states the open-set cut-off and lists the after-training steps in "How to reproduce"', () => {
    const plain = renderModelCard(minimalResult(), metadata);
    expect(plain).not.toContain('Unknown families: ');
    const openSet = { minProbability: 0.53, budget: 0.02, validation: { names: 1000, attributedAtZero: 0.923, attributedAtMin: 0.904 } };
    const steps = ['npx tsx scripts/suffix-prior.ts --dataset runs/dataset', 'npx tsx scripts/open-set.ts --write'];
    const card = renderModelCard(minimalResult(), { ...metadata, familyOpenSet: openSet, training: { ...metadata.training, afterTraining: steps } });
    expect(card).toContain('- Unknown families: a DGA name whose top family is below 0.53 is reported as "other"');
    expect(card).toContain('at most 2% of attribution on 1,000 validation DGA names (92.3% -> 90.4%)');
    const reproduce = card.slice(card.indexOf('## How to reproduce'));
    expect(reproduce.indexOf('scripts/export-onnx.ts')).toBeLessThan(reproduce.indexOf(steps[0]!));
    expect(reproduce.indexOf(steps[1]!)).toBeLessThan(reproduce.indexOf('npx tsx scripts/eval.ts'));
  });

  it('says in the card when families are re-ranked by the public suffix', () => {
    const plain = renderModelCard(minimalResult(), metadata);
    expect(plain).not.toContain('Family attribution: ');
    const withPrior = renderModelCard(minimalResult(), { ...metadata, familySuffixPrior: { alpha: 1, suffixes: 2, counts: { [metadata.families![1]!]: { ws: 3, cn: 1 } } } });
    expect(withPrior).toMatch(/Family attribution: the family head's P\(family \| DGA, label\) times P\(public suffix \| family\).*\(1 families, 2 suffixes, smoothing 1/);
  });

  it('prints usage and exits 2 without --test (CLI)', async () => {
    const run = promisify(execFile);
    const err = await run(process.execPath, ['--import', 'tsx', 'scripts/eval.ts', '--out', 'x']).catch((e: { code: number; stderr: string }) => e);
    expect((err as { code: number }).code).toBe(2);
    expect((err as { stderr: string }).stderr).toMatch(/--test is required[\s\S]*Usage:/);
  });
});

function minimalResult(): EvalResult {
  const point = { threshold: 0.9, fpr: 0, tpr: 1, falsePositives: 0, truePositives: 1, negatives: 1, positives: 1 };
  return {
    generatedAt: '2026-01-01T00:00:00Z',
    commandLine: 'npx tsx scripts/eval.ts --test t --out o',
    model: { id: 'fake', version: '1', createdAt: 'x', format: 'onnx', path: 'm.onnx', metadataPath: 'm.json', threshold: 0.5 },
    rankingKey: 'score',
    data: {
      test: { file: 't', lines: 2, malformed: 0, malformedExamples: [], invalid: 0, invalidExamples: [], benign: 1, dga: 1 },
      benign: 1,
      dga: 1,
      families: { alpha: 1 },
    },
    binary: {
      auc: { score: 1, logit: null },
      atFpr: [{ ...point, targetFpr: 1e-3, allowedFalsePositives: 0, meaningful: false, scoreThreshold: 0.9, logitThreshold: null, fprBySource: {} }],
      atMetadataThreshold: { ...point, fprBySource: {} },
      perFamily: [{ family: 'alpha', n: 1, atFpr: { detected: 1, tpr: 1 }, atThreshold: { detected: 1, tpr: 1 }, meanScore: 0.95 }],
      topBenign: [],
      falsePositivePatterns: { targetFpr: 1e-3, flagged: 0, counts: {} },
    },
    familyHead: { available: false, reason: 'no head' },
    timing: { scoringSeconds: 1, namesPerSecond: 2 },
  };
}

describe('the shipped model through both engines', () => {
  it('tfjs (full-width rows re-padded from the classifier\'s narrow calls) and int8 ONNX give the same scores and families', async () => {
    const root = join(import.meta.dirname, '..', '..');
    const metadataPath = join(root, 'model', 'metadata.json');
    const tfjs = await createTfjsEngine(join(root, 'model', 'tfjs'), metadataPath);
    const onnx = await createOnnxEngine(join(root, 'model', 'dga.int8.onnx'), metadataPath);
    const names = ['wikipedia.org', 'xjwqkzpvbn.net', 'a.io', 'weekendconfirmpageexcuse.com', 'www.mail.google.co.uk', 'x'.repeat(50) + '.com'];
    const a = await tfjs.classifier.classify(names, { families: 3 });
    const b = await onnx.classifier.classify(names, { families: 3 });
    for (let i = 0; i < names.length; i++) {
      const [x, y] = [a[i]!, b[i]!];
      if (!('score' in x) || !('score' in y)) throw new Error(`${names[i]} was not scored`);
      expect(Math.abs(x.score - y.score)).toBeLessThan(1e-5);
      // Family probabilities come from the same forward pass as the score (predictAll), in input order.
      expect(x.families?.map((f) => f.name)).toEqual(y.families?.map((f) => f.name));
      expect(x.families).toHaveLength(3);
      x.families!.forEach((f, k) => expect(Math.abs(f.probability - y.families![k]!.probability)).toBeLessThan(1e-4));
    }
  }, 60_000);
});
