import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { DgaEdgeError, type ErrorCode } from '../core/errors.js';
import { pathForLog } from './auth.js';

/** The one error envelope every HTTP error uses: `{ "error": { "code", "message" } }`. */
export interface ErrorEnvelope {
  error: { code: ErrorCode; message: string };
}

export function errorResponse(c: Context, status: number, code: ErrorCode, message: string, headers?: Record<string, string>) {
  const body: ErrorEnvelope = { error: { code, message } };
  return c.json(body, status as ContentfulStatusCode, headers);
}

/**
 * app.onError: known errors become their envelope; anything else is logged server-side and answered with a
 * generic 500 that reveals nothing about internals.
 */
export function handleError(error: Error, c: Context) {
  if (error instanceof DgaEdgeError) return errorResponse(c, error.status, error.code, error.message, error.headers);
  console.error(`unhandled error on ${c.req.method} ${pathForLog(new URL(c.req.url).pathname)}:`, error);
  return errorResponse(c, 500, 'internal_error', 'internal error; the request was not processed');
}
