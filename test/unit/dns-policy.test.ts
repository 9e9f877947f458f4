import * as dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import type { Classifier, ClassificationOutcome } from '../../src/core/classifier.js';
import { compileDnsLists, EMPTY_DNS_LISTS } from '../../src/core/dns-lists.js';
import {
  assertStandardQuery,
  buildBlockedResponse,
  buildServfailResponse,
  EdeCode,
  extendedErrors,
  minimumTtl,
  rcodeOf,
} from '../../src/core/dns-message.js';
import { blockReasonText, decideQuery, unscoredReason } from '../../src/core/dns-policy.js';
import { decodeDnsMessage, type DnsMessage } from '../../src/core/dns-wire.js';
import { decodeBase64Url } from '../../src/dns/doh-http.js';
import { kvListSource } from '../../src/dns/kv-lists.js';

/** A classifier that knows a few scores (default 0.1) and records what it was asked. */
function stubClassifier(scores: Record<string, number>, asked: string[][] = [], threshold = 0.9): Classifier {
  return {
    model: { id: 'stub', version: '1' },
    metadata: {} as never,
    threshold,
    variant: undefined,
    familyMinProbability: 0,
    familyNames: ['benign', 'necurs'],
    async classify(domains) {
      asked.push(domains as string[]);
      return domains.map((d): ClassificationOutcome => {
        const name = d as string;
        const score = scores[name] ?? 0.1;
        const dga = score >= threshold;
        return { domain: name, name, scored: name.split('.')[0]!, score, dga, ...(dga ? { family: { name: 'necurs', probability: 0.8 } } : {}) };
      });
    },
  };
}

function query(questions: { name: string; type?: string; class?: string }[], id = 0x4242): DnsMessage {
  const bytes = dnsPacket.encode({
    type: 'query',
    id,
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.CHECKING_DISABLED,
    questions: questions.map((q) => ({ name: q.name, type: (q.type ?? 'A') as 'A', class: (q.class ?? 'IN') as 'IN' })),
  });
  return decodeDnsMessage(new Uint8Array(bytes));
}

describe('allow and deny lists', () => {
  const lists = compileDnsLists({
    allow: 'good.example.com\n',
    deny: ['# comment', 'Evil.COM.', '*.example.com', '.tracker.net', '', 'bad entry!', 'bücher.de'],
  });

  it('match exact names and suffixes (the apex included), case-insensitively', () => {
    expect(lists.deny.match('evil.com')).toEqual({ kind: 'name', entry: 'evil.com' });
    expect(lists.deny.match('www.evil.com')).toBeUndefined();
    expect(lists.deny.match('a.b.example.com')).toEqual({ kind: 'suffix', entry: 'example.com' });
    expect(lists.deny.match('example.com')).toEqual({ kind: 'suffix', entry: 'example.com' });
    expect(lists.deny.match('notexample.com')).toBeUndefined();
    expect(lists.deny.match('x.tracker.net')).toEqual({ kind: 'suffix', entry: 'tracker.net' });
    expect(lists.deny.match('xn--bcher-kva.de')).toEqual({ kind: 'name', entry: 'xn--bcher-kva.de' });
    expect(lists.allow.match('good.example.com')).toEqual({ kind: 'name', entry: 'good.example.com' });
  });

  it('report entries that are not names instead of failing', () => {
    expect(lists.invalid).toEqual(['bad entry!']);
    expect(lists.deny.size).toBe(4);
  });
});

