import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MiniflareOptions } from 'miniflare';
import { buildBundle } from './bench-bundle.js';
import type { ScoreLoopRequest, ScoreLoopResponse } from './bench-loop-worker.js';
import { BenchError, createNameGenerator, fmt, log, median, readCpu, withTimeout, type Row } from './bench-util.js';
import { loadMiniflare, start, stop, workerModules } from './bench-worker.js';

/**
 * Part of section 3 (warm model time): the model time of one name inside workerd, which the Worker's own
 * Server-Timing cannot show (a call is ~0.06 ms; workerd's clock moves in whole ms). A bench-only entry
 * (bench-loop-worker.ts: the real Worker plus POST /__bench/score-loop) makes N single-name scorer calls in
 * one request; the figure per call is (a) workerd's process CPU for that request minus the CPU of the same
 * request over a trivial async scorer, divided by N, and (b) the Worker's own clock across the loop, read
 * after a timer, divided by N.
 */

const here = dirname(fileURLToPath(import.meta.url));
const VARIANTS: ScoreLoopRequest['variant'][] = ['baseline', 'own-width', 'full-width'];
/**
 * Rounds left out: the session is made on the first request, and the first few thousand calls run slower
 * (up to 3x here) while V8 compiles ORT's hot paths.
 */
const WARM_UP_ROUNDS = 2;

export interface ScoreLoopSample {
  variant: ScoreLoopRequest['variant'];
  /** workerd process CPU (live threads' schedstat) over the whole request, ms. */
  cpuMs: number;
  response: ScoreLoopResponse;
}

export interface ScoreLoopResult {
  calls: number;
  /** Rounds measured (after WARM_UP_ROUNDS). */
  rounds: number;
  samples: ScoreLoopSample[];
}

export async function runScoreLoop(root: string, tmp: string, quick: boolean): Promise<ScoreLoopResult> {
  // Copied into the measured checkout (its git-ignored .wrangler/), where the entry's relative imports
  // resolve to that checkout's src/, model/ and node_modules/.
  const entry = join(root, '.wrangler', 'bench', 'bench-loop-worker.ts');
  await mkdir(dirname(entry), { recursive: true });
  await copyFile(join(here, 'bench-loop-worker.ts'), entry);
  const bundle = await buildBundle(root, join(tmp, 'loop-bundle'), entry);
  const Miniflare = await loadMiniflare(root);
  const { mf, pid } = await start(Miniflare, workerModules(bundle) as Partial<MiniflareOptions>);
  const calls = quick ? 500 : 2000;
  const names = createNameGenerator(3003);
  const labels = Array.from({ length: calls }, () => names.label());
  const rounds = quick ? 3 : 8;
  const samples: ScoreLoopSample[] = [];
  try {
    for (let round = 1 - WARM_UP_ROUNDS; round <= rounds; round++) {
      for (const variant of VARIANTS) {
        const before = readCpu(pid).schedMs;
        const response = await withTimeout(
          mf.dispatchFetch('http://bench.local/__bench/score-loop', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ labels, variant } satisfies ScoreLoopRequest),
          }),
          120_000,
          `score loop (${variant})`,
        );
        const text = await response.text();
        const cpuMs = readCpu(pid).schedMs - before;
        if (response.status !== 200) throw new BenchError(`score loop: ${variant} answered ${response.status}: ${text.slice(0, 300)}`);
        const body = JSON.parse(text) as ScoreLoopResponse;
        if (body.calls !== calls || (variant !== 'baseline' && !(body.scoreSum > 0))) {
          throw new BenchError(`score loop: ${variant} made ${body.calls} of ${calls} calls, score sum ${body.scoreSum}`);
        }
        if (round > 0) samples.push({ variant, cpuMs, response: body });
      }
      log(`warm: score loop round ${round}/${rounds}${round <= 0 ? ' (warm-up)' : ''}`);
    }
  } finally {
    await stop(mf);
  }
  return { calls, rounds, samples };
}

export function scoreLoopRows(result: ScoreLoopResult): Row[] {
  const of = (variant: ScoreLoopRequest['variant']) => result.samples.filter((s) => s.variant === variant);
  const perCallUs = (ms: number) => (ms * 1000) / result.calls;
  const base = of('baseline');
  const baseCpu = median(base.map((s) => s.cpuMs));
  const baseClock = median(base.map((s) => s.response.elapsedMs));
  const rows: Row[] = [];
  for (const variant of ['own-width', 'full-width'] as const) {
    const mine = of(variant);
    const cpu = perCallUs(median(mine.map((s) => s.cpuMs)) - baseCpu);
    const cpuRounds = mine.map((s) => perCallUs(s.cpuMs - baseCpu));
    const clock = perCallUs(median(mine.map((s) => s.response.elapsedMs)) - baseClock);
    const width = mine[0]?.response.meanWidth ?? Number.NaN;
    const what = variant === 'own-width' ? `each name padded to its own length (mean ${fmt(width, 1)}), as the classifier calls the model for one name` : `every name padded to the full width ${fmt(width, 0)}`;
    rows.push({
      section: 'warm (Worker)',
      measure: `model time, batch 1, ${variant === 'own-width' ? 'own width' : 'full width'}: µs per call, workerd CPU · Worker clock (loop of ${result.calls} calls)`,
      value: `**${fmt(cpu, 1)}** · ${fmt(clock, 1)} (CPU range over rounds ${fmt(Math.min(...cpuRounds), 0)}-${fmt(Math.max(...cpuRounds), 0)}; trivial-scorer loop: ${fmt(perCallUs(baseCpu), 1)} · ${fmt(perCallUs(baseClock), 1)})`,
      how: `${result.calls} sequential scorer.score calls of one distinct generated label each (5-20 characters; ${what}), in one POST to a bench-only entry that wraps the real Worker (scripts/lib/bench-loop-worker.ts; never deployed), int8 model, own ORT session. CPU = workerd process CPU over the request (schedstat of its threads) minus that of the same request whose loop calls a trivial async scorer, / ${result.calls}; clock = the Worker's performance.now() across the loop, read after a timer (an I/O boundary), minus the trivial loop's, / ${result.calls}. Medians of ${result.rounds} rounds after ${WARM_UP_ROUNDS} warm-up rounds; wall and CPU time both grow when other processes share the machine (own-width calls measured 75-130 µs here while a training run kept the other core busy, ~60 µs at quieter times); per-round CPU ms: ${mine.map((s) => fmt(s.cpuMs, 0)).join(', ')} (trivial: ${base.map((s) => fmt(s.cpuMs, 0)).join(', ')})`,
      data: { calls: result.calls, samples: mine, baseline: base },
    });
  }
  return rows;
}
