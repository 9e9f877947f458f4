import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../http/env.js';
import { allowOnly } from '../http/method-not-allowed.js';
import { errorResponses } from '../schemas/common.js';
import { ModelInfo } from '../schemas/model.js';

export const modelRoute = createRoute({
  method: 'get',
  path: '/v1/model',
  summary: 'Describe the model',
  description: 'What model answers, its pre-processing, the threshold in force and its training summary.',
  tags: ['model'],
  responses: {
    200: { description: 'The model in service', content: { 'application/json': { schema: ModelInfo } } },
    ...errorResponses({ 405: ['method_not_allowed'], 500: ['internal_error'], 503: ['model_unavailable'] }),
  },
});

/** GET /v1/model: what model answers, its pre-processing, the threshold in force and its training summary. */
export function modelRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(modelRoute, (c) => {
    const { metadata, threshold, familyMinProbability, variant } = c.var.classifier;
    return c.json(
      {
        id: metadata.id,
        version: metadata.version,
        precision: variant,
        createdAt: metadata.createdAt,
        threshold,
        modelThreshold: metadata.threshold,
        vocabulary: metadata.vocabulary,
        maxLength: metadata.maxLength,
        padding: metadata.padding,
        architecture: metadata.architecture,
        families: metadata.families,
        ...(metadata.familySuffixPrior
          ? {
              familySuffixPrior: {
                alpha: metadata.familySuffixPrior.alpha,
                suffixes: metadata.familySuffixPrior.suffixes,
                families: Object.keys(metadata.familySuffixPrior.counts).length,
              },
            }
          : {}),
        ...(metadata.families ? { familyMinProbability } : {}),
        ...(metadata.familyOpenSet ? { familyOpenSet: metadata.familyOpenSet } : {}),
        training: metadata.training,
      },
      200,
    );
  });
  allowOnly(app, '/v1/model', ['GET']);
  return app;
}
