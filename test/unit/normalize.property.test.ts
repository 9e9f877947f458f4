import fc from 'fast-check';
import tr46 from 'tr46';
import { describe, expect, it } from 'vitest';
import { createEncoder, DEFAULT_VOCABULARY, PAD_INDEX } from '../../src/core/encode.js';
import { InvalidDomainError } from '../../src/core/errors.js';
import { normalizeDomain, scoredForm, type NormalizedDomain } from '../../src/core/normalize.js';
import metadataJson from '../../model/metadata.json' with { type: 'json' };
import { assertProperty, fuzzRuns } from '../fixtures/fuzz.js';

// Property-based tests of the normaliser and the encoder: what garbage names do to them (issue 9).
// Run counts: FUZZ_RUNS overrides every default here (see test/fixtures/fuzz.ts).

/** Pieces that tend to break name handling: separators, controls, joiners, surrogates, look-alikes, IPs. */
const tricky = fc.constantFrom(
  '.', '..', '-', '--', 'xn--', 'xn--zz', 'xn--bcher-kva', 'XN--', ' ', '\t', '\n', '\r', '\0', '\u0085', '\u00a0',
  '\u200b', '\u200c', '\u200d', '\ufeff', '\u202e', '\u0301', '\ud800', '\udfff', '\ud83d', '。', '．', '｡', 'ß', 'ς',
  'İ', 'ı', 'ﬀ', 'Ⅻ', '①', 'Ａ', '１', '127.0.0.1', '0x7f.1', '::1', '[::1]', '1e3', '255.255.255.255', '😀', '👨‍👩‍👧',
  'com', 'co.uk', 'mooo.com', 'cloudfront.net', 'github.io', 'é', 'й', '中', 'ا', 'א', '%', '_', '@', '/', ':', '*', '\\',
);
const anyUnit = fc.oneof(
  tricky,
  fc.string({ unit: 'binary', minLength: 1, maxLength: 2 }),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 2 }),
  fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)), // lone surrogates included
  fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.'),
);

const LDH = 'abcdefghijklmnopqrstuvwxyz0123456789';
const TLDS = ['com', 'net', 'org', 'de', 'ru', 'jp', 'cn', 'info', 'io', 'co.uk', 'com.br', 'mooo.com', 'github.io'];

/** A valid letter-digit-hyphen label (1-63 characters, no hyphen at either end, not an "xn--" A-label). */
const ldhLabel = fc
  .tuple(
    fc.constantFrom(...LDH),
    fc.string({ unit: fc.constantFrom(...LDH, '-'), maxLength: 61 }),
    fc.constantFrom(...LDH),
    fc.boolean(),
  )
  .map(([first, middle, last, single]) => (single ? first : first + middle + last))
  .filter((label) => !label.startsWith('xn--'));

/** Valid LDH names: 1-4 labels under a common suffix, at most 253 octets. */
const ldhName = fc
  .tuple(fc.array(ldhLabel, { minLength: 1, maxLength: 4 }), fc.constantFrom(...TLDS))
  .map(([labels, tld]) => `${labels.join('.')}.${tld}`)
  .filter((name) => name.length <= 253);

/** Case flips, a trailing dot and surrounding whitespace: what users type around a valid name. */
function dressed(name: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc
    .tuple(name, fc.array(fc.boolean(), { maxLength: 80 }), fc.boolean(), fc.constantFrom('', ' ', '\t', '  \n'))
    .map(([n, flips, dot, space]) => {
      const cased = [...n].map((ch, i) => (flips[i % Math.max(1, flips.length)] ? ch.toUpperCase() : ch)).join('');
      return `${space}${cased}${dot ? '.' : ''}${space}`;
    });
}

/** Lowercase letters of several scripts, for internationalised labels (no characters UTS #46 maps). */
const SCRIPTS = {
  latin: 'abcdefghijklmnopqrstuvwxyzàáâãäåæçèéêëìíîïñòóôõöøùúûüýÿœ',
  cyrillic: 'абвгдеёжзийклмнопрстуфхцчшщъыьэюя',
  greek: 'αβγδεζηθικλμνξοπρστυφχψωάέήίόύώ',
  cjk: '中文网络域名测试数据北京上海东京大学公司电脑',
  arabic: 'ابتثجحخدذرزسشصضطظعغفقكلمنهوي',
};
const idnLabel = fc
  .constantFrom(...(Object.keys(SCRIPTS) as (keyof typeof SCRIPTS)[]))
  .chain((script) => {
    const letters = [...SCRIPTS[script]];
    const nonAscii = letters.filter((ch) => ch.charCodeAt(0) > 0x7f);
    return fc
      .tuple(fc.string({ unit: fc.constantFrom(...letters), minLength: 1, maxLength: 8 }), fc.constantFrom(...nonAscii))
      .map(([label, extra]) => (/[^\x00-\x7f]/.test(label) ? label : label + extra)); // at least one non-ASCII letter
  });
