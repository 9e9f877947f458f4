// throwaway: dumps P(family) rows (incl. benign) for a labelled tsv
import { readFileSync, writeFileSync } from 'node:fs';
import { createEncoder } from '../src/core/encode.js';
import { normalizeDomain } from '../src/core/normalize.js';
import { readMetadata, ortWasmPath } from '../src/runtime/node-model.js';
import { createOnnxScorer, scorerOptionsFrom } from '../src/runtime/onnx-scorer.js';
const [model, meta, test, out] = process.argv.slice(2);
const metadata = await readMetadata(meta!);
const scorer = await createOnnxScorer({ model: readFileSync(model!), wasm: readFileSync(ortWasmPath()), ...scorerOptionsFrom(metadata) });
const enc = createEncoder(metadata);
const rows: any[] = [];
const recs = readFileSync(test!, 'utf8').split('\n').filter(Boolean).map((l) => l.split('\t'));
const B = 4096;
for (let s = 0; s < recs.length; s += B) {
  const batch = recs.slice(s, s + B).flatMap((c) => { try { const n = normalizeDomain(c[0]!); return n.scored ? [{ c, n }] : []; } catch { return []; } });
  const res = await scorer.score(enc.encodeBatch(batch.map((b) => b.n.scored)), batch.length);
  const F = metadata.families!.length;
  batch.forEach((b, i) => rows.push([b.c[0], b.c[1] === '1' ? 1 : 0, b.c[1] === '1' ? b.c[2] : 'benign', b.n.publicSuffix, res.logits[i], Array.from(res.families!.subarray(i * F, (i + 1) * F), (x) => +x.toPrecision(6))]));
}
writeFileSync(out!, JSON.stringify({ families: metadata.families, rows }));
console.error('rows', rows.length);
