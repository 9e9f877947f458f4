import { OpenAPIHono } from '@hono/zod-openapi';
import { createMiddleware } from 'hono/factory';
import type { Classifier } from './core/classifier.js';
import { DgaEdgeError } from './core/errors.js';
import { parseConfig, type AppConfig } from './config.js';
import { corsPolicy } from './http/cors.js';
import type { AppEnv } from './http/env.js';
import { errorResponse, handleError } from './http/error-response.js';
import { keyFromDohPath } from './http/auth.js';
import { metering } from './http/metering.js';
import { openApiDocument } from './http/openapi-document.js';
import { validationHook } from './http/validation-hook.js';
import { adminRoutes } from './routes/admin.js';
import { requestLimits } from './http/request-limits.js';
import { securityHeaders } from './http/security-headers.js';
import { classifyRoutes } from './routes/classify.js';
import { dnsQueryRoutes } from './routes/dns-query.js';
import { healthRoutes, type SessionInfo } from './routes/health.js';
import { modelRoutes } from './routes/model-info.js';
import { siteRoutes } from './routes/site.js';
import { usageRoutes } from './routes/usage.js';
import { SECURITY_SCHEMES } from './schemas/common.js';

export interface AppOptions {
  /** Resolves to this isolate's classifier; memoised by the caller. Rejections answer 503 model_unavailable. */
  classifier: (config: AppConfig) => Promise<Classifier>;
  /** Session facts for /healthz. */
  sessionInfo?: () => SessionInfo | undefined;
  /** The model card's ROC plot (SVG text) for the page; the Worker bundles model/roc.svg. */
  rocSvg?: string;
}

/**
 * Builds the HTTP application. It knows nothing about how the model is loaded: it receives a classifier
 * provider, so the same app runs in the Worker and in tests with any Scorer. API routes are described
 * with their zod schemas, from which GET /openapi.json is generated.
 */
export function createApp(options: AppOptions): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  let config: AppConfig | undefined;

  // Outermost, so that every answer (errors included) carries the security headers.
  app.use('*', securityHeaders);
  app.use('*', async (c, next) => {
    config ??= parseConfig(c.env ?? {});
    c.set('config', config);
    await next();
  });
  // CORS before the limits, so that a browser can read the error a refused request gets.
  app.use('*', corsPolicy, requestLimits);

  const withClassifier = createMiddleware<AppEnv>(async (c, next) => {
    let classifier: Classifier;
    try {
      classifier = await options.classifier(c.var.config);
    } catch (error) {
      if (error instanceof DgaEdgeError) throw error;
      console.error('model_unavailable: the model could not be loaded:', error);
      return errorResponse(c, 503, 'model_unavailable', 'the model is not available; try again shortly');
    }
    c.set('classifier', classifier);
    await next();
  });
  // AUTH=on: key, quota and rate checks come before the model, and each answer is charged before it leaves.
  // DoH clients cannot send headers, so /dns-query/<key> carries the key in the path.
  app.use('/v1/classify', metering());
  app.use('/dns-query', metering());
  app.use('/dns-query/:key', metering({ keyFromPath: keyFromDohPath }));
  for (const path of ['/v1/classify', '/v1/model', '/healthz', '/dns-query', '/dns-query/*']) app.use(path, withClassifier);

  app.route('/', classifyRoutes());
  app.route('/', modelRoutes());
  app.route('/', dnsQueryRoutes());
  app.route('/', healthRoutes(options.sessionInfo ?? (() => undefined)));
  app.route('/', usageRoutes());
  app.route('/', adminRoutes());
  for (const [name, scheme] of Object.entries(SECURITY_SCHEMES)) app.openAPIRegistry.registerComponent('securitySchemes', name, scheme);

  // The document depends only on the registered routes, so it is generated once; the origin varies.
  let document: ReturnType<typeof openApiDocument> | undefined;
  const describe = (origin: string) => {
    document ??= openApiDocument(app, 'ORIGIN');
    return { ...document, servers: [{ url: origin }] };
  };
  app.route('/', siteRoutes({ describe, rocSvg: options.rocSvg }));

  app.notFound((c) => errorResponse(c, 404, 'not_found', `no route for ${c.req.method} ${new URL(c.req.url).pathname}`));
  app.onError(handleError);
  return app;
}
