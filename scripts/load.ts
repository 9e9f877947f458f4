// `npm run load`: mixed traffic against `wrangler dev` on 127.0.0.1 for a bounded time and count, then a
// report: requests, statuses, DNS RCODEs and latency per scenario (scripts/lib/load-scenarios.ts), a zero-5xx
// check, the units each API key was charged against what the answers said, and the Worker's memory at start,
// middle and end with a "stable" verdict. The Worker runs as it would when paid for: AUTH=on, a random
// ADMIN_TOKEN for this run, an anonymous tier small enough to answer 429s, a "load" plan the run cannot
// exhaust, keys made through the admin API, and /dns-query forwarding to a fake DoH upstream in this process.
// Exits 1 on any 5xx, transport error, timeout, unexpected status or RCODE, unit mismatch, or unstable
// memory. Progress goes to stderr; the report to stdout and to runs/load/<timestamp>.{json,md}. Only
// 127.0.0.1 is contacted.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { generateApiKey } from '../src/core/api-keys.js';
import { decodeDnsMessage } from '../src/core/dns-wire.js';
import { loadNodeClassifier } from '../src/runtime/node-model.js';
import { keepResponseBytes, responseBytes } from './lib/autocannon-bytes.js';
import { startWranglerDev, stopWranglerDev, workerdOf, type Server } from './lib/bench-e2e.js';
import { workerHeapUsage } from './lib/bench-inspector.js';
import { createNameGenerator, createRng, fmt, installInterruptHandlers, loadAverage, log, onInterrupt, quantile, readRss, sleep, wasmMemoryMiB } from './lib/bench-util.js';
import { integerFlag, parseFlags, runScript } from './lib/cli-flags.js';
import { startLocalDohUpstream } from './lib/local-doh-upstream.js';
import { benignNameGenerator, dgaNameGenerator, screenedPool } from './lib/load-names.js';
import { SCENARIOS, scenarioPicker, type LoadRequest, type Rcode, type RunKey, type Scenario } from './lib/load-scenarios.js';

const HELP = `Usage: npm run load -- [options]

  --seconds N        how long the mixed traffic runs (default 60), followed by a short drain (see below)
  --max-requests N   stop after this many requests even if time is left (default 200000)
  --connections N    concurrent connections (default 8)
  --port N           port for wrangler dev (default: a free one)
  --seed N           seed of the names, keys picked and the scenario choice (default: the clock)
  --out DIR          where to write <timestamp>.json and .md (default: runs/load)
  --help             this text`;

/**
 * Memory may grow by at most this much from the middle of the run to its end. The verdict is on the
 * Worker's isolate (JS heap still reachable after a forced full GC + ORT's wasm memory). The workerd
 * process's RSS is reported but judged only when the isolate reading is unavailable: in local workerd RSS
 * grows with the request count for any Worker (a hello-world Worker in Miniflare: 49 -> 300 MiB over 40k
 * requests; wrangler dev's proxy process, which runs none of our code, grows too), so it does not measure
 * this Worker.
 */
const RSS_GROWTH_LIMIT = 0.1;
const ISOLATE_GROWTH_LIMIT = 0.25;
const ISOLATE_GROWTH_SLACK_MIB = 4; // GC timing alone moves a small heap by a few MiB

/**
 * After the mixed traffic, connections only GET /healthz (free, unmetered) for this long before autocannon
 * closes them. autocannon stops a timed run by destroying its connections, so a metered request still in
 * flight at that moment may be charged by the Worker without the client ever seeing its answer; draining
 * lets every metered request finish first, so the units check can be exact. Requests still unanswered at
 * the end are counted and reported (they make the check fail).
 */
const DRAIN_SECONDS = 5;
/** How often the Worker's RSS is sampled for the trace in the report (a /proc read, no request). */
const RSS_TRACE_SECONDS = 10;
/** Live keys created for the run (requests spread over them at random). */
const LIVE_KEYS = 3;
/** The anonymous tier's requests per minute: low enough that the anonymous scenario sees 429s too. */
const ANON_RATE_PER_MIN = 60;
/** The one plan of the run: a rate and a quota the run cannot reach, and batches up to MAX_BATCH. */
const LOAD_PLANS = { load: { unitsPerMonth: 1_000_000_000_000, requestsPerSecond: 1_000_000, maxBatch: 1000 } };

