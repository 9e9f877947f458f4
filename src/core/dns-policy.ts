// The DNS filter's policy: for each question of a query, allowlist, then denylist, then the model.
import type { Classifier } from './classifier.js';
import { isClassificationError } from './classifier.js';
import type { DnsLists, ListMatch } from './dns-lists.js';
import { DgaEdgeError } from './errors.js';
import { normalizeDomain } from './normalize.js';
import type { DnsMessage } from './dns-wire.js';

/** Why a question is blocked. */
export type BlockReason =
  | { source: 'denylist'; name: string; match: ListMatch }
  | { source: 'dga'; name: string; score: number; family?: string };

/**
 * Why a question is not scored, so it goes upstream untouched:
 * - `class`: not class IN (e.g. CHAOS `version.bind`);
 * - `reverse`: under .arpa (PTR lookups: labels are digits, not a chosen name);
 * - `not-a-hostname`: the normaliser rejects it (root, `_dmarc.example.com` service labels, empty labels);
 * - `public-suffix`: the name is itself a public suffix (`com`, `co.uk`): there is no chosen label to score;
 * - `non-latin-label`: an internationalised label with no Latin letter or digit (normalize.ts scoredForm).
 */
export type UnscoredReason = 'class' | 'reverse' | 'not-a-hostname' | 'public-suffix' | 'non-latin-label';

/** The policy's verdict on one question. */
export type QuestionVerdict =
  | { name: string; action: 'allow'; match: ListMatch }
  | { name: string; action: 'block'; reason: BlockReason }
  | { name: string; action: 'pass'; unscored: UnscoredReason }
  | { name: string; action: 'pass'; score: number };

/** The verdict on a whole query: blocked if any question is blocked. */
export type QueryVerdict =
  | { action: 'block'; reason: BlockReason; text: string; questions: QuestionVerdict[] }
  | { action: 'forward'; questions: QuestionVerdict[] };

export interface PolicyOptions {
  lists: DnsLists;
  classifier: Classifier;
}

/** A question's name as the lists and the model see it: lowercase, no trailing dot ("" for the root). */
export function questionName(name: string): string {
  const lower = name.toLowerCase();
  return lower === '.' ? '' : lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/** Why `name` (class `qclass`) is not shown to the model, or undefined when it is. */
export function unscoredReason(name: string, qclass: string | undefined): UnscoredReason | undefined {
  if ((qclass ?? 'IN') !== 'IN') return 'class';
  if (name === 'arpa' || name.endsWith('.arpa')) return 'reverse';
  try {
    const normalized = normalizeDomain(name);
    if (normalized.registrable === '') return 'public-suffix';
    if (normalized.scored === '') return 'non-latin-label';
  } catch (error) {
    if (error instanceof DgaEdgeError) return 'not-a-hostname';
    throw error;
  }
  return undefined;
}

/**
 * The EDE EXTRA-TEXT for a block: `dga score=0.9998 family=cryptolocker`, `denylist suffix=example.com`,
 * `denylist name=evil.example`. With several questions, ` name=...` says which one was blocked
 * (a denylisted exact name already says it).
 */
export function blockReasonText(reason: BlockReason, namedQuestion = false): string {
  const which = namedQuestion ? ` name=${reason.name}` : '';
  if (reason.source === 'denylist') {
    // An exact entry already is the question's name.
    return `denylist ${reason.match.kind}=${reason.match.entry}${reason.match.kind === 'suffix' ? which : ''}`;
  }
  return `dga score=${fourDecimalsDown(reason.score)}${reason.family ? ` family=${reason.family}` : ''}${which}`;
}

/** Four decimals, cut rather than rounded: a probability below 1 (0.99999) never reads "1.0000". */
function fourDecimalsDown(p: number): string {
  return (Math.floor(p * 1e4 + 1e-9) / 1e4).toFixed(4); // + 1e-9: 0.29 * 1e4 is 2899.9999999999995
}

/**
 * Decides a query. Every question gets a verdict; all the model's questions go to it in one batch.
 * A message is blocked if any of its questions is: it has one RCODE for all of them, and forwarding it
 * would resolve the blocked name after all. The allowlist wins over the denylist, so an operator can
 * carve a name out of a denied suffix. Names the model cannot judge (UnscoredReason) are forwarded;
 * questions of a class other than IN are not checked against the lists either.
 */
export async function decideQuery(query: DnsMessage, options: PolicyOptions): Promise<QueryVerdict> {
  const { lists, classifier } = options;
  const questions = query.questions ?? [];
  const verdicts = new Array<QuestionVerdict>(questions.length);
  const toScore: number[] = [];
  questions.forEach((question, i) => {
    const name = questionName(question.name);
    // Lists and model are about Internet names: other classes (CHAOS version.bind, ...) pass untouched.
    // (Also keeps blocked answers exact: dns-packet cannot re-encode classes it does not know.)
    if ((question.class ?? 'IN') !== 'IN') return void (verdicts[i] = { name, action: 'pass', unscored: 'class' });
    const allowed = lists.allow.match(name);
    if (allowed) return void (verdicts[i] = { name, action: 'allow', match: allowed });
    const denied = lists.deny.match(name);
    if (denied) return void (verdicts[i] = { name, action: 'block', reason: { source: 'denylist', name, match: denied } });
    const unscored = unscoredReason(name, question.class);
    if (unscored) return void (verdicts[i] = { name, action: 'pass', unscored });
    toScore.push(i);
  });

  if (toScore.length > 0) {
    const results = await classifier.classify(toScore.map((i) => questionName(questions[i]!.name)));
    results.forEach((result, r) => {
      const i = toScore[r]!;
      const name = questionName(questions[i]!.name);
      if (isClassificationError(result)) verdicts[i] = { name, action: 'pass', unscored: 'not-a-hostname' };
      else if (result.dga) verdicts[i] = { name, action: 'block', reason: { source: 'dga', name, score: result.score, family: result.family?.name } };
      else verdicts[i] = { name, action: 'pass', score: result.score };
    });
  }

  const blocked = verdicts.find((v): v is Extract<QuestionVerdict, { action: 'block' }> => v.action === 'block');
  if (!blocked) return { action: 'forward', questions: verdicts };
  return { action: 'block', reason: blocked.reason, text: blockReasonText(blocked.reason, questions.length > 1), questions: verdicts };
}
