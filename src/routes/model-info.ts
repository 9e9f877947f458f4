import { Hono } from 'hono';
import type { AppEnv } from '../http/env.js';
import { allowOnly } from '../http/method-not-allowed.js';

/** GET /v1/model: what model answers, its pre-processing, the threshold in force and its training summary. */
export function modelRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/v1/model', (c) => {
    const { metadata, threshold, variant } = c.var.classifier;
    return c.json({
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
      training: metadata.training,
    });
  });
  allowOnly(app, '/v1/model', ['GET']);
  return app;
}
