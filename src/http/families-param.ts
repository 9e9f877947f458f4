import type { Classifier } from '../core/classifier.js';
import { describeValue } from '../core/describe-value.js';
import { DgaEdgeError } from '../core/errors.js';

/** Most families a caller may ask for per name. */
export const MAX_FAMILIES = 10;

/**
 * Reads the optional `families` request option (query string or JSON body): how many top families to
 * return per name. Absent means 0. Rejects non-integers, out-of-range values, and asking a model that has
 * no family head.
 */
export function parseFamiliesParam(raw: unknown, classifier: Classifier): number {
  if (raw === undefined || raw === null || raw === '') return 0;
  const value = typeof raw === 'string' ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_FAMILIES) {
    throw new DgaEdgeError('invalid_request', `"families" must be an integer in 0..${MAX_FAMILIES}, got ${describeValue(raw)}`);
  }
  if (value > 0 && !classifier.familyNames) {
    throw new DgaEdgeError('invalid_request', `model ${classifier.model.id} ${classifier.model.version} has no family head; omit "families"`);
  }
  return value;
}
