// Operator allow and deny lists of DNS names: parsed once, matched per question in O(labels).
import { normalizeDomain } from './normalize.js';

/**
 * One list as text: one entry per line, `#` starts a comment, blank lines are ignored.
 * - `example.com`   matches exactly that name;
 * - `*.example.com` (or `.example.com`) matches example.com and every name under it (a suffix).
 * Names are compared case-insensitively, without the trailing dot, internationalised names as punycode.
 */
export interface DnsListSource {
  allow?: string | readonly string[];
  deny?: string | readonly string[];
}

/** What matched a name: an exact entry or a suffix entry, and the entry itself. */
export interface ListMatch {
  kind: 'name' | 'suffix';
  entry: string;
}

/** A compiled list. */
export interface NameList {
  /** The entry that covers `name` (already lowercased, no trailing dot), exact entries first. */
  match(name: string): ListMatch | undefined;
  readonly size: number;
}

/** Both lists, plus the lines that were not understood (reported, not fatal). */
export interface DnsLists {
  allow: NameList;
  deny: NameList;
  invalid: string[];
}

/** Lowercase, no trailing dot; an internationalised entry becomes punycode when it is a valid name. */
export function canonicalName(name: string): string {
  let out = name.trim().toLowerCase();
  if (out.endsWith('.')) out = out.slice(0, -1);
  if (/[^\x00-\x7f]/.test(out)) {
    try {
      out = normalizeDomain(out).name;
    } catch {
      // left as is: it can only match a question spelled the same way
    }
  }
  return out;
}

function lines(source: string | readonly string[] | undefined): string[] {
  if (source === undefined) return [];
  return (typeof source === 'string' ? source.split(/\r?\n/) : [...source]).map((line) => line.replace(/#.*/, '').trim()).filter(Boolean);
}

// Wire names may hold any byte, but an entry is a hostname pattern: letters, digits, hyphens, underscores
// (service labels such as _dmarc), dots between non-empty labels.
const ENTRY = /^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)*$/;

/** Compiles one list; entries that are not names go to `invalid`. */
export function compileNameList(source: string | readonly string[] | undefined, invalid: string[] = []): NameList {
  const names = new Set<string>();
  const suffixes = new Set<string>();
  for (const line of lines(source)) {
    const suffix = line.startsWith('*.') ? line.slice(2) : line.startsWith('.') ? line.slice(1) : undefined;
    const name = canonicalName(suffix ?? line);
    if (!ENTRY.test(name) || name.length > 253) {
      invalid.push(line);
      continue;
    }
    (suffix === undefined ? names : suffixes).add(name);
  }
  return {
    size: names.size + suffixes.size,
    match(name) {
      if (names.has(name)) return { kind: 'name', entry: name };
      // Walk up the labels: a.b.example.com, b.example.com, example.com, com.
      for (let candidate = name; ; ) {
        if (suffixes.has(candidate)) return { kind: 'suffix', entry: candidate };
        const dot = candidate.indexOf('.');
        if (dot === -1) break;
        candidate = candidate.slice(dot + 1);
      }
      return undefined;
    },
  };
}

/** Compiles the allow and deny lists. */
export function compileDnsLists(source: DnsListSource = {}): DnsLists {
  const invalid: string[] = [];
  return { allow: compileNameList(source.allow, invalid), deny: compileNameList(source.deny, invalid), invalid };
}

/** No entries: everything goes to the model. */
export const EMPTY_DNS_LISTS: DnsLists = compileDnsLists();