interface Tally {
  scenario: Scenario;
  statuses: Map<number, number>;
  rcodes: Map<Rcode, number>;
  latenciesMs: number[];
  /** Sent but not answered when autocannon stopped (timeouts, or cut off at the end). */
  sent: number;
  /** Answers whose check failed: wrong RCODE or DNS ID, undecodable DNS answer, 429 without Retry-After. */
  badAnswers: string[];
}

interface KeyUnits {
  key: RunKey;
  label: string;
  /** Sum of X-Units-Charged over the answers seen. */
  charged: number;
  /** Units the scenarios say the answers seen cost (units per 200 answer, 0 otherwise). */
  expected: number;
  /** Answers that cost at least one unit (usage counts these as requests). */
  chargedAnswers: number;
  usage?: { units: number; requests: number };
}

interface MemorySnapshot {
  stage: string;
  rssMiB: number;
  heapMiB?: number;
  /** JS heap still reachable after a full GC (HeapProfiler.collectGarbage): growth here is a leak. */
  heapAfterGcMiB?: number;
  wasmMiB?: number;
  error?: string;
}

async function snapshot(server: Server, stage: string): Promise<MemorySnapshot> {
  const { worker } = workerdOf(server);
  if (worker === undefined) return { stage, rssMiB: Number.NaN, error: 'no workerd process found under wrangler dev' };
  const entry: MemorySnapshot = { stage, rssMiB: readRss(worker).rssMiB };
  try {
    // workerd serves some inspector commands (the forced GC) only when the isolate gets a turn, so an idle
    // Worker is kept busy with free /healthz requests until the reading is back.
    let reading = true;
    const poke = (async () => {
      while (reading) {
        await fetch(`${server.base}/healthz`).then((r) => r.arrayBuffer()).catch(() => undefined);
        await sleep(100);
      }
    })();
    const heap = await workerHeapUsage(server.inspectorPort, undefined, { collectGarbage: true }).finally(() => (reading = false));
    await poke;
    entry.heapMiB = heap.usedMiB;
    entry.heapAfterGcMiB = heap.usedAfterGcMiB;
  } catch (error) {
    entry.error = (error as Error).message;
  }
  entry.wasmMiB = await wasmMemoryMiB((path) => fetch(`${server.base}${path}`));
  return entry;
}

/** End within the limits of middle: RSS and the isolate's JS heap + ORT wasm memory. */
function memoryVerdict(middle: MemorySnapshot, end: MemorySnapshot): { stable: boolean; why: string } {
  const rssGrowth = end.rssMiB / middle.rssMiB - 1;
  // What is still reachable after a full GC when we have it: "used" alone mostly measures the collector's laziness.
  const isolate = (m: MemorySnapshot) => (m.heapAfterGcMiB ?? m.heapMiB ?? Number.NaN) + (m.wasmMiB ?? 0);
  const isolateGrowthMiB = isolate(end) - isolate(middle);
  const judgedOnIsolate = middle.heapAfterGcMiB !== undefined && end.heapAfterGcMiB !== undefined;
  const isolateOk = !Number.isNaN(isolateGrowthMiB) && isolateGrowthMiB <= Math.max(ISOLATE_GROWTH_SLACK_MIB, isolate(middle) * ISOLATE_GROWTH_LIMIT);
  const rssOk = Number.isFinite(rssGrowth) && rssGrowth <= RSS_GROWTH_LIMIT;
  const stable = judgedOnIsolate ? isolateOk : rssOk && (Number.isNaN(isolateGrowthMiB) || isolateOk);
  const why =
    `middle -> end: JS heap after a full GC + wasm ${isolateGrowthMiB >= 0 ? '+' : ''}${fmt(isolateGrowthMiB, 1)} MiB (limit +${ISOLATE_GROWTH_LIMIT * 100}% or ${ISOLATE_GROWTH_SLACK_MIB} MiB)` +
    (judgedOnIsolate ? '' : ' (no after-GC reading: judged on RSS too)') +
    `; workerd RSS ${rssGrowth >= 0 ? '+' : ''}${fmt(rssGrowth * 100, 1)}% (${judgedOnIsolate ? 'reported, not judged: local workerd RSS grows with the request count for any Worker' : `limit +${RSS_GROWTH_LIMIT * 100}%`})`;
  return { stable, why };
}

