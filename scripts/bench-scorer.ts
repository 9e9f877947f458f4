// `npx tsx scripts/bench-scorer.ts`: where the time of one single-name model call goes, in Node.
// Times src/runtime/onnx-scorer.ts's `score` for batch 1 (each name padded only to its own length, as the
// classifier calls it, and at full width), then the parts of the call on a second session of the same model:
// tensor creation, session.run with all outputs, with a subset of them (`fetches`), and at width 1 (the
// fixed cost of a call). Median and p90 of per-call times over many calls after a warm-up; the variants take
// turns in every round so that load from other processes falls on all of them alike.
//
// `--baseline DIR` also times the scorer of another checkout (DIR/src/runtime/onnx-scorer.ts, e.g. one made by
// `git archive <commit> | tar -x -C DIR`) in the same rounds: a before/after comparison in one process, which
// load from other processes distorts far less than two runs one after the other.
//
// The breakdown needs onnxruntime-web itself, which otherwise only onnx-scorer.ts imports; the scorer is
// created first so that ORT's global env is configured exactly as the scorer configures it.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-web/wasm';
import { createEncoder } from '../src/core/encode.js';
import { createOnnxScorer, scorerOptionsFrom } from '../src/runtime/onnx-scorer.js';
import { MODEL_PATHS, ortWasmPath, readMetadata } from '../src/runtime/node-model.js';
import { createNameGenerator, fmt, quantile } from './lib/bench-util.js';

const HELP = `Usage: npx tsx scripts/bench-scorer.ts [--precision int8|float] [--rounds N] [--names N] [--baseline DIR]

  --precision  which shipped export to load (default int8, as the Worker serves)
  --rounds     rounds over all variants (default 30; the first 3 are warm-up)
  --names      distinct generated names per round (default 256; labels of 5-20 characters)
  --baseline   another checkout whose src/runtime/onnx-scorer.ts is timed in the same rounds (same model)`;

async function main() {
  const { values } = parseArgs({
    options: {
      precision: { type: 'string', default: 'int8' },
      rounds: { type: 'string', default: '30' },
      names: { type: 'string', default: '256' },
      baseline: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) return void process.stdout.write(`${HELP}\n`);
  const precision = values.precision as keyof typeof MODEL_PATHS;
  if (!(precision in MODEL_PATHS)) throw new RangeError(`--precision must be int8 or float, got ${values.precision}`);
  const rounds = Number(values.rounds);
  const count = Number(values.names);
  if (!(Number.isInteger(rounds) && rounds > 3)) throw new RangeError('--rounds must be an integer above 3');
  if (!(Number.isInteger(count) && count > 0)) throw new RangeError('--names must be a positive integer');

  const metadata = await readMetadata();
  const model = await readFile(MODEL_PATHS[precision]);
  const options = scorerOptionsFrom(metadata);
  const scorer = await createOnnxScorer({ model, wasm: await readFile(ortWasmPath()), ...options });
  const session = await ort.InferenceSession.create(model, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  // The other checkout's scorer module shares this process's onnxruntime-web when its node_modules is
  // (a link to) this one's; either way it gets the same model bytes and options.
  const baselineDir = values.baseline === undefined ? undefined : resolve(values.baseline);
  const baseline = baselineDir
    ? await ((await import(pathToFileURL(join(baselineDir, 'src/runtime/onnx-scorer.ts')).href)) as typeof import('../src/runtime/onnx-scorer.js')).createOnnxScorer({
        model,
        wasm: await readFile(ortWasmPath()),
        ...options,
      })
    : undefined;
  const { maxLength } = metadata;
  const inputName = options.inputName ?? 'chars';
  const padName = options.padStepsName;
  const outputs = { score: options.scoreName ?? 'score', logit: options.logitName ?? 'logit', family: options.familyName };

  const encoder = createEncoder(metadata);
  const names = createNameGenerator(7);
  const rows = Array.from({ length: count }, () => {
    const label = names.label();
    const width = Math.max(1, encoder.encodedLength(label));
    return { width, chars: encoder.encodeBatch([label], width), full: encoder.encodeBatch([label], maxLength) };
  });
  const feedsOf = (chars: Int32Array, width: number): Record<string, ort.Tensor> => {
    const feeds: Record<string, ort.Tensor> = { [inputName]: new ort.Tensor('int32', chars, [1, width]) };
    if (padName) feeds[padName] = new ort.Tensor('int32', new Int32Array([maxLength - width]), [1]);
    return feeds;
  };
  const prebuilt = rows.map((r) => feedsOf(r.chars, r.width));
  const oneStep = feedsOf(new Int32Array([1]), 1);
  const withFamily = (names: string[]) => (outputs.family ? [...names, outputs.family] : names);

  const variants: [string, (i: number) => unknown][] = [
    ['scorer.score, batch 1, own width (the Worker\'s call)', (i) => scorer.score(rows[i]!.chars, 1, rows[i]!.width)],
    [`scorer.score, batch 1, width ${maxLength}`, (i) => scorer.score(rows[i]!.full, 1, maxLength)],
    ...(baseline
      ? ([
          [`baseline scorer (${baselineDir}), batch 1, own width`, (i) => baseline.score(rows[i]!.chars, 1, rows[i]!.width)],
          [`baseline scorer, batch 1, width ${maxLength}`, (i) => baseline.score(rows[i]!.full, 1, maxLength)],
        ] as [string, (i: number) => unknown][])
      : []),
    ['  the input tensors alone (new ort.Tensor per input)', (i) => feedsOf(rows[i]!.chars, rows[i]!.width)],
    ['  session.run, prebuilt feeds, all outputs', (i) => session.run(prebuilt[i]!)],
    [`  session.run, fetches [${withFamily([outputs.logit]).join(', ')}]`, (i) => session.run(prebuilt[i]!, withFamily([outputs.logit]))],
    [`  session.run, fetches [${outputs.logit}]`, (i) => session.run(prebuilt[i]!, [outputs.logit])],
    ['  session.run at width 1, all outputs (fixed cost per call)', () => session.run(oneStep)],
  ];
  const samples = variants.map(() => [] as number[]);
  process.stderr.write(`bench-scorer: ${precision} model, ${count} names x ${rounds} rounds x ${variants.length} variants\n`);
  for (let round = 0; round < rounds; round++) {
    for (const [v, [, call]] of variants.entries()) {
      for (let i = 0; i < count; i++) {
        const t0 = performance.now();
        await call(i);
        const elapsed = performance.now() - t0;
        if (round >= 3) samples[v]!.push(elapsed);
      }
    }
  }
  const meanWidth = rows.reduce((a, r) => a + r.width, 0) / rows.length;
  const lines = [
    `model/${precision === 'int8' ? 'dga.int8.onnx' : 'dga.onnx'}, ${count} generated names (mean width ${fmt(meanWidth, 1)}), Node ${process.version}, one thread`,
    '',
    '| per call | median µs | p90 µs |',
    '|---|---:|---:|',
    ...variants.map(([name], v) => `| ${name.trim()} | ${fmt(quantile(samples[v]!, 0.5) * 1000, 1)} | ${fmt(quantile(samples[v]!, 0.9) * 1000, 1)} |`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench-scorer: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
