import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ModelComparison } from './bench-native-child.js';
import { BenchError, fmt, log, type Row } from './bench-util.js';

/** Section 6: closeness to native. Runs bench-native-child.ts in a fresh Node process and reads its JSON. */

const here = dirname(fileURLToPath(import.meta.url));

export async function runNative(root: string, tmp: string, quick: boolean): Promise<ModelComparison[]> {
  const out = join(tmp, 'native.json');
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'bench-native-child.ts'), JSON.stringify({ root, tmp, quick, out })], {
    cwd: resolve(here, '../..'),
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const code = await new Promise<number | null>((done) => {
    const timer = setTimeout(() => {
      log('native: over 240 s, stopping it');
      child.kill('SIGKILL');
    }, 240_000);
    child.on('exit', (c) => {
      clearTimeout(timer);
      done(c);
    });
  });
  if (code !== 0) throw new BenchError(`the native comparison process failed (exit ${code}); see its messages above`);
  return JSON.parse(await readFile(out, 'utf8')) as ModelComparison[];
}

export function nativeRows(results: ModelComparison[]): Row[] {
  const rows: Row[] = [];
  for (const r of results) {
    for (const batch of [256, 1]) {
      const t = (engine: string) => r.timings.find((x) => x.engine === engine && x.batch === batch);
      const web = t('ort-web');
      const node = t('ort-node');
      const tfjs = t('tfjs');
      if (!web || !node || !tfjs) continue;
      const ms = batch === 1 ? 3 : 2;
      rows.push({
        section: 'native (Node)',
        measure: `${r.model} model, batch ${batch}: ORT-web / ORT-node / tfjs (ms per batch) · ORT-web÷ORT-node · ORT-web÷tfjs`,
        value: `${fmt(web.medianMs, ms)} / ${fmt(node.medianMs, ms)} / ${fmt(tfjs.medianMs, ms)} · **${fmt(web.medianMs / node.medianMs, 2)}x** · **${fmt(web.medianMs / tfjs.medianMs, 2)}x**`,
        how: `${r.description}; ${batch} generated labels (5-20 chars, mean ${fmt(r.meanLabelLength, 1)}) pre-padded to ${r.maxLength}; median of ${web.runs}/${node.runs}/${tfjs.runs} runs after 3 warm-ups, one thread each (ORT-web: src/runtime/onnx-scorer.ts WASM SIMD; ORT-node 1.30 CPU EP intraOp=interOp=1; tfjs 4.22 wasm backend via scripts/lib/tfjs-wasm-backend.ts). ${batch === 256 ? `Max |score diff| vs ORT-web: ORT-node ${r.maxAbsDiff['ort-node']!.toExponential(1)}, tfjs ${r.maxAbsDiff.tfjs!.toExponential(1)}` : `per domain ORT-web ${fmt(web.medianMs * 1000, 0)} µs`}`,
        data: { web, node, tfjs },
      });
    }
    if (r.ownWidth) {
      const o = r.ownWidth;
      rows.push({
        section: 'native (Node)',
        measure: `${r.model} model, batch 1 at the name's own width: ORT-web median / p90 (µs per call)`,
        value: `**${fmt(o.medianMs * 1000, 1)}** / ${fmt(o.p90Ms * 1000, 1)}`,
        how: `src/runtime/onnx-scorer.ts score() for one of the same 256 labels at a time, each padded only to its own length (mean ${fmt(o.meanWidth, 1)}), as the classifier calls the model for one name; ${o.runs} calls after 2 warm-up passes. The Worker's counterpart is the warm section's score loop`,
        data: o,
      });
    }
  }
  return rows;
}
