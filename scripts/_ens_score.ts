import { writeFileSync } from 'node:fs';
import { createOnnxEngine, scoreRecords } from './eval.js';
const [model, meta, test, out] = process.argv.slice(2);
const engine = await createOnnxEngine(model!, meta!);
const { readFileSync } = await import('node:fs');
const recs = readFileSync(test!, 'utf8').split('\n').filter(Boolean).map((l) => { const c = l.split('\t'); return { name: c[0]!, label: c[1] === '1' ? 1 : 0, family: c[1] === '0' ? 'benign' : (c[2] ?? 'unknown') }; });
const { scored } = await scoreRecords(engine, recs as any, 'test', (m) => console.error(m));
writeFileSync(out!, JSON.stringify(scored.map((s) => [s.name, s.label, s.family, s.logit, s.score])));
console.error('done', scored.length);
