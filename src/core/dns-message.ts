// Building and reading the DNS messages the filter answers itself: blocked answers, SERVFAIL answers with
// an Extended DNS Error (RFC 8914), and the facts of a relayed answer the HTTP layer needs (TTL, ID).
// Encoding and decoding are dns-packet's (dns-wire.ts); only the 2-byte EDE payload is written here.
import type { Answer, Packet, Question } from 'dns-packet';
import {
  CHECKING_DISABLED,
  decodeDnsMessage,
  encodeDnsMessage,
  InvalidDnsMessageError,
  RECURSION_AVAILABLE,
  RECURSION_DESIRED,
  wireBytes,
  type DnsMessage,
} from './dns-wire.js';

/** EDNS option code of Extended DNS Errors (RFC 8914 section 2). */
export const EDE_OPTION_CODE = 15;

/** The EDE INFO-CODEs this filter sends (RFC 8914 section 4). */
export const EdeCode = {
  /** 15: the name is blocked by the operator's policy (here: the model or the denylist). */
  Blocked: 15,
  /** 22: the upstream resolver could not be reached (refused, timed out). */
  NoReachableAuthority: 22,
  /** 23: the upstream answered, but not with a usable DNS message. */
  NetworkError: 23,
} as const;
export type EdeCode = (typeof EdeCode)[keyof typeof EdeCode];

/** One Extended DNS Error read back from a message. */
export interface ExtendedDnsError {
  infoCode: number;
  text: string;
}

/** `nxdomain`: NXDOMAIN for every blocked message; `null`: 0.0.0.0 / :: for A / AAAA, NODATA otherwise. */
export type BlockMode = 'nxdomain' | 'null';

/** RCODEs used here (RFC 1035 section 4.1.1). */
const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3 } as const;

/** The OPT record's advertised UDP payload size: the DNS Flag Day 2020 value, irrelevant over HTTPS. */
const UDP_PAYLOAD_SIZE = 1232;

/** TTL of the records and the HTTP max-age of a blocked answer; see blockedTtlSeconds in the README. */
export const BLOCKED_TTL_SECONDS = 60;

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

/**
 * Checks that a decoded message is a standard query this filter can act on: not a response, opcode QUERY,
 * at least one question. Throws InvalidDnsMessageError (answered 400) otherwise.
 */
export function assertStandardQuery(message: DnsMessage): void {
  if (message.type === 'response') throw new InvalidDnsMessageError('the message is a response (QR=1), not a query');
  if (message.opcode !== undefined && message.opcode !== 'QUERY') {
    throw new InvalidDnsMessageError(`opcode ${message.opcode} is not supported; only standard queries (QUERY)`);
  }
  if (!message.questions || message.questions.length === 0) throw new InvalidDnsMessageError('the query has no question');
}

/** Decodes a DoH request body and checks it is a standard query (assertStandardQuery). */
export function decodeQuery(bytes: Uint8Array): DnsMessage {
  const message = decodeDnsMessage(bytes);
  assertStandardQuery(message);
  return message;
}

/** The EDNS option carrying one Extended DNS Error: INFO-CODE (2 bytes) then UTF-8 EXTRA-TEXT. */
function edeOption(infoCode: EdeCode, text: string) {
  const utf8 = textEncoder.encode(text);
  const data = new Uint8Array(2 + utf8.length);
  data[0] = infoCode >> 8;
  data[1] = infoCode & 0xff;
  data.set(utf8, 2);
  return { code: EDE_OPTION_CODE, data: wireBytes(data) };
}

function optRecord(infoCode: EdeCode, text: string): Answer {
  // The typings list only the named options; dns-packet writes any { code, data } option as given.
  return {
    type: 'OPT',
    name: '.',
    udpPayloadSize: UDP_PAYLOAD_SIZE,
    extendedRcode: 0,
    ednsVersion: 0,
    flags: 0,
    flag_do: false,
    options: [edeOption(infoCode, text)],
  } as unknown as Answer;
}

