import type { Context, Next } from 'hono';
import { createMiddleware } from 'hono/factory';
import { hashApiKey, isWellFormedApiKey } from '../core/api-keys.js';
import { DgaEdgeError } from '../core/errors.js';
import type { Admission, Charge, QuotaInfo, RateInfo } from '../metering/key-meter.js';
import { keyFromAuthorization } from './auth.js';
import type { AppEnv, MeteringBindings } from './env.js';
import { errorResponse } from './error-response.js';

export interface MeteringOptions {
  /**
   * Whether answers cost units (classify, dns-query: true, the default) or are free but still need a key
   * (usage: false; no charge call is made).
   */
  billable?: boolean;
  /** Whether the anonymous tier (ANON_RATE_PER_MIN) may use these routes. Default true. */
  anonymous?: boolean;
  /**
   * Also read the key from the URL path (e.g. keyFromDohPath for `/dns-query/<key>`); the Authorization
   * header wins when both are present.
   */
  keyFromPath?: (pathname: string) => string | undefined;
}

/**
 * Records how many units this answer costs: the number of names that got a score. Routes that never call
 * it are charged one unit per 2xx answer (a DoH message, a cached GET answer). Non-2xx answers cost nothing.
 */
export function setUnits(c: Context<AppEnv>, units: number): void {
  c.set('units', units);
}

/** The Durable Object namespaces metering needs; a missing one with AUTH=on is a deployment error. */
export function meteringBinding<K extends 'KEY_METER' | 'KEY_REGISTRY' | 'IP_LIMITER'>(env: MeteringBindings, name: K): NonNullable<MeteringBindings[K]> {
  const binding = env[name];
  if (!binding) throw new DgaEdgeError('internal_error', `configuration: the Durable Object binding ${name} is missing (wrangler.toml durable_objects)`, 500);
  return binding as NonNullable<MeteringBindings[K]>;
}

function rateHeaders(rate: RateInfo, windowSeconds: number): Record<string, string> {
  return {
    'RateLimit-Limit': String(rate.limit),
    'RateLimit-Remaining': String(rate.remaining),
    'RateLimit-Reset': String(rate.resetSeconds),
    'RateLimit-Policy': `${rate.limit};w=${windowSeconds}`,
  };
}

function quotaHeaders(quota: QuotaInfo): Record<string, string> {
  return {
    'X-Quota-Limit': String(quota.limit),
    'X-Quota-Remaining': String(quota.remaining),
    'X-Quota-Reset': quota.resetsAt,
  };
}

/** Replaces the answer with `response` (dropping the old one's headers, e.g. Cache-Control) or adds headers. */
function finish(c: Context<AppEnv>, headers: Record<string, string>, response?: Response): void {
  const base = response ?? c.res;
  c.res = undefined;
  const out = new Response(base.body, base);
  for (const [name, value] of Object.entries(headers)) out.headers.set(name, value);
  c.res = out;
}

function unauthorized(c: Context<AppEnv>, code: 'missing_api_key' | 'invalid_api_key', message: string) {
  const challenge = code === 'missing_api_key' ? 'Bearer realm="dga-edge"' : 'Bearer realm="dga-edge", error="invalid_token"';
  return errorResponse(c, 401, code, message, { 'WWW-Authenticate': challenge });
}

function unavailable(c: Context<AppEnv>, where: string, error: unknown) {
  console.error(`metering_unavailable: ${where} failed:`, error);
  return errorResponse(c, 503, 'metering_unavailable', 'usage metering is unavailable, so the request was not processed; retry shortly', {
    'Retry-After': '1',
  });
}

async function chargeOnceOrRetry(charge: () => Promise<Charge>): Promise<Charge> {
  try {
    return await charge();
  } catch (first) {
    // The same request id makes the retry safe: a charge that did commit the first time is recognised.
    console.error('metering: charge failed, retrying once with the same request id:', first);
    return await charge();
  }
}

async function anonymousRequest(c: Context<AppEnv>, next: Next) {
  const perMinute = c.var.config.anonRatePerMin;
  const ip = c.req.header('cf-connecting-ip') ?? 'unknown';
  const limiter = meteringBinding(c.env, 'IP_LIMITER');
  let taken;
  try {
    taken = await limiter.get(limiter.idFromName(ip)).take(perMinute);
  } catch (error) {
    return unavailable(c, 'the anonymous rate limiter', error);
  }
  const headers = rateHeaders(taken, 60);
  if (!taken.allowed) {
    return errorResponse(c, 429, 'rate_limited', `anonymous limit of ${perMinute} requests per minute reached; retry later or use an API key`, {
      ...headers,
      'Retry-After': String(taken.retryAfterSeconds),
    });
  }
  await next();
  finish(c, headers);
}

