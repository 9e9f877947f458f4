// `npm run load`: mixed traffic against `wrangler dev` on 127.0.0.1 for a bounded time and count, then a
// report: requests, statuses and latency per scenario (scripts/lib/load-scenarios.ts), a zero-5xx check and
// the Worker's memory at start, middle and end with a "stable" verdict. Exits 1 on any 5xx, transport error,
// timeout or unexpected status, or unstable memory. Progress goes to stderr; the report to stdout and to
// runs/load/<timestamp>.{json,md}. Only 127.0.0.1 is contacted.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { startWranglerDev, stopWranglerDev, workerdOf, type Server } from './lib/bench-e2e.js';
import { workerHeapUsage } from './lib/bench-inspector.js';
import { createNameGenerator, createRng, fmt, installInterruptHandlers, loadAverage, log, onInterrupt, quantile, readRss, sleep, wasmMemoryMiB } from './lib/bench-util.js';
import { SCENARIOS, scenarioPicker, type Scenario } from './lib/load-scenarios.js';

const HELP = `Usage: npm run load -- [options]

  --seconds N        how long the load runs (default 60)
  --max-requests N   stop after this many requests even if time is left (default 200000)
  --connections N    concurrent connections (default 8)
  --port N           port for wrangler dev (default: a free one)
  --seed N           seed of the names and the scenario choice (default: the clock)
  --out DIR          where to write <timestamp>.json and .md (default: runs/load)
  --help             this text`;

/** Memory may grow by at most this much from the middle of the run to its end (RSS, and JS heap + wasm). */
const RSS_GROWTH_LIMIT = 0.1;
const ISOLATE_GROWTH_LIMIT = 0.25;
const ISOLATE_GROWTH_SLACK_MIB = 4; // GC timing alone moves a small heap by a few MiB

interface Tally {
  scenario: Scenario;
  statuses: Map<number, number>;
  latenciesMs: number[];
}

interface MemorySnapshot {
  stage: string;
  rssMiB: number;
  heapMiB?: number;
  wasmMiB?: number;
  error?: string;
}

function positiveInteger(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    process.stderr.write(`load: --${name} must be a positive integer, got "${raw}"\n`);
    process.exit(2);
  }
  return value;
}

async function snapshot(server: Server, stage: string): Promise<MemorySnapshot> {
  const { worker } = workerdOf(server);
  if (worker === undefined) return { stage, rssMiB: Number.NaN, error: 'no workerd process found under wrangler dev' };
  const entry: MemorySnapshot = { stage, rssMiB: readRss(worker).rssMiB };
  try {
    entry.heapMiB = (await workerHeapUsage(server.inspectorPort)).usedMiB;
  } catch (error) {
    entry.error = (error as Error).message;
  }
  entry.wasmMiB = await wasmMemoryMiB((path) => fetch(`${server.base}${path}`));
  return entry;
}

/** End within the limits of middle: RSS and the isolate's JS heap + ORT wasm memory. */
function memoryVerdict(middle: MemorySnapshot, end: MemorySnapshot): { stable: boolean; why: string } {
  const rssGrowth = end.rssMiB / middle.rssMiB - 1;
  const isolate = (m: MemorySnapshot) => (m.heapMiB ?? Number.NaN) + (m.wasmMiB ?? 0);
  const isolateGrowthMiB = isolate(end) - isolate(middle);
  const isolateOk = Number.isNaN(isolateGrowthMiB) || isolateGrowthMiB <= Math.max(ISOLATE_GROWTH_SLACK_MIB, isolate(middle) * ISOLATE_GROWTH_LIMIT);
  const stable = Number.isFinite(rssGrowth) && rssGrowth <= RSS_GROWTH_LIMIT && isolateOk;
  const why =
    `middle -> end: RSS ${rssGrowth >= 0 ? '+' : ''}${fmt(rssGrowth * 100, 1)}% (limit +${RSS_GROWTH_LIMIT * 100}%), ` +
    `JS heap + wasm ${isolateGrowthMiB >= 0 ? '+' : ''}${fmt(isolateGrowthMiB, 1)} MiB (limit +${ISOLATE_GROWTH_LIMIT * 100}% or ${ISOLATE_GROWTH_SLACK_MIB} MiB)`;
  return { stable, why };
}

