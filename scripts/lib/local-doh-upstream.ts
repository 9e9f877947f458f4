import { decodeDnsMessage, encodeDnsMessage, RECURSION_AVAILABLE, RECURSION_DESIRED, type DnsAnswer, type DnsMessage } from '../../src/core/dns-wire.js';
import { serveDohOnLoopback } from './loopback-doh-server.js';

/** Documentation addresses (RFC 5737, RFC 3849): nothing a client connects to by mistake. */
export const UPSTREAM_A = '192.0.2.1';
export const UPSTREAM_AAAA = '2001:db8::1';
export const UPSTREAM_TTL_SECONDS = 300;

export interface LocalDohUpstream {
  /** `http://127.0.0.1:<port>/dns-query`, for DOH_UPSTREAM. */
  url: string;
  /** Queries answered, and requests refused (not POST application/dns-message, or not a DNS message). */
  stats: { answered: number; refused: number };
  close(): Promise<void>;
}

/**
 * The answer of the fake upstream to one query: its ID and questions echoed, NOERROR, A -> 192.0.2.1 and
 * AAAA -> 2001:db8::1 (TTL 300), nothing for other types (NODATA). Throws InvalidDnsMessageError on bytes
 * that are no DNS message.
 */
export function localUpstreamAnswer(query: Uint8Array): Uint8Array {
  const message: DnsMessage = decodeDnsMessage(query);
  const questions = message.questions ?? [];
  const answers: DnsAnswer[] = [];
  for (const q of questions) {
    if (q.type === 'A') answers.push({ type: 'A', name: q.name, class: 'IN', ttl: UPSTREAM_TTL_SECONDS, data: UPSTREAM_A });
    if (q.type === 'AAAA') answers.push({ type: 'AAAA', name: q.name, class: 'IN', ttl: UPSTREAM_TTL_SECONDS, data: UPSTREAM_AAAA });
  }
  return encodeDnsMessage({ type: 'response', id: message.id ?? 0, flags: RECURSION_DESIRED | RECURSION_AVAILABLE, questions, answers });
}

/**
 * A DoH upstream for `npm run load` (RFC 8484 wire format over POST, any path) on 127.0.0.1 and a free
 * port, so the DNS filter's forwarded queries stay on this machine and always succeed: any SERVFAIL seen
 * during the load is the Worker's doing, not the network's. Anything but a POST of application/dns-message
 * holding a DNS message is refused with 400 or 415 (and counted in `stats.refused`).
 */
export async function startLocalDohUpstream(): Promise<LocalDohUpstream> {
  const stats = { answered: 0, refused: 0 };
  const refuse = (status: number, text: string) => {
    stats.refused++;
    return { status, contentType: 'text/plain', body: new TextEncoder().encode(text) };
  };
  const { url, close } = await serveDohOnLoopback(({ method, contentType, body }) => {
    if (method !== 'POST' || !/^application\/dns-message\s*(;|$)/i.test(contentType)) return refuse(415, 'POST application/dns-message only');
    let answer: Uint8Array;
    try {
      answer = localUpstreamAnswer(body);
    } catch (error) {
      return refuse(400, (error as Error).message);
    }
    stats.answered++;
    return { status: 200, contentType: 'application/dns-message', body: answer };
  });
  return { url, stats, close };
}
