import type { Classifier } from '../core/classifier.js';
import { describeValue } from '../core/describe-value.js';
import { DgaEdgeError } from '../core/errors.js';

/** Most families a caller may ask for per name. */
export const MAX_FAMILIES = 10;

/**
 * The value of a `families` option (query string or JSON body) as a count, or undefined when it is not an
 * integer in 0..MAX_FAMILIES. Absent (undefined, null, "") means 0; strings are read with Number(), so
 * "3" and 3 are the same request. The request schemas and parseFamiliesParam share this one rule.
 */
export function familiesCount(raw: unknown): number | undefined {
  if (raw === undefined || raw === null || raw === '') return 0;
  const value = typeof raw === 'string' ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_FAMILIES) return undefined;
  return value;
}

/** The message a bad `families` value gets (stable wording: clients and tests read it). */
export function familiesErrorMessage(raw: unknown): string {
  return `"families" must be an integer in 0..${MAX_FAMILIES}, got ${describeValue(raw)}`; // bounded: a huge value must not become a huge message
}

/**
 * Reads the optional `families` request option (query string or JSON body): how many top families to
 * return per name. Absent means 0. Rejects non-integers, out-of-range values, and asking a model that has
 * no family head.
 */
export function parseFamiliesParam(raw: unknown, classifier: Classifier): number {
  const value = familiesCount(raw);
  if (value === undefined) throw new DgaEdgeError('invalid_request', familiesErrorMessage(raw));
  if (value > 0 && !classifier.familyNames) {
    throw new DgaEdgeError('invalid_request', `model ${classifier.model.id} ${classifier.model.version} has no family head; omit "families"`);
  }
  return value;
}
