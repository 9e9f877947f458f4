import type { BlockMode } from './core/dns-message.js';
import { DgaEdgeError } from './core/errors.js';
import { parsePlans, type Plans } from './core/plans.js';

/**
 * Which export of the model serves: int8 weights (default; a third of the size) or the float original.
 * int8 is the default only while it meets the accuracy target against float (test/unit/parity.test.ts
 * checks this); the model is trained quantization-aware, so the two give the same scores.
 */
export type ModelPrecision = 'int8' | 'float';

/** Worker settings, from wrangler `[vars]` (all strings there), parsed and checked once per isolate. */
export interface AppConfig {
  /** MODEL_PRECISION, default "int8". */
  modelPrecision: ModelPrecision;
  /** Most names accepted in one POST /v1/classify. MAX_BATCH, default 1000. */
  maxBatch: number;
  /** Largest request body accepted, in bytes. MAX_BODY_BYTES, default 512 KiB. */
  maxBodyBytes: number;
  /** Overrides the model's threshold when set. DGA_THRESHOLD, 0..1. */
  threshold: number | undefined;
  /**
   * Overrides the model's open-set cut-off when set: a DGA name whose top family is below it gets family
   * "other" (src/core/open-set.ts). FAMILY_MIN_PROBABILITY, [0, 1); 0 = always the top known family.
   */
  familyMinProbability: number | undefined;
  /** Scored labels remembered per isolate (0 = off). LRU_SIZE, default 10,000. */
  lruSize: number;
  /**
   * max-age of GET /v1/classify answers in the edge cache, seconds. CACHE_TTL_SECONDS, default 0 (off): a
   * miss costs a cache lookup and write, more than the model run, so it pays only when names repeat a lot.
   */
  cacheTtlSeconds: number;
  /**
   * AUTH: "on" requires an API key (or the anonymous tier) on /v1/classify and meters every classified name;
   * "off" (default, and wrangler.toml's value for `npm start`) leaves the API open with no metering at all.
   */
  auth: boolean;
  /** PLANS: JSON object of plan name -> limits; default DEFAULT_PLANS (free, pro, enterprise). */
  plans: Plans;
  /** ANON_RATE_PER_MIN: requests per minute per client IP without a key when AUTH is on; 0 (default) = off. */
  anonRatePerMin: number;
  /** The DoH resolver /dns-query forwards allowed queries to (wire format over POST). DOH_UPSTREAM. */
  dohUpstream: string;
  /** How /dns-query answers a blocked query. DOH_BLOCK_MODE, "nxdomain" (default) or "null". */
  dohBlockMode: BlockMode;
  /** Milliseconds to wait for the upstream before answering SERVFAIL. DOH_UPSTREAM_TIMEOUT_MS, default 2000. */
  dohUpstreamTimeoutMs: number;
  /**
   * Origins allowed to call the API from a browser (CORS). CORS_ORIGINS: "*" (default: any origin; the API
   * uses no cookies) or a comma-separated list of origins such as "https://a.example,https://b.example".
   */
  corsOrigins: '*' | readonly string[];
}

/** The variables the Worker reads; everything is optional and has a default. */
export interface ConfigVars {
  MAX_BATCH?: string;
  MAX_BODY_BYTES?: string;
  DGA_THRESHOLD?: string;
  FAMILY_MIN_PROBABILITY?: string;
  LRU_SIZE?: string;
  MODEL_PRECISION?: string;
  CACHE_TTL_SECONDS?: string;
  DOH_UPSTREAM?: string;
  DOH_BLOCK_MODE?: string;
  DOH_UPSTREAM_TIMEOUT_MS?: string;
  AUTH?: string;
  PLANS?: string;
  ANON_RATE_PER_MIN?: string;
  CORS_ORIGINS?: string;
}

/** AUTH: "on" or "off" (default); throws on anything else. */
export function parseAuth(raw: string | undefined): boolean {
  if (raw === undefined || raw === '' || raw === 'off') return false;
  if (raw === 'on') return true;
  throw new DgaEdgeError('internal_error', `configuration: AUTH=${raw} must be "on" or "off"`, 500);
}

/** Where /dns-query forwards by default: Cloudflare's public resolver. */
export const DEFAULT_DOH_UPSTREAM = 'https://cloudflare-dns.com/dns-query';

function integer(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new DgaEdgeError('internal_error', `configuration: ${name}=${raw} must be an integer in ${min}..${max}`, 500);
  }
  return value;
}

