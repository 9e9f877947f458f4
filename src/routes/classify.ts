import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { isClassificationError, type ClassifyTimings } from '../core/classifier.js';
import { DgaEdgeError } from '../core/errors.js';
import { readBoundedText } from '../http/bounded-body.js';
import { errorResponse } from '../http/error-response.js';
import { parseFamiliesParam } from '../http/families-param.js';
import { edgeCache } from '../http/edge-cache.js';
import type { AppEnv } from '../http/env.js';
import { setUnits } from '../http/metering.js';
import { requireJson } from '../http/json-content-type.js';
import { allowOnly } from '../http/method-not-allowed.js';
import { validationHook } from '../http/validation-hook.js';
import {
  ClassifyBatchQuery,
  ClassifyBatchResponse,
  ClassifyBody,
  ClassifyQuery,
  ClassifyResponse,
} from '../schemas/classify.js';
import { errorResponses, METERED_SECURITY, withMeteringErrors } from '../schemas/common.js';

/**
 * GET /v1/classify?domain=NAME[&families=K]  -> { model, result }
 * POST /v1/classify[?families=K] {"domains": [...], "families"?: K} -> { model, results } (input order; bad
 * items carry an `error`). `families=K` adds the top-K families of every name. Request shapes are the zod
 * schemas of src/schemas/classify.ts, which also describe these routes in /openapi.json.
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

export const classifyGetRoute = createRoute({
  method: 'get',
  path: '/v1/classify',
  summary: 'Classify one name',
  description: 'Scores one domain name. An invalid name answers 400 `invalid_domain` with the reason.',
  tags: ['classify'],
  security: METERED_SECURITY,
  middleware: [edgeCache] as const,
  request: { query: ClassifyQuery },
  responses: {
    200: { description: 'The classification', content: { 'application/json': { schema: ClassifyResponse } } },
    ...errorResponses(
      withMeteringErrors({ 400: ['invalid_domain', 'invalid_request'], 405: ['method_not_allowed'], 500: ['internal_error'], 503: ['model_unavailable'] }),
    ),
  },
});

export const classifyPostRoute = createRoute({
  method: 'post',
  path: '/v1/classify',
  summary: 'Classify a batch of names',
  description:
    'Scores many names in one call, answered in input order. An invalid item gets an `error` object in its place; the valid ones are still answered. ' +
    'A keyed caller’s plan may allow fewer names per request than MAX_BATCH; with AUTH=on each scored name costs one unit.',
  tags: ['classify'],
  security: METERED_SECURITY,
  request: {
    query: ClassifyBatchQuery,
    body: { required: true, content: { 'application/json': { schema: ClassifyBody } } },
  },
  responses: {
    200: { description: 'One result or item error per input item', content: { 'application/json': { schema: ClassifyBatchResponse } } },
    ...errorResponses(
      withMeteringErrors({
        400: ['invalid_json', 'invalid_request'],
        405: ['method_not_allowed'],
        413: ['too_many_domains', 'payload_too_large'],
        415: ['unsupported_media_type'],
        500: ['internal_error'],
        503: ['model_unavailable'],
      }),
    ),
  },
});

export function classifyRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.openapi(classifyGetRoute, async (c) => {
    const query = c.req.valid('query');
    const classifier = c.var.classifier;
    const families = parseFamiliesParam(query.families, classifier);
    const timings = newTimings();
    const result = (await classifier.classify([query.domain], { families, timings }))[0]!;
    c.header('Server-Timing', serverTiming(timings));
    if (isClassificationError(result)) throw new DgaEdgeError('invalid_domain', result.error.message, 400);
    setUnits(c, 1);
    return c.json({ model: classifier.model, result }, 200);
  });

  // POST is registered by hand, with the same schema: @hono/zod-openapi's own body validation puts a
  // stricter Content-Type gate of its own first (it refuses "application/json ; charset=utf-8", which this
  // API accepts) and reads the body before our 415/413/invalid_json checks, whose order is part of the API.
  app.openAPIRegistry.registerPath(classifyPostRoute);
  app.post('/v1/classify', requireJson, async (c) => {
    // Read with a byte limit that holds with or without Content-Length (413 payload_too_large).
    const text = await readBoundedText(c.req.raw, c.var.config.maxBodyBytes);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return errorResponse(c, 400, 'invalid_json', 'request body is not valid JSON');
    }
    const parsed = ClassifyBody.safeParse(json);
    if (!parsed.success) return validationHook(parsed, c)!;
    const body = parsed.data;
    // A keyed caller's plan may allow fewer names per request than the deployment's MAX_BATCH.
    const planBatch = c.var.caller?.plan.maxBatch ?? Infinity;
    const maxBatch = Math.min(c.var.config.maxBatch, planBatch);
    if (body.domains.length > maxBatch) {
      const whose = planBatch < c.var.config.maxBatch ? `the ${c.var.caller!.planName} plan allows ` : '';
      throw new DgaEdgeError('too_many_domains', `${whose}at most ${maxBatch} domains per request; got ${body.domains.length}`, 413);
    }
    const classifier = c.var.classifier;
    const families = parseFamiliesParam(body.families ?? c.req.query('families'), classifier);
    const timings = newTimings();
    const results = await classifier.classify(body.domains, { families, timings });
    c.header('Server-Timing', serverTiming(timings));
    // Billable units: names that got a score; invalid items in the batch cost nothing.
    setUnits(c, results.filter((r) => !isClassificationError(r)).length);
    return c.json({ model: classifier.model, results });
  });

  allowOnly(app, '/v1/classify', ['GET', 'POST']);
  return app;
}
