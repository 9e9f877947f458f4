// Allow and deny lists from a Workers KV namespace, compiled and kept per isolate for a minute.
import { compileDnsLists, EMPTY_DNS_LISTS, type DnsLists } from '../core/dns-lists.js';

/** KV keys holding the lists: text, one entry per line (format in src/core/dns-lists.ts and the README). */
export const ALLOW_KEY = 'allow';
export const DENY_KEY = 'deny';

/**
 * How long an isolate keeps the lists it read. A KV read costs a few milliseconds and a billed operation;
 * DNS traffic is many small queries, so each isolate reads the two keys at most once a minute and serves
 * from memory in between. An edit therefore takes effect within about a minute (plus KV's own propagation).
 */
export const LIST_REFRESH_MS = 60_000;

/** The subset of KVNamespace this module uses, so tests and embedders can pass anything with `get`. */
export interface ListStore {
  get(key: string, type: 'text'): Promise<string | null>;
}

export interface KvListSourceOptions {
  /** Milliseconds between reads (default LIST_REFRESH_MS). */
  refreshMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

/**
 * A function returning the current lists from `store`, cached per isolate. Reads are shared by concurrent
 * queries; a failed read keeps the last good lists (or none) and is logged, so a KV outage never fails DNS.
 */
export function kvListSource(store: ListStore, options: KvListSourceOptions = {}): () => Promise<DnsLists> {
  const refreshMs = options.refreshMs ?? LIST_REFRESH_MS;
  const now = options.now ?? Date.now;
  let current: DnsLists = EMPTY_DNS_LISTS;
  let loadedAt = -Infinity;
  let pending: Promise<DnsLists> | undefined;

  async function load(): Promise<DnsLists> {
    try {
      const [allow, deny] = await Promise.all([store.get(ALLOW_KEY, 'text'), store.get(DENY_KEY, 'text')]);
      const lists = compileDnsLists({ allow: allow ?? undefined, deny: deny ?? undefined });
      if (lists.invalid.length > 0) {
        console.warn(`dns lists: ignored ${lists.invalid.length} entries that are not names, e.g. ${JSON.stringify(lists.invalid[0])}`);
      }
      current = lists;
    } catch (error) {
      console.error('dns lists: reading KV failed; keeping the previous lists:', error);
    }
    loadedAt = now();
    return current;
  }

  return () => {
    if (now() - loadedAt < refreshMs) return Promise.resolve(current);
    pending ??= load().finally(() => {
      pending = undefined;
    });
    return pending;
  };
}

// One cache per isolate: a Worker has one DNS_LISTS binding, and workerd may hand each request a fresh env
// object, so the cache is not keyed by the binding's identity; reads go through the latest binding.
let latestBinding: ListStore | undefined;
const isolateSource = kvListSource({ get: (key, type) => latestBinding!.get(key, type) });

/** This isolate's lists from the KV binding, refreshed every LIST_REFRESH_MS; no lists without a binding. */
export function listsFromBinding(binding: ListStore | undefined): () => Promise<DnsLists> {
  if (!binding) return () => Promise.resolve(EMPTY_DNS_LISTS);
  latestBinding = binding;
  return isolateSource;
}
