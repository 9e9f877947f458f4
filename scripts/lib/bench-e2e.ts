import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { workerHeapUsage, type HeapUsage } from './bench-inspector.js';
import {
  assertPortFree,
  BenchError,
  createNameGenerator,
  descendants,
  fmt,
  freePort,
  listProcesses,
  log,
  onInterrupt,
  readRss,
  sleep,
  type Row,
  memoryCell,
  wasmMemoryMiB,
} from './bench-util.js';

/**
 * Section 4 (end to end) and part of 5 (memory): `wrangler dev` started with the project's own
 * `node scripts/start.js` on 127.0.0.1, loaded with autocannon (in this process), then stopped.
 */

export interface Server {
  child: ChildProcess;
  port: number;
  inspectorPort: number;
  logFile: string;
  base: string;
}

async function tail(file: string, lines = 25): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Extra settings for one wrangler dev run (the benchmark passes none). */
export interface WranglerDevOptions {
  /** Appended to `node scripts/start.js ...`, e.g. `['--var', 'AUTH:on']`; logged with secrets masked. */
  extraArgs?: readonly string[];
  /** Added to the child's environment (e.g. DOH_UPSTREAM, which scripts/start.js reads). */
  env?: Readonly<Record<string, string>>;
  /** Values to print as *** in the logged command line (an ADMIN_TOKEN passed as a var). */
  secrets?: readonly string[];
}

/**
 * Starts `node scripts/start.js` (wrangler dev) on 127.0.0.1 with a fresh state directory under `tmp` and an
 * inspector port, and resolves once `/healthz` answers 200 (throws with the log's last lines if it exits or
 * does not answer within 60 s). `options` adds vars and environment for one run; without it, as the bench runs.
 */
export async function startWranglerDev(root: string, tmp: string, requestedPort?: number, options: WranglerDevOptions = {}): Promise<Server> {
  const port = requestedPort ?? (await freePort());
  await assertPortFree(port);
  const inspectorPort = await freePort();
  const logFile = join(tmp, `wrangler-dev-${port}.log`);
  const out = createWriteStream(logFile);
  // A fresh --persist-to: wrangler dev keeps Cache API entries on disk (.wrangler/state) between runs, which
  // would turn this run's "new" names into cache hits of an earlier run's.
  const persist = join(tmp, `wrangler-state-${port}`);
  const args = ['scripts/start.js', '--inspector-port', String(inspectorPort), '--persist-to', persist, ...(options.extraArgs ?? [])];
  const mask = (text: string) => (options.secrets ?? []).reduce((t, secret) => t.split(secret).join('***'), text);
  const envText = Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v} `).join('');
  log(mask(`e2e: ${envText}PORT=${port} node ${args.join(' ')} (cwd ${root}; log ${logFile})`));
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, ...options.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.pipe(out);
  child.stderr!.pipe(out);
  const base = `http://127.0.0.1:${port}`;
  const server: Server = { child, port, inspectorPort, logFile, base };
  const deadline = Date.now() + 60_000;
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  for (;;) {
    if (exited !== undefined) {
      throw new BenchError(`wrangler dev exited (code ${exited}) before answering /healthz on ${base}. Last log lines:\n${await tail(logFile)}`);
    }
    try {
      const response = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(5_000) });
      if (response.status === 200) return server;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stopWranglerDev(server);
      throw new BenchError(`wrangler dev did not answer 200 on ${base}/healthz within 60 s. Last log lines:\n${await tail(logFile)}`);
    }
    await sleep(250);
  }
}

/**
 * Stops wrangler dev. wrangler 4.86 does not exit within seconds of SIGTERM or SIGINT when run without a
 * terminal (measured here), so: SIGTERM to start.js (it forwards it), up to 5 s of grace, then SIGKILL to
 * each process of the tree recorded before, by pid, deepest first.
 */
export async function stopWranglerDev(server: Server): Promise<void> {
  const pid = server.child.pid;
  if (pid === undefined) return;
  const tree = [{ pid, ppid: process.pid, comm: 'node' }, ...descendants(pid)];
  const alive = () => listProcesses().filter((p) => tree.some((t) => t.pid === p.pid && t.comm === p.comm));
  if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGTERM');
  const until = Date.now() + 5_000;
  while (alive().length && Date.now() < until) await sleep(200);
  const left = alive().reverse();
  for (const p of left) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  if (left.length) log(`e2e: wrangler dev ignored SIGTERM for 5 s; killed ${left.map((p) => `${p.comm} ${p.pid}`).join(', ')}`);
}

