// `npm run bench`: one table of the numbers that matter for serving the model at the edge.
//   1. bundle raw / gzip       (wrangler deploy --dry-run)
//   2. cold start              (fresh workerd via Miniflare: startup CPU vs a hello-world Worker, first request)
//   3. warm model time          (inside the Worker, batch 1 / 64 / 1000, plus repeated names; one name's model
//                               time from a loop of single-name calls in a bench-only entry)
//   4. end to end              (autocannon against wrangler dev on 127.0.0.1)
//   5. memory                  (workerd RSS and the Worker's JS heap)
//   6. closeness to native      (Node: onnxruntime-web vs onnxruntime-node vs tfjs, shipped and paper-size model)
// Progress goes to stderr; the table to stdout and to runs/bench/<timestamp>.{json,md}. See --help.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildBundle, bundleRows, type Bundle } from './lib/bench-bundle.js';
import { e2eRows, runE2e } from './lib/bench-e2e.js';
import { nativeRows, runNative } from './lib/bench-native.js';
import { cpuCounters, gitDescribe, markdownTable, otherCores } from './lib/bench-report.js';
import { runScoreLoop, scoreLoopRows } from './lib/bench-score-loop.js';
import { BenchError, fmt, installInterruptHandlers, loadAverage, log, type Row } from './lib/bench-util.js';
import { coldRows, runCold, runWarm, warmRows } from './lib/bench-worker.js';
import { integerFlag, parseFlags, runScript, UsageError } from './lib/cli-flags.js';

const SECTIONS = ['bundle', 'cold', 'warm', 'e2e', 'native'] as const;
type Section = (typeof SECTIONS)[number];

const HELP = `Usage: npm run bench -- [options]

  --quick            fewer repetitions and shorter load runs (a smoke run, ~1.5 min)
  --skip LIST        comma-separated sections to leave out: ${SECTIONS.join(', ')}
                     (cold and warm need the bundle, which is then built but not reported)
  --root DIR         project checkout to measure (default: current directory). bundle, cold, warm and e2e
                     use DIR's files, wrangler and miniflare; DIR needs node_modules (or a symlink to one).
                     The native section uses DIR's model files with this checkout's code. The warm
                     section copies a bench-only Worker entry (scripts/lib/bench-loop-worker.ts) into
                     DIR/.wrangler/bench/ and builds it there, so it measures DIR's scorer.
  --out DIR          where to write <timestamp>.json and .md (default: runs/bench)
  --cold-runs N      fresh workerd processes per kind in the cold-start section (default 5, quick 2)
  --port N           port for wrangler dev (default: a free one)
  --help             this text

Only 127.0.0.1 is contacted. Wall times suffer from other load on the machine; CPU times much less.`;

async function main(): Promise<'help' | void> {
  const values = parseFlags(process.argv.slice(2), {
    quick: { type: 'boolean', default: false },
    skip: { type: 'string', multiple: true, default: [] },
    root: { type: 'string', default: process.cwd() },
    out: { type: 'string', default: 'runs/bench' },
    'cold-runs': { type: 'string' },
    port: { type: 'string' },
    help: { type: 'boolean', default: false },
  });
  if (values.help) return 'help';
  const skip = new Set(values.skip.flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean));
  for (const s of skip) if (!SECTIONS.includes(s as Section)) throw new UsageError(`--skip: unknown section "${s}" (sections: ${SECTIONS.join(', ')})`);
  const run = (s: Section) => !skip.has(s);
  const root = resolve(values.root);
  for (const need of ['package.json', 'wrangler.toml', 'scripts/wrangler.js', 'scripts/start.js', 'model/dga.onnx', 'node_modules/miniflare']) {
    if (!existsSync(join(root, need))) throw new UsageError(`--root ${root}: ${need} is missing${need === 'node_modules/miniflare' ? ' (run npm ci there, or symlink node_modules)' : ''}`);
  }
  const quick = values.quick;
  const coldRuns = integerFlag('cold-runs', values['cold-runs'], quick ? 2 : 5, { max: 50 });
  const port = integerFlag('port', values.port, undefined, { max: 65535 });
  const outDir = resolve(values.out);

  installInterruptHandlers();
  const tmp = await mkdtemp(join(tmpdir(), 'dga-bench-'));
  const startedAt = new Date();
  const counters0 = cpuCounters();
  const load0 = loadAverage();
  const rows: Row[] = [];
  const timings: Record<string, number> = {};
  const timed = async <T>(name: string, task: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await task();
    } finally {
      timings[name] = (performance.now() - t0) / 1000;
      log(`${name}: ${fmt(timings[name], 1)} s`);
    }
  };
  log(`measuring ${root} (${gitDescribe(root)})${quick ? ', quick' : ''}; load average ${load0}`);
  try {
    let bundle: Bundle | undefined;
    if (run('bundle') || run('cold') || run('warm')) {
      bundle = await timed('bundle', () => buildBundle(root, join(tmp, 'bundle')));
      if (run('bundle')) rows.push(...bundleRows(bundle));
    }
    if (run('cold')) {
      const cold = await timed('cold', () => runCold(root, bundle!, tmp, coldRuns, quick ? 30_000 : 75_000));
      rows.push(...coldRows(cold));
    }
    if (run('warm')) {
      rows.push(...warmRows(await timed('warm', () => runWarm(root, bundle!, quick))));
      rows.push(...scoreLoopRows(await timed('score loop', () => runScoreLoop(root, tmp, quick))));
    }
    if (run('e2e')) rows.push(...e2eRows(await timed('e2e', () => runE2e(root, tmp, quick, port))));
    if (run('native')) rows.push(...nativeRows(await timed('native', () => runNative(root, tmp, quick))));
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }

  const counters1 = cpuCounters();
  const others = otherCores(counters0, counters1);
  const header = [
    `# dga-edge benchmark, ${startedAt.toISOString()}`,
    '',
    `- root: \`${root}\` (${gitDescribe(root)})${quick ? '; **--quick**' : ''}${skip.size ? `; skipped: ${[...skip].join(', ')}` : ''}`,
    `- Node ${process.version}, ${(await import('node:os')).cpus().length} cores; total ${fmt((counters1.wallMs - counters0.wallMs) / 1000, 0)} s (${Object.entries(timings)
      .map(([k, v]) => `${k} ${fmt(v, 0)} s`)
      .join(', ')})`,
    `- contention: other processes kept ~${fmt(others, 2)} cores busy on average during the run (/proc/stat busy time minus this benchmark's own process tree); load average ${load0} at start, ${loadAverage()} at end. Wall-clock figures (latency, req/s, ms per batch) are inflated by that; CPU-time figures (cold start) much less.`,
  ].join('\n');
  const table = markdownTable(rows);
  const markdown = `${header}\n\n${table}\n`;
  await mkdir(outDir, { recursive: true });
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const json = { startedAt, root, commit: gitDescribe(root), quick, skip: [...skip], node: process.version, otherCores: others, timings, rows };
  await writeFile(join(outDir, `${stamp}.json`), `${JSON.stringify(json, null, 2)}\n`);
  await writeFile(join(outDir, `${stamp}.md`), markdown);
  process.stdout.write(markdown);
  log(`wrote ${join(outDir, `${stamp}.md`)} and .json`);
}

runScript('bench', HELP, main, (error) => (error instanceof BenchError ? error.message : undefined));