describe('the DNS policy', () => {
  const lists = compileDnsLists({ allow: ['*.corp.example', 'allowed-dga.net'], deny: ['*.bad.example', 'ok.corp.example.bad.example'] });

  it('blocks a name the model scores at or above the threshold, with score and family in the reason', async () => {
    const verdict = await decideQuery(query([{ name: 'xkqjvw.net' }]), { lists: EMPTY_DNS_LISTS, classifier: stubClassifier({ 'xkqjvw.net': 0.98 }) });
    expect(verdict).toMatchObject({ action: 'block', text: 'dga score=0.9800 family=necurs' });
    const at = await decideQuery(query([{ name: 'edge.net' }]), { lists: EMPTY_DNS_LISTS, classifier: stubClassifier({ 'edge.net': 0.9 }) });
    expect(at.action).toBe('block');
  });

  it('forwards names below the threshold', async () => {
    const verdict = await decideQuery(query([{ name: 'Example.COM.' }]), { lists: EMPTY_DNS_LISTS, classifier: stubClassifier({}) });
    expect(verdict).toEqual({ action: 'forward', questions: [{ name: 'example.com', action: 'pass', score: 0.1 }] });
  });

  it('checks the allowlist, then the denylist, before the model', async () => {
    const asked: string[][] = [];
    const classifier = stubClassifier({ 'allowed-dga.net': 0.99, 'x.corp.example': 0.99 }, asked);
    expect((await decideQuery(query([{ name: 'allowed-dga.net' }]), { lists, classifier })).action).toBe('forward');
    expect((await decideQuery(query([{ name: 'x.corp.example' }]), { lists, classifier })).action).toBe('forward');
    const denied = await decideQuery(query([{ name: 'www.bad.example' }]), { lists, classifier });
    expect(denied).toMatchObject({ action: 'block', text: 'denylist suffix=bad.example' });
    expect(asked).toEqual([]); // the model was never needed
  });

  it('forwards names the model cannot judge, without asking it', async () => {
    const asked: string[][] = [];
    const names = [
      { name: '1.0.0.127.in-addr.arpa', type: 'PTR' },
      { name: '_dmarc.example.com', type: 'TXT' },
      { name: 'com', type: 'NS' },
      { name: '.', type: 'NS' },
      { name: 'version.bind', type: 'TXT', class: 'CH' },
      { name: 'xn--1lq90ic7fzpc.cn', type: 'A' }, // 北京大学.cn: no Latin letter to read
    ];
    const verdict = await decideQuery(query(names), { lists: EMPTY_DNS_LISTS, classifier: stubClassifier({}, asked, 0) });
    expect(verdict.action).toBe('forward');
    expect(verdict.questions.map((q) => ('unscored' in q ? q.unscored : q.action))).toEqual(['reverse', 'not-a-hostname', 'public-suffix', 'not-a-hostname', 'class', 'non-latin-label']);
    expect(asked).toEqual([]);
  });

  it('blocks a message if any question is blocked, naming it, and scores all questions in one batch', async () => {
    const asked: string[][] = [];
    const classifier = stubClassifier({ 'xkqjvw.net': 0.99 }, asked);
    const verdict = await decideQuery(query([{ name: 'example.com' }, { name: 'xkqjvw.net', type: 'AAAA' }]), { lists, classifier });
    expect(verdict).toMatchObject({ action: 'block', text: 'dga score=0.9900 family=necurs name=xkqjvw.net' });
    expect(asked).toEqual([['example.com', 'xkqjvw.net']]);
  });

  it('words the EDE text for each kind of reason', () => {
    expect(blockReasonText({ source: 'denylist', name: 'a.evil.com', match: { kind: 'suffix', entry: 'evil.com' } })).toBe('denylist suffix=evil.com');
    expect(blockReasonText({ source: 'denylist', name: 'evil.com', match: { kind: 'name', entry: 'evil.com' } }, true)).toBe('denylist name=evil.com');
    expect(blockReasonText({ source: 'denylist', name: 'a.evil.com', match: { kind: 'suffix', entry: 'evil.com' } }, true)).toBe('denylist suffix=evil.com name=a.evil.com');
    expect(blockReasonText({ source: 'dga', name: 'x.net', score: 0.998 })).toBe('dga score=0.9980');
    expect(blockReasonText({ source: 'dga', name: 'x.net', score: 0.9999939 })).toBe('dga score=0.9999'); // cut, not rounded up to 1
    expect(blockReasonText({ source: 'dga', name: 'x.net', score: 1 })).toBe('dga score=1.0000');
  });

  it('says why a name is not scored', () => {
    expect(unscoredReason('www.example.com', 'IN')).toBeUndefined();
    expect(unscoredReason('ip6.arpa', 'IN')).toBe('reverse');
    expect(unscoredReason('co.uk', 'IN')).toBe('public-suffix');
    expect(unscoredReason('a..b', 'IN')).toBe('not-a-hostname');
    expect(unscoredReason('xn--d1acpjx3f.xn--p1ai', 'IN')).toBe('non-latin-label');
    expect(unscoredReason('xn--mnchen-3ya.de', 'IN')).toBeUndefined(); // read as "munchen"
  });
});

