import { Hono } from 'hono';
import type { Context } from 'hono';
import type { AppEnv } from '../http/env.js';
import { allowOnly } from '../http/method-not-allowed.js';
import { docsPage, type OpenApiDocument } from '../page/docs-page.js';
import { homePage } from '../page/home-page.js';
import { cardSummary } from '../page/model-card.js';
import { pageSecurityHeaders } from '../page/security-headers.js';
import { STYLES } from '../page/styles.js';
import { TRY_IT_SCRIPT } from '../page/try-it-script.js';

/**
 * The routes that are the site rather than the API: the page, the docs, the OpenAPI document itself and the
 * page's assets. They are left out of /openapi.json on purpose, and this list is the one place that says
 * so: test/unit/openapi.test.ts checks that every other route the app registers is in the document.
 */
export const SITE_ROUTES = [
  { method: 'GET', path: '/' },
  { method: 'GET', path: '/docs' },
  { method: 'GET', path: '/openapi.json' },
  { method: 'GET', path: '/roc.svg' },
] as const;

export interface SiteOptions {
  /** The OpenAPI document of the app, for the request's origin. */
  describe: (origin: string) => OpenApiDocument;
  /** The model card's ROC plot (model/roc.svg), bundled by the Worker; /roc.svg answers 404 without it. */
  rocSvg?: string;
}

/** Pages change with a deployment only; a few minutes of caching keeps them fast without going stale. */
const PAGE_CACHE = 'public, max-age=300';

let homeHeaders: Promise<Record<string, string>> | undefined;
let docsHeaders: Promise<Record<string, string>> | undefined;

function htmlResponse(c: Context, body: string, headers: Record<string, string>) {
  return c.body(body, 200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': PAGE_CACHE, ...headers });
}

/** GET / (page with the try-it box), /docs, /openapi.json and /roc.svg. */
export function siteRoutes(options: SiteOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get('/', async (c) => {
    homeHeaders ??= pageSecurityHeaders({ scripts: [TRY_IT_SCRIPT], styles: [STYLES] });
    const { config } = c.var;
    const page = homePage({
      origin: new URL(c.req.url).origin,
      card: cardSummary,
      threshold: config.threshold ?? cardSummary.threshold,
      maxBatch: config.maxBatch,
      hasRoc: options.rocSvg !== undefined,
    });
    return htmlResponse(c, page.value, await homeHeaders);
  });

  app.get('/docs', async (c) => {
    docsHeaders ??= pageSecurityHeaders({ styles: [STYLES] });
    return htmlResponse(c, docsPage(options.describe(new URL(c.req.url).origin)).value, await docsHeaders);
  });

  app.get('/openapi.json', (c) => {
    c.header('Cache-Control', PAGE_CACHE);
    c.header('Access-Control-Allow-Origin', '*');
    return c.json(options.describe(new URL(c.req.url).origin));
  });

  app.get('/roc.svg', (c) => {
    if (options.rocSvg === undefined) return c.notFound();
    // An SVG opened on its own is a document: it gets no script and no foreign content either.
    return c.body(options.rocSvg, 200, {
      'Content-Type': 'image/svg+xml',
      'Cache-Control': 'public, max-age=86400',
      'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'",
      'X-Content-Type-Options': 'nosniff',
    });
  });

  for (const { path } of SITE_ROUTES) allowOnly(app, path, ['GET']);
  return app;
}
