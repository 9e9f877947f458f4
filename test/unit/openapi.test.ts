import { Validator } from '@seriousme/openapi-schema-validator';
import type { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { createClassifier } from '../../src/core/classifier.js';
import { ERROR_CODES } from '../../src/core/errors.js';
import type { OpenApiDocument } from '../../src/page/docs-page.js';
import { SITE_ROUTES } from '../../src/routes/site.js';
import { testMetadata } from '../fixtures/metadata.js';
import { DOCUMENTED_PATHS } from '../fixtures/api-paths.js';

const classifier = createClassifier({
  metadata: testMetadata(),
  scorer: { score: async (_c, n) => ({ scores: new Float32Array(n).fill(0.2), logits: new Float32Array(n) }) },
});
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** Hono's `/dns-query/:key` (with or without a `{regex}`) is OpenAPI's `/dns-query/{key}`. */
function openApiPath(honoPath: string): string {
  return honoPath.replace(/:(\w+)(\{[^}]*\})?\??/g, '{$1}');
}

/**
 * Compares the routes an app registers with the operations its OpenAPI document lists. Middleware and the
 * 405 fallbacks are `ALL` entries; everything else is a route and, unless it is one of SITE_ROUTES (the
 * page, the docs, the document and assets: the one exclusion list), must be documented, and vice versa.
 */
function compareRoutes(app: Hono<any>, doc: OpenApiDocument) {
  const excluded = new Set(SITE_ROUTES.map((r) => `${r.method} ${r.path}`));
  const registered = new Set(app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${openApiPath(r.path)}`));
  const documented = new Set(
    Object.entries(doc.paths ?? {}).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((key) => METHODS.includes(key))
        .map((method) => `${method.toUpperCase()} ${path}`),
    ),
  );
  const documentedPaths = new Set(Object.keys(doc.paths ?? {}));
  const sitePaths = new Set<string>(SITE_ROUTES.map((r) => r.path));
  return {
    undocumented: [...registered].filter((r) => !excluded.has(r) && !documented.has(r)).sort(),
    phantom: [...documented].filter((r) => !registered.has(r)).sort(),
    staleExclusions: [...excluded].filter((r) => !registered.has(r)).sort(),
    // `app.all('/x', handler)` would serve every method of a path no document mentions.
    unexplainedAll: [
      ...new Set(
        app.routes
          .filter((r) => r.method === 'ALL' && !r.path.includes('*'))
          .map((r) => openApiPath(r.path))
          .filter((p) => !documentedPaths.has(p) && !sitePaths.has(p)),
      ),
    ].sort(),
  };
}

async function documentOf(app: Hono<any>): Promise<OpenApiDocument> {
  const res = await app.request('https://dga.example.net/openapi.json');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/application\/json/);
  return (await res.json()) as OpenApiDocument;
}

describe('GET /openapi.json', () => {
  const app = createApp({ classifier: async () => classifier });

  it('is a valid OpenAPI 3.1 document', async () => {
    const doc = await documentOf(app);
    expect(doc.openapi).toBe('3.1.0');
    const validator = new Validator();
    const result = await validator.validate(doc as unknown as Record<string, unknown>);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('lists exactly the routes the app registers, apart from the site routes', async () => {
    const doc = await documentOf(app);
    expect(compareRoutes(app, doc)).toEqual({ undocumented: [], phantom: [], staleExclusions: [], unexplainedAll: [] });
    expect(Object.keys(doc.paths ?? {}).sort()).toEqual(DOCUMENTED_PATHS);
  });

  it('catches a route that is served but not described', async () => {
    const grown = createApp({ classifier: async () => classifier });
    grown.get('/v1/families', (c) => c.body(null, 204));
    grown.post('/v1/admin/keys/:id/rename', (c) => c.body(null, 204));
    grown.all('/v1/quota', (c) => c.body(null, 204));
    const result = compareRoutes(grown, await documentOf(grown));
    expect(result.undocumented).toEqual(['GET /v1/families', 'POST /v1/admin/keys/{id}/rename']);
    expect(result.unexplainedAll).toEqual(['/v1/quota']);
  });

  it('names the request origin as its server, and every error code in the error schema', async () => {
    const doc = (await documentOf(app)) as OpenApiDocument & { components: { schemas: Record<string, any> } };
    expect(doc.servers).toEqual([{ url: 'https://dga.example.net' }]);
    expect(doc.components.schemas.Error.properties.error.properties.code.enum).toEqual([...ERROR_CODES]);
  });

  it('describes the validation the schemas enforce', async () => {
    const doc = (await documentOf(app)) as any;
    const get = doc.paths['/v1/classify'].get;
    expect(get.parameters.map((p: any) => [p.name, p.in, p.required])).toEqual([
      ['domain', 'query', true],
      ['families', 'query', false],
    ]);
    expect(get.parameters[1].schema).toMatchObject({ type: 'integer', minimum: 0, maximum: 10 });
    const post = doc.paths['/v1/classify'].post;
    expect(post.requestBody.required).toBe(true);
    expect(doc.components.schemas.ClassifyRequest.required).toEqual(['domains']);
    expect(Object.keys(post.responses).sort()).toEqual(['200', '400', '401', '402', '405', '413', '415', '429', '500', '503']);
  });

  it('marks which operations need an API key and which the admin token', async () => {
    const doc = (await documentOf(app)) as any;
    expect(doc.components.securitySchemes).toEqual({
      apiKey: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
      adminToken: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
    });
    const security: Record<string, unknown> = {};
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(item)) security[`${method.toUpperCase()} ${path}`] = op.security;
    }
    const metered = [{ apiKey: [] }, {}];
    const admin = [{ adminToken: [] }];
    expect(security).toEqual({
      'GET /v1/classify': metered,
      'POST /v1/classify': metered,
      'GET /dns-query': metered,
      'POST /dns-query': metered,
      'GET /dns-query/{key}': metered,
      'POST /dns-query/{key}': metered,
      'GET /v1/usage': [{ apiKey: [] }],
      'POST /v1/admin/keys': admin,
      'GET /v1/admin/keys': admin,
      'POST /v1/admin/keys/{id}/revoke': admin,
      'GET /v1/admin/keys/{id}/usage': admin,
      'GET /v1/admin/usage/export': admin,
      'GET /v1/model': undefined,
      'GET /healthz': undefined,
    });
  });

  it('describes DNS-over-HTTPS as RFC 8484 wire format, with the JSON envelope for HTTP errors', async () => {
    const doc = (await documentOf(app)) as any;
    const get = doc.paths['/dns-query'].get;
    expect(get.parameters.map((p: any) => [p.name, p.in, p.required])).toEqual([['dns', 'query', true]]);
    expect(get.responses['200'].content).toEqual({ 'application/dns-message': { schema: expect.objectContaining({ type: 'string', format: 'binary' }) } });
    const post = doc.paths['/dns-query/{key}'].post;
    expect(post.parameters.map((p: any) => [p.name, p.in, p.required])).toEqual([['key', 'path', true]]);
    expect(Object.keys(post.requestBody.content)).toEqual(['application/dns-message']);
    expect(Object.keys(post.responses)).toEqual(['200', '400', '401', '402', '405', '413', '415', '429', '500', '503']);
    for (const status of ['400', '405', '413', '415', '503']) {
      expect(post.responses[status].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Error' });
    }
    expect(post.responses['503'].description).toContain('`metering_unavailable`');
  });
});
