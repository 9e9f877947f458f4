/**
 * Error codes shared by every surface (HTTP API, CLI, DNS filter). They are part of the public contract:
 * clients branch on `code`, never on `message`, so codes never change once published.
 */
export const ERROR_CODES = [
  'invalid_domain',
  'invalid_json',
  'invalid_request',
  'invalid_dns_message',
  'unsupported_media_type',
  'payload_too_large',
  'uri_too_long',
  'headers_too_large',
  'too_many_domains',
  'not_found',
  'method_not_allowed',
  'model_unavailable',
  'missing_api_key',
  'invalid_api_key',
  'quota_exceeded',
  'rate_limited',
  'metering_unavailable',
  'invalid_admin_token',
  'admin_disabled',
  'internal_error',
] as const;

/** One of ERROR_CODES (the list exists at run time for the OpenAPI description's enum). */
export type ErrorCode = (typeof ERROR_CODES)[number];

/**
 * A failure a caller can act on. `status` is the HTTP status the Worker answers with; the CLI and the DNS
 * filter use only `code` and `message`.
 */
export class DgaEdgeError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Extra response headers the HTTP answer carries (e.g. Retry-After). */
  readonly headers: Record<string, string> | undefined;

  constructor(code: ErrorCode, message: string, status = 400, headers?: Record<string, string>) {
    super(message);
    this.name = 'DgaEdgeError';
    this.code = code;
    this.status = status;
    this.headers = headers;
  }
}

/**
 * The model cannot serve right now (it failed to load; the next attempt is `retryAfterSeconds` away):
 * HTTP 503 with a Retry-After header.
 */
export class ModelUnavailableError extends DgaEdgeError {
  readonly retryAfterSeconds: number;

  constructor(message: string, retryAfterSeconds: number) {
    super('model_unavailable', message, 503, { 'Retry-After': String(retryAfterSeconds) });
    this.name = 'ModelUnavailableError';
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** Thrown by the normaliser for a name that is not a valid domain name; the message says why. */
export class InvalidDomainError extends DgaEdgeError {
  constructor(message: string) {
    super('invalid_domain', message, 400);
    this.name = 'InvalidDomainError';
  }
}
