import { createRequire } from 'node:module';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Miniflare as MiniflareClass, MiniflareOptions } from 'miniflare';
import type { Bundle } from './bench-bundle.js';
import { workerHeapUsage, type HeapUsage } from './bench-inspector.js';
import {
  BenchError,
  boundedLoop,
  createNameGenerator,
  fmt,
  freePort,
  log,
  mean,
  onInterrupt,
  median,
  quantile,
  readCpu,
  readRss,
  sleep,
  withTimeout,
  workerdPids,
  type CpuSample,
  type Row,
  memoryCell,
  wasmMemoryMiB,
} from './bench-util.js';

/**
 * Sections 2 (cold start), 3 (warm model time) and part of 5 (memory): the wrangler-built bundle run in
 * workerd through Miniflare with an explicit modules list, as test/worker/miniflare.ts does.
 */

const disposers = new WeakMap<object, () => void>();

/** Disposes a Miniflare started by start() and forgets its interrupt handler. */
export async function stop(mf: MiniflareClass): Promise<void> {
  disposers.get(mf)?.();
  await mf.dispose();
}

export type MiniflareCtor = new (options: MiniflareOptions) => MiniflareClass;

/** Miniflare from the measured project's own node_modules (so --root measures that checkout's stack). */
export async function loadMiniflare(root: string): Promise<MiniflareCtor> {
  const require = createRequire(join(root, 'package.json'));
  const mod = (await import(pathToFileURL(require.resolve('miniflare')).href)) as { Miniflare: MiniflareCtor };
  return mod.Miniflare;
}

const BASE_OPTIONS = {
  compatibilityDate: '2026-04-20',
  bindings: { MAX_BATCH: '1000', MAX_BODY_BYTES: '524288' },
  cf: false,
} as const;

export interface Started {
  mf: MiniflareClass;
  pid: number;
  readyMs: number;
  /** CPU this Node process spent while Miniflare started (config, module files, sockets). */
  nodeCpuMs: number;
}

/**
 * Starts workerd through Miniflare (bench defaults, then `options`) and finds its process, whose CPU and
 * memory the sections read from /proc. Stopped with stop(), or on Ctrl-C.
 */
export async function start(Miniflare: MiniflareCtor, options: Partial<MiniflareOptions>): Promise<Started> {
  const before = new Set(workerdPids());
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  const mf = new Miniflare({ ...BASE_OPTIONS, ...options } as MiniflareOptions);
  try {
    await withTimeout(mf.ready, 90_000, 'Miniflare (workerd) start');
  } catch (error) {
    await mf.dispose().catch(() => undefined);
    throw error;
  }
  const readyMs = performance.now() - started;
  const unregister = onInterrupt(() => mf.dispose());
  disposers.set(mf, unregister);
  const used = process.cpuUsage(cpu0);
  const nodeCpuMs = (used.user + used.system) / 1000;
  const pids = workerdPids().filter((p) => !before.has(p));
  if (pids.length !== 1) {
    await stop(mf);
    throw new BenchError(`expected one new workerd child process, found ${pids.length} (${pids.join(', ')})`);
  }
  return { mf, pid: pids[0]!, readyMs, nodeCpuMs };
}

/** Miniflare options that load a built bundle as an explicit modules list (entry first). */
export function workerModules(bundle: Bundle): Partial<MiniflareOptions> {
  return { modules: bundle.modules, modulesRoot: bundle.dir } as Partial<MiniflareOptions>;
}

async function helloModules(tmp: string): Promise<Partial<MiniflareOptions>> {
  const dir = join(tmp, 'hello');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'index.js'), "export default { fetch() { return new Response('hello'); } };\n");
  return { modules: [{ type: 'ESModule', path: join(dir, 'index.js') }], modulesRoot: dir } as Partial<MiniflareOptions>;
}

const cpuDiff = (a: CpuSample, b: CpuSample) => ({ statMs: b.statMs - a.statMs, schedMs: b.schedMs - a.schedMs });

