import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../http/env.js';
import { errorResponse } from '../http/error-response.js';
import { metering, meteringBinding } from '../http/metering.js';
import { allowOnly } from '../http/method-not-allowed.js';
import { API_KEY_SCHEME, errorResponses } from '../schemas/common.js';
import { Usage } from '../schemas/usage.js';

export const usageRoute = createRoute({
  method: 'get',
  path: '/v1/usage',
  summary: 'Usage of the calling key',
  description:
    'The key’s units and requests in the current period (calendar month, UTC), day by day. Needs a key (no anonymous tier), ' +
    'costs no units, and counts against the key’s request rate. With AUTH=off nothing is metered: 404 `not_found`.',
  tags: ['usage'],
  security: [{ [API_KEY_SCHEME]: [] }],
  responses: {
    200: { description: 'The key’s usage this period', content: { 'application/json': { schema: Usage } } },
    ...errorResponses({
      401: ['missing_api_key', 'invalid_api_key'],
      402: ['quota_exceeded'],
      404: ['not_found'],
      405: ['method_not_allowed'],
      429: ['rate_limited'],
      500: ['internal_error'],
      503: ['metering_unavailable'],
    }),
  },
});

/**
 * GET /v1/usage: the calling key's usage in the current period (calendar month, UTC), day by day. Needs a
 * key (no anonymous tier), costs no units, and counts against the key's request rate like any request.
 */
export function usageRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  // Described by usageRoute, answered by hand: its refusals come from the metering middleware and the meter.
  app.openAPIRegistry.registerPath(usageRoute);
  app.use('/v1/usage', metering({ billable: false, anonymous: false }));
  app.get('/v1/usage', async (c) => {
    const caller = c.var.caller;
    if (!c.var.config.auth || !caller) {
      return errorResponse(c, 404, 'not_found', 'usage metering is off on this deployment (AUTH=off): nothing is counted');
    }
    const namespace = meteringBinding(c.env, 'KEY_METER');
    let usage;
    try {
      usage = await namespace.get(namespace.idFromName(caller.keyHash)).usage(caller.keyHash, c.var.config.plans);
    } catch (error) {
      console.error('metering_unavailable: reading usage failed:', error);
      return errorResponse(c, 503, 'metering_unavailable', 'usage metering is unavailable; retry shortly', { 'Retry-After': '1' });
    }
    if (!usage) return errorResponse(c, 401, 'invalid_api_key', 'the API key is not valid', { 'WWW-Authenticate': 'Bearer realm="dga-edge", error="invalid_token"' });
    const { record } = usage;
    return c.json({
      key: { id: record.id, label: record.label, plan: record.plan, created: record.created },
      period: usage.period,
      units: usage.units,
      requests: usage.requests,
      quota: { limit: usage.limit, remaining: usage.limit === null ? null : Math.max(0, usage.limit - usage.units) },
      days: usage.days,
    });
  });
  allowOnly(app, '/v1/usage', ['GET']);
  return app;
}
