// The embeddable library: `import { createDgaFilter } from 'dga-edge'` in another Worker or DoH filter.
// It builds the same classifier and DNS policy the dga-edge Worker serves, from model bytes and ORT's wasm
// that the embedding Worker imports itself (wrangler bundles .onnx as Data and .wasm as CompiledWasm).
import { createClassifier, type ClassificationOutcome, type Classifier } from './core/classifier.js';
import { compileDnsLists, type DnsListSource, type DnsLists } from './core/dns-lists.js';
import type { BlockMode } from './core/dns-message.js';
import { DgaEdgeError } from './core/errors.js';
import { parseModelMetadata } from './core/metadata.js';
import { createDnsFilter, type DnsFilter, type FilterAnswer, type FilterDecision } from './dns/dns-filter.js';
import { answerDohRequest } from './dns/doh-http.js';
import { kvListSource, type ListStore } from './dns/kv-lists.js';
import { createOnnxScorer, scorerOptionsFrom } from './runtime/onnx-scorer.js';

export type { BlockMode } from './core/dns-message.js';
export { EdeCode, extendedErrors, minimumTtl, rcodeOf, type ExtendedDnsError } from './core/dns-message.js';
export { decodeDnsMessage, encodeDnsMessage, type DnsMessage } from './core/dns-wire.js';
export { compileDnsLists, type DnsListSource, type DnsLists } from './core/dns-lists.js';
export type { QueryVerdict, QuestionVerdict, BlockReason } from './core/dns-policy.js';
export type { Classification, ClassificationOutcome } from './core/classifier.js';
export type { FilterAnswer, FilterDecision } from './dns/dns-filter.js';
export { kvListSource, type ListStore } from './dns/kv-lists.js';
export { DgaEdgeError } from './core/errors.js';

export interface DgaFilterOptions {
  /** The .onnx model's bytes (e.g. `import model from 'dga-edge/model/dga.onnx'` through a Data rule). */
  model: ArrayBuffer | Uint8Array;
  /**
   * onnxruntime-web's ort-wasm-simd-threaded.wasm: the imported WebAssembly.Module in a Worker (Workers
   * cannot compile wasm from bytes), or its bytes in Node.
   */
  wasm: WebAssembly.Module | ArrayBuffer | Uint8Array;
  /** The model's metadata.json, parsed (the object) or as text. */
  metadata: unknown;
  /** Score at or above which a name is DGA; default: the model's own threshold. */
  threshold?: number;
  /** Answer to blocked queries: "nxdomain" (default) or "null" (0.0.0.0 / :: / NODATA). */
  blockMode?: BlockMode;
  /** Names (`example.com`) or suffixes (`*.example.com`) always forwarded; array or newline-separated text. */
  allow?: string | readonly string[];
  /** Names or suffixes always blocked. */
  deny?: string | readonly string[];
  /** Lists from a KV namespace with keys "allow" and "deny", re-read once a minute; replaces allow/deny. */
  listStore?: ListStore;
  /** Upstream DoH resolver for forwarded queries (needed by `resolve` and `fetch`, not by `decide`). */
  upstream?: string;
  /** Milliseconds to wait for the upstream (default 2000). */
  upstreamTimeoutMs?: number;
  /** Scored labels remembered (default 10,000; 0 = off). */
  cacheSize?: number;
}

export interface DgaFilter {
  /** The classifier underneath (model id, version, threshold in force). */
  readonly classifier: Classifier;
  /** Classifies names, in order; invalid names come back with an `error`, never a throw. */
  classify(names: readonly string[]): Promise<ClassificationOutcome[]>;
  /**
   * Decides a DNS query message (wire format): `{ action: 'block', response, reason, ttl }` with the
   * complete local answer, or `{ action: 'forward' }`. Throws DgaEdgeError (code invalid_dns_message) for
   * a malformed message.
   */
  decide(query: Uint8Array): Promise<FilterDecision>;
  /** Decides and answers: the local answer when blocked, else the upstream's (or SERVFAIL + EDE 22/23). */
  resolve(query: Uint8Array): Promise<FilterAnswer>;
  /**
   * A complete RFC 8484 endpoint: GET ?dns= and POST application/dns-message, errors as
   * `{ "error": { "code", "message" } }` (400, 405, 413, 415). Mount it at your DoH path.
   */
  fetch(request: Request): Promise<Response>;
}

/**
 * Builds a DGA filter: loads the model once (an ONNX session in onnxruntime-web's WASM backend) and returns
 * classify / decide / resolve / fetch over it. Create it once per isolate (module scope or a memoised
 * promise), not per request: session creation costs hundreds of milliseconds.
 */
export async function createDgaFilter(options: DgaFilterOptions): Promise<DgaFilter> {
  if (!options || typeof options !== 'object') throw new TypeError('createDgaFilter: options are required');
  if (!(options.model instanceof ArrayBuffer || options.model instanceof Uint8Array)) {
    throw new TypeError('createDgaFilter: options.model must be the .onnx bytes (ArrayBuffer or Uint8Array)');
  }
  if (!(options.wasm instanceof WebAssembly.Module || options.wasm instanceof ArrayBuffer || options.wasm instanceof Uint8Array)) {
    throw new TypeError('createDgaFilter: options.wasm must be a WebAssembly.Module (Workers) or the .wasm bytes (Node)');
  }
  const metadata = parseModelMetadata(typeof options.metadata === 'string' ? JSON.parse(options.metadata) : options.metadata);
  const scorer = await createOnnxScorer({ model: options.model, wasm: options.wasm, ...scorerOptionsFrom(metadata) });
  const classifier = createClassifier({ metadata, scorer, threshold: options.threshold, cacheSize: options.cacheSize });
  const lists: DnsLists | (() => Promise<DnsLists>) = options.listStore
    ? kvListSource(options.listStore)
    : compileDnsLists({ allow: options.allow, deny: options.deny } satisfies DnsListSource);
  const filter: DnsFilter = createDnsFilter({
    classifier,
    blockMode: options.blockMode,
    lists,
    upstream: options.upstream ? { url: options.upstream, timeoutMs: options.upstreamTimeoutMs ?? 2000 } : undefined,
  });

  return {
    classifier,
    classify: (names) => classifier.classify(names),
    decide: (query) => filter.decide(query),
    resolve: (query) => filter.resolve(query),
    async fetch(request) {
      try {
        if (request.method !== 'GET' && request.method !== 'HEAD' && request.method !== 'POST') {
          throw new DgaEdgeError('method_not_allowed', `${request.method} is not allowed; use GET, POST, HEAD`, 405);
        }
        return await answerDohRequest(request, filter);
      } catch (error) {
        if (!(error instanceof DgaEdgeError)) throw error;
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (error.status === 405) headers.allow = 'GET, POST, HEAD';
        return new Response(JSON.stringify({ error: { code: error.code, message: error.message } }), { status: error.status, headers });
      }
    },
  };
}

