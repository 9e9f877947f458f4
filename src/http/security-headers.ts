import { createMiddleware } from 'hono/factory';
import type { AppEnv } from './env.js';

/**
 * Headers every answer carries, set after the route ran and only where the route did not set its own (so a
 * page can bring its own Content-Security-Policy):
 * - `X-Content-Type-Options: nosniff`: a browser never reads JSON (which echoes its input) as HTML or script;
 * - `Referrer-Policy: no-referrer`: links followed from our answers leak no URL (which may hold a query);
 * - `Content-Security-Policy: default-src 'none'; frame-ancestors 'none'` on non-HTML answers: should an
 *   answer be rendered anyway, it may load nothing and be framed by no one;
 * - `Cache-Control: no-store` on errors and on /healthz: an error or a health state must not outlive the
 *   moment (successful classify answers keep their own caching; see edge-cache.ts).
 */
export const securityHeaders = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  let headers = c.res.headers;
  const setIfAbsent = (name: string, value: string) => {
    if (headers.has(name)) return;
    try {
      headers.set(name, value);
    } catch {
      // A response with immutable headers (e.g. straight from fetch or the cache): copy it once.
      c.res = new Response(c.res.body, c.res);
      headers = c.res.headers;
      headers.set(name, value);
    }
  };
  setIfAbsent('X-Content-Type-Options', 'nosniff');
  setIfAbsent('Referrer-Policy', 'no-referrer');
  if (!/^text\/html\b/i.test(headers.get('content-type') ?? '')) {
    setIfAbsent('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'");
  }
  if (c.res.status >= 400 || new URL(c.req.url).pathname === '/healthz') setIfAbsent('Cache-Control', 'no-store');
});
