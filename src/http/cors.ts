import { cors as honoCors } from 'hono/cors';
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from './env.js';

/** Methods a cross-origin caller may use (the API is read-only: GET, and POST for batches). */
export const CORS_ALLOW_METHODS = ['GET', 'HEAD', 'POST', 'OPTIONS'];
/** Request headers a cross-origin caller may send: JSON bodies and API keys. */
export const CORS_ALLOW_HEADERS = ['Authorization', 'Content-Type'];
/** Response headers a cross-origin page may read besides the CORS-safelisted ones. */
export const CORS_EXPOSE_HEADERS = ['Retry-After', 'Server-Timing', 'X-Cache'];
/** Seconds a browser may cache a preflight answer (browsers cap it lower: Chromium at 2 h). */
export const CORS_MAX_AGE_SECONDS = 86_400;

/**
 * The CORS policy. Any origin by default (CORS_ORIGINS="*"): the API holds no cookies or other ambient
 * credentials, so a page on another site can do nothing with it that a script on a server could not; an API
 * key is sent explicitly in `Authorization`, never implied by the browser, and
 * `Access-Control-Allow-Credentials` is never sent. A deployment can narrow it to a list of origins;
 * then other origins get no `Access-Control-Allow-Origin` and answers carry `Vary: Origin`.
 * Preflights (OPTIONS) are answered here, 204, before any route or model runs.
 */
export const corsPolicy = createMiddleware<AppEnv>(async (c, next) => policyFor(c.var.config.corsOrigins)(c, next));

// One hono cors middleware per origins setting (the config is parsed once per isolate, so in practice one).
const policies = new Map<'*' | readonly string[], ReturnType<typeof honoCors>>();
function policyFor(origins: '*' | readonly string[]): ReturnType<typeof honoCors> {
  let policy = policies.get(origins);
  if (!policy) {
    policy = honoCors({
      origin: origins === '*' ? '*' : [...origins],
      allowMethods: CORS_ALLOW_METHODS,
      allowHeaders: CORS_ALLOW_HEADERS,
      exposeHeaders: CORS_EXPOSE_HEADERS,
      maxAge: CORS_MAX_AGE_SECONDS,
      credentials: false,
    });
    policies.set(origins, policy);
  }
  return policy;
}
