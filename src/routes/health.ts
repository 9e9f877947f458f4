import { Hono } from 'hono';
import type { AppEnv } from '../http/env.js';
import { allowOnly } from '../http/method-not-allowed.js';

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

/** GET /healthz: 200 once the model is loaded (a load failure answers 503 before this handler). */
export function healthRoutes(sessionInfo: () => SessionInfo | undefined): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/healthz', (c) => c.json({ status: 'ok', model: c.var.classifier.model, session: sessionInfo() }));
  allowOnly(app, '/healthz', ['GET']);
  return app;
}