async function main() {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string' },
      'max-requests': { type: 'string' },
      connections: { type: 'string' },
      port: { type: 'string' },
      seed: { type: 'string' },
      out: { type: 'string', default: 'runs/load' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const seconds = positiveInteger('seconds', values.seconds, 60);
  const maxRequests = positiveInteger('max-requests', values['max-requests'], 200_000);
  const connections = positiveInteger('connections', values.connections, 8);
  const seed = values.seed === undefined ? Date.now() % 2 ** 31 : positiveInteger('seed', values.seed, 1);
  const port = values.port === undefined ? undefined : positiveInteger('port', values.port, 8787);

  installInterruptHandlers();
  const tmp = await mkdtemp(join(tmpdir(), 'dga-edge-load-'));
  const server = await startWranglerDev(process.cwd(), tmp, port);
  const unregister = onInterrupt(async () => {
    await stopWranglerDev(server);
    await rm(tmp, { recursive: true, force: true });
  });
  const names = createNameGenerator(seed);
  const random = createRng(seed + 1);
  const pick = scenarioPicker(SCENARIOS);
  const tallies = new Map<string, Tally>(SCENARIOS.map((s) => [s.name, { scenario: s, statuses: new Map(), latenciesMs: [] }]));
  const memory: MemorySnapshot[] = [];
  let result: autocannon.Result;
  try {
    memory.push(await snapshot(server, 'start (after /healthz answered)'));
    log(`load: ${seconds} s or ${maxRequests} requests, ${connections} connections, seed ${seed}, against ${server.base}`);
    interface Ctx {
      scenario?: Scenario;
      sentAt?: number;
    }
    const middle = sleep((seconds * 1000) / 2).then(async () => memory.push(await snapshot(server, 'middle')));
    result = await autocannon({
      url: server.base,
      connections,
      duration: seconds,
      maxOverallRequests: maxRequests,
      timeout: 30,
      requests: [
        {
          setupRequest: (request, context) => {
            const scenario = pick(random());
            const built = scenario.build({ names, random });
            const ctx = context as Ctx;
            ctx.scenario = scenario;
            ctx.sentAt = performance.now();
            return { ...request, method: built.method, path: built.path, headers: built.headers ?? {}, body: built.body } as autocannon.Request;
          },
          onResponse: (status, _body, context) => {
            const ctx = context as Ctx;
            if (!ctx.scenario) return;
            const tally = tallies.get(ctx.scenario.name)!;
            tally.statuses.set(status, (tally.statuses.get(status) ?? 0) + 1);
            tally.latenciesMs.push(performance.now() - ctx.sentAt!);
          },
        },
      ],
    });
    await middle;
    await sleep(500);
    memory.push(await snapshot(server, 'end'));
  } finally {
    unregister();
    await stopWranglerDev(server);
    await rm(tmp, { recursive: true, force: true });
  }

  // Report.
  const rows = [...tallies.values()].filter((t) => t.latenciesMs.length > 0);
  const total = rows.reduce((sum, t) => sum + t.latenciesMs.length, 0);
  let fiveXx = 0;
  let unexpected = 0;
  const scenarioLines = ['| scenario | requests | statuses | expected | p50 ms | p99 ms |', '|---|---:|---|---|---:|---:|'];
  for (const t of rows) {
    const statuses = [...t.statuses].sort(([a], [b]) => a - b);
    for (const [status, count] of statuses) {
      if (status >= 500) fiveXx += count;
      if (!t.scenario.expect.includes(status)) unexpected += count;
    }
    scenarioLines.push(
      `| ${t.scenario.name} | ${t.latenciesMs.length} | ${statuses.map(([s, n]) => `${s}: ${n}`).join(', ')} | ${t.scenario.expect.join(', ')} | ${fmt(quantile(t.latenciesMs, 0.5), 1)} | ${fmt(quantile(t.latenciesMs, 0.99), 1)} |`,
    );
  }
  const memoryLines = ['| stage | workerd RSS MiB | JS heap used MiB | ORT wasm MiB |', '|---|---:|---:|---:|'];
  for (const m of memory) memoryLines.push(`| ${m.stage} | ${fmt(m.rssMiB, 1)} | ${fmt(m.heapMiB, 1)} | ${fmt(m.wasmMiB, 1)} |`);
  const mid = memory.find((m) => m.stage === 'middle');
  const end = memory.find((m) => m.stage === 'end');
  const verdict = mid && end ? memoryVerdict(mid, end) : { stable: false, why: 'no middle or end snapshot' };
  const transportErrors = result.errors;
  const ok = fiveXx === 0 && unexpected === 0 && transportErrors === 0 && result.timeouts === 0 && verdict.stable;
  const report = [
    `## npm run load: ${fmt(result.duration, 1)} s, ${connections} connections, seed ${seed}`,
    '',
    `${total} requests (${fmt(total / result.duration, 0)}/s), **${fiveXx} 5xx**, ${unexpected} unexpected statuses, ${transportErrors} transport errors, ${result.timeouts} timeouts; ` +
      `load average before the run ${loadAverage()}; latency measured by the client from sending to the whole answer.`,
    '',
    ...scenarioLines,
    '',
    ...memoryLines,
    '',
    `Memory ${verdict.stable ? '**stable**' : '**NOT stable**'}: ${verdict.why}.${memory.some((m) => m.error) ? ` (${memory.find((m) => m.error)!.error})` : ''}`,
    '',
    `Verdict: ${ok ? '**pass**' : '**FAIL**'}`,
  ].join('\n');
  process.stdout.write(`${report}\n`);
  await mkdir(values.out!, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  await writeFile(join(values.out!, `${stamp}.md`), `${report}\n`);
  await writeFile(
    join(values.out!, `${stamp}.json`),
    JSON.stringify(
      {
        seconds: result.duration,
        connections,
        seed,
        total,
        fiveXx,
        unexpected,
        transportErrors,
        timeouts: result.timeouts,
        scenarios: rows.map((t) => ({
          name: t.scenario.name,
          requests: t.latenciesMs.length,
          statuses: Object.fromEntries(t.statuses),
          p50: quantile(t.latenciesMs, 0.5),
          p99: quantile(t.latenciesMs, 0.99),
        })),
        memory,
        verdict,
      },
      null,
      2,
    ),
  );
  log(`load: report written to ${values.out}/${stamp}.{md,json}`);
  process.exitCode = ok ? 0 : 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`load: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
