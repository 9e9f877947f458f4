import { z } from '@hono/zod-openapi';
import { ERROR_CODES, type ErrorCode as ErrorCodeName } from '../core/errors.js';

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
    version: z.string().openapi({ example: '2026.11.29-4' }),
  })
  .openapi('ModelRef');

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad request',
  401: 'Unauthorized (a `WWW-Authenticate` header names the scheme)',
  402: 'The plan’s quota for this period is used up (`X-Quota-Reset` says when it resets)',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed (an `Allow` header lists the methods this path serves)',
  413: 'Payload too large',
  415: 'Unsupported media type',
  429: 'Too many requests (`Retry-After` says when to retry)',
  500: 'Internal error (details are logged, never sent)',
  503: 'Temporarily unavailable (retry shortly)',
};

/**
 * OpenAPI response entries for error statuses, each with the error envelope and the codes it can carry,
 * e.g. errorResponses({ 400: ['invalid_request'], 503: ['model_unavailable'] }).
 */
export function errorResponses<S extends number>(codes: Record<S, readonly ErrorCodeName[]>) {
  const out = {} as Record<S, { description: string; content: { 'application/json': { schema: typeof ErrorEnvelope } } }>;
  for (const [status, list] of Object.entries(codes) as [string, readonly string[]][]) {
    out[Number(status) as S] = {
      description: `${STATUS_TEXT[Number(status)] ?? 'Error'}: ${list.map((c) => `\`${c}\``).join(', ')}`,
      content: { 'application/json': { schema: ErrorEnvelope } },
    };
  }
  return out;
}

/** Security scheme of API keys (`Authorization: Bearer dga_live_...`), needed on metered routes when AUTH=on. */
export const API_KEY_SCHEME = 'apiKey';
/** Security scheme of the admin API (`Authorization: Bearer <ADMIN_TOKEN>`), separate from API keys. */
export const ADMIN_TOKEN_SCHEME = 'adminToken';

/**
 * The document's security schemes. Metered operations list `[{ apiKey: [] }, {}]`: a key is needed only
 * when the deployment runs with AUTH=on (and then not on the anonymous tier, ANON_RATE_PER_MIN).
 */
export const SECURITY_SCHEMES = {
  [API_KEY_SCHEME]: {
    type: 'http',
    scheme: 'bearer',
    description:
      'An API key (`dga_live_...`, from `npm run keys -- create`). Required with AUTH=on unless the anonymous tier is open; ' +
      'DoH clients, which cannot send headers, put it in the path instead: `/dns-query/{key}`.',
  },
  [ADMIN_TOKEN_SCHEME]: {
    type: 'http',
    scheme: 'bearer',
    description: 'The ADMIN_TOKEN secret (`wrangler secret put ADMIN_TOKEN`); without it the admin API answers 403 `admin_disabled`.',
  },
} as const;

/** Security of a metered operation: an API key with AUTH=on, nothing with AUTH=off (or the anonymous tier). */
export const METERED_SECURITY: Record<string, string[]>[] = [{ [API_KEY_SCHEME]: [] }, {}];

/** What the metering middleware can answer on a metered operation when AUTH=on. */
const METERING_ERRORS: Record<number, readonly ErrorCodeName[]> = {
  401: ['missing_api_key', 'invalid_api_key'],
  402: ['quota_exceeded'],
  429: ['rate_limited'],
  503: ['metering_unavailable'],
};

/** `codes` plus the metering errors (AUTH=on), for errorResponses. Integer keys keep their numeric order. */
export function withMeteringErrors(codes: Record<number, readonly ErrorCodeName[]>): Record<number, ErrorCodeName[]> {
  const merged: Record<number, ErrorCodeName[]> = {};
  for (const source of [codes, METERING_ERRORS]) {
    for (const [status, list] of Object.entries(source)) merged[Number(status)] = [...(merged[Number(status)] ?? []), ...list];
  }
  return merged;
}
