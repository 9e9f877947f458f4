import { z } from '@hono/zod-openapi';

/**
 * DNS-over-HTTPS (RFC 8484) request and answer. These describe /dns-query in /openapi.json; the route reads
 * the request itself (src/dns/doh-http.ts), because DoH clients expect its exact checks and codes
 * (`invalid_dns_message` for a `dns` value that is not base64url, 413 above 4096 bytes, 415 for another
 * Content-Type).
 */
export const DnsQueryParams = z.object({
  dns: z
    .string()
    .regex(/^[A-Za-z0-9_-]+={0,2}$/)
    .openapi({
      description: 'The DNS query message in base64url without padding (RFC 8484 section 4.1), at most 4096 bytes decoded.',
      example: 'AAABAAABAAAAAAAAB2V4YW1wbGUDY29tAAABAAE',
    }),
});

/** `/dns-query/{key}`: the API key in the path, for DoH clients that take a URL but cannot send headers. */
export const DnsKeyParams = z.object({
  key: z.string().openapi({
    description:
      'An API key (`dga_live_...`). With AUTH=on it is checked and metered like a Bearer key (the Authorization header wins when both are sent); with AUTH=off it is ignored.',
    example: 'dga_live_BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc',
  }),
});

/** A DNS message in wire format (RFC 1035), the body of a DoH POST and of every DoH answer. */
export const DnsMessage = z.string().openapi({
  format: 'binary',
  description: 'A DNS message in wire format (RFC 1035 section 4), `application/dns-message`.',
});
