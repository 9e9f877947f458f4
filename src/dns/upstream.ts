// The upstream DoH client: one POST of the client's query in wire format (RFC 8484 section 4.1), bounded
// in time and size, with every way it can fail turned into a reason the filter answers as SERVFAIL + EDE.
import { EdeCode } from '../core/dns-message.js';
import { decodeDnsMessage, type DnsMessage } from '../core/dns-wire.js';

export interface UpstreamOptions {
  /** The upstream resolver's DoH URL, e.g. https://cloudflare-dns.com/dns-query. */
  url: string;
  /** Give up after this many milliseconds (connect, headers and body together). */
  timeoutMs: number;
  /** fetch to use; the global one by default (tests and embedders may pass their own). */
  fetch?: typeof fetch;
}

/** A usable answer: its bytes exactly as the upstream sent them, and the decoded message. */
export interface UpstreamAnswer {
  ok: true;
  bytes: Uint8Array;
  message: DnsMessage;
}

/** Why there is no usable answer: the EDE INFO-CODE and EXTRA-TEXT for the SERVFAIL. */
export interface UpstreamFailure {
  ok: false;
  infoCode: EdeCode;
  text: string;
}

/** Largest answer accepted: a DNS message's length field is 16 bits (RFC 8484 section 6 via RFC 1035). */
const MAX_ANSWER_BYTES = 65535;

/** Rejects when `signal` aborts. */
function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(new Error('aborted'));
    signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
  });
}

function failure(infoCode: EdeCode, text: string): UpstreamFailure {
  return { ok: false, infoCode, text };
}

/** The same question (name case-insensitively, type, class) in the same order. */
function sameQuestions(a: DnsMessage, b: DnsMessage): boolean {
  const qa = a.questions ?? [];
  const qb = b.questions ?? [];
  return (
    qa.length === qb.length &&
    qa.every((q, i) => q.name.toLowerCase() === qb[i]!.name.toLowerCase() && q.type === qb[i]!.type && (q.class ?? 'IN') === (qb[i]!.class ?? 'IN'))
  );
}

/**
 * Sends `query` (its bytes, and the decoded form to check the answer against) to the upstream resolver.
 * Unreachable (connection refused, DNS failure, timeout) gives EDE 22 (No Reachable Authority); an answer
 * that is not a 200 application/dns-message holding a response with the query's ID and questions gives
 * EDE 23 (Network Error). The abort signal covers the body too, so a stalled upstream never hangs a client.
 */
export async function queryUpstream(query: Uint8Array, decoded: DnsMessage, options: UpstreamOptions): Promise<UpstreamAnswer | UpstreamFailure> {
  const doFetch = options.fetch ?? fetch;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs);
  const host = (() => {
    try {
      return new URL(options.url).host;
    } catch {
      return 'upstream';
    }
  })();
  let response: Response;
  try {
    try {
      response = await doFetch(options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/dns-message', accept: 'application/dns-message' },
        body: query,
        signal: controller.signal,
      });
    } catch (error) {
      if (controller.signal.aborted) return failure(EdeCode.NoReachableAuthority, `upstream ${host} timed out after ${options.timeoutMs} ms`);
      return failure(EdeCode.NoReachableAuthority, `upstream ${host} unreachable: ${(error as Error).message}`.slice(0, 200));
    }
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => undefined);
      return failure(EdeCode.NetworkError, `upstream ${host} answered HTTP ${response.status}`);
    }
    const type = response.headers.get('content-type') ?? '';
    if (!/^application\/dns-message\s*(;|$)/i.test(type)) {
      await response.body?.cancel().catch(() => undefined);
      return failure(EdeCode.NetworkError, `upstream ${host} answered content-type "${type || 'none'}"`);
    }
    const declared = Number(response.headers.get('content-length') ?? '0');
    if (declared > MAX_ANSWER_BYTES) {
      await response.body?.cancel().catch(() => undefined);
      return failure(EdeCode.NetworkError, `upstream ${host} answer is larger than ${MAX_ANSWER_BYTES} bytes`);
    }
    let bytes: Uint8Array;
    try {
      // A real fetch errors the body when the signal aborts; racing the signal as well keeps that promise
      // for any fetch an embedder passes in.
      bytes = new Uint8Array(await Promise.race([response.arrayBuffer(), aborted(controller.signal)]));
    } catch {
      if (controller.signal.aborted) return failure(EdeCode.NoReachableAuthority, `upstream ${host} timed out after ${options.timeoutMs} ms`);
      return failure(EdeCode.NetworkError, `upstream ${host} answer was cut off`);
    }
    if (bytes.byteLength > MAX_ANSWER_BYTES) return failure(EdeCode.NetworkError, `upstream ${host} answer is larger than ${MAX_ANSWER_BYTES} bytes`);
    let message: DnsMessage;
    try {
      message = decodeDnsMessage(bytes);
    } catch {
      return failure(EdeCode.NetworkError, `upstream ${host} answer is not a DNS message`);
    }
    if (message.type !== 'response') return failure(EdeCode.NetworkError, `upstream ${host} answer is not a response`);
    if (message.id !== decoded.id) return failure(EdeCode.NetworkError, `upstream ${host} answer has ID ${message.id}, expected ${decoded.id}`);
    if (!sameQuestions(message, decoded)) return failure(EdeCode.NetworkError, `upstream ${host} answered another question`);
    return { ok: true, bytes, message };
  } finally {
    clearTimeout(timer);
  }
}
