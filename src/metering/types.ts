/** An API key as stored: never the key itself, only its SHA-256 hash and a short display hint. */
export interface KeyRecord {
  /** Public id (`key_` + 16 hex digits): used by `keys revoke`, listings and exports. */
  id: string;
  /** SHA-256 of the key, hex. */
  hash: string;
  /** `dga_live_` + first 4 characters of the secret, to help people tell keys apart. */
  hint: string;
  label: string;
  /** Plan name; its limits come from PLANS at request time. */
  plan: string;
  /** ISO 8601 times. */
  created: string;
  revoked: string | null;
}
