import { describe, expect, it } from 'vitest';
import { InvalidDomainError } from '../../src/core/errors.js';
import { normalizeDomain, scoredForm } from '../../src/core/normalize.js';

function invalid(name: string): string {
  try {
    normalizeDomain(name);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidDomainError);
    expect((error as InvalidDomainError).code).toBe('invalid_domain');
    return (error as Error).message;
  }
  throw new Error(`expected "${name}" to be rejected`);
}

describe('normalizeDomain', () => {
  it('trims, lowercases and strips one trailing dot', () => {
    const n = normalizeDomain('  WWW.Example.COM. ');
    expect(n.name).toBe('www.example.com');
    expect(n.subdomain).toBe('www');
    expect(n.registrable).toBe('example.com');
    expect(n.publicSuffix).toBe('com');
    expect(n.scored).toBe('example');
  });

  it('scores the label left of the public suffix, ignoring subdomains', () => {
    expect(normalizeDomain('a.b.c.example.co.uk')).toMatchObject({
      subdomain: 'a.b.c',
      registrable: 'example.co.uk',
      publicSuffix: 'co.uk',
      scored: 'example',
    });
    expect(normalizeDomain('xjwqkzpvbn.net').scored).toBe('xjwqkzpvbn');
  });

  it('converts internationalised names to punycode and validates punycode labels', () => {
    expect(normalizeDomain('Bücher.de').name).toBe('xn--bcher-kva.de');
    expect(normalizeDomain('xn--bcher-kva.de')).toMatchObject({ registrable: 'xn--bcher-kva.de', scored: 'bucher' });
    expect(normalizeDomain('例え.テスト').name).toBe('xn--r8jz45g.xn--zckzah');
    // Full-width letters and the ideographic full stop are mapped by UTS #46.
    expect(normalizeDomain('ＥＸＡＭＰＬＥ。com').name).toBe('example.com');
    expect(invalid('xn--zz.com')).toMatch(/internationalised/);
  });

  it('gives the model the Latin reading of an internationalised label, or "" when it has none', () => {
    // Accents off (NFD without combining marks), Latin letters without a decomposition spelt out.
    expect(normalizeDomain('münchen.de')).toMatchObject({ name: 'xn--mnchen-3ya.de', scored: 'munchen' });
    expect(normalizeDomain('www.xn--mnchen-3ya.de').scored).toBe('munchen');
    expect(normalizeDomain('straße.de').scored).toBe('strasse');
    expect(normalizeDomain('ıstanbul.com').scored).toBe('istanbul');
    expect(normalizeDomain('café-olé.fr').scored).toBe('cafe-ole');
    expect(normalizeDomain('rødgrød.dk').scored).toBe('rodgrod');
    // Other scripts leave nothing to read (the classifier then does not score the name) ...
    expect(normalizeDomain('北京大学.cn')).toMatchObject({ name: 'xn--1lq90ic7fzpc.cn', registrable: 'xn--1lq90ic7fzpc.cn', scored: '' });
    expect(normalizeDomain('яндекс.рф').scored).toBe('');
    expect(normalizeDomain('xn--fiqs8s.com').scored).toBe('');
    // ... unless Latin letters or digits are mixed in; hyphens left at the ends go.
    expect(normalizeDomain('москва-2024.ru').scored).toBe('2024');
    expect(normalizeDomain('ab-яндекс.ru').scored).toBe('ab');
    // LDH labels are untouched, also when a subdomain is punycode.
    expect(normalizeDomain('xn--mnchen-3ya.example.com').scored).toBe('example');
    expect(scoredForm('xjwqkzpvbn')).toBe('xjwqkzpvbn');
  });

  it('uses the private section of the Public Suffix List', () => {
    expect(normalizeDomain('x.dyndns.org')).toMatchObject({ publicSuffix: 'dyndns.org', scored: 'x' });
    expect(normalizeDomain('kjhsdfuiwe.duckdns.org')).toMatchObject({ publicSuffix: 'duckdns.org', scored: 'kjhsdfuiwe' });
    expect(normalizeDomain('mybucket.s3.amazonaws.com').publicSuffix).toBe('s3.amazonaws.com');
    expect(normalizeDomain('someone.github.io')).toMatchObject({ publicSuffix: 'github.io', scored: 'someone' });
  });

  it('treats shared dynamic-DNS domains the PSL misses as suffixes', () => {
    expect(normalizeDomain('svneascvmk.mooo.com')).toMatchObject({
      registrable: 'svneascvmk.mooo.com',
      publicSuffix: 'mooo.com',
      scored: 'svneascvmk',
    });
    expect(normalizeDomain('www.abc123.changeip.com')).toMatchObject({ subdomain: 'www', scored: 'abc123' });
    // The provider's own site is still scored by its own name.
    expect(normalizeDomain('mooo.com').scored).toBe('mooo');
  });

  it('scores the provider, not the opaque ID, under provider-assigned CDN and cloud suffixes', () => {
    expect(normalizeDomain('d1a2b3c4d5e6f7.cloudfront.net')).toMatchObject({
      subdomain: 'd1a2b3c4d5e6f7',
      registrable: 'cloudfront.net',
      publicSuffix: 'net',
      scored: 'cloudfront',
    });
    expect(normalizeDomain('e1234.dscb.akamaiedge.net').scored).toBe('akamaiedge');
    expect(normalizeDomain('ec2-3-4-5-6.compute-1.amazonaws.com').scored).toBe('amazonaws');
    expect(normalizeDomain('ec2-3-4-5-6.us-west-2.compute.amazonaws.com').scored).toBe('amazonaws');
    expect(normalizeDomain('abc123defg.execute-api.us-east-1.amazonaws.com').scored).toBe('amazonaws');
    expect(normalizeDomain('pub-59cdcef1c8d74ef890dfade77fb72ac6.r2.dev').scored).toBe('r2');
    expect(normalizeDomain('x7fk2.lambda-url.eu-west-1.on.aws').registrable).toBe('on.aws');
  });

  it('still scores customer-chosen labels under cloud suffixes', () => {
    expect(normalizeDomain('my-lb-1234567890.us-east-1.elb.amazonaws.com')).toMatchObject({
      publicSuffix: 'us-east-1.elb.amazonaws.com',
      scored: 'my-lb-1234567890',
    });
    expect(normalizeDomain('mybucket.s3.amazonaws.com').scored).toBe('mybucket');
    expect(normalizeDomain('qwxzkvbn.azurewebsites.net').scored).toBe('qwxzkvbn');
    expect(normalizeDomain('www.qwxzkvbn.blogspot.com').scored).toBe('qwxzkvbn');
  });

  it('scores the leftmost label of a bare public suffix', () => {
    expect(normalizeDomain('com')).toMatchObject({ registrable: '', publicSuffix: 'com', scored: 'com' });
    expect(normalizeDomain('co.uk')).toMatchObject({ registrable: '', scored: 'co' });
  });

  it('rejects invalid names with a message saying what is wrong', () => {
    expect(invalid('')).toMatch(/empty/);
    expect(invalid('   ')).toMatch(/empty/);
    expect(invalid('.')).toMatch(/empty/);
    expect(invalid('foo..com')).toMatch(/empty label/);
    expect(invalid('a_b.com')).toMatch(/"_"/);
    expect(invalid('exa mple.com')).toMatch(/" "/);
    expect(invalid('-abc.com')).toMatch(/hyphen/);
    expect(invalid('abc-.com')).toMatch(/hyphen/);
    expect(invalid(`${'a'.repeat(64)}.com`)).toMatch(/63/);
    expect(invalid(`${'abcdefghi.'.repeat(26)}com`)).toMatch(/253/);
    expect(invalid('192.168.1.1')).toMatch(/IP address/);
    expect(invalid('x'.repeat(5000))).toMatch(/1024/);
    expect(invalid(42 as unknown as string)).toMatch(/string/);
  });

  it('accepts the limits exactly', () => {
    expect(normalizeDomain(`${'a'.repeat(63)}.com`).scored).toHaveLength(63);
    const name = `${'a'.repeat(61)}.${'b'.repeat(61)}.${'c'.repeat(61)}.${'d'.repeat(61)}.com`.slice(-253);
    expect(name.length).toBeLessThanOrEqual(253);
  });
});
