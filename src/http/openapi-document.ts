import type { OpenAPIHono } from '@hono/zod-openapi';
import type { OpenApiDocument } from '../page/docs-page.js';

const DESCRIPTION =
  'Scores domain names for signs of malware domain-generation algorithms (DGAs) with a character-level LSTM ' +
  '(ONNX on onnxruntime-web). Every error answers with one envelope, `{"error": {"code", "message"}}`: branch on `code`.';

/**
 * The OpenAPI 3.1 description of an app's documented routes (those registered with `app.openapi(...)`),
 * generated from the same zod schemas that validate their requests. `origin` becomes the one server entry.
 */
export function openApiDocument(app: OpenAPIHono<any>, origin: string): OpenApiDocument {
  return app.getOpenAPI31Document({
    openapi: '3.1.0',
    info: { title: 'dga-edge', version: '1', description: DESCRIPTION },
    servers: [{ url: origin }],
    tags: [
      { name: 'classify', description: 'Score domain names' },
      { name: 'model', description: 'The model in service' },
      { name: 'dns', description: 'DNS-over-HTTPS filter (RFC 8484)' },
      { name: 'usage', description: 'Usage of the calling API key (AUTH=on)' },
      { name: 'admin', description: 'API keys and billing export (ADMIN_TOKEN)' },
      { name: 'operations', description: 'Health' },
    ],
  }) as OpenApiDocument;
}