/**
 * wrangler dev runs two workerd processes: a proxy that owns the public port and the user Worker's.
 * The Worker's is the one not bound to `entry=127.0.0.1:<port>`.
 */
export function workerdOf(server: Server): { worker?: number; proxy?: number } {
  const all = descendants(server.child.pid!).filter((p) => p.comm === 'workerd');
  const bound = (pid: number) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(`entry=127.0.0.1:${server.port}`);
    } catch {
      return false;
    }
  };
  return { worker: all.find((p) => !bound(p.pid))?.pid, proxy: all.find((p) => bound(p.pid))?.pid };
}

interface CannonSummary {
  connections: number;
  durationS: number;
  requests: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  rps: number;
  latency: { p50: number; p90: number; p99: number; mean: number; max: number };
}

async function cannon(options: autocannon.Options): Promise<CannonSummary> {
  const result = await autocannon(options);
  return {
    connections: result.connections,
    durationS: result.duration,
    requests: result.requests.total,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes: Object.fromEntries(
      Object.entries((result as unknown as { statusCodeStats?: Record<string, { count: number }> }).statusCodeStats ?? {}).map(([k, v]) => [k, v.count]),
    ),
    rps: result['2xx'] / result.duration,
    latency: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      mean: result.latency.average,
      max: result.latency.max,
    },
  };
}

export interface E2eResult {
  single: CannonSummary;
  /** GET /v1/model (no model run, no normalisation): the floor wrangler dev + Hono set for any request. */
  floor: CannonSummary;
  concurrent: CannonSummary;
  batch: CannonSummary & { domainsPerSecond: number };
  memory: { stage: string; rssMiB: number; peakMiB: number; proxyRssMiB?: number; heap?: HeapUsage; heapError?: string; wasmMiB?: number }[];
}

export async function runE2e(root: string, tmp: string, quick: boolean, requestedPort?: number): Promise<E2eResult> {
  const server = await startWranglerDev(root, tmp, requestedPort);
  const unregister = onInterrupt(() => stopWranglerDev(server));
  const names = createNameGenerator(Date.now() % 2 ** 31); // distinct from earlier runs' names too
  const memory: E2eResult['memory'] = [];
  const snapshot = async (stage: string) => {
    const { worker, proxy } = workerdOf(server);
    if (worker === undefined) {
      memory.push({ stage, rssMiB: Number.NaN, peakMiB: Number.NaN, heapError: 'no workerd process found under wrangler dev' });
      return;
    }
    const entry: E2eResult['memory'][number] = { stage, ...readRss(worker), proxyRssMiB: proxy === undefined ? undefined : readRss(proxy).rssMiB };
    try {
      entry.heap = await workerHeapUsage(server.inspectorPort);
    } catch (error) {
      entry.heapError = (error as Error).message;
    }
    entry.wasmMiB = await wasmMemoryMiB((path) => fetch(`${server.base}${path}`));
    memory.push(entry);
  };
  const seconds = quick ? 3 : 10;
  try {
    await snapshot('ready (before load)');
    // Warm-up: first session and first runs of each batch size.
    for (let i = 0; i < 20; i++) await (await fetch(`${server.base}/v1/classify?domain=${names.domain()}`)).arrayBuffer();
    for (let i = 0; i < 2; i++) {
      await (
        await fetch(`${server.base}/v1/classify`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ domains: names.domains(1000) }),
        })
      ).arrayBuffer();
    }
    await snapshot('after warm-up');
    const get: autocannon.Request = {
      method: 'GET',
      setupRequest: (request) => ({ ...request, path: `/v1/classify?domain=${names.domain()}` }),
    };
    log(`e2e: GET, concurrency 1, ${seconds} s or 2000 requests`);
    const single = await cannon({ url: server.base, connections: 1, duration: seconds, maxOverallRequests: 2000, requests: [get] });
    log(`e2e: GET /v1/model (baseline without the model), concurrency 1, ${seconds} s or 2000 requests`);
    const floor = await cannon({ url: server.base, connections: 1, duration: seconds, maxOverallRequests: 2000, requests: [{ method: 'GET', path: '/v1/model' }] });
    log(`e2e: GET, concurrency 10, ${seconds} s`);
    const concurrent = await cannon({ url: server.base, connections: 10, duration: seconds, requests: [get] });
    log(`e2e: POST 1000 names, concurrency 2, ${seconds} s`);
    const post: autocannon.Request = {
      method: 'POST',
      path: '/v1/classify',
      headers: { 'content-type': 'application/json' },
      setupRequest: (request) => ({ ...request, body: JSON.stringify({ domains: names.domains(1000) }) }),
    };
    const batchRun = await cannon({ url: server.base, connections: 2, duration: seconds, timeout: 30, requests: [post] });
    await sleep(500);
    await snapshot('after load (steady)');
    return { single, floor, concurrent, batch: { ...batchRun, domainsPerSecond: batchRun.rps * 1000 }, memory };
  } finally {
    unregister();
    await stopWranglerDev(server);
  }
}

