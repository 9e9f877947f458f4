import type { Hono } from 'hono';
import { errorResponse } from './error-response.js';

/**
 * Registers a 405 (with an Allow header) for every method a path does not serve. Register after the
 * path's real handlers so they match first.
 */
export function allowOnly(app: Hono<any>, path: string, methods: readonly string[]): void {
  const allow = [...methods, ...(methods.includes('GET') ? ['HEAD'] : [])].join(', ');
  app.all(path, (c) =>
    errorResponse(c, 405, 'method_not_allowed', `${c.req.method} is not allowed on ${path}; use ${allow}`, { Allow: allow }),
  );
}
