import { Hono } from 'hono';
import { isClassificationError, type ClassifyTimings } from '../core/classifier.js';
import { readBoundedText } from '../http/bounded-body.js';
import { errorResponse } from '../http/error-response.js';
import { parseFamiliesParam } from '../http/families-param.js';
import { edgeCache } from '../http/edge-cache.js';
import type { AppEnv } from '../http/env.js';
import { setUnits } from '../http/metering.js';
import { requireJson } from '../http/json-content-type.js';
import { allowOnly } from '../http/method-not-allowed.js';

/**
 * GET /v1/classify?domain=NAME[&families=K]  -> { model, result }
 * POST /v1/classify[?families=K] {"domains": [...], "families"?: K} -> { model, results } (input order; bad
 * items carry an `error`). `families=K` adds the top-K families of every name.
 */
function newTimings(): ClassifyTimings {
  return { modelMs: 0, totalMs: 0, modelRows: 0 };
}

/**
 * `Server-Timing: model;dur=0.21, classify;dur=0.35` (ms). Deployed Workers freeze timers during CPU work,
 * so these read 0 there; locally (wrangler dev, workerd) they are real and feed `npm run bench`.
 */
function serverTiming(t: ClassifyTimings): string {
  return `model;dur=${t.modelMs.toFixed(3)};desc="${t.modelRows} rows", classify;dur=${t.totalMs.toFixed(3)}`;
}

export function classifyRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get('/v1/classify', edgeCache, async (c) => {
    const domain = c.req.query('domain');
    if (domain === undefined || domain === '') {
      return errorResponse(c, 400, 'invalid_request', 'query parameter "domain" is required, e.g. /v1/classify?domain=example.com');
    }
    const classifier = c.var.classifier;
    const families = parseFamiliesParam(c.req.query('families'), classifier);
    const timings = newTimings();
    const [result] = await classifier.classify([domain], { families, timings });
    c.header('Server-Timing', serverTiming(timings));
    if (isClassificationError(result!)) return errorResponse(c, 400, 'invalid_domain', result.error.message);
    setUnits(c, 1);
    return c.json({ model: classifier.model, result });
  });

  app.post(
    '/v1/classify',
    requireJson,
    async (c) => {
      // Read with a byte limit that holds with or without Content-Length (413 payload_too_large).
      const text = await readBoundedText(c.req.raw, c.var.config.maxBodyBytes);
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        return errorResponse(c, 400, 'invalid_json', 'request body is not valid JSON');
      }
      const domains = (body as { domains?: unknown } | null)?.domains;
      if (typeof body !== 'object' || body === null || Array.isArray(body) || !Array.isArray(domains)) {
        return errorResponse(c, 400, 'invalid_request', 'request body must be an object with a "domains" array, e.g. {"domains": ["example.com"]}');
      }
      // A keyed caller's plan may allow fewer names per request than the deployment's MAX_BATCH.
      const planBatch = c.var.caller?.plan.maxBatch ?? Infinity;
      const maxBatch = Math.min(c.var.config.maxBatch, planBatch);
      if (domains.length > maxBatch) {
        const whose = planBatch < c.var.config.maxBatch ? `the ${c.var.caller!.planName} plan allows ` : '';
        return errorResponse(c, 413, 'too_many_domains', `${whose}at most ${maxBatch} domains per request; got ${domains.length}`);
      }
      const classifier = c.var.classifier;
      const families = parseFamiliesParam((body as { families?: unknown }).families ?? c.req.query('families'), classifier);
      const timings = newTimings();
      const results = await classifier.classify(domains, { families, timings });
      c.header('Server-Timing', serverTiming(timings));
      // Billable units: names that got a score; invalid items in the batch cost nothing.
      setUnits(c, results.filter((r) => !isClassificationError(r)).length);
      return c.json({ model: classifier.model, results });
    },
  );

  allowOnly(app, '/v1/classify', ['GET', 'POST']);
  return app;
}
