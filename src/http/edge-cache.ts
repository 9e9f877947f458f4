import { createMiddleware } from 'hono/factory';
import type { AppEnv } from './env.js';

/**
 * Serves repeated GET /v1/classify answers from the Workers Cache API (the data centre's cache), so a
 * popular name costs no model run and no isolate CPU beyond the lookup. The cache key carries the model
 * version, so a new model never serves old answers; only 200 answers are stored, for CACHE_TTL_SECONDS.
 * Where the Cache API does not exist (Node tests) or the TTL is 0, it does nothing.
 */
export const edgeCache = createMiddleware<AppEnv>(async (c, next) => {
  const ttl = c.var.config.cacheTtlSeconds;
  const cache = typeof caches === 'undefined' ? undefined : (caches as unknown as { default?: Cache }).default;
  if (!cache || ttl === 0) return next();

  const url = new URL(c.req.url);
  url.searchParams.sort();
  url.searchParams.set('__model', `${c.var.classifier.model.id}@${c.var.classifier.model.version}`);
  const key = new Request(url.toString(), { method: 'GET' });
  const hit = await cache.match(key);
  if (hit) {
    const response = new Response(hit.body, hit);
    response.headers.set('X-Cache', 'hit');
    return response;
  }
  await next();
  if (c.res.status !== 200) return;
  c.res.headers.set('Cache-Control', `public, max-age=${ttl}`);
  c.res.headers.set('X-Cache', 'miss');
  const stored = cache.put(key, c.res.clone());
  try {
    c.executionCtx.waitUntil(stored);
  } catch {
    await stored; // no execution context (e.g. app.request in tests): finish the write before answering
  }
});
