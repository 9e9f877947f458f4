/**
 * A short, safe description of an input value for error messages: strings quoted and cut to `max`
 * characters, arrays and objects named by kind only. Error messages never echo structured input in full:
 * serialising an arbitrarily deep value can exhaust the stack (a 500) and makes answers as large as requests.
 */
export function describeValue(value: unknown, max = 60): string {
  if (typeof value === 'string') return value.length > max ? `${JSON.stringify(value.slice(0, max))}...` : JSON.stringify(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (value === undefined) return 'nothing';
  return String(value);
}

/**
 * The input as an answer may echo it: strings, numbers, booleans and null as given; arrays and objects as
 * null (see describeValue for why they are not echoed).
 */
export function echoableValue(value: unknown): unknown {
  return typeof value === 'object' && value !== null ? null : value;
}
