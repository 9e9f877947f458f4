import { createMiddleware } from 'hono/factory';
import { timingSafeEqual } from '../core/api-keys.js';
import { keyFromAuthorization } from './auth.js';
import type { AppEnv } from './env.js';
import { errorResponse } from './error-response.js';

/**
 * Guards /v1/admin/*: `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time. Without an
 * ADMIN_TOKEN secret the admin API is off (403 admin_disabled), so a deployment never has a default token.
 * Independent of AUTH: keys can be created before metering is switched on.
 */
export const adminAuth = createMiddleware<AppEnv>(async (c, next) => {
  const token = c.env?.ADMIN_TOKEN;
  if (!token) {
    return errorResponse(c, 403, 'admin_disabled', 'the admin API is off: set the ADMIN_TOKEN secret (wrangler secret put ADMIN_TOKEN; .dev.vars locally)');
  }
  const presented = keyFromAuthorization(c.req.header('authorization'));
  if (presented.kind !== 'key' || !timingSafeEqual(presented.key, token)) {
    return errorResponse(c, 401, 'invalid_admin_token', 'send "Authorization: Bearer <ADMIN_TOKEN>"', { 'WWW-Authenticate': 'Bearer realm="dga-edge-admin"' });
  }
  await next();
});