/**
 * The pay-per-request gate (AUTH=on; with AUTH=off it does nothing at all: no storage call, no header).
 * Finds the API key (Bearer header, or the path for DoH), asks the key's Durable Object to admit the
 * request (401 unknown/revoked, 402 quota spent, 429 over the rate), runs the route, and, for a 2xx
 * answer, charges its units before the answer leaves. If the charge cannot be recorded the answer is
 * withheld (503 metering_unavailable): nothing is served that was not counted. Every answer to a keyed or
 * anonymous request carries RateLimit-* headers; keyed ones also X-Quota-*.
 */
export function metering(options: MeteringOptions = {}) {
  const billable = options.billable ?? true;
  const anonymousAllowed = options.anonymous ?? true;

  return createMiddleware<AppEnv>(async (c, next) => {
    const config = c.var.config;
    if (!config.auth) return next();

    const presented = keyFromAuthorization(c.req.header('authorization'));
    if (presented.kind === 'malformed') return unauthorized(c, 'invalid_api_key', presented.reason);
    const key = presented.kind === 'key' ? presented.key : options.keyFromPath?.(new URL(c.req.url).pathname);
    if (key === undefined) {
      if (anonymousAllowed && config.anonRatePerMin > 0) return anonymousRequest(c, next);
      return unauthorized(c, 'missing_api_key', 'an API key is required: send "Authorization: Bearer <api key>"');
    }
    if (!isWellFormedApiKey(key)) return unauthorized(c, 'invalid_api_key', 'the API key is not valid');

    const keyHash = await hashApiKey(key);
    const namespace = meteringBinding(c.env, 'KEY_METER');
    const meter = namespace.get(namespace.idFromName(keyHash));
    let admission: Admission;
    try {
      admission = await meter.admit(keyHash, config.plans);
    } catch (error) {
      return unavailable(c, 'admitting a keyed request', error);
    }

    switch (admission.outcome) {
      case 'unknown_key':
        return unauthorized(c, 'invalid_api_key', 'the API key is not valid');
      case 'revoked':
        return unauthorized(c, 'invalid_api_key', 'the API key has been revoked');
      case 'unknown_plan':
        throw new DgaEdgeError('internal_error', `configuration: a key is on plan "${admission.plan}", which PLANS does not define`, 500);
      case 'quota_exceeded':
        return errorResponse(c, 402, 'quota_exceeded', `the plan's ${admission.quota.limit} units for this period are used up; the quota resets at ${admission.quota.resetsAt}`, quotaHeaders(admission.quota));
      case 'rate_limited':
        return errorResponse(c, 429, 'rate_limited', `over the plan's ${admission.rate.limit} requests per second; retry after ${admission.rate.retryAfterSeconds} s`, {
          ...rateHeaders(admission.rate, 1),
          ...quotaHeaders(admission.quota),
          'Retry-After': String(admission.rate.retryAfterSeconds),
        });
    }

    const plan = config.plans[admission.plan]!;
    c.set('caller', { keyHash, planName: admission.plan, plan });
    await next();

    const headers = { ...rateHeaders(admission.rate, 1), ...quotaHeaders(admission.quota), 'X-Units-Charged': '0' };
    const units = billable && c.res.status >= 200 && c.res.status < 300 ? (c.var.units ?? 1) : 0;
    if (units === 0) return finish(c, headers);

    const requestId = crypto.randomUUID();
    let charge: Charge;
    try {
      charge = await chargeOnceOrRetry(() => meter.charge(keyHash, requestId, units, config.plans));
    } catch (error) {
      c.res = undefined;
      c.res = unavailable(c, 'charging a keyed request', error);
      return;
    }
    if (charge.outcome === 'unknown_key' || charge.outcome === 'unknown_plan') {
      // Only possible if the meter lost its record between the two calls: never serve an uncounted answer.
      c.res = undefined;
      c.res = unavailable(c, 'charging a keyed request', new Error(`charge answered ${charge.outcome}`));
      return;
    }
    if (charge.outcome === 'quota_exceeded') {
      c.res = undefined;
      const refusal = errorResponse(
        c,
        402,
        'quota_exceeded',
        `this answer needs ${charge.units} units but ${charge.quota.remaining} of the plan's ${charge.quota.limit} are left this period; send fewer names or wait for ${charge.quota.resetsAt}`,
      );
      return finish(c, { ...headers, ...quotaHeaders(charge.quota) }, refusal);
    }
    finish(c, { ...headers, ...quotaHeaders(charge.quota), 'X-Units-Charged': String(charge.units) });
  });
}