/**
 * A response to `query` that echoes its ID, questions, RD and CD bits, sets QR and RA, and carries an OPT
 * record with one EDE. RFC 8484 lets DoH clients send ID 0; echoing it is what they expect.
 */
function responseTo(query: DnsMessage, rcode: number, infoCode: EdeCode, text: string, answers: Answer[] = []): Packet {
  const echoed = (query.flags ?? 0) & (RECURSION_DESIRED | CHECKING_DISABLED);
  return {
    type: 'response',
    id: query.id ?? 0,
    flags: echoed | RECURSION_AVAILABLE | rcode,
    questions: (query.questions ?? []).map((q) => ({ name: q.name, type: q.type, class: q.class ?? 'IN' }) as Question),
    answers,
    authorities: [],
    additionals: [optRecord(infoCode, text)],
  };
}

/**
 * The local answer to a blocked query, whole (a message has one RCODE, so all its questions share it).
 * `nxdomain` answers NXDOMAIN; `null` answers NOERROR with 0.0.0.0 for A and :: for AAAA questions and no
 * record (NODATA) for other types. Both carry EDE 15 (Blocked) with `reason` as its text.
 */
export function buildBlockedResponse(query: DnsMessage, mode: BlockMode, reason: string): Uint8Array {
  if (mode === 'nxdomain') return encodeDnsMessage(responseTo(query, RCODE.NXDOMAIN, EdeCode.Blocked, reason));
  const answers: Answer[] = [];
  for (const q of query.questions ?? []) {
    if ((q.class ?? 'IN') !== 'IN') continue;
    if (q.type === 'A') answers.push({ type: 'A', name: q.name, ttl: BLOCKED_TTL_SECONDS, class: 'IN', data: '0.0.0.0' });
    if (q.type === 'AAAA') answers.push({ type: 'AAAA', name: q.name, ttl: BLOCKED_TTL_SECONDS, class: 'IN', data: '::' });
  }
  return encodeDnsMessage(responseTo(query, RCODE.NOERROR, EdeCode.Blocked, reason, answers));
}

/** SERVFAIL for `query` with an EDE saying why the upstream could not answer (22 or 23). */
export function buildServfailResponse(query: DnsMessage, infoCode: EdeCode, text: string): Uint8Array {
  return encodeDnsMessage(responseTo(query, RCODE.SERVFAIL, infoCode, text));
}

/**
 * The freshness lifetime of an answer in seconds (RFC 8484 section 5.1): the smallest TTL among its
 * records, OPT excluded. A negative answer's SOA counts with min(TTL, MINIMUM) (RFC 2308 section 5).
 * Undefined when the message has no record with a TTL.
 */
export function minimumTtl(message: DnsMessage): number | undefined {
  let min: number | undefined;
  for (const record of [...(message.answers ?? []), ...(message.authorities ?? []), ...(message.additionals ?? [])]) {
    if (record.type === 'OPT') continue;
    let ttl = (record as { ttl?: number }).ttl ?? 0;
    if (record.type === 'SOA' && typeof record.data.minimum === 'number') ttl = Math.min(ttl, record.data.minimum);
    min = min === undefined ? ttl : Math.min(min, ttl);
  }
  return min;
}

/** The Extended DNS Errors in a message's OPT record (for tests, logs and the library's callers). */
export function extendedErrors(message: DnsMessage): ExtendedDnsError[] {
  const out: ExtendedDnsError[] = [];
  for (const record of message.additionals ?? []) {
    if (record.type !== 'OPT') continue;
    for (const option of record.options as unknown as { code: number; data?: Uint8Array }[]) {
      if (option.code !== EDE_OPTION_CODE || !option.data || option.data.length < 2) continue;
      out.push({ infoCode: (option.data[0]! << 8) | option.data[1]!, text: textDecoder.decode(option.data.subarray(2)) });
    }
  }
  return out;
}

/** Numeric RCODE of a decoded message (dns-packet reports it as a name). */
export function rcodeOf(message: DnsMessage): number {
  return (message.flags ?? 0) & 0x0f;
}
