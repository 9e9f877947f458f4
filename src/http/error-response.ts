import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
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

/** Codes for HTTPExceptions thrown by hono's own middleware (validators, media-type gates). */
const HTTP_EXCEPTION_CODES: Partial<Record<number, ErrorCode>> = {
  400: 'invalid_request',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
};

/**
 * app.onError: known errors become their envelope; anything else is logged server-side and answered with a
 * generic 500 that reveals nothing about internals.
 */
export function handleError(error: Error, c: Context) {
  if (error instanceof DgaEdgeError) return errorResponse(c, error.status, error.code, error.message, error.headers);
  const code = error instanceof HTTPException ? HTTP_EXCEPTION_CODES[error.status] : undefined;
  if (error instanceof HTTPException && code) return errorResponse(c, error.status, code, error.message);
  console.error(`unhandled error on ${c.req.method} ${pathForLog(new URL(c.req.url).pathname)}:`, error);
  return errorResponse(c, 500, 'internal_error', 'internal error; the request was not processed');
}
