import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createRng } from './seeded-random.js';

/** Shared helpers for `npm run bench`: logging, statistics, seeded names, /proc readers, ports. */

/** Progress goes to stderr; stdout carries only the final table. */
export function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

export class BenchError extends Error {}

/** One line of the result table. */
export interface Row {
  section: string;
  measure: string;
  value: string;
  /** How it was measured (and caveats). */
  how: string;
  /** Raw numbers for the JSON file. */
  data?: unknown;
}

// ---------------------------------------------------------------------------------------------------------
// Statistics

export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export const median = (values: readonly number[]): number => quantile(values, 0.5);
export const mean = (values: readonly number[]): number =>
  values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;

/** Formats a number with `digits` decimals, or "n/a". */
export function fmt(value: number | undefined, digits = 2): string {
  return value === undefined || !Number.isFinite(value) ? 'n/a' : value.toFixed(digits);
}

// ---------------------------------------------------------------------------------------------------------
// Generated names

export { createRng };

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const TLDS = ['com', 'net', 'org', 'info', 'ru', 'de', 'io', 'biz', 'co.uk', 'com.br'];

/**
 * Random, distinct domain names: a label of 5-20 letters/digits plus a TLD. Labels never repeat within
 * one generator, so no per-isolate cache can answer a request from earlier ones.
 */
export function createNameGenerator(seed: number) {
  const rng = createRng(seed);
  const seen = new Set<string>();
  function label(minLength = 5, maxLength = 20): string {
    for (;;) {
      const length = minLength + Math.floor(rng() * (maxLength - minLength + 1));
      let s = '';
      for (let i = 0; i < length; i++) s += ALPHABET[Math.floor(rng() * ALPHABET.length)];
      if (!seen.has(s)) {
        seen.add(s);
        return s;
      }
    }
  }
  return {
    label,
    domain(): string {
      return `${label()}.${TLDS[Math.floor(rng() * TLDS.length)]}`;
    },
    domains(n: number): string[] {
      return Array.from({ length: n }, () => this.domain());
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// /proc readers (Linux)

export const CLOCK_TICKS_PER_SECOND = 100; // getconf CLK_TCK on Linux x86-64

export interface ProcInfo {
  pid: number;
  ppid: number;
  comm: string;
}

/** Every process's pid, parent and name. */
export function listProcesses(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const fields = stat.slice(close + 2).split(' ');
      out.push({ pid: Number(entry), ppid: Number(fields[1]), comm: stat.slice(stat.indexOf('(') + 1, close) });
    } catch {
      // the process exited while we looked
    }
  }
  return out;
}

/** Descendants of `root` (children, grandchildren, ...). */
export function descendants(root: number, all = listProcesses()): ProcInfo[] {
  const result: ProcInfo[] = [];
  let frontier = [root];
  while (frontier.length) {
    const children = all.filter((p) => frontier.includes(p.ppid));
    result.push(...children);
    frontier = children.map((p) => p.pid);
  }
  return result;
}

/** The workerd processes below `root` (default: this process). */
export function workerdPids(root = process.pid): number[] {
  return descendants(root)
    .filter((p) => p.comm === 'workerd')
    .map((p) => p.pid);
}

export interface CpuSample {
  /** utime + stime of the whole process (all threads, dead ones included), ms; 10 ms resolution. */
  statMs: number;
  /** Sum of the live threads' run time from /proc/PID/task/x/schedstat, ms; ns resolution. */
  schedMs: number;
}

export function readCpu(pid: number): CpuSample {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the comm: field index 11 = utime, 12 = stime (fields 14 and 15 of proc(5)).
  const statMs = ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
  let schedNs = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      schedNs += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // thread exited
    }
  }
  return { statMs, schedMs: schedNs / 1e6 };
}

/** Resident set size of a process in MiB (VmRSS), and its peak (VmHWM). */
export function readRss(pid: number): { rssMiB: number; peakMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rssMiB: kb('VmRSS') / 1024, peakMiB: kb('VmHWM') / 1024 };
}

/** The 1/5/15-minute load averages (to record how busy the machine was). */
export function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

// ---------------------------------------------------------------------------------------------------------
// Ports and timing

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Fails if something already listens on 127.0.0.1:port. */
export function assertPortFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new BenchError(`port ${port} on 127.0.0.1 is busy (${error.code}); stop what listens there or pick another`)),
    );
    server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs `step` until `count` runs or `budgetMs` of wall time, whichever first (at least `min` runs). */
export async function boundedLoop(
  options: { count: number; budgetMs: number; min?: number },
  step: (i: number) => Promise<void> | void,
): Promise<number> {
  const started = performance.now();
  let i = 0;
  while (i < options.count && (i < (options.min ?? 1) || performance.now() - started < options.budgetMs)) {
    await step(i);
    i++;
  }
  return i;
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BenchError(`${what} did not finish within ${Math.round(ms / 1000)} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// ---------------------------------------------------------------------------------------------------------
// Clean-up on Ctrl-C

const cleanups = new Set<() => Promise<void>>();

/** Registers work to do if the benchmark is interrupted; returns the function that unregisters it. */
export function onInterrupt(cleanup: () => Promise<void>): () => void {
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

export function installInterruptHandlers(): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping what the benchmark started`);
      void Promise.allSettled([...cleanups].map((c) => c())).then(() => process.exit(130));
    });
  }
}

/**
 * ORT's wasm linear memory in the Worker (MiB), as its /healthz reports it (session.wasmMemoryBytes);
 * undefined if the Worker does not report it (an older build) or the request fails.
 */
export async function wasmMemoryMiB(get: (path: string) => Promise<Response>): Promise<number | undefined> {
  try {
    const response = await get('/healthz');
    const body = (await response.json()) as { session?: { wasmMemoryBytes?: number } };
    const bytes = body.session?.wasmMemoryBytes;
    return typeof bytes === 'number' ? bytes / 2 ** 20 : undefined;
  } catch {
    return undefined;
  }
}

/** One memory snapshot as "RSS / heap / wasm (= heap + wasm)", MiB. */
export function memoryCell(m: { rssMiB: number; heap?: { usedMiB: number }; wasmMiB?: number }): string {
  const heap = m.heap ? ` / ${fmt(m.heap.usedMiB, 1)}` : '';
  const wasm = m.wasmMiB !== undefined ? ` / ${fmt(m.wasmMiB, 1)}` : '';
  const total = m.heap && m.wasmMiB !== undefined ? ` (= ${fmt(m.heap.usedMiB + m.wasmMiB, 1)})` : '';
  return `${fmt(m.rssMiB, 0)}${heap}${wasm}${total}`;
}
