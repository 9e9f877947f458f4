/**
 * A bench-only Worker entry (`npm run bench`, warm section): the real Worker (src/index.ts, re-exported
 * whole) plus one route, POST /__bench/score-loop, that makes one single-name model call after another
 * inside workerd and reports how long they took. One call (~0.06 ms) is far below workerd's clock, which
 * moves in whole milliseconds (and, deployed, not at all during CPU work); thousands in a row, read after a
 * timer (an I/O boundary), are not. wrangler.toml's `main` stays src/index.ts, so no deployed Worker has this
 * route: scripts/lib/bench-score-loop.ts builds this file with `wrangler deploy --dry-run <entry>`.
 *
 * The imports are relative to the project root two levels up, so the bench can copy this file into another
 * checkout (`--root`) and measure that checkout's scorer.
 */
import ortWasm from '../../node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm';
import int8Model from '../../model/dga.int8.onnx';
import metadataJson from '../../model/metadata.json';
import { createEncoder } from '../../src/core/encode.js';
import { parseModelMetadata } from '../../src/core/metadata.js';
import type { Scorer, ScoreBatch } from '../../src/core/scorer.js';
import worker from '../../src/index.js';
import { createOnnxScorer, scorerOptionsFrom } from '../../src/runtime/onnx-scorer.js';

export * from '../../src/index.js';

/** POST /__bench/score-loop body: labels to score one per call, and with what. */
export interface ScoreLoopRequest {
  labels: string[];
  /**
   * `own-width`: each label padded only to its own length, as the classifier calls the model for one name;
   * `full-width`: padded to maxLength; `baseline`: the same loop over a trivial async scorer (the loop's own cost).
   */
  variant: 'own-width' | 'full-width' | 'baseline';
}

export interface ScoreLoopResponse {
  calls: number;
  /** performance.now() across the loop, read after a timer that follows the last call. */
  elapsedMs: number;
  meanWidth: number;
  /** Sum of the scores (the baseline's are 0): a sanity check that the model ran. */
  scoreSum: number;
}

const metadata = parseModelMetadata(metadataJson);
const encoder = createEncoder(metadata);
// Its own session of the export the Worker serves by default (int8), built as src/worker-model.ts builds
// the Worker's; made on the first loop request, so the Worker's start-up is the same as without this route.
let scorer: Promise<Scorer> | undefined;
const EMPTY: ScoreBatch = { scores: new Float32Array(1), logits: new Float32Array(1) };
const baseline: Scorer = {
  async score() {
    return EMPTY;
  },
};

const ioBoundary = () => new Promise((resolve) => setTimeout(resolve, 0));

async function scoreLoop(request: Request): Promise<Response> {
  const { labels, variant } = (await request.json()) as ScoreLoopRequest;
  scorer ??= createOnnxScorer({ model: int8Model, wasm: ortWasm, ...scorerOptionsFrom(metadata) });
  const run = variant === 'baseline' ? baseline : await scorer;
  const rows = labels.map((label) => {
    const width = variant === 'full-width' ? metadata.maxLength : Math.max(1, encoder.encodedLength(label));
    return { width, chars: encoder.encodeBatch([label], width) };
  });
  await ioBoundary();
  const started = performance.now();
  let scoreSum = 0;
  for (const { chars, width } of rows) scoreSum += (await run.score(chars, 1, width)).scores[0]!;
  await ioBoundary();
  const body: ScoreLoopResponse = {
    calls: rows.length,
    elapsedMs: performance.now() - started,
    meanWidth: rows.reduce((a, r) => a + r.width, 0) / Math.max(1, rows.length),
    scoreSum,
  };
  return Response.json(body);
}

export default {
  fetch(request: Request, env: Parameters<typeof worker.fetch>[1], ctx: ExecutionContext): Response | Promise<Response> {
    if (request.method === 'POST' && new URL(request.url).pathname === '/__bench/score-loop') return scoreLoop(request);
    return worker.fetch(request, env, ctx);
  },
};