describe('answers built locally', () => {
  it('NXDOMAIN echoes ID, questions, RD and CD, sets QR and RA, and carries EDE 15 in an OPT record', () => {
    const q = query([{ name: 'xkqjvw.net' }], 0xabcd);
    const answer = decodeDnsMessage(buildBlockedResponse(q, 'nxdomain', 'dga score=0.9990 family=necurs'));
    expect(answer).toMatchObject({ type: 'response', id: 0xabcd, flag_rd: true, flag_cd: true, flag_ra: true, flag_aa: false, rcode: 'NXDOMAIN' });
    expect(answer.questions).toEqual([{ name: 'xkqjvw.net', type: 'A', class: 'IN' }]);
    expect(answer.answers).toEqual([]);
    expect(answer.additionals).toHaveLength(1);
    expect(answer.additionals![0]!.type).toBe('OPT');
    expect(extendedErrors(answer)).toEqual([{ infoCode: 15, text: 'dga score=0.9990 family=necurs' }]);
  });

  it('null mode answers 0.0.0.0 / :: for A / AAAA and NODATA for other types', () => {
    const q = query([{ name: 'a.net' }, { name: 'a.net', type: 'AAAA' }, { name: 'a.net', type: 'TXT' }]);
    const answer = decodeDnsMessage(buildBlockedResponse(q, 'null', 'denylist name=a.net'));
    expect(rcodeOf(answer)).toBe(0);
    expect(answer.answers!.map((a) => [a.type, (a as { data: unknown }).data, (a as { ttl: number }).ttl])).toEqual([
      ['A', '0.0.0.0', 60],
      ['AAAA', '::', 60],
    ]);
    expect(extendedErrors(answer)[0]!.infoCode).toBe(15);
  });

  it('SERVFAIL carries the EDE code and text it is given, UTF-8 included', () => {
    const answer = decodeDnsMessage(buildServfailResponse(query([{ name: 'a.net' }]), EdeCode.NetworkError, 'upstream said “no”'));
    expect(rcodeOf(answer)).toBe(2);
    expect(extendedErrors(answer)).toEqual([{ infoCode: 23, text: 'upstream said “no”' }]);
  });

  it('takes the lowest TTL of all records, the SOA MINIMUM for negative answers, none without records', () => {
    const message = decodeDnsMessage(
      new Uint8Array(
        dnsPacket.encode({
          type: 'response',
          id: 1,
          questions: [{ name: 'a.net', type: 'A' }],
          answers: [
            { type: 'A', name: 'a.net', ttl: 300, data: '192.0.2.1' },
            { type: 'A', name: 'a.net', ttl: 45, data: '192.0.2.2' },
          ],
          authorities: [{ type: 'SOA', name: 'net', ttl: 900, data: { mname: 'a', rname: 'b', minimum: 30 } }],
        }),
      ),
    );
    expect(minimumTtl(message)).toBe(30);
    expect(minimumTtl(query([{ name: 'a.net' }]))).toBeUndefined();
  });

  it('refuses responses, non-QUERY opcodes and empty queries as queries', () => {
    const response = decodeDnsMessage(new Uint8Array(dnsPacket.encode({ type: 'response', id: 1, questions: [{ name: 'a.net', type: 'A' }] })));
    expect(() => assertStandardQuery(response)).toThrow(/response/);
    expect(() => assertStandardQuery(query([]))).toThrow(/no question/);
    expect(() => decodeDnsMessage(new Uint8Array([1, 2, 3]))).toThrow(/at least 12 bytes/);
  });
});

describe('DoH encoding and list caching', () => {
  it('decodes base64url without padding and rejects other alphabets', () => {
    expect([...decodeBase64Url('AAEC_-8')]).toEqual([0, 1, 2, 255, 239]);
    expect(() => decodeBase64Url('AA+/')).toThrow(/base64url/);
    expect(() => decodeBase64Url('A')).toThrow(/base64url/);
  });

  it('reads KV lists once per refresh period and keeps the last good ones when a read fails', async () => {
    let reads = 0;
    let fail = false;
    let clock = 0;
    const store = {
      async get(key: string) {
        reads++;
        if (fail) throw new Error('KV down');
        return key === 'deny' ? 'evil.com' : null;
      },
    };
    const lists = kvListSource(store, { refreshMs: 60_000, now: () => clock });
    expect((await lists()).deny.match('evil.com')).toBeDefined();
    await lists();
    expect(reads).toBe(2); // allow + deny, once
    clock = 61_000;
    fail = true;
    const errors = console.error;
    console.error = () => undefined;
    try {
      expect((await lists()).deny.match('evil.com')).toBeDefined();
    } finally {
      console.error = errors;
    }
  });
});

describe('odd messages', () => {
  it('echo unknown query types exactly in blocked answers, and leave non-IN classes alone', async () => {
    // a.net TYPE65 (HTTPS) IN, then a.net ANY CH: built byte by byte, as a client would send them.
    const name = [1, 97, 3, 110, 101, 116, 0];
    const bytes = new Uint8Array([0, 1, 1, 0, 0, 2, 0, 0, 0, 0, 0, 0, ...name, 0, 65, 0, 1, ...name, 0, 255, 0, 3]);
    const q = decodeDnsMessage(bytes);
    const lists = compileDnsLists({ deny: 'a.net' });
    const verdict = await decideQuery(q, { lists, classifier: stubClassifier({}) });
    expect(verdict.questions.map((v) => v.action)).toEqual(['block', 'pass']);
    for (const mode of ['nxdomain', 'null'] as const) {
      const answer = decodeDnsMessage(buildBlockedResponse(q, mode, 'denylist name=a.net'));
      expect(answer.questions).toEqual(q.questions);
    }
  });
});
