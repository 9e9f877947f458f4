// The one module that calls dns-packet: DNS messages in and out as plain Uint8Arrays.
//
// Why dns-packet with the `buffer` package: dns-packet (mafintosh, the de facto JS DNS codec) works on
// Node's Buffer, which it takes from `require('buffer')`. This project's Worker runs without nodejs_compat
// (with it, onnxruntime-web's Emscripten glue takes Node code paths), so in workerd that import resolves
// to the npm `buffer` package (feross/buffer, a pure-JS Uint8Array subclass), a dependency of this package,
// and in Node to Node's own Buffer. Nothing is aliased or defined: any bundler that follows node_modules
// (wrangler for this Worker and for other Workers embedding the library) finds the same package.
// The Uint8Array fork @dnsquery/dns-packet 6.1.1 was tried first and rejected: it writes zeros for an
// option given as raw `data` (its copy() helper mishandles omitted bounds; @leichtgewicht/dns-packet 6.0.3
// has the same helper), and that is exactly how the Extended DNS Error option has to be written.
import { Buffer } from 'buffer';
import * as dnsPacket from 'dns-packet';
import { DgaEdgeError } from './errors.js';

/** A message as dns-packet decodes it (the typings omit the decoded `opcode` and `rcode` strings). */
export type DnsMessage = dnsPacket.DecodedPacket & { opcode?: string; rcode?: string };
export type DnsQuestion = dnsPacket.Question;
export type DnsAnswer = dnsPacket.Answer;

export const RECURSION_DESIRED = dnsPacket.RECURSION_DESIRED;
export const RECURSION_AVAILABLE = dnsPacket.RECURSION_AVAILABLE;
export const CHECKING_DISABLED = dnsPacket.CHECKING_DISABLED;

/** A DNS message that could not be decoded, or is not something this filter answers (400 / FORMERR). */
export class InvalidDnsMessageError extends DgaEdgeError {
  constructor(message: string) {
    super('invalid_dns_message', message, 400);
    this.name = 'InvalidDnsMessageError';
  }
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Decodes a DNS message in wire format. Throws InvalidDnsMessageError when the bytes are not a whole,
 * well-formed message (truncated sections, bad compression pointers, trailing garbage the codec rejects).
 */
export function decodeDnsMessage(bytes: Uint8Array): DnsMessage {
  if (bytes.byteLength < 12) throw new InvalidDnsMessageError(`a DNS message is at least 12 bytes; got ${bytes.byteLength}`);
  try {
    return dnsPacket.decode(asBuffer(bytes));
  } catch (error) {
    throw new InvalidDnsMessageError(`not a valid DNS message: ${(error as Error).message}`);
  }
}

/** Encodes a DNS message to wire format, as a plain Uint8Array view of the codec's buffer. */
export function encodeDnsMessage(message: dnsPacket.Packet): Uint8Array {
  const buffer = dnsPacket.encode(message);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** The 16-bit message ID (the first two bytes), read without decoding the rest. */
export function messageId(bytes: Uint8Array): number {
  return ((bytes[0] ?? 0) << 8) | (bytes[1] ?? 0);
}

/** Bytes as a Buffer-compatible value for dns-packet fields typed as Buffer (option data, TXT). */
export function wireBytes(bytes: Uint8Array): Buffer {
  return asBuffer(bytes);
}
