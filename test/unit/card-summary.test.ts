import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parseModelMetadata } from '../../src/core/metadata.js';
import { cardSummary } from '../../src/page/model-card.js';
import { summarizeCard } from '../../scripts/lib/card-summary.js';

describe('model/card-summary.json', () => {
  it('is what scripts/card-summary.ts derives from the committed model card and metadata', async () => {
    const metadata = parseModelMetadata(JSON.parse(await readFile('model/metadata.json', 'utf8')));
    const derived = summarizeCard(await readFile('model/CARD.md', 'utf8'), metadata);
    // After a new model card: npx tsx scripts/card-summary.ts
    expect(cardSummary).toEqual(derived);
    expect(cardSummary.version).toBe(metadata.version);
    expect(cardSummary.test.operatingPoints.map((p) => p.target)).toEqual(['0.01', '1e-3', '1e-4']);
  });

  it('reads the bootstrap intervals when the card has them, and a card without them', async () => {
    const metadata = parseModelMetadata(JSON.parse(await readFile('model/metadata.json', 'utf8')));
    const card = await readFile('model/CARD.md', 'utf8');
    const withIntervals = summarizeCard(card, metadata);
    for (const p of withIntervals.test.operatingPoints) {
      expect(p.tprInterval!.low).toBeLessThanOrEqual(p.tpr);
      expect(p.tprInterval!.high).toBeGreaterThanOrEqual(p.tpr);
    }
    expect(withIntervals.test.aucInterval!.low).toBeLessThan(withIntervals.test.auc);
    // The card as eval.ts --bootstrap 0 writes it: no interval sentence, no interval column.
    const plain = card
      .replace(/ \d+% bootstrap interval of the AUC [^\n]*/, '')
      .replace(/^(\| (?:target FPR|0\.01|1e-3|1e-4|metadata threshold|---) \| [^|]* \|)[^|]*\|/gm, '$1');
    const without = summarizeCard(plain, metadata);
    expect(without.test.aucInterval).toBeUndefined();
    expect(without.test.operatingPoints.map(({ target, tpr, fpr }) => ({ target, tpr, fpr }))).toEqual(withIntervals.test.operatingPoints.map(({ target, tpr, fpr }) => ({ target, tpr, fpr })));
    expect(without.test.operatingPoints.every((p) => p.tprInterval === undefined)).toBe(true);
    expect(without.test.atThreshold).toEqual(withIntervals.test.atThreshold);
  });

  it('refuses a card that belongs to another model', async () => {
    const metadata = parseModelMetadata(JSON.parse(await readFile('model/metadata.json', 'utf8')));
    const card = (await readFile('model/CARD.md', 'utf8')).replace(metadata.version, '1999.01.01-1');
    expect(() => summarizeCard(card, metadata)).toThrow(/model card is for dga-lstm 1999\.01\.01-1/);
  });
});
