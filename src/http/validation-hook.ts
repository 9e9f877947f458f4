import type { Context } from 'hono';
import { errorResponse } from './error-response.js';

/** The part of a failed zod parse the hook reads (structurally typed: no dependency on zod's classes). */
interface FailedValidation {
  success: false;
  error: { issues: readonly { message: string; path: readonly PropertyKey[] }[] };
}

/**
 * OpenAPIHono's default hook: a request that fails its schema gets the project's error envelope, 400
 * `invalid_request`, with the first issue's message (the schemas carry the project's own wording), not
 * zod's error format. Successful validations pass through.
 */
export function validationHook(result: { success: boolean } | FailedValidation, c: Context): Response | undefined {
  if (result.success) return undefined;
  const issue = (result as FailedValidation).error.issues[0];
  const message = issue ? issue.message : 'the request does not match its schema';
  return errorResponse(c, 400, 'invalid_request', message);
}
