// Where a request's API key comes from. Pure functions: unit-tested without a runtime.

/** What the Authorization header holds: nothing, something that is not a bearer token, or a token. */
export type PresentedKey = { kind: 'none' } | { kind: 'malformed'; reason: string } | { kind: 'key'; key: string };

const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;

/** Reads `Authorization: Bearer <key>`. Any other scheme or shape is `malformed` (answered 401). */
export function keyFromAuthorization(header: string | undefined | null): PresentedKey {
  if (header === undefined || header === null || header.trim() === '') return { kind: 'none' };
  const match = BEARER.exec(header.trim());
  if (!match) return { kind: 'malformed', reason: 'the Authorization header must be "Bearer <api key>"' };
  return { kind: 'key', key: match[1]! };
}

const DOH_PATH = /^\/dns-query\/([^/]+)\/?$/;

/**
 * The key in a DoH path, `/dns-query/<key>` (DoH clients such as browsers and stub resolvers take a URL
 * but cannot add headers). `/dns-query` alone, or deeper paths, carry no key. Percent-escapes are decoded;
 * a malformed escape yields the raw segment, which then fails the key-format check.
 */
export function keyFromDohPath(pathname: string): string | undefined {
  const match = DOH_PATH.exec(pathname);
  if (!match) return undefined;
  try {
    return decodeURIComponent(match[1]!);
  } catch {
    return match[1]!;
  }
}