const idnName = fc
  .tuple(fc.constantFrom('', 'www.'), idnLabel, fc.constantFrom('com', 'net', 'org', 'de', 'ru', 'jp', 'cn', 'info'))
  .map(([sub, label, tld]) => `${sub}${label}.${tld}`);

/** Everything at once: garbage of every kind, long and short, and near-valid names. */
const garbage = fc.oneof(
  fc.string({ unit: anyUnit, maxLength: 40 }),
  fc.array(fc.string({ unit: anyUnit, maxLength: 12 }), { maxLength: 8 }).map((labels) => labels.join('.')),
  fc.tuple(fc.string({ unit: anyUnit, minLength: 1, maxLength: 6 }), fc.integer({ min: 40, max: 2_000 })).map(([s, n]) => s.repeat(n)),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.ipV4(),
  fc.ipV6(),
  fc.ipV4().map((ip) => `${ip}.`),
  dressed(fc.domain()),
  dressed(ldhName),
  dressed(idnName),
  fc.tuple(idnName, fc.string({ unit: anyUnit, maxLength: 3 })).map(([name, junk]) => name + junk),
  fc.tuple(ldhLabel, ldhLabel).map(([a, b]) => `xn--${a}.${b}.com`),
);

/** Checks what a successful normalisation promises: lowercase LDH labels, limits, a consistent split. */
function expectWellFormed(n: NormalizedDomain): void {
  expect(n.name.length).toBeLessThanOrEqual(253);
  const labels = n.name.split('.');
  for (const label of labels) expect(label).toMatch(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/);
  expect(n.name === n.publicSuffix || n.name.endsWith(`.${n.publicSuffix}`)).toBe(true);
  // The scored label's source: the label left of the suffix (the leftmost for a bare suffix). The model
  // reads it as it is, or its Latin reading for punycode (only a-z, 0-9, inner hyphens; maybe "").
  const source = n.registrable === '' ? labels[0]! : n.registrable.slice(0, n.registrable.length - n.publicSuffix.length - 1);
  expect(labels).toContain(source);
  expect(n.scored).toBe(scoredForm(source));
  if (source.startsWith('xn--')) expect(n.scored).toMatch(/^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)?$/);
  else expect(n.scored).toBe(source);
  if (n.registrable !== '') {
    expect(n.registrable).toBe(`${source}.${n.publicSuffix}`);
    expect(n.name).toBe(n.subdomain === '' ? n.registrable : `${n.subdomain}.${n.registrable}`);
  }
}

/** normalizeDomain's outcome: the result, or the InvalidDomainError; anything else fails the property. */
function attempt(input: unknown): NormalizedDomain | InvalidDomainError {
  try {
    return normalizeDomain(input as string);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidDomainError);
    const e = error as InvalidDomainError;
    expect(e.code).toBe('invalid_domain');
    expect(typeof e.message).toBe('string');
    expect(e.message.trim().length).toBeGreaterThan(0);
    return e;
  }
}

const split = (n: NormalizedDomain) => ({ name: n.name, scored: n.scored, registrable: n.registrable, publicSuffix: n.publicSuffix, subdomain: n.subdomain });

