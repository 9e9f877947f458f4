import { createMiddleware } from 'hono/factory';
import type { AppEnv } from './env.js';
import { errorResponse } from './error-response.js';

// `application/json`, optionally with `charset=utf-8` (JSON is UTF-8 by RFC 8259); any other media type,
// parameter or charset is refused rather than guessed at.
const JSON_MEDIA_TYPE = /^application\/json\s*(?:;\s*charset\s*=\s*(?:utf-8|"utf-8")\s*)?$/i;

/** True for a Content-Type the JSON endpoints accept. */
export function isJsonContentType(value: string | undefined): boolean {
  return value !== undefined && JSON_MEDIA_TYPE.test(value.trim());
}

/** Answers 415 unsupported_media_type unless the request says it carries UTF-8 JSON. */
export const requireJson = createMiddleware<AppEnv>(async (c, next) => {
  const type = c.req.header('content-type');
  if (!isJsonContentType(type)) {
    const shown = type ? JSON.stringify(type.slice(0, 100)) : 'none';
    return errorResponse(c, 415, 'unsupported_media_type', `expected Content-Type: application/json (UTF-8), got ${shown}`);
  }
  await next();
});
