import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import type { ErrorCode } from '../core/errors.js';
import { createDnsFilter } from '../dns/dns-filter.js';
import { answerDohRequest, DNS_MESSAGE_TYPE } from '../dns/doh-http.js';
import { listsFromBinding } from '../dns/kv-lists.js';
import type { AppEnv } from '../http/env.js';
import { setUnits } from '../http/metering.js';
import { allowOnly } from '../http/method-not-allowed.js';
import { errorResponses, METERED_SECURITY, withMeteringErrors } from '../schemas/common.js';
import { DnsKeyParams, DnsMessage, DnsQueryParams } from '../schemas/dns-query.js';

const ANSWER = {
  description:
    'The DNS answer: blocked names get NXDOMAIN (or 0.0.0.0 / ::, DOH_BLOCK_MODE) with Extended DNS Error 15; allowed ones are ' +
    'forwarded to DOH_UPSTREAM and relayed unchanged; upstream trouble is a SERVFAIL with EDE 22/23, still 200. ' +
    '`Cache-Control: max-age` is the lowest TTL of the answer.',
  content: { [DNS_MESSAGE_TYPE]: { schema: DnsMessage } },
};

/** The JSON error answers of DoH (a GET without `dns` is `invalid_request`; only POST has a body type). */
function dohErrors(method: 'get' | 'post') {
  const codes: Record<number, ErrorCode[]> =
    method === 'get'
      ? { 400: ['invalid_request', 'invalid_dns_message'], 413: ['payload_too_large'] }
      : { 400: ['invalid_dns_message'], 413: ['payload_too_large'], 415: ['unsupported_media_type'] };
  return errorResponses(withMeteringErrors({ ...codes, 405: ['method_not_allowed'], 500: ['internal_error'], 503: ['model_unavailable'] }));
}

/** The four DoH operations: GET and POST, without and with the key in the path. */
export const dnsQueryOperations = (['/dns-query', '/dns-query/{key}'] as const).flatMap((path) => {
  const keyed = path !== '/dns-query';
  const where = keyed ? ' The API key travels in the path, for DoH clients that cannot send headers.' : '';
  return [
    createRoute({
      method: 'get',
      path,
      summary: keyed ? 'DNS-over-HTTPS query (GET), key in the path' : 'DNS-over-HTTPS query (GET)',
      description: `RFC 8484 GET: the query message in the \`dns\` parameter. The filter scores the queried name and blocks DGA-like ones.${where}`,
      tags: ['dns'],
      security: METERED_SECURITY,
      request: keyed ? { query: DnsQueryParams, params: DnsKeyParams } : { query: DnsQueryParams },
      responses: { 200: ANSWER, ...dohErrors('get') },
    }),
    createRoute({
      method: 'post',
      path,
      summary: keyed ? 'DNS-over-HTTPS query (POST), key in the path' : 'DNS-over-HTTPS query (POST)',
      description: `RFC 8484 POST: the query message is the body, \`Content-Type: ${DNS_MESSAGE_TYPE}\`, at most 4096 bytes.${where}`,
      tags: ['dns'],
      security: METERED_SECURITY,
      request: {
        ...(keyed ? { params: DnsKeyParams } : {}),
        body: { required: true, content: { [DNS_MESSAGE_TYPE]: { schema: DnsMessage } } },
      },
      responses: { 200: ANSWER, ...dohErrors('post') },
    }),
  ];
});

/**
 * DNS-over-HTTPS (RFC 8484): GET /dns-query?dns=<base64url> and POST /dns-query (application/dns-message).
 * Each query is decided by the policy (allowlist, denylist, model) and either answered here (blocked, with
 * EDE 15) or forwarded to DOH_UPSTREAM and its answer relayed unchanged. Errors in the HTTP request use the
 * JSON error envelope; upstream trouble is a DNS answer (SERVFAIL + EDE 22/23).
 *
 * `/dns-query/:key` serves the same: DoH clients can only be configured with a URL, so an API key travels
 * in the path. The key is not checked here; the metering middleware (src/http/metering.ts) does that.
 *
 * Billing (AUTH=on): one unit per question of an answered message (blocked or forwarded); a SERVFAIL is the
 * upstream's failure, not an answer, so it costs nothing, like any error.
 *
 * The operations are described from src/schemas/dns-query.ts, but the request is read by answerDohRequest,
 * as in the embeddable library: DoH clients rely on its exact checks and codes.
 */
export function dnsQueryRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  for (const operation of dnsQueryOperations) app.openAPIRegistry.registerPath(operation);
  for (const path of ['/dns-query', '/dns-query/:key']) {
    app.on(['GET', 'POST'], path, async (c) => {
      const { config } = c.var;
      const filter = createDnsFilter({
        classifier: c.var.classifier,
        blockMode: config.dohBlockMode,
        lists: listsFromBinding(c.env.DNS_LISTS),
        upstream: { url: config.dohUpstream, timeoutMs: config.dohUpstreamTimeoutMs },
      });
      const response = await answerDohRequest(c.req.raw, filter);
      if (response.status === 200 && config.auth) setUnits(c, billableUnits(new Uint8Array(await response.clone().arrayBuffer())));
      return response;
    });
    allowOnly(app, path, ['GET', 'POST']);
  }
  return app;
}

/** Units for a DNS answer: its question count (header bytes 4-5), or 0 for SERVFAIL (RCODE 2, header byte 3). */
export function billableUnits(answer: Uint8Array): number {
  if (answer.length < 12) return 0;
  const rcode = answer[3]! & 0x0f;
  if (rcode === 2) return 0;
  return Math.max(1, (answer[4]! << 8) | answer[5]!);
}