/** MODEL_PRECISION: "int8" (default) or "float"; throws on anything else. */
export function parseModelPrecision(raw: string | undefined): ModelPrecision {
  if (raw === undefined || raw === '' || raw === 'int8') return 'int8';
  if (raw === 'float') return 'float';
  throw new DgaEdgeError('internal_error', `configuration: MODEL_PRECISION=${raw} must be "int8" or "float"`, 500);
}

/** DOH_BLOCK_MODE: "nxdomain" (default) or "null"; throws on anything else. */
export function parseBlockMode(raw: string | undefined): BlockMode {
  if (raw === undefined || raw === '' || raw === 'nxdomain') return 'nxdomain';
  if (raw === 'null') return 'null';
  throw new DgaEdgeError('internal_error', `configuration: DOH_BLOCK_MODE=${raw} must be "nxdomain" or "null"`, 500);
}

/** DOH_UPSTREAM: an absolute http(s) URL; throws on anything else. */
export function parseUpstreamUrl(raw: string | undefined): string {
  if (raw === undefined || raw === '') return DEFAULT_DOH_UPSTREAM;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new DgaEdgeError('internal_error', `configuration: DOH_UPSTREAM=${raw} is not a URL`, 500);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new DgaEdgeError('internal_error', `configuration: DOH_UPSTREAM=${raw} must be an http(s) URL`, 500);
  }
  return url.toString();
}

/** CORS_ORIGINS: "*" or a comma-separated list of origins (scheme://host[:port], no path). */
export function parseCorsOrigins(raw: string | undefined): '*' | readonly string[] {
  if (raw === undefined || raw.trim() === '' || raw.trim() === '*') return '*';
  const origins = raw.split(',').map((o) => o.trim()).filter((o) => o !== '');
  for (const origin of origins) {
    if (!/^https?:\/\/[a-z0-9.-]+(?::\d{1,5})?$/i.test(origin)) {
      throw new DgaEdgeError('internal_error', `configuration: CORS_ORIGINS entry "${origin}" must be an origin like https://app.example (no path, no "*")`, 500);
    }
  }
  return origins.map((o) => o.toLowerCase());
}

/** Parses the Worker's vars; a bad value is a deployment error reported once, clearly, in the log. */
export function parseConfig(vars: ConfigVars): AppConfig {
  let threshold: number | undefined;
  if (vars.DGA_THRESHOLD !== undefined && vars.DGA_THRESHOLD !== '') {
    threshold = Number(vars.DGA_THRESHOLD);
    if (!(threshold >= 0 && threshold <= 1)) {
      throw new DgaEdgeError('internal_error', `configuration: DGA_THRESHOLD=${vars.DGA_THRESHOLD} must be in 0..1`, 500);
    }
  }
  let familyMinProbability: number | undefined;
  if (vars.FAMILY_MIN_PROBABILITY !== undefined && vars.FAMILY_MIN_PROBABILITY !== '') {
    familyMinProbability = Number(vars.FAMILY_MIN_PROBABILITY);
    if (!(familyMinProbability >= 0 && familyMinProbability < 1)) {
      throw new DgaEdgeError('internal_error', `configuration: FAMILY_MIN_PROBABILITY=${vars.FAMILY_MIN_PROBABILITY} must be in [0, 1)`, 500);
    }
  }
  return {
    modelPrecision: parseModelPrecision(vars.MODEL_PRECISION),
    maxBatch: integer('MAX_BATCH', vars.MAX_BATCH, 1000, 1, 100_000),
    maxBodyBytes: integer('MAX_BODY_BYTES', vars.MAX_BODY_BYTES, 512 * 1024, 1024, 100 * 1024 * 1024),
    threshold,
    familyMinProbability,
    lruSize: integer('LRU_SIZE', vars.LRU_SIZE, 10_000, 0, 1_000_000),
    cacheTtlSeconds: integer('CACHE_TTL_SECONDS', vars.CACHE_TTL_SECONDS, 0, 0, 31_536_000),
    auth: parseAuth(vars.AUTH),
    plans: parsePlans(vars.PLANS),
    anonRatePerMin: integer('ANON_RATE_PER_MIN', vars.ANON_RATE_PER_MIN, 0, 0, 1_000_000),
    dohUpstream: parseUpstreamUrl(vars.DOH_UPSTREAM),
    dohBlockMode: parseBlockMode(vars.DOH_BLOCK_MODE),
    dohUpstreamTimeoutMs: integer('DOH_UPSTREAM_TIMEOUT_MS', vars.DOH_UPSTREAM_TIMEOUT_MS, 2000, 1, 30_000),
    corsOrigins: parseCorsOrigins(vars.CORS_ORIGINS),
  };
}
