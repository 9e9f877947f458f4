import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { generateApiKey, generateKeyId, hashApiKey, isKeyId, keyHint } from '../core/api-keys.js';
import { DgaEdgeError } from '../core/errors.js';
import { usageCsv, type UsageRow } from '../core/usage-csv.js';
import { isUtcDay, usagePeriod } from '../core/usage-period.js';
import { adminAuth } from '../http/admin-auth.js';
import type { AppEnv, MeteringBindings } from '../http/env.js';
import { errorResponse } from '../http/error-response.js';
import { meteringBinding } from '../http/metering.js';
import { allowOnly } from '../http/method-not-allowed.js';
import type { KeyRecord } from '../metering/types.js';
import { ADMIN_TOKEN_SCHEME, errorResponses } from '../schemas/common.js';
import { CreateKeyRequest, KeyIdParams, KeyInfo, KeyList, KeyUsage, NewKey, UsageExport, UsageExportCsv, UsageExportQuery } from '../schemas/usage.js';

/** Longest billing export, in days. */
const MAX_EXPORT_DAYS = 366;
/** Key meters asked at once while exporting. */
const EXPORT_CONCURRENCY = 16;

/** A key as listed: everything but its hash. */
function publicRecord(record: KeyRecord) {
  const { hash: _hash, ...rest } = record;
  return rest;
}

function stores(env: MeteringBindings) {
  const meters = meteringBinding(env, 'KEY_METER');
  const registry = meteringBinding(env, 'KEY_REGISTRY');
  return {
    registry: registry.get(registry.idFromName('registry')),
    meter: (hash: string) => meters.get(meters.idFromName(hash)),
  };
}

function exportRange(from: string | undefined, to: string | undefined): { from: string; to: string } {
  const period = usagePeriod(Date.now());
  const range = { from: from || period.from, to: to || period.to };
  for (const [name, day] of Object.entries(range)) {
    if (!isUtcDay(day)) throw new DgaEdgeError('invalid_request', `"${name}" must be a day written YYYY-MM-DD, got "${day}"`);
  }
  const days = (Date.parse(range.to) - Date.parse(range.from)) / 86_400_000 + 1;
  if (days < 1 || days > MAX_EXPORT_DAYS) {
    throw new DgaEdgeError('invalid_request', `"from" must not be after "to", and the range at most ${MAX_EXPORT_DAYS} days`);
  }
  return range;
}

/** What every admin operation shares: the admin token, and the refusals of adminAuth and the key store. */
const admin = { tags: ['admin'], security: [{ [ADMIN_TOKEN_SCHEME]: [] }] };
const adminErrors = {
  401: ['invalid_admin_token'],
  403: ['admin_disabled'],
  405: ['method_not_allowed'],
  500: ['internal_error'],
  503: ['metering_unavailable'],
} as const;
const json = <T>(schema: T) => ({ 'application/json': { schema } });

/** The admin API's operations, as /openapi.json describes them. */
export const adminOperations = [
  createRoute({
    ...admin,
    method: 'post',
    path: '/v1/admin/keys',
    summary: 'Create an API key',
    description: 'Creates a key on a plan. The answer is the only place the key itself ever appears; store it now.',
    request: { body: { required: true, content: json(CreateKeyRequest) } },
    responses: {
      201: { description: 'The new key', content: json(NewKey) },
      ...errorResponses({ ...adminErrors, 400: ['invalid_json', 'invalid_request'] }),
    },
  }),
  createRoute({
    ...admin,
    method: 'get',
    path: '/v1/admin/keys',
    summary: 'List API keys',
    description: 'Every key ever created, revoked ones included; no secrets, no hashes.',
    responses: { 200: { description: 'The keys', content: json(KeyList) }, ...errorResponses(adminErrors) },
  }),
  createRoute({
    ...admin,
    method: 'post',
    path: '/v1/admin/keys/{id}/revoke',
    summary: 'Revoke an API key',
    description: 'From now on the key answers 401 `invalid_api_key`. Revoking twice keeps the first time.',
    request: { params: KeyIdParams },
    responses: { 200: { description: 'The revoked key', content: json(KeyInfo) }, ...errorResponses({ ...adminErrors, 404: ['not_found'] }) },
  }),
  createRoute({
    ...admin,
    method: 'get',
    path: '/v1/admin/keys/{id}/usage',
    summary: 'Usage of one API key',
    description: 'The key’s units and requests in the current period (calendar month, UTC), day by day.',
    request: { params: KeyIdParams },
    responses: { 200: { description: 'The key’s usage', content: json(KeyUsage) }, ...errorResponses({ ...adminErrors, 404: ['not_found'] }) },
  }),
  createRoute({
    ...admin,
    method: 'get',
    path: '/v1/admin/usage/export',
    summary: 'Billing export',
    description: 'Units per key per UTC day over a range of days (default: this month), as JSON or CSV.',
    request: { query: UsageExportQuery },
    responses: {
      200: { description: 'The usage rows', content: { ...json(UsageExport), 'text/csv': { schema: UsageExportCsv } } },
      ...errorResponses({ ...adminErrors, 400: ['invalid_request'] }),
    },
  }),
];

/**
 * The admin API behind `npm run keys` (ADMIN_TOKEN required):
 *   POST /v1/admin/keys {"plan", "label"}      -> 201 {key, id, ...}: the key is in this answer only
 *   GET  /v1/admin/keys                        -> {keys: [...]} (no secrets, no hashes)
 *   POST /v1/admin/keys/:id/revoke             -> the revoked key's record
 *   GET  /v1/admin/keys/:id/usage              -> that key's usage in the current period
 *   GET  /v1/admin/usage/export?from=&to=&format=json|csv -> units per key per UTC day, for billing
 * Keys are never logged. Storage failures answer 503 metering_unavailable.
 */
