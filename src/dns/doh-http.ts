// DNS-over-HTTPS (RFC 8484) on the Fetch API's Request and Response, no framework: the Worker's route and
// the embeddable library both use it.
import { DgaEdgeError } from '../core/errors.js';
import type { DnsFilter, FilterAnswer } from './dns-filter.js';
import { readBoundedBytes } from '../http/bounded-body.js';

export const DNS_MESSAGE_TYPE = 'application/dns-message';

/**
 * Largest query accepted, in bytes. RFC 8484 allows up to 65535, but a real query is small: one question
 * (a name is at most 255 octets) plus an OPT record, padded to a multiple of 128 (RFC 8467) stays under
 * 512. 4096 leaves room for several questions and options and bounds the work per request.
 */
export const MAX_QUERY_BYTES = 4096;

const BASE64URL = /^[A-Za-z0-9_-]+={0,2}$/;

/** Decodes the `dns` parameter of a GET: base64url without padding (RFC 8484 section 4.1; padding tolerated). */
export function decodeBase64Url(text: string): Uint8Array {
  if (!BASE64URL.test(text) || text.replace(/=+$/, '').length % 4 === 1) {
    throw new DgaEdgeError('invalid_dns_message', 'parameter "dns" is not base64url (A-Z a-z 0-9 - _, no padding)');
  }
  const binary = atob(text.replace(/=+$/, '').replace(/-/g, '+').replace(/_/g, '/'));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function tooLarge(): DgaEdgeError {
  return new DgaEdgeError('payload_too_large', `a DNS query may be at most ${MAX_QUERY_BYTES} bytes`, 413);
}

/**
 * The DNS query of a DoH request: `GET ?dns=<base64url>` or `POST` with Content-Type
 * application/dns-message. Throws DgaEdgeError: 400 invalid_request (no `dns`), 400 invalid_dns_message
 * (not base64url), 413 payload_too_large (over MAX_QUERY_BYTES), 415 unsupported_media_type.
 */
export async function readDohQuery(request: Request): Promise<Uint8Array> {
  if (request.method === 'GET' || request.method === 'HEAD') {
    const dns = new URL(request.url).searchParams.get('dns');
    if (dns === null || dns === '') {
      throw new DgaEdgeError('invalid_request', 'query parameter "dns" is required: a DNS query in base64url, e.g. /dns-query?dns=AAABAAABAAAAAAAAB2V4YW1wbGUDY29tAAABAAE');
    }
    if (dns.length > Math.ceil((MAX_QUERY_BYTES * 4) / 3) + 2) throw tooLarge();
    return decodeBase64Url(dns);
  }
  const type = request.headers.get('content-type') ?? '';
  if (!/^application\/dns-message\s*(;|$)/i.test(type)) {
    throw new DgaEdgeError('unsupported_media_type', `expected Content-Type: ${DNS_MESSAGE_TYPE}, got "${type || 'none'}"`, 415);
  }
  return readBoundedBytes(request, MAX_QUERY_BYTES, tooLarge);
}

/**
 * The HTTP response for a DNS answer: 200, application/dns-message, an explicit Content-Length (dig's DoH
 * client rejects answers without one) and `Cache-Control: max-age=<lowest TTL>` (RFC 8484 section 5.1),
 * or `no-store` for a SERVFAIL made here.
 */
export function dohResponse(answer: Pick<FilterAnswer, 'response' | 'maxAge'>): Response {
  return new Response(answer.response, {
    status: 200,
    headers: {
      'content-type': DNS_MESSAGE_TYPE,
      'content-length': String(answer.response.byteLength),
      'cache-control': answer.maxAge === undefined ? 'no-store' : `max-age=${answer.maxAge}`,
    },
  });
}

/**
 * Answers one DoH request through `filter`. Errors in the request throw DgaEdgeError (the caller turns
 * them into the JSON error envelope); upstream trouble is a DNS answer (SERVFAIL), not an HTTP error.
 */
export async function answerDohRequest(request: Request, filter: DnsFilter): Promise<Response> {
  const query = await readDohQuery(request);
  return dohResponse(await filter.resolve(query));
}
