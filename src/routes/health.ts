import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../http/env.js';
import { allowOnly } from '../http/method-not-allowed.js';
import { errorResponses } from '../schemas/common.js';
import { Health } from '../schemas/model.js';

/** Facts about this isolate's model session, for health checks and for tests of session reuse. */
export interface SessionInfo {
  /** Random id of the ORT session this isolate serves from. */
  id: string;
  /** How many sessions this isolate has created (1 when reuse works). */
  sessionsCreated: number;
  /** True when the session was created while the script started (not on a request). */
  createdAtStartup?: boolean;
  /** Bytes of ORT's wasm linear memory (outside the JS heap; it grows with the largest batch and never shrinks). */
  wasmMemoryBytes?: number;
}

export const healthRoute = createRoute({
  method: 'get',
  path: '/healthz',
  summary: 'Health check',
  description: '200 once the model is loaded, with this isolate’s session facts.',
  tags: ['operations'],
  responses: {
    200: { description: 'The model is loaded', content: { 'application/json': { schema: Health } } },
    ...errorResponses({ 405: ['method_not_allowed'], 500: ['internal_error'], 503: ['model_unavailable'] }),
  },
});

/** GET /healthz: 200 once the model is loaded (a load failure answers 503 before this handler). */
export function healthRoutes(sessionInfo: () => SessionInfo | undefined): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(healthRoute, (c) => c.json({ status: 'ok' as const, model: c.var.classifier.model, session: sessionInfo() }, 200));
  allowOnly(app, '/healthz', ['GET']);
  return app;
}
