/**
 * Writes model/card-summary.json: the model card's headline figures (test AUC, detection at FPR 1e-2 / 1e-3
 * / 1e-4, family-head F1, weakest families) that the Worker's page shows. Run after scripts/eval.ts writes
 * a new model/CARD.md:
 *
 *   npx tsx scripts/card-summary.ts [--card model/CARD.md] [--metadata model/metadata.json] [--out model/card-summary.json]
 *
 * test/unit/card-summary.test.ts fails while the committed file differs from what this script derives.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parseModelMetadata } from '../src/core/metadata.js';
import { summarizeCard } from './lib/card-summary.js';

const { values } = parseArgs({
  options: {
    card: { type: 'string', default: 'model/CARD.md' },
    metadata: { type: 'string', default: 'model/metadata.json' },
    out: { type: 'string', default: 'model/card-summary.json' },
  },
});
const metadata = parseModelMetadata(JSON.parse(await readFile(values.metadata!, 'utf8')));
const summary = summarizeCard(await readFile(values.card!, 'utf8'), metadata);
await writeFile(values.out!, `${JSON.stringify(summary, null, 2)}\n`);
console.log(`wrote ${values.out} (${summary.id} ${summary.version}, test AUC ${summary.test.auc})`);
