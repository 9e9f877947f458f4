import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Miniflare, type MiniflareOptions } from 'miniflare';
import { inject } from 'vitest';

/** The [vars] of wrangler.toml; tests override single values to exercise limits cheaply. */
export const DEFAULT_VARS = {
  MODEL_PRECISION: 'int8',
  MAX_BATCH: '1000',
  MAX_BODY_BYTES: '524288',
  LRU_SIZE: '10000',
  CACHE_TTL_SECONDS: '0',
  AUTH: 'off',
  ANON_RATE_PER_MIN: '0',
  CORS_ORIGINS: '*',
};

/** The Durable Objects of wrangler.toml (SQLite-backed, as its [[migrations]] declare). */
export const DURABLE_OBJECTS = {
  KEY_METER: { className: 'KeyMeter', useSQLite: true },
  KEY_REGISTRY: { className: 'KeyRegistry', useSQLite: true },
  IP_LIMITER: { className: 'IpRateLimiter', useSQLite: true },
};

const MODULE_TYPES: Record<string, 'ESModule' | 'CompiledWasm' | 'Data' | 'Text'> = {
  '.js': 'ESModule',
  '.wasm': 'CompiledWasm',
  '.onnx': 'Data',
  '.svg': 'Text',
};

/**
 * Replaces the contents of bundle modules, for fault tests: called with each module's file name (e.g.
 * "<hash>-dga.onnx") and its real bytes; returns the bytes to load instead, or undefined to keep them.
 */
export type ModuleOverride = (file: string, bytes: Uint8Array) => Uint8Array | undefined;

/**
 * Starts the wrangler-built bundle in workerd, with the Durable Objects in memory unless `options` says
 * otherwise (e.g. `durableObjectsPersist: dir` to keep them across restarts). The modules are listed
 * explicitly: Miniflare given the bundle as a scriptPath trips over an unused dynamic import() in ORT's
 * bundle (NOTES.md). `options` are further Miniflare worker options (kvNamespaces, outboundService,
 * serviceBindings, ...); `override` swaps module contents (fault tests).
 */
export async function startWorker(vars: Record<string, string> = {}, options: Partial<MiniflareOptions> = {}, override?: ModuleOverride) {
  return startBundle(inject('bundleDir'), { ...DEFAULT_VARS, ...vars }, { durableObjects: DURABLE_OBJECTS, ...options }, override);
}

/** Starts any wrangler-built bundle (entry index.js) in workerd with the given bindings. */
export async function startBundle(dir: string, bindings: Record<string, string>, options: Partial<MiniflareOptions> = {}, override?: ModuleOverride) {
  const files = (await readdir(dir)).filter((f) => Object.keys(MODULE_TYPES).some((ext) => f.endsWith(ext)));
  // The entry module must come first.
  files.sort((a, b) => (a === 'index.js' ? -1 : b === 'index.js' ? 1 : a.localeCompare(b)));
  const modules = await Promise.all(
    files.map(async (file) => {
      const module = { type: MODULE_TYPES[file.slice(file.lastIndexOf('.'))]!, path: join(dir, file) };
      const contents = override ? override(file, new Uint8Array(await readFile(module.path))) : undefined;
      return contents === undefined ? module : { ...module, contents };
    }),
  );
  return new Miniflare({
    modules,
    modulesRoot: dir,
    compatibilityDate: '2026-04-20',
    bindings,
    cf: false,
    ...options,
  } as MiniflareOptions);
}

/** What a test reads of a response: status, headers, the body as text and, if it parses, as JSON. */
export interface Answer {
  status: number;
  headers: Headers;
  json: any; // tests index into arbitrary JSON
  text: string;
}

export const TEST_ORIGIN = 'http://dga-edge.test';

/** One request to the Worker through Miniflare (path relative to TEST_ORIGIN). */
export async function callWorker(mf: Miniflare, path: string, init: RequestInit = {}): Promise<Answer> {
  const response = await mf.dispatchFetch(`${TEST_ORIGIN}${path}`, init as never);
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers as unknown as Headers, json, text };
}
