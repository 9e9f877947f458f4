import { readFileSync } from 'node:fs';
import { rocAuc, operatingPointAtFpr } from './lib/metrics.js';
const names = process.argv.slice(2);
const data = names.map((n) => JSON.parse(readFileSync(`/tmp/ens/${n}.json`, 'utf8')) as [string, number, string, number, number][]);
const labels = data[0]!.map((r) => r[1]);
function report(tag: string, vals: number[]) {
  const auc = rocAuc(vals, labels);
  const t = [1e-2, 1e-3, 1e-4].map((f) => (operatingPointAtFpr(vals, labels, f) as any).tpr * 100);
  console.log(tag.padEnd(28), auc.toFixed(5), t.map((x) => x.toFixed(1)).join(' / '));
}
for (let i = 0; i < names.length; i++) report(names[i]!, data[i]!.map((r) => r[3]));
const subsets = (k: number, from = 0): number[][] => k === 0 ? [[]] : Array.from({ length: names.length - from }, (_, j) => subsets(k - 1, from + j + 1).map((s) => [from + j, ...s])).flat();
for (let k = 2; k <= names.length; k++) for (const s of subsets(k)) report(s.map((i) => names[i]).join('+'), labels.map((_, r) => s.reduce((a, i) => a + data[i]![r]![3], 0) / s.length));