interface ColdSample {
  readyWallMs: number;
  nodeCpuMs: number;
  readyCpu: CpuSample;
  /** Extra CPU in 0.5 s of idling after ready (background compilation threads, if any). */
  idleCpu: { statMs: number; schedMs: number };
  firstWallMs: number;
  firstCpu: { statMs: number; schedMs: number };
  firstStatus: number;
  rssReadyMiB: number;
  rssAfterFirstMiB: number;
}

async function coldOnce(Miniflare: MiniflareCtor, options: Partial<MiniflareOptions>, path: string): Promise<ColdSample> {
  const { mf, pid, readyMs, nodeCpuMs } = await start(Miniflare, options);
  try {
    const readyCpu = readCpu(pid);
    const rssReadyMiB = readRss(pid).rssMiB;
    await sleep(500);
    const idle = readCpu(pid);
    const t0 = performance.now();
    const response = await withTimeout(mf.dispatchFetch(`http://bench.local${path}`), 60_000, 'the first request');
    await response.arrayBuffer();
    const firstWallMs = performance.now() - t0;
    const after = readCpu(pid);
    return {
      readyWallMs: readyMs,
      nodeCpuMs,
      readyCpu,
      idleCpu: cpuDiff(readyCpu, idle),
      firstWallMs,
      firstCpu: cpuDiff(idle, after),
      firstStatus: response.status,
      rssReadyMiB,
      rssAfterFirstMiB: readRss(pid).rssMiB,
    };
  } finally {
    await stop(mf);
  }
}

export interface ColdResult {
  runs: number;
  worker: ColdSample[];
  hello: ColdSample[];
}

export async function runCold(root: string, bundle: Bundle, tmp: string, runs: number, budgetMs: number): Promise<ColdResult> {
  const Miniflare = await loadMiniflare(root);
  const hello = await helloModules(tmp);
  const names = createNameGenerator(1001);
  const result: ColdResult = { runs: 0, worker: [], hello: [] };
  // Alternate the two so that load from other processes falls on both alike.
  result.runs = await boundedLoop({ count: runs, budgetMs, min: 1 }, async (i) => {
    log(`cold: run ${i + 1}/${runs}`);
    const w = await coldOnce(Miniflare, workerModules(bundle), `/v1/classify?domain=${names.domain()}`);
    if (w.firstStatus !== 200) throw new BenchError(`cold start: first /v1/classify answered ${w.firstStatus}`);
    result.worker.push(w);
    result.hello.push(await coldOnce(Miniflare, hello, '/'));
  });
  return result;
}

