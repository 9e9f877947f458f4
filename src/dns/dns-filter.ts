// The DNS filter: policy (src/core) plus the upstream client, on DNS messages in wire format. Shared by the
// Worker's /dns-query route and the embeddable library (src/lib.ts); it knows nothing about HTTP.
import type { Classifier } from '../core/classifier.js';
import { EMPTY_DNS_LISTS, type DnsLists } from '../core/dns-lists.js';
import { BLOCKED_TTL_SECONDS, buildBlockedResponse, buildServfailResponse, decodeQuery, minimumTtl, type BlockMode } from '../core/dns-message.js';
import { decideQuery, type QueryVerdict } from '../core/dns-policy.js';
import type { DnsMessage } from '../core/dns-wire.js';
import { queryUpstream, type UpstreamOptions } from './upstream.js';

export interface DnsFilterOptions {
  classifier: Classifier;
  /** How blocked queries are answered. Default "nxdomain". */
  blockMode?: BlockMode;
  /** The allow and deny lists, or a function that returns the current ones (e.g. cached from KV). */
  lists?: DnsLists | (() => DnsLists | Promise<DnsLists>);
  /** Where forwarded queries go; without it, `resolve` cannot forward (decide still works). */
  upstream?: UpstreamOptions;
}

/** What to do with one query message. */
export type FilterDecision =
  | {
      action: 'block';
      /** The complete local answer (NXDOMAIN or null addresses, with EDE 15). */
      response: Uint8Array;
      /** The EDE text, e.g. "dga score=0.9998 family=cryptolocker". */
      reason: string;
      /** Seconds the answer may be cached (its records' TTL). */
      ttl: number;
      verdict: QueryVerdict;
      query: DnsMessage;
    }
  | { action: 'forward'; verdict: QueryVerdict; query: DnsMessage };

/** The answer to send back, with its HTTP freshness lifetime (undefined: must not be cached). */
export interface FilterAnswer {
  response: Uint8Array;
  maxAge: number | undefined;
  decision: FilterDecision;
  /** Set when the answer is a SERVFAIL made here because the upstream failed. */
  upstreamError?: string;
}

export interface DnsFilter {
  /** Decides a query message; throws InvalidDnsMessageError (code invalid_dns_message) for a malformed one. */
  decide(query: Uint8Array): Promise<FilterDecision>;
  /**
   * Decides and answers a query: the local answer when blocked, otherwise the upstream's answer bytes
   * unchanged (or SERVFAIL + EDE 22/23 when the upstream fails). Needs `upstream`.
   */
  resolve(query: Uint8Array): Promise<FilterAnswer>;
}

/** Builds a DNS filter over a classifier; see DnsFilterOptions. */
export function createDnsFilter(options: DnsFilterOptions): DnsFilter {
  const blockMode = options.blockMode ?? 'nxdomain';
  if (blockMode !== 'nxdomain' && blockMode !== 'null') throw new RangeError(`blockMode must be "nxdomain" or "null", got ${JSON.stringify(blockMode)}`);
  const lists = options.lists ?? EMPTY_DNS_LISTS;
  const currentLists = typeof lists === 'function' ? lists : () => lists;

  async function decide(bytes: Uint8Array): Promise<FilterDecision> {
    const query = decodeQuery(bytes);
    const verdict = await decideQuery(query, { lists: await currentLists(), classifier: options.classifier });
    if (verdict.action === 'forward') return { action: 'forward', verdict, query };
    return { action: 'block', response: buildBlockedResponse(query, blockMode, verdict.text), reason: verdict.text, ttl: BLOCKED_TTL_SECONDS, verdict, query };
  }

  return {
    decide,
    async resolve(bytes) {
      const decision = await decide(bytes);
      if (decision.action === 'block') return { response: decision.response, maxAge: decision.ttl, decision };
      if (!options.upstream) throw new Error('createDnsFilter: resolve() needs the upstream option');
      const answer = await queryUpstream(bytes, decision.query, options.upstream);
      if (!answer.ok) {
        return { response: buildServfailResponse(decision.query, answer.infoCode, answer.text), maxAge: undefined, decision, upstreamError: answer.text };
      }
      return { response: answer.bytes, maxAge: minimumTtl(answer.message) ?? 0, decision };
    },
  };
}
