import { readFileSync } from 'node:fs';
import { operatingPointAtFpr } from './lib/metrics.js';
const d = JSON.parse(readFileSync(`/tmp/ens/${process.argv[2]}.json`, 'utf8')) as [string, number, string, number, number][];
const op = operatingPointAtFpr(d.map((r) => r[3]), d.map((r) => r[1]), 1e-3) as any;
console.log(op);
const miss = new Map<string, [number, number]>();
for (const r of d) if (r[1] === 1) { const m = miss.get(r[2]) ?? [0, 0]; m[1]++; if (r[3] < op.threshold) m[0]++; miss.set(r[2], m); }
const rows = [...miss].sort((a, b) => b[1][0] - a[1][0]);
const total = rows.reduce((a, r) => a + r[1][0], 0);
console.log('total misses', total);
for (const [f, [m, n]] of rows.slice(0, 25)) console.log(f.padEnd(20), m, n, (100 * (1 - m / n)).toFixed(1));
console.log('FPs:', d.filter((r) => r[1] === 0 && r[3] >= op.threshold).map((r) => r[0]).join(' '));