export function coldRows(cold: ColdResult): Row[] {
  const m = (xs: ColdSample[], f: (s: ColdSample) => number) => median(xs.map(f));
  const w = cold.worker;
  const h = cold.hello;
  const n = `median of ${cold.runs} fresh workerd processes`;
  const diffStat = m(w, (s) => s.readyCpu.statMs) - m(h, (s) => s.readyCpu.statMs);
  const diffSched = m(w, (s) => s.readyCpu.schedMs) - m(h, (s) => s.readyCpu.schedMs);
  const range = (xs: number[]) => `${fmt(Math.min(...xs), 0)}-${fmt(Math.max(...xs), 0)}`;
  return [
    {
      section: 'cold start',
      measure: 'startup CPU at ready: Worker / hello-world / difference (ms)',
      value: `${fmt(m(w, (s) => s.readyCpu.statMs), 0)} / ${fmt(m(h, (s) => s.readyCpu.statMs), 0)} / **${fmt(diffStat, 0)}**`,
      how: `workerd process utime+stime (/proc/PID/stat, 10 ms ticks) when Miniflare's \`ready\` resolved (workerd up, modules evaluated); ${n}. Difference = our startup CPU. Same via live threads' schedstat: ${fmt(m(w, (s) => s.readyCpu.schedMs), 0)} / ${fmt(m(h, (s) => s.readyCpu.schedMs), 0)} / ${fmt(diffSched, 0)}. Worker range ${range(w.map((s) => s.readyCpu.statMs))}. Idle CPU in the 0.5 s after ready (background threads): Worker ${fmt(m(w, (s) => s.idleCpu.statMs), 0)}, hello ${fmt(m(h, (s) => s.idleCpu.statMs), 0)}`,
      data: { worker: w.map((s) => s.readyCpu), hello: h.map((s) => s.readyCpu) },
    },
    {
      section: 'cold start',
      measure: 'time to ready, wall: Worker / hello-world (ms)',
      value: `${fmt(m(w, (s) => s.readyWallMs), 0)} / ${fmt(m(h, (s) => s.readyWallMs), 0)}`,
      how: `new Miniflare(...) to \`ready\` (includes Miniflare's own set-up and workerd's start); ${n}; CPU of this Node process meanwhile (Miniflare): Worker ${fmt(m(w, (s) => s.nodeCpuMs), 0)} ms, hello ${fmt(m(h, (s) => s.nodeCpuMs), 0)} ms; wall time suffers from other load on the machine`,
    },
    {
      section: 'cold start',
      measure: 'first classify request: extra CPU / wall (ms)',
      value: `**${fmt(m(w, (s) => s.firstCpu.statMs), 0)} / ${fmt(m(w, (s) => s.firstWallMs), 0)}**`,
      how: `GET /v1/classify?domain=<random> as the first request, 0.5 s after ready; CPU = workerd utime+stime after minus before (schedstat: ${fmt(m(w, (s) => s.firstCpu.schedMs), 1)}); wall = dispatchFetch round trip; ${n}. Wall range ${range(w.map((s) => s.firstWallMs))}. Hello-world's first request for comparison: ${fmt(m(h, (s) => s.firstCpu.statMs), 0)} ms CPU / ${fmt(m(h, (s) => s.firstWallMs), 1)} ms wall`,
      data: { worker: w.map((s) => ({ cpu: s.firstCpu, wallMs: s.firstWallMs })), hello: h.map((s) => ({ cpu: s.firstCpu, wallMs: s.firstWallMs })) },
    },
    {
      section: 'memory',
      measure: 'workerd RSS at ready / after first request (MiB), cold process',
      value: `${fmt(m(w, (s) => s.rssReadyMiB), 1)} / ${fmt(m(w, (s) => s.rssAfterFirstMiB), 1)} (hello-world ${fmt(m(h, (s) => s.rssReadyMiB), 1)})`,
      how: `VmRSS of the workerd process (Miniflare's internal services included); ${n}`,
    },
  ];
}

// ---------------------------------------------------------------------------------------------------------
// Warm model time

interface RequestSample {
  roundTripMs: number;
  modelMs?: number;
  modelRows?: number;
  classifyMs?: number;
  /** X-Cache header: "hit" when the Cache API answered (then Server-Timing is the stored response's). */
  xCache?: string;
}

export interface WarmCase {
  name: string;
  batch: number;
  repeated: boolean;
  samples: RequestSample[];
}

export interface WarmResult {
  serverTiming: boolean;
  cases: WarmCase[];
  memory: { stage: string; rssMiB: number; peakMiB: number; heap?: HeapUsage; heapError?: string; wasmMiB?: number }[];
}

function parseServerTiming(header: string | null): { modelMs?: number; modelRows?: number; classifyMs?: number } {
  if (!header) return {};
  const model = /(?:^|,)\s*model;dur=([\d.]+)(?:;desc="(\d+) rows")?/.exec(header);
  if (!model) return {};
  const classify = /(?:^|,)\s*classify;dur=([\d.]+)/.exec(header);
  return {
    modelMs: Number(model[1]),
    modelRows: model[2] === undefined ? undefined : Number(model[2]),
    classifyMs: classify ? Number(classify[1]) : undefined,
  };
}

async function classify(mf: MiniflareClass, domains: string[]): Promise<RequestSample> {
  const t0 = performance.now();
  const response =
    domains.length === 1
      ? await mf.dispatchFetch(`http://bench.local/v1/classify?domain=${encodeURIComponent(domains[0]!)}`)
      : await mf.dispatchFetch('http://bench.local/v1/classify', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ domains }),
        });
  const body = await response.text();
  const roundTripMs = performance.now() - t0;
  if (response.status !== 200) throw new BenchError(`warm: /v1/classify answered ${response.status}: ${body.slice(0, 300)}`);
  const xCache = response.headers.get('x-cache') ?? undefined;
  if (xCache === 'hit') return { roundTripMs, xCache };
  return { roundTripMs, xCache, ...parseServerTiming(response.headers.get('server-timing')) };
}