export function e2eRows(e2e: E2eResult): Row[] {
  const health = (s: CannonSummary) =>
    `${s.requests} requests in ${fmt(s.durationS, 1)} s, ${s.ok} 2xx${s.non2xx ? `, **${s.non2xx} non-2xx** (status counts ${JSON.stringify(s.statusCodes)})` : ''}${s.errors ? `, **${s.errors} errors**` : ''}${s.timeouts ? `, **${s.timeouts} timeouts**` : ''}`;
  const { single, floor, concurrent, batch } = e2e;
  const heapError = e2e.memory.find((m) => m.heapError)?.heapError;
  return [
    {
      section: 'e2e (wrangler dev)',
      measure: 'GET one domain, concurrency 1: latency p50 / p99 (ms)',
      value: `**${fmt(single.latency.p50, 1)} / ${fmt(single.latency.p99, 1)}**`,
      how: `autocannon (in the benchmark's Node process) against wrangler dev on 127.0.0.1 (request path: proxy workerd -> Worker workerd), a new random name per request; ${health(single)}; mean ${fmt(single.latency.mean, 2)} ms, max ${fmt(single.latency.max, 0)} ms; ${fmt(single.rps, 0)} req/s`,
      data: single,
    },
    {
      section: 'e2e (wrangler dev)',
      measure: 'baseline GET /v1/model (no model run), concurrency 1: latency p50 / p99 (ms) · classify p50 minus baseline p50',
      value: `${fmt(floor.latency.p50, 1)} / ${fmt(floor.latency.p99, 1)} · **${fmt(single.latency.p50 - floor.latency.p50, 1)}**`,
      how: `the same wrangler dev and autocannon settings, a static JSON answer: what any request costs through wrangler dev's proxy and Hono here; ${health(floor)}; mean ${fmt(floor.latency.mean, 2)} ms (classify mean minus this: ${fmt(single.latency.mean - floor.latency.mean, 2)} ms). autocannon reports whole milliseconds`,
      data: floor,
    },
    {
      section: 'e2e (wrangler dev)',
      measure: 'GET one domain, concurrency 10: requests/s',
      value: `**${fmt(concurrent.rps, 0)}**`,
      how: `${health(concurrent)}; latency p50 ${fmt(concurrent.latency.p50, 1)} / p99 ${fmt(concurrent.latency.p99, 1)} ms`,
      data: concurrent,
    },
    {
      section: 'e2e (wrangler dev)',
      measure: 'POST 1000 domains, concurrency 2: domains/s',
      value: `**${fmt(batch.domainsPerSecond, 0)}**`,
      how: `${health(batch)}; request latency p50 ${fmt(batch.latency.p50, 0)} / p99 ${fmt(batch.latency.p99, 0)} ms`,
      data: batch,
    },
    {
      section: 'memory',
      measure: 'workerd RSS / JS heap / ORT wasm memory (MiB) under wrangler dev; isolate total = heap + wasm',
      value: e2e.memory.map(memoryCell).join(' → '),
      how: `${e2e.memory.map((m) => `${m.stage}: RSS ${fmt(m.rssMiB, 1)} (peak ${fmt(m.peakMiB, 1)}; proxy workerd ${fmt(m.proxyRssMiB, 1)})${m.heap ? `, JS heap ${fmt(m.heap.usedMiB, 1)} used / ${fmt(m.heap.totalMiB, 1)} total` : ''}${m.wasmMiB !== undefined ? `, ORT wasm ${fmt(m.wasmMiB, 1)}` : ''}`).join('; ')}. ORT wasm = the linear memory's size from /healthz (session.wasmMemoryBytes). VmRSS of the user Worker's workerd process (wrangler dev runs a second, proxy workerd in front, listed apart); JS heap via the inspector port passed to wrangler dev${heapError ? `; heap read failed: ${heapError}` : ''}`,
      data: e2e.memory,
    },
  ];
}