export function adminRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  // Described by adminOperations, answered by hand: the handlers' checks and messages are the contract of
  // `npm run keys` (a POST body is read whatever its Content-Type; a malformed id is 404, not 400).
  for (const operation of adminOperations) app.openAPIRegistry.registerPath(operation);
  app.use('/v1/admin/*', adminAuth);
  app.onError((error, c) => {
    if (error instanceof DgaEdgeError) return errorResponse(c, error.status, error.code, error.message);
    console.error(`metering_unavailable: admin ${c.req.method} ${new URL(c.req.url).pathname} failed:`, error);
    return errorResponse(c, 503, 'metering_unavailable', 'the key store is unavailable; retry shortly');
  });

  app.post('/v1/admin/keys', async (c) => {
    let body: { plan?: unknown; label?: unknown };
    try {
      body = (await c.req.json()) ?? {};
    } catch {
      return errorResponse(c, 400, 'invalid_json', 'request body must be JSON: {"plan": "pro", "label": "acme"}');
    }
    const plans = c.var.config.plans;
    const plan = body.plan;
    if (typeof plan !== 'string' || !(plan in plans)) {
      return errorResponse(c, 400, 'invalid_request', `"plan" must be one of: ${Object.keys(plans).join(', ')}`);
    }
    const label = body.label ?? '';
    if (typeof label !== 'string' || label.length > 100 || /[\u0000-\u001f\u007f]/.test(label)) {
      return errorResponse(c, 400, 'invalid_request', '"label" must be a string of at most 100 characters without control characters');
    }
    const key = generateApiKey();
    const record: KeyRecord = {
      id: generateKeyId(),
      hash: await hashApiKey(key),
      hint: keyHint(key),
      label,
      plan,
      created: new Date().toISOString(),
      revoked: null,
    };
    const { registry, meter } = stores(c.env);
    // The meter first: if listing it fails, the key was never shown to anyone and is unusable garbage.
    await meter(record.hash).register(record);
    await registry.add(record);
    return c.json({ key, ...publicRecord(record) }, 201);
  });

  app.get('/v1/admin/keys', async (c) => {
    const keys = await stores(c.env).registry.list();
    return c.json({ keys: keys.map(publicRecord) });
  });

  const findKey = async (env: MeteringBindings, id: string) => {
    if (!isKeyId(id)) throw new DgaEdgeError('not_found', `no key with id "${id}" (ids look like key_0123456789abcdef)`, 404);
    const record = await stores(env).registry.get(id);
    if (!record) throw new DgaEdgeError('not_found', `no key with id "${id}"`, 404);
    return record;
  };

  app.post('/v1/admin/keys/:id/revoke', async (c) => {
    const record = await findKey(c.env, c.req.param('id'));
    const { registry, meter } = stores(c.env);
    // The meter decides whether requests pass, so it is revoked first; the registry follows.
    const revoked = await meter(record.hash).revoke(new Date().toISOString());
    const at = revoked?.revoked ?? new Date().toISOString();
    await registry.markRevoked(record.id, at);
    return c.json(publicRecord({ ...record, revoked: at }));
  });

  app.get('/v1/admin/keys/:id/usage', async (c) => {
    const record = await findKey(c.env, c.req.param('id'));
    const usage = await stores(c.env).meter(record.hash).usage(record.hash, c.var.config.plans);
    if (!usage) throw new Error(`key ${record.id} is listed but its meter has no record`);
    return c.json({ key: publicRecord(usage.record), period: usage.period, units: usage.units, requests: usage.requests, limit: usage.limit, days: usage.days });
  });

  app.get('/v1/admin/usage/export', async (c) => {
    const format = c.req.query('format') ?? 'json';
    if (format !== 'json' && format !== 'csv') return errorResponse(c, 400, 'invalid_request', '"format" must be json or csv');
    const { from, to } = exportRange(c.req.query('from'), c.req.query('to'));
    const { registry, meter } = stores(c.env);
    const keys = await registry.list();
    const rows: UsageRow[] = [];
    for (let i = 0; i < keys.length; i += EXPORT_CONCURRENCY) {
      const chunk = keys.slice(i, i + EXPORT_CONCURRENCY);
      const days = await Promise.all(chunk.map((k) => meter(k.hash).days(from, to)));
      chunk.forEach((k, j) => {
        for (const d of days[j]!) rows.push({ day: d.day, keyId: k.id, label: k.label, plan: k.plan, units: d.units, requests: d.requests });
      });
    }
    rows.sort((a, b) => (a.day === b.day ? a.keyId.localeCompare(b.keyId) : a.day.localeCompare(b.day)));
    if (format === 'csv') {
      return c.body(usageCsv(rows), 200, {
        'Content-Type': 'text/csv; charset=utf-8',
        'Content-Disposition': `attachment; filename="dga-edge-usage-${from}-${to}.csv"`,
      });
    }
    return c.json({ from, to, units: rows.reduce((s, r) => s + r.units, 0), rows });
  });

  allowOnly(app, '/v1/admin/keys', ['GET', 'POST']);
  allowOnly(app, '/v1/admin/keys/:id/revoke', ['POST']);
  allowOnly(app, '/v1/admin/keys/:id/usage', ['GET']);
  allowOnly(app, '/v1/admin/usage/export', ['GET']);
  return app;
}