export async function runWarm(root: string, bundle: Bundle, quick: boolean): Promise<WarmResult> {
  const Miniflare = await loadMiniflare(root);
  const inspectorPort = await freePort();
  const { mf, pid } = await start(Miniflare, { ...workerModules(bundle), inspectorPort } as Partial<MiniflareOptions>);
  const names = createNameGenerator(2002);
  const result: WarmResult = { serverTiming: false, cases: [], memory: [] };
  const snapshot = async (stage: string) => {
    const entry: WarmResult['memory'][number] = { stage, ...readRss(pid) };
    try {
      entry.heap = await workerHeapUsage(inspectorPort);
    } catch (error) {
      entry.heapError = (error as Error).message;
    }
    entry.wasmMiB = await wasmMemoryMiB((path) => mf.dispatchFetch(`http://bench.local${path}`) as unknown as Promise<Response>);
    result.memory.push(entry);
  };
  try {
    await snapshot('ready (before load)');
    log('warm: warm-up');
    for (let i = 0; i < 20; i++) await classify(mf, [names.domain()]);
    for (let i = 0; i < 3; i++) await classify(mf, names.domains(64));
    for (let i = 0; i < 2; i++) await classify(mf, names.domains(1000));
    await snapshot('after warm-up');

    const plan = quick
      ? [
          { batch: 1, count: 60, budgetMs: 4_000 },
          { batch: 64, count: 15, budgetMs: 3_000 },
          { batch: 1000, count: 4, budgetMs: 5_000 },
        ]
      : [
          { batch: 1, count: 400, budgetMs: 12_000 },
          { batch: 64, count: 80, budgetMs: 10_000 },
          { batch: 1000, count: 15, budgetMs: 15_000 },
        ];
    for (const { batch, count, budgetMs } of plan) {
      const samples: RequestSample[] = [];
      const n = await boundedLoop({ count, budgetMs, min: 3 }, async () => {
        samples.push(await classify(mf, names.domains(batch)));
      });
      log(`warm: batch ${batch}: ${n} requests`);
      result.cases.push({ name: `batch ${batch}, distinct names`, batch, repeated: false, samples });
    }
    // Cache hits: the very same names again (an LRU, if there is one, answers without the model).
    for (const batch of [1, 1000]) {
      const same = names.domains(batch);
      await classify(mf, same);
      const samples: RequestSample[] = [];
      await boundedLoop({ count: batch === 1 ? (quick ? 40 : 200) : quick ? 3 : 10, budgetMs: quick ? 3_000 : 8_000, min: 3 }, async () => {
        samples.push(await classify(mf, same));
      });
      log(`warm: repeated batch ${batch}: ${samples.length} requests`);
      result.cases.push({ name: `batch ${batch}, repeated names (cache hit?)`, batch, repeated: true, samples });
    }
    await snapshot('after load (steady)');
    result.serverTiming = result.cases.every((c) => c.samples.every((s) => s.modelMs !== undefined));
  } finally {
    await stop(mf);
  }
  return result;
}