/** One call of the admin API; throws with the answer's error envelope on anything but `expect`. */
async function admin<T>(server: Server, token: string, method: 'GET' | 'POST', path: string, body: unknown, expect: number): Promise<T> {
  const response = await fetch(`${server.base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (response.status !== expect) throw new Error(`admin ${method} ${path} answered ${response.status} (expected ${expect}): ${text}`);
  return JSON.parse(text) as T;
}

/** The RCODE of a DoH answer body, checking it is whole (Content-Length) and echoes the query's ID. */
function readRcode(body: string, headers: Record<string, string | string[]>, dnsId: number | undefined): { rcode: Rcode; problem?: string } {
  const bytes = responseBytes(body);
  const declared = Number(headers['content-length']);
  if (declared !== bytes.byteLength) return { rcode: 'other', problem: `answer of ${bytes.byteLength} bytes, Content-Length ${headers['content-length']}` };
  try {
    const message = decodeDnsMessage(bytes);
    if (dnsId !== undefined && message.id !== dnsId) return { rcode: 'other', problem: `answer ID ${message.id}, query ID ${dnsId}` };
    const rcode = message.rcode ?? 'other';
    return { rcode: rcode === 'NOERROR' || rcode === 'NXDOMAIN' || rcode === 'SERVFAIL' ? rcode : 'other' };
  } catch (error) {
    return { rcode: 'other', problem: (error as Error).message };
  }
}

function lowerCaseKeys(headers: Record<string, string | string[]>): Record<string, string | string[]> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

async function main(): Promise<number | 'help'> {
  const values = parseFlags(process.argv.slice(2), {
    seconds: { type: 'string' },
    'max-requests': { type: 'string' },
    connections: { type: 'string' },
    port: { type: 'string' },
    seed: { type: 'string' },
    out: { type: 'string', default: 'runs/load' },
    help: { type: 'boolean', default: false },
  });
  if (values.help) return 'help';
  const seconds = integerFlag('seconds', values.seconds, 60);
  const maxRequests = integerFlag('max-requests', values['max-requests'], 200_000);
  const connections = integerFlag('connections', values.connections, 8);
  const seed = integerFlag('seed', values.seed, Date.now() % 2 ** 31, { min: 0 });
  const port = integerFlag('port', values.port, undefined, { max: 65535 });

  installInterruptHandlers();
  keepResponseBytes();

  // DoH names first, while wrangler dev is not yet competing for the CPU: enough for ~60 DoH queries a second.
  const poolSize = Math.max(500, 60 * seconds);
  log(`load: screening ${poolSize} benign and ${poolSize} DGA-looking names with the model (Node, same ONNX file)`);
  const classifier = await loadNodeClassifier();
  const benign = await screenedPool(classifier, benignNameGenerator(seed + 2), poolSize, false);
  const dga = await screenedPool(classifier, dgaNameGenerator(seed + 3), poolSize, true);
  log(`load: names ready (dropped ${benign.dropped} benign-looking names the model flags, ${dga.dropped} random ones it does not)`);

  const tmp = await mkdtemp(join(tmpdir(), 'dga-edge-load-'));
  const upstream = await startLocalDohUpstream();
  const adminToken = randomBytes(32).toString('base64url');
  const server = await startWranglerDev(process.cwd(), tmp, port, {
    env: { DOH_UPSTREAM: upstream.url },
    extraArgs: ['--var', 'AUTH:on', '--var', `ADMIN_TOKEN:${adminToken}`, '--var', `ANON_RATE_PER_MIN:${ANON_RATE_PER_MIN}`, '--var', `PLANS:${JSON.stringify(LOAD_PLANS)}`],
    secrets: [adminToken],
  });
  const unregister = onInterrupt(async () => {
    await stopWranglerDev(server);
    await upstream.close();
    await rm(tmp, { recursive: true, force: true });
  });
  const names = createNameGenerator(seed);
  const random = createRng(seed + 1);
  const pick = scenarioPicker(SCENARIOS);
  const tallies = new Map<string, Tally>(
    SCENARIOS.map((s) => [s.name, { scenario: s, statuses: new Map(), rcodes: new Map(), latenciesMs: [], sent: 0, badAnswers: [] }]),
  );
  const keyUnits = new Map<string, KeyUnits>();
  const memory: MemorySnapshot[] = [];
  let drained = 0;
  const rssTrace: number[] = [];
  let result: autocannon.Result;
  try {
    // Keys: live ones on the "load" plan, and one created then revoked.
    const live: RunKey[] = [];
    for (let i = 0; i < LIVE_KEYS; i++) {
      const label = `load-${i + 1}`;
      const made = await admin<RunKey>(server, adminToken, 'POST', '/v1/admin/keys', { plan: 'load', label }, 201);
      live.push({ id: made.id, key: made.key });
      keyUnits.set(made.id, { key: made, label, charged: 0, expected: 0, chargedAnswers: 0 });
    }
    const revoked = await admin<RunKey>(server, adminToken, 'POST', '/v1/admin/keys', { plan: 'load', label: 'load-revoked' }, 201);
    await admin(server, adminToken, 'POST', `/v1/admin/keys/${revoked.id}/revoke`, undefined, 200);
    keyUnits.set(revoked.id, { key: revoked, label: 'load-revoked', charged: 0, expected: 0, chargedAnswers: 0 });
    log(`load: admin API made ${LIVE_KEYS} keys on plan "load" and revoked a fourth; DoH upstream ${upstream.url}`);
    const source = { names, random, keys: { live, revoked: revoked.key, unknown: generateApiKey() }, dohNames: { benign: () => benign.next(), dga: () => dga.next() } };

    memory.push(await snapshot(server, 'start (after /healthz answered)'));
    log(`load: ${seconds} s (+${DRAIN_SECONDS} s drain) or ${maxRequests} requests, ${connections} connections, seed ${seed}, against ${server.base}`);
    interface Ctx {
      scenario?: Scenario;
      request?: LoadRequest;
      sentAt?: number;
    }
    const startedAt = performance.now();
    const middle = sleep((seconds * 1000) / 2).then(async () => memory.push(await snapshot(server, 'middle')));
    const traceWorker = workerdOf(server).worker;
    const tracer = setInterval(() => {
      if (traceWorker !== undefined) rssTrace.push(readRss(traceWorker).rssMiB);
    }, RSS_TRACE_SECONDS * 1000);
    result = await autocannon({
      url: server.base,
      connections,
      duration: seconds + DRAIN_SECONDS,
      maxOverallRequests: maxRequests,
      timeout: 30,
      requests: [
        {
          setupRequest: (request, context) => {
            const ctx = context as Ctx;
            if (performance.now() - startedAt >= seconds * 1000) {
              ctx.scenario = undefined;
              return { ...request, method: 'GET', path: '/healthz', headers: {}, body: undefined } as autocannon.Request;
            }
            const scenario = pick(random());
            const built = scenario.build(source);
            ctx.scenario = scenario;
            ctx.request = built;
            ctx.sentAt = performance.now();
            tallies.get(scenario.name)!.sent++;
            return { ...request, method: built.method, path: built.path, headers: built.headers ?? {}, body: built.body } as autocannon.Request;
          },
          onResponse: (status, body, context, rawHeaders) => {
            const ctx = context as Ctx;
            if (!ctx.scenario) {
              drained++;
              return;
            }
            const { scenario, request } = ctx;
            const headers = lowerCaseKeys((rawHeaders ?? {}) as Record<string, string | string[]>);
            const tally = tallies.get(scenario.name)!;
            tally.statuses.set(status, (tally.statuses.get(status) ?? 0) + 1);
            tally.latenciesMs.push(performance.now() - ctx.sentAt!);
            let rcode: Rcode | undefined;
            if (scenario.rcode && status === 200) {
              const read = readRcode(body, headers, request!.dnsId);
              rcode = read.rcode;
              tally.rcodes.set(rcode, (tally.rcodes.get(rcode) ?? 0) + 1);
              if (read.problem || rcode !== scenario.rcode) tally.badAnswers.push(read.problem ?? `RCODE ${rcode}`);
            }
            if (status === 429 && headers['retry-after'] === undefined) tally.badAnswers.push('429 without Retry-After');
            const keyId = request!.keyId;
            const units = keyId === undefined ? undefined : keyUnits.get(keyId);
            if (units) {
              const charged = Number(headers['x-units-charged'] ?? 0);
              units.charged += charged;
              if (charged > 0) units.chargedAnswers++;
              units.expected += status === 200 && rcode !== 'SERVFAIL' ? (scenario.units ?? 0) : 0;
            }
            ctx.scenario = undefined;
          },
        },
      ],
    });
    clearInterval(tracer);
    await middle;
    await sleep(500);
    memory.push(await snapshot(server, 'end'));
    for (const entry of keyUnits.values()) {
      const usage = await admin<{ units: number; requests: number }>(server, adminToken, 'GET', `/v1/admin/keys/${entry.key.id}/usage`, undefined, 200);
      entry.usage = { units: usage.units, requests: usage.requests };
    }
  } finally {
    unregister();
    await stopWranglerDev(server);
    await upstream.close();
    await rm(tmp, { recursive: true, force: true });
  }

  // Report.
  const rows = [...tallies.values()].filter((t) => t.sent > 0);
  const total = rows.reduce((sum, t) => sum + t.latenciesMs.length, 0);
  const unanswered = rows.reduce((sum, t) => sum + t.sent - t.latenciesMs.length, 0);
  let fiveXx = 0;
  let unexpected = 0;
  let badAnswers = 0;
  const rcodeTotals = new Map<Rcode, number>();
  const scenarioLines = ['| scenario | requests | statuses | expected | DNS RCODEs | p50 ms | p99 ms |', '|---|---:|---|---|---|---:|---:|'];
  for (const t of rows) {
    const statuses = [...t.statuses].sort(([a], [b]) => a - b);
    for (const [status, count] of statuses) {
      if (status >= 500) fiveXx += count;
      if (!t.scenario.expect.includes(status)) unexpected += count;
    }
    badAnswers += t.badAnswers.length;
    for (const [rcode, count] of t.rcodes) rcodeTotals.set(rcode, (rcodeTotals.get(rcode) ?? 0) + count);
    const rcodes = t.scenario.rcode ? (['NOERROR', 'NXDOMAIN', 'SERVFAIL', 'other'] as const).filter((r) => r !== 'other' || t.rcodes.has(r)).map((r) => `${r}: ${t.rcodes.get(r) ?? 0}`).join(', ') : '';
    const expected = `${t.scenario.expect.join(', ')}${t.scenario.rcode ? ` (${t.scenario.rcode})` : ''}`;
    scenarioLines.push(
      `| ${t.scenario.name} | ${t.latenciesMs.length} | ${statuses.map(([s, n]) => `${s}: ${n}`).join(', ')} | ${expected} | ${rcodes} | ${fmt(quantile(t.latenciesMs, 0.5), 1)} | ${fmt(quantile(t.latenciesMs, 0.99), 1)} |`,
    );
  }
  const unitLines = ['| key | label | units charged (X-Units-Charged) | units expected (scenarios) | usage units (admin API) | charged answers | usage requests |', '|---|---|---:|---:|---:|---:|---:|'];
  let unitsOk = unanswered === 0;
  for (const u of keyUnits.values()) {
    const same = u.usage !== undefined && u.charged === u.expected && u.usage.units === u.charged && u.usage.requests === u.chargedAnswers;
    if (!same) unitsOk = false;
    unitLines.push(`| ${u.key.id} | ${u.label} | ${u.charged} | ${u.expected} | ${u.usage?.units ?? 'n/a'} | ${u.chargedAnswers} | ${u.usage?.requests ?? 'n/a'} |${same ? '' : ' **differs**'}`);
  }
  const noerror = rcodeTotals.get('NOERROR') ?? 0;
  const servfail = rcodeTotals.get('SERVFAIL') ?? 0;
  const upstreamOk = upstream.stats.answered === noerror && upstream.stats.refused === 0;
  const memoryLines = ['| stage | workerd RSS MiB | JS heap used MiB | JS heap after a full GC MiB | ORT wasm MiB |', '|---|---:|---:|---:|---:|'];
  for (const m of memory) memoryLines.push(`| ${m.stage} | ${fmt(m.rssMiB, 1)} | ${fmt(m.heapMiB, 1)} | ${fmt(m.heapAfterGcMiB, 1)} | ${fmt(m.wasmMiB, 1)} |`);
  const mid = memory.find((m) => m.stage === 'middle');
  const end = memory.find((m) => m.stage === 'end');
  const verdict = mid && end ? memoryVerdict(mid, end) : { stable: false, why: 'no middle or end snapshot' };
  const transportErrors = result.errors;
  const ok =
    fiveXx === 0 && unexpected === 0 && badAnswers === 0 && servfail === 0 && transportErrors === 0 && result.timeouts === 0 && unitsOk && upstreamOk && verdict.stable;
  const firstBad = rows.flatMap((t) => t.badAnswers.slice(0, 1).map((b) => `${t.scenario.name}: ${b}`));
  const report = [
    `## npm run load: ${seconds} s of mixed traffic (+${DRAIN_SECONDS} s drain), ${connections} connections, seed ${seed}`,
    '',
    `${total} requests (${fmt(total / seconds, 0)}/s), **${fiveXx} 5xx**, ${unexpected} unexpected statuses, ${badAnswers} bad answers, ${transportErrors} transport errors, ${result.timeouts} timeouts, ` +
      `${unanswered} metered requests unanswered at the end; ${drained} drain requests (GET /healthz) not counted; ` +
      `load average before the run ${loadAverage()}; latency measured by the client from sending to the whole answer.`,
    '',
    `AUTH=on, plan "load" (${JSON.stringify(LOAD_PLANS.load)}), ANON_RATE_PER_MIN=${ANON_RATE_PER_MIN}; DoH forwarded to a local fake upstream (${upstream.stats.answered} queries answered, ${upstream.stats.refused} refused). ` +
      `DoH names screened with the model before the run: ${benign.size} benign, ${dga.size} DGA${benign.wrapped || dga.wrapped ? ` (the pools wrapped around: ${benign.wrapped} / ${dga.wrapped} times, later names repeat)` : ''}.`,
    '',
    ...scenarioLines,
    '',
    `DNS answers: NOERROR ${noerror}, NXDOMAIN ${rcodeTotals.get('NXDOMAIN') ?? 0}, **SERVFAIL ${servfail}**${rcodeTotals.has('other') ? `, other ${rcodeTotals.get('other')}` : ''}; ` +
      `upstream answered ${upstream.stats.answered} (${upstreamOk ? 'equals' : '**differs from**'} the NOERROR count).${firstBad.length ? ` First bad answers: ${firstBad.join('; ')}.` : ''}`,
    '',
    '### Units counted vs expected per key',
    '',
    ...unitLines,
    '',
    `Units check ${unitsOk ? '**exact**' : '**FAILED**'}: the admin API's usage equals the X-Units-Charged sum of the answers seen and the scenarios' expectation for every key` +
      `${unanswered ? `; ${unanswered} metered requests were never answered, so the check cannot be exact` : ''}.`,
    '',
    ...memoryLines,
    '',
    `Memory ${verdict.stable ? '**stable**' : '**NOT stable**'}: ${verdict.why}.${memory.some((m) => m.error) ? ` (${memory.find((m) => m.error)!.error})` : ''}`,
    '',
    `workerd RSS every ${RSS_TRACE_SECONDS} s during the run (MiB): ${rssTrace.map((v) => fmt(v, 0)).join(', ')}.`,
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
        seconds,
        drainSeconds: DRAIN_SECONDS,
        autocannonSeconds: result.duration,
        connections,
        seed,
        total,
        fiveXx,
        unexpected,
        badAnswers,
        transportErrors,
        timeouts: result.timeouts,
        unanswered,
        drained,
        upstream: upstream.stats,
        rcodes: Object.fromEntries(rcodeTotals),
        scenarios: rows.map((t) => ({
          name: t.scenario.name,
          requests: t.latenciesMs.length,
          sent: t.sent,
          statuses: Object.fromEntries(t.statuses),
          rcodes: Object.fromEntries(t.rcodes),
          badAnswers: t.badAnswers.slice(0, 20),
          p50: quantile(t.latenciesMs, 0.5),
          p99: quantile(t.latenciesMs, 0.99),
        })),
        units: [...keyUnits.values()].map((u) => ({ id: u.key.id, label: u.label, charged: u.charged, expected: u.expected, chargedAnswers: u.chargedAnswers, usage: u.usage })),
        unitsOk,
        memory,
        rssTrace: { everySeconds: RSS_TRACE_SECONDS, mib: rssTrace },
        verdict,
        ok,
      },
      null,
      2,
    ),
  );
  log(`load: report written to ${values.out}/${stamp}.{md,json}`);
  return ok ? 0 : 1;
}

runScript('load', HELP, main);
