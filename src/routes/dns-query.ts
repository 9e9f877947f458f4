import { Hono } from 'hono';
import { createDnsFilter } from '../dns/dns-filter.js';
import { answerDohRequest } from '../dns/doh-http.js';
import { listsFromBinding } from '../dns/kv-lists.js';
import type { AppEnv } from '../http/env.js';
import { allowOnly } from '../http/method-not-allowed.js';

/**
 * DNS-over-HTTPS (RFC 8484): GET /dns-query?dns=<base64url> and POST /dns-query (application/dns-message).
 * Each query is decided by the policy (allowlist, denylist, model) and either answered here (blocked, with
 * EDE 15) or forwarded to DOH_UPSTREAM and its answer relayed unchanged. Errors in the HTTP request use the
 * JSON error envelope; upstream trouble is a DNS answer (SERVFAIL + EDE 22/23).
 *
 * `/dns-query/:key` serves the same: DoH clients can only be configured with a URL, so an API key travels
 * in the path. The key is not checked here; the auth middleware (added separately) does that.
 */
export function dnsQueryRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  for (const path of ['/dns-query', '/dns-query/:key']) {
    app.on(['GET', 'POST'], path, (c) => {
      const { config } = c.var;
      const filter = createDnsFilter({
        classifier: c.var.classifier,
        blockMode: config.dohBlockMode,
        lists: listsFromBinding(c.env.DNS_LISTS),
        upstream: { url: config.dohUpstream, timeoutMs: config.dohUpstreamTimeoutMs },
      });
      return answerDohRequest(c.req.raw, filter);
    });
    allowOnly(app, path, ['GET', 'POST']);
  }
  return app;
}