export function warmRows(warm: WarmResult): Row[] {
  const rows: Row[] = [];
  for (const c of warm.cases) {
    const rt = c.samples.map((s) => s.roundTripMs);
    const model = c.samples.map((s) => s.modelMs).filter((x): x is number => x !== undefined);
    const rowsScored = c.samples.map((s) => s.modelRows).filter((x): x is number => x !== undefined);
    const cacheApiHits = c.samples.filter((s) => s.xCache === 'hit').length;
    const useModel = model.length === c.samples.length && model.length > 0;
    const perRequest = useModel ? median(model) : median(rt);
    const meanPerRequest = useModel ? mean(model) : mean(rt);
    const perDomainUs = (meanPerRequest * 1000) / c.batch;
    // workerd's clock moves in whole milliseconds (and not at all during uninterrupted JS), so a sub-ms
    // model call reads 0 or 1: then the figure is only a bound.
    const wholeMs = useModel && model.every((x) => Number.isInteger(x));
    const belowResolution = wholeMs && median(model) <= 1;
    const cacheOnly = c.repeated && rowsScored.length > 0 && rowsScored.every((r) => r === 0);
    const classifyMs = c.samples.map((s) => s.classifyMs).filter((x): x is number => x !== undefined);
    const source = cacheApiHits === c.samples.length
      ? 'round trip: every answer came from the Workers Cache API (X-Cache: hit), so no model ran and the stored Server-Timing does not apply'
      : useModel
      ? 'Server-Timing `model;dur` (time in the model call inside the Worker; workerd\'s clock ticks in whole ms, so per-domain = mean over requests / batch)'
      : 'FALLBACK: no Server-Timing model;dur header, so this is the dispatchFetch round trip through Miniflare (routing, JSON, normalisation included)';
    const cacheNote = c.repeated
      ? cacheApiHits
        ? ` ${cacheApiHits} of ${c.samples.length} answered from the Cache API (X-Cache: hit).`
        : rowsScored.length
        ? ` Rows the model scored per request (Server-Timing desc): median ${median(rowsScored)} of ${c.batch} - ${median(rowsScored) === 0 ? 'answered from the cache' : 'no cache hit'}.`
        : ' (no row count in Server-Timing, cache use unknown)'
      : '';
    const resolutionNote = cacheOnly || cacheApiHits === c.samples.length
      ? ''
      : belowResolution
      ? ` **At the clock's resolution**: the readings were ${[...new Set(model)].sort((a, b) => a - b).join(' or ')} ms (workerd's performance.now() moves in whole ms), so the per-domain figure (mean of those) is rough; see the native section for the sub-ms cost.`
      : wholeMs
        ? " workerd's clock reads whole ms."
        : '';
    const classifyNote = classifyMs.length ? ` Whole classify call (Server-Timing classify;dur) median ${fmt(median(classifyMs), 2)} ms.` : '';
    rows.push({
      section: 'warm (Worker)',
      measure: `${c.name}: per domain (µs) · per request median / p90 (ms) · round trip median (ms)`,
      value: `**${cacheApiHits === c.samples.length ? 'Cache API hit' : cacheOnly ? '0 (LRU)' : `${belowResolution ? '~' : ''}${fmt(perDomainUs, perDomainUs < 100 ? 1 : 0)}`}** · ${fmt(perRequest, 2)} / ${fmt(useModel ? quantile(model, 0.9) : quantile(rt, 0.9), 2)} · ${fmt(median(rt), 2)}`,
      how: `${c.samples.length} requests in one warm workerd (Miniflare dispatchFetch, ${c.batch === 1 ? 'GET' : 'POST'}). Source: ${source}.${resolutionNote}${classifyNote}${cacheNote}`,
      data: c.samples,
    });
  }
  const mem = warm.memory
    .map((m) => `${m.stage}: RSS ${fmt(m.rssMiB, 1)}${m.heap ? `, JS heap ${fmt(m.heap.usedMiB, 1)} used / ${fmt(m.heap.totalMiB, 1)} total` : ''}${m.wasmMiB !== undefined ? `, ORT wasm ${fmt(m.wasmMiB, 1)}` : ''}`)
    .join('; ');
  const heapError = warm.memory.find((m) => m.heapError)?.heapError;
  rows.push({
    section: 'memory',
    measure: 'workerd RSS / JS heap / ORT wasm memory (MiB) through the warm run (Miniflare); isolate total = heap + wasm',
    value: `${warm.memory.map(memoryCell).join(' → ')}`,
    how: `${mem}. RSS = VmRSS of the workerd process (all its services); JS heap = V8 Runtime.getHeapUsage of the Worker isolate via the inspector (Miniflare inspectorPort; ORT's wasm memory is outside it); ORT wasm = the linear memory's size from /healthz (session.wasmMemoryBytes)${heapError ? `; heap read failed: ${heapError}` : ''}`,
    data: warm.memory,
  });
  return rows;
}
