import { createMiddleware } from 'hono/factory';
import type { AppEnv } from './env.js';
import { errorResponse } from './error-response.js';

/** Longest request URL accepted, in characters (path and query; a DNS query by GET fits many times over). */
export const MAX_URL_CHARS = 8 * 1024;
/** Largest total of header names and values accepted, in characters. */
export const MAX_HEADER_CHARS = 16 * 1024;

/**
 * Refuses over-long URLs (414 uri_too_long) and header sets (431 headers_too_large) before any route runs.
 * The runtime in front (Cloudflare's edge, workerd) already caps both at its own, larger limits; these
 * make the Worker's own limit explicit, the same everywhere it runs, and answered in the error envelope.
 */
export const requestLimits = createMiddleware<AppEnv>(async (c, next) => {
  const url = c.req.url;
  if (url.length > MAX_URL_CHARS) {
    return errorResponse(c, 414, 'uri_too_long', `the request URL is longer than ${MAX_URL_CHARS} characters (${url.length})`);
  }
  let headerChars = 0;
  c.req.raw.headers.forEach((value, name) => {
    headerChars += name.length + value.length;
  });
  if (headerChars > MAX_HEADER_CHARS) {
    return errorResponse(c, 431, 'headers_too_large', `the request headers are larger than ${MAX_HEADER_CHARS} characters (${headerChars})`);
  }
  await next();
});
