/** sha256 of a string, base64, as CSP source expressions want it. */
async function sha256Base64(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  let binary = '';
  for (const byte of digest) binary += String.fromCharCode(byte);
  return btoa(binary);
}

export interface PageSecurityOptions {
  /** Inline <script> bodies the page carries (allowed by hash, so the page needs no nonce and can be cached). */
  scripts?: readonly string[];
  /** Inline <style> bodies. */
  styles?: readonly string[];
}

/**
 * Response headers of the HTML pages: a strict Content-Security-Policy (nothing from other origins; inline
 * script and style only by their sha256; no eval; the page may be framed by nobody), nosniff and no
 * referrer. Hashes rather than a nonce keep the HTML identical between requests, so it can be cached.
 */
export async function pageSecurityHeaders(options: PageSecurityOptions): Promise<Record<string, string>> {
  const hashes = async (bodies: readonly string[] = []) =>
    (await Promise.all(bodies.map(async (body) => `'sha256-${await sha256Base64(body)}'`))).join(' ');
  const scriptSrc = options.scripts?.length ? await hashes(options.scripts) : "'none'";
  const styleSrc = options.styles?.length ? await hashes(options.styles) : "'none'";
  const csp = [
    "default-src 'none'",
    `script-src ${scriptSrc}`,
    `style-src ${styleSrc}`,
    "img-src 'self'",
    "connect-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return {
    'Content-Security-Policy': csp,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
  };
}
