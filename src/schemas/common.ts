import { z } from '@hono/zod-openapi';
import { ERROR_CODES } from '../core/errors.js';

/**
 * The one error envelope of every HTTP error, `{ "error": { "code", "message" } }`. The code list is
 * src/core/errors.ts's ERROR_CODES, so the OpenAPI enum cannot drift from what the Worker sends.
 */
export const ErrorEnvelope = z
  .object({
    error: z.object({
      code: z.enum(ERROR_CODES).openapi({ description: 'Stable machine code; branch on this, never on the message.' }),
      message: z.string().openapi({ description: 'What went wrong, for a person; wording may change.' }),
    }),
  })
  .openapi('Error', { example: { error: { code: 'invalid_request', message: 'query parameter "domain" is required, e.g. /v1/classify?domain=example.com' } } });

/** The model that answered: every classification names it, so results can be traced to a version. */
export const ModelRef = z
  .object({
    id: z.string().openapi({ example: 'dga-lstm' }),
    version: z.string().openapi({ example: '2026.11.28-1' }),
  })
  .openapi('ModelRef');

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad request',
  405: 'Method not allowed (an `Allow` header lists the methods this path serves)',
  413: 'Payload too large',
  415: 'Unsupported media type',
  500: 'Internal error (details are logged, never sent)',
  503: 'The model is not available (retried on the next request)',
};

/**
 * OpenAPI response entries for error statuses, each with the error envelope and the codes it can carry,
 * e.g. errorResponses({ 400: ['invalid_request'], 503: ['model_unavailable'] }).
 */
export function errorResponses<S extends number>(codes: Record<S, readonly (typeof ERROR_CODES)[number][]>) {
  const out = {} as Record<S, { description: string; content: { 'application/json': { schema: typeof ErrorEnvelope } } }>;
  for (const [status, list] of Object.entries(codes) as [string, readonly string[]][]) {
    out[Number(status) as S] = {
      description: `${STATUS_TEXT[Number(status)] ?? 'Error'}: ${list.map((c) => `\`${c}\``).join(', ')}`,
      content: { 'application/json': { schema: ErrorEnvelope } },
    };
  }
  return out;
}
