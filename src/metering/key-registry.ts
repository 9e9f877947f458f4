import { DurableObject } from 'cloudflare:workers';
import type { KeyRecord } from './types.js';

/**
 * The list of keys (one Durable Object, named "registry"): id -> record, for `keys list`, `revoke <id>`
 * and the billing export. It is only on the admin path; requests find their key's meter by the key's hash
 * and never ask the registry.
 */
export class KeyRegistry extends DurableObject {
  private readonly sql = this.ctx.storage.sql;

  constructor(ctx: DurableObjectState, env: unknown) {
    super(ctx, env as never);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS api_keys (
      id TEXT PRIMARY KEY, hash TEXT NOT NULL UNIQUE, hint TEXT NOT NULL, label TEXT NOT NULL, plan TEXT NOT NULL,
      created TEXT NOT NULL, revoked TEXT)`);
  }

  add(record: KeyRecord): void {
    this.sql.exec(
      'INSERT INTO api_keys (id, hash, hint, label, plan, created, revoked) VALUES (?, ?, ?, ?, ?, ?, ?)',
      record.id, record.hash, record.hint, record.label, record.plan, record.created, record.revoked,
    );
  }

  list(): KeyRecord[] {
    return this.sql.exec<Record<string, string | null>>('SELECT * FROM api_keys ORDER BY created, id').toArray().map(toRecord);
  }

  get(id: string): KeyRecord | null {
    const row = this.sql.exec<Record<string, string | null>>('SELECT * FROM api_keys WHERE id = ?', id).toArray()[0];
    return row ? toRecord(row) : null;
  }

  /** Records the revocation time the key's meter reported (the meter is what requests consult). */
  markRevoked(id: string, at: string): void {
    this.sql.exec('UPDATE api_keys SET revoked = COALESCE(revoked, ?) WHERE id = ?', at, id);
  }
}

function toRecord(row: Record<string, string | null>): KeyRecord {
  return {
    id: row.id!,
    hash: row.hash!,
    hint: row.hint!,
    label: row.label!,
    plan: row.plan!,
    created: row.created!,
    revoked: row.revoked ?? null,
  };
}