describe('normalizeDomain under arbitrary input', () => {
  it('either returns a well-formed name or throws InvalidDomainError with a message, for any string', async () => {
    await assertProperty(
      'normalizeDomain: any string -> result or InvalidDomainError',
      fc.property(garbage, (input) => {
        const outcome = attempt(input);
        if (!(outcome instanceof InvalidDomainError)) expectWellFormed(outcome);
      }),
      fuzzRuns(3_000),
    );
  });

  it('throws only InvalidDomainError for values that are not strings', async () => {
    await assertProperty(
      'normalizeDomain: any JSON-ish value -> result or InvalidDomainError',
      fc.property(fc.anything({ maxDepth: 3 }), (input) => {
        const outcome = attempt(input);
        if (typeof input !== 'string') expect(outcome).toBeInstanceOf(InvalidDomainError);
      }),
      fuzzRuns(1_000),
    );
  });

  it('is idempotent: normalising a normalised name changes nothing', async () => {
    let normalised = 0;
    await assertProperty(
      'normalizeDomain: idempotent',
      fc.property(garbage, (input) => {
        const first = attempt(input);
        if (first instanceof InvalidDomainError) return;
        normalised += 1;
        const again = normalizeDomain(first.name);
        expect(split(again)).toEqual(split(first));
      }),
      fuzzRuns(3_000),
    );
    expect(normalised).toBeGreaterThan(0); // the generator reaches valid names, so the property is not vacuous
  });

  it('accepts every valid letter-digit-hyphen name, however cased or dotted, and scores one of its labels', async () => {
    await assertProperty(
      'normalizeDomain: valid LDH names always normalise',
      fc.property(ldhName.chain((name) => fc.tuple(fc.constant(name), dressed(fc.constant(name)))), ([name, typed]) => {
        const n = normalizeDomain(typed);
        expect(n.name).toBe(name);
        expect(name.split('.')).toContain(n.scored);
        expectWellFormed(n);
      }),
      fuzzRuns(2_000),
    );
  });

  it('round-trips internationalised names: Unicode -> punycode -> the same result, and back to the Unicode', async () => {
    await assertProperty(
      'normalizeDomain: IDN round trip',
      fc.property(idnName, (unicode) => {
        const n = normalizeDomain(unicode);
        expect(n.name).toMatch(/(^|\.)xn--/);
        expectWellFormed(n);
        // Normalising the punycode gives the same split; UTS #46 decodes it back to the input.
        expect(split(normalizeDomain(n.name))).toEqual(split(n));
        expect(tr46.toUnicode(n.name).domain).toBe(unicode);
        // Case does not matter in any of these scripts.
        expect(split(normalizeDomain(unicode.toUpperCase()))).toEqual(split(n));
      }),
      fuzzRuns(2_000),
    );
  });
});

describe('the encoder under arbitrary input', () => {
  const vocabularySize = DEFAULT_VOCABULARY.length;

  it('encodes every normalised scored label into in-range indices, pre-padded and truncated as documented', async () => {
    await assertProperty(
      'encoder: scored labels -> in-range, pre-padded rows',
      fc.property(
        fc.oneof(garbage, ldhName, idnName),
        fc.oneof(fc.constant(metadataJson.maxLength), fc.integer({ min: 1, max: 70 })),
        (input, maxLength) => {
          const n = attempt(input);
          if (n instanceof InvalidDomainError) return;
          const encoder = createEncoder({ vocabulary: DEFAULT_VOCABULARY, maxLength });
          const row = encoder.encodeBatch([n.scored]);
          const kept = Math.min(n.scored.length, maxLength);
          expect(row).toHaveLength(maxLength);
          expect(encoder.encodedLength(n.scored)).toBe(kept);
          for (let i = 0; i < maxLength; i++) {
            if (i < maxLength - kept) expect(row[i]).toBe(PAD_INDEX);
            else expect(row[i]! >= 1 && row[i]! <= vocabularySize).toBe(true);
          }
          const decoded = [...row.slice(maxLength - kept)].map((index) => DEFAULT_VOCABULARY[index - 1]).join('');
          expect(decoded).toBe(n.scored.slice(0, maxLength));
          // At its own width the row is the same, without the padding.
          expect([...encoder.encodeBatch([n.scored], Math.max(1, kept))]).toEqual(kept === 0 ? [PAD_INDEX] : [...row.slice(maxLength - kept)]);
        },
      ),
      fuzzRuns(2_000),
    );
  });

  it('rejects bad labels and widths only with a RangeError that names the problem', async () => {
    await assertProperty(
      'encoder: bad input -> RangeError only',
      fc.property(
        fc.array(fc.oneof(fc.string({ unit: anyUnit, maxLength: 50 }), ldhLabel), { maxLength: 5 }),
        fc.option(fc.oneof(fc.integer({ min: -5, max: 50 }), fc.double()), { nil: undefined }),
        (labels, width) => {
          const encoder = createEncoder({ vocabulary: DEFAULT_VOCABULARY, maxLength: 40 });
          let out: Int32Array;
          try {
            out = encoder.encodeBatch(labels, width);
          } catch (error) {
            expect(error).toBeInstanceOf(RangeError);
            expect((error as Error).message).toMatch(/^encoder: /);
            return;
          }
          const w = width ?? 40;
          expect(out).toHaveLength(labels.length * w);
          for (const index of out) expect(index >= 0 && index <= vocabularySize).toBe(true);
        },
      ),
      fuzzRuns(2_000),
    );
  });
});
