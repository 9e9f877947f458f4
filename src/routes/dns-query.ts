import { Hono } from 'hono';
import { createDnsFilter } from '../dns/dns-filter.js';
import { answerDohRequest } from '../dns/doh-http.js';
import { listsFromBinding } from '../dns/kv-lists.js';
import type { AppEnv } from '../http/env.js';
import { setUnits } from '../http/metering.js';
import { allowOnly } from '../http/method-not-allowed.js';

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
 */
export function dnsQueryRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
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
