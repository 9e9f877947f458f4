import { parse } from 'tldts';
import tr46 from 'tr46';
import { describeValue } from './describe-value.js';
import { DYNAMIC_DNS_SUFFIXES } from './dynamic-dns-suffixes.js';
import { InvalidDomainError } from './errors.js';
import { isProviderAssignedSuffix } from './provider-assigned-suffixes.js';

/** A domain name after normalisation, split the way the model and the DNS policy need it. */
export interface NormalizedDomain {
  /** The name as given. */
  input: string;
  /** Lowercase ASCII (punycode) name without the trailing dot, e.g. "www.xn--bcher-kva.de". */
  name: string;
  /** Labels left of the registrable name, "" if none (e.g. "www"). */
  subdomain: string;
  /** Registrable name: one label plus the public suffix (e.g. "xn--bcher-kva.de"); "" for a bare suffix. */
  registrable: string;
  /** Public suffix, from the PSL including its private section plus known dynamic-DNS providers. */
  publicSuffix: string;
  /**
   * What the model scores: the label left of the public suffix (as in Woodbridge et al.), as it is for an
   * LDH label; for an internationalised (punycode) label, its Latin reading (scoredForm). "" when nothing
   * is left to read (a label wholly in another script): such a name is not scored.
   */
  scored: string;
}

const MAX_NAME_OCTETS = 253;
const MAX_LABEL_OCTETS = 63;
const MAX_INPUT_CHARS = 1024;
const LDH_LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

const UTS46_OPTIONS = {
  checkHyphens: false,
  checkBidi: true,
  checkJoiners: true,
  useSTD3ASCIIRules: true,
  transitionalProcessing: false,
  verifyDNSLength: false,
  ignoreInvalidPunycode: false,
} as const;

/**
 * Normalises one domain name: trims, lowercases, strips one trailing dot, converts an internationalised
 * name to punycode (UTS #46 via tr46), validates it (at most 253 octets, labels of 1-63 letters, digits or
 * hyphens, not starting or ending with a hyphen, no empty label, not an IP address), then splits it with
 * the Public Suffix List, private section included, and picks the label to score.
 *
 * Two documented exceptions refine the PSL: shared dynamic-DNS domains it lacks act as suffixes
 * (dynamic-dns-suffixes.ts), and suffixes whose labels are provider-assigned IDs fall back to the ICANN
 * split (provider-assigned-suffixes.ts).
 *
 * A name that is itself a public suffix (e.g. "com", "co.uk") scores its leftmost label.
 * Throws InvalidDomainError with a message saying what is wrong.
 */
export function normalizeDomain(input: string): NormalizedDomain {
  if (typeof input !== 'string') throw new InvalidDomainError(`domain must be a string, got ${describeValue(input)}`);
  if (input.length > MAX_INPUT_CHARS) {
    throw new InvalidDomainError(`domain is longer than ${MAX_INPUT_CHARS} characters`);
  }
  let name = input.trim().toLowerCase();
  if (name.endsWith('.')) name = name.slice(0, -1);
  if (name === '') throw new InvalidDomainError('domain is empty');

  // Only run UTS #46 on what needs it: pure ASCII names are checked by the LDH rules below, and punycode
  // labels ("xn--") must be decoded and validated too.
  if (/[^\x00-\x7f]/.test(name) || name.includes('xn--')) {
    const ascii = tr46.toASCII(name, UTS46_OPTIONS);
    if (ascii === null) throw new InvalidDomainError(`"${input}" is not a valid internationalised domain name`);
    name = ascii;
  }

  if (name.length > MAX_NAME_OCTETS) throw new InvalidDomainError(`domain is longer than ${MAX_NAME_OCTETS} octets`);
  const labels = name.split('.');
  for (const label of labels) {
    if (label === '') throw new InvalidDomainError('domain has an empty label');
    if (label.length > MAX_LABEL_OCTETS) {
      throw new InvalidDomainError(`label "${label.slice(0, 20)}..." is longer than ${MAX_LABEL_OCTETS} octets`);
    }
    if (!LDH_LABEL.test(label)) {
      const bad = label.match(/[^a-z0-9-]/);
      throw new InvalidDomainError(
        bad
          ? `label "${label}" contains ${JSON.stringify(bad[0])}; only letters, digits and hyphens are allowed`
          : `label "${label}" starts or ends with a hyphen`,
      );
    }
  }

  let parsed = parse(name, { allowPrivateDomains: true, extractHostname: false });
  if (parsed.isIp) throw new InvalidDomainError(`"${name}" is an IP address, not a domain name`);
  // Provider-assigned IDs (CDN, cloud) are not chosen by anyone, so score the provider's name instead.
  if (parsed.isPrivate && parsed.publicSuffix && isProviderAssignedSuffix(parsed.publicSuffix)) {
    parsed = parse(name, { allowPrivateDomains: false, extractHostname: false });
  }

  let publicSuffix = parsed.publicSuffix ?? labels[labels.length - 1]!;
  let registrable = parsed.domain ?? '';
  // Shared dynamic-DNS domains act as suffixes: score the customer's label, not the provider's.
  if (registrable !== '' && DYNAMIC_DNS_SUFFIXES.has(registrable) && labels.length > registrable.split('.').length) {
    publicSuffix = registrable;
    const suffixLabels = publicSuffix.split('.').length;
    registrable = labels.slice(labels.length - suffixLabels - 1).join('.');
  }

  const suffixLabels = publicSuffix.split('.').length;
  const registrableLabels = registrable === '' ? 0 : suffixLabels + 1;
  const subdomain = registrable === '' ? '' : labels.slice(0, labels.length - registrableLabels).join('.');
  const scored = scoredForm(registrable === '' ? labels[0]! : labels[labels.length - registrableLabels]!);
  return { input, name, subdomain, registrable, publicSuffix, scored };
}

/**
 * What the model reads of a (valid, lowercase) label. An LDH label as it is. A punycode label ("xn--...") is
 * read through its Unicode form brought to the model's alphabet: accents taken off (NFD without combining
 * marks: "xn--mnchen-3ya" = münchen -> "munchen"), the Latin letters that have no decomposition spelt out
 * (ß -> ss, ø -> o, ...), and what is still not a-z, 0-9 or "-" dropped (Cyrillic, CJK, ...). Why: the model learnt from ASCII names, and the punycode string is an encoding whose tail
 * looks random to a character model (the 2026.11.28-2 model gave the 70 benign IDNs of its training lists a
 * median score of 0.977 and flagged 8); no DGA in the training data writes IDNs. A label with nothing left
 * (a name wholly in another script, "北京大学" = xn--1lq90ic7fzpc) gives "": the classifier does not score it.
 */
const LATIN_SPELLING: Record<string, string> = { ß: 'ss', ı: 'i', ø: 'o', æ: 'ae', œ: 'oe', đ: 'd', ł: 'l', þ: 'th', ð: 'd' };

export function scoredForm(label: string): string {
  if (!label.startsWith('xn--')) return label;
  const unicode = tr46.toUnicode(label, UTS46_OPTIONS);
  if (unicode.error) return label; // normalizeDomain validated the name; keep the label if tr46 disagrees
  return unicode.domain
    .normalize('NFD')
    .replace(/[ßıøæœđłþð]/g, (c) => LATIN_SPELLING[c]!)
    .replace(/[^a-z0-9-]/g, '')
    .replace(/^-+|-+$/g, '');
}
