import type { CardSummary } from '../../src/page/model-card.js';
import type { ModelMetadata } from '../../src/core/metadata.js';

const number = (text: string) => Number(text.replace(/,/g, ''));
const percent = (text: string) => Number((number(text.replace('%', '')) / 100).toFixed(6));

function match(card: string, pattern: RegExp, what: string): RegExpMatchArray {
  const found = card.match(pattern);
  if (!found) throw new Error(`model card: cannot find ${what} (${pattern})`);
  return found;
}

/**
 * Reads the headline figures out of a model card written by scripts/eval.ts (its wording and tables are
 * generated, so the patterns are stable) and the model's metadata. Throws naming what it could not find.
 */
export function summarizeCard(card: string, metadata: ModelMetadata): CardSummary {
  const [, id, version] = match(card, /^# Model card: (\S+) (\S+)$/m, 'the title');
  if (id !== metadata.id || version !== metadata.version) {
    throw new Error(`model card is for ${id} ${version}, metadata.json for ${metadata.id} ${metadata.version}`);
  }
  const parameters = number(match(card, /^- Parameters: ([\d,]+)/m, 'the parameter count')[1]!);
  const [, auc, benign, dga] = match(card, /^ROC AUC: \*\*([\d.]+)\*\* \(by score\).* on ([\d,]+) benign and ([\d,]+) DGA names/m, 'the ROC AUC line');
  // The interval column is there when eval.ts ran with bootstrap resamples (its default).
  const operatingPoints = [...card.matchAll(/^\| (0\.01|1e-3|1e-4) \| ([\d.]+%) \| (?:([\d.]+%)-([\d.]+%) \| )?([\d.]+%) \|/gm)].map((row) => ({
    target: row[1]!,
    tpr: percent(row[2]!),
    ...(row[3] ? { tprInterval: { low: percent(row[3]), high: percent(row[4]!) } } : {}),
    fpr: percent(row[5]!),
  }));
  const aucInterval = card.match(/^ROC AUC: .*\d+% bootstrap interval of the AUC \(by \w+\): ([\d.]+)-([\d.]+)\./m);
  if (operatingPoints.length === 0) throw new Error('model card: no operating points table');
  const atThreshold = match(card, /^\| metadata threshold \| ([\d.]+%) \| (?: \| )?([\d.]+%) \|/m, 'the metadata threshold row');
  const f1 = card.match(/\*\*micro-F1 ([\d.]+)\*\*, \*\*macro-F1 ([\d.]+)\*\*/);
  const perFamily = card.split(/^### Per family.*$/m)[1]?.split(/^### /m)[0] ?? '';
  const weakestFamilies = [...perFamily.matchAll(/^\| ([a-z0-9_-]+) \| ([\d,]+) \| ([\d.]+%) \|/gm)]
    .map((row) => ({ name: row[1]!, n: number(row[2]!), tpr: percent(row[3]!) }))
    .filter((f) => f.n >= 100 && f.name !== 'other')
    .sort((a, b) => a.tpr - b.tpr)
    .slice(0, 6);
  const a = metadata.architecture;
  return {
    id: metadata.id,
    version: metadata.version,
    createdAt: metadata.createdAt,
    architecture: `embedding ${a.embeddingDim}${a.bigrams ? ` + bigram embedding ${a.embeddingDim}` : ''}${a.trigrams ? ` + hashed trigram embedding ${a.embeddingDim}` : ''}${a.fourgrams ? ` + hashed four-gram embedding ${a.embeddingDim}` : ''} → ${a.bidirectional ? `bidirectional LSTM 2 × ${a.units}` : `LSTM ${a.units}`}${metadata.families ? ` → score + ${metadata.families.length}-class family head` : ' → score'}`,
    parameters,
    threshold: metadata.threshold,
    test: { benign: number(benign!), dga: number(dga!), auc: Number(auc), ...(aucInterval ? { aucInterval: { low: Number(aucInterval[1]), high: Number(aucInterval[2]) } } : {}), operatingPoints, atThreshold: { tpr: percent(atThreshold[1]!), fpr: percent(atThreshold[2]!) } },
    ...(f1 && metadata.families ? { familyHead: { classes: metadata.families.length, microF1: Number(f1[1]), macroF1: Number(f1[2]) } } : {}),
    weakestFamilies,
  };
}
