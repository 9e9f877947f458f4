// API keys: format, generation, hashing and comparison. WebCrypto only (globalThis.crypto), so the same
// code runs in workerd, in Node 20 scripts and in unit tests.

/** Every key starts with this, so leaked keys are easy to spot (secret scanners, logs). */
export const KEY_PREFIX = 'dga_live_';
/** 32 random bytes in base64url: 43 characters. */
const KEY_BODY = /^[A-Za-z0-9_-]{43}$/;
/** Key ids are public (listed, used in exports and `revoke`): `key_` + 16 hex digits. */
const KEY_ID = /^key_[0-9a-f]{16}$/;

function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** A new secret key: `dga_live_` + 32 random bytes (base64url). Shown once, never stored. */
export function generateApiKey(): string {
  return KEY_PREFIX + base64url(crypto.getRandomValues(new Uint8Array(32)));
}

/** A new public key id, `key_` + 8 random bytes in hex. */
export function generateKeyId(): string {
  return 'key_' + hex(crypto.getRandomValues(new Uint8Array(8)));
}

/** True when `key` has the shape of a key this service issues (checked before any storage lookup). */
export function isWellFormedApiKey(key: string): boolean {
  return key.startsWith(KEY_PREFIX) && KEY_BODY.test(key.slice(KEY_PREFIX.length));
}

export function isKeyId(id: string): boolean {
  return KEY_ID.test(id);
}

/**
 * SHA-256 of the key, lowercase hex. Only this is stored; a 256-bit random key needs no salt or slow hash
 * (there is nothing to brute-force), and a fast hash keeps the per-request cost at microseconds.
 */
export async function hashApiKey(key: string): Promise<string> {
  return hex(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(key))));
}

/** A display hint for listings: the prefix and the first 4 characters of the secret part. */
export function keyHint(key: string): string {
  return key.slice(0, KEY_PREFIX.length + 4) + '…';
}

/**
 * Compares two strings in time that depends only on their lengths, not on where they differ, so a caller
 * cannot learn a secret (admin token, key hash) one character at a time from response times.
 */
export function timingSafeEqual(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  const n = Math.max(x.length, y.length);
  for (let i = 0; i < n; i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}
