import { DurableObject } from 'cloudflare:workers';
import { timingSafeEqual } from '../core/api-keys.js';
import type { Plans } from '../core/plans.js';
import { fullBucket, takeToken, type BucketState } from '../core/token-bucket.js';
import { usagePeriod, utcDay } from '../core/usage-period.js';
import type { KeyRecord } from './types.js';

/** What a rate check left: the numbers behind the RateLimit-* headers. */
export interface RateInfo {
  /** Requests per second of the plan (also the burst). */
  limit: number;
  remaining: number;
  resetSeconds: number;
  retryAfterSeconds: number;
}

/** Where the key stands in the current period (calendar month, UTC). */
export interface QuotaInfo {
  limit: number;
  used: number;
  remaining: number;
  /** Start of the next period, ISO 8601. */
  resetsAt: string;
}

export type Admission =
  | { outcome: 'ok'; plan: string; rate: RateInfo; quota: QuotaInfo }
  | { outcome: 'rate_limited'; plan: string; rate: RateInfo; quota: QuotaInfo }
  | { outcome: 'quota_exceeded'; plan: string; quota: QuotaInfo }
  | { outcome: 'unknown_key' }
  | { outcome: 'revoked' }
  | { outcome: 'unknown_plan'; plan: string };

export type Charge =
  | { outcome: 'charged'; units: number; quota: QuotaInfo; duplicate: boolean }
  | { outcome: 'quota_exceeded'; units: number; quota: QuotaInfo }
  | { outcome: 'unknown_key' }
  | { outcome: 'unknown_plan'; plan: string };

/** Units and requests of one UTC day. */
export interface DayUsage {
  day: string;
  units: number;
  requests: number;
}

export interface KeyUsage {
  record: KeyRecord;
  period: { month: string; from: string; to: string; resetsAt: string };
  units: number;
  requests: number;
  limit: number | null;
  days: DayUsage[];
}

/** Charge idempotency records are kept this long: far longer than any retry of the same request. */
const CHARGE_RECORD_TTL_MS = 60 * 60 * 1000;

/**
 * One API key's meter: a Durable Object named by the key's SHA-256 hash. It holds the key's record (id,
 * plan, revoked), its units per UTC day and the ids of recent charges in transactional SQLite storage,
 * and its rate bucket in memory. A Durable Object runs one call at a time, so a check followed by a
 * write inside one method can never interleave with another request's: counts are exact under any
 * concurrency, and storage makes them survive restarts.
 *
 * A request makes two calls: `admit` before the work (key valid, quota not spent, a rate token) and
 * `charge` after a successful answer, with the exact units and a request id. `charge` checks the quota
 * again and writes units, request count and the request id in one transaction, so a retried charge is
 * recognised and never counted twice. Nothing is held between the calls, so a crash in between leaves no
 * reservation to leak: the answer is released only after its charge committed.
 */
export class KeyMeter extends DurableObject {
  private readonly sql = this.ctx.storage.sql;
  private schemaReady = false;
  private record: KeyRecord | null | undefined;
  private bucket: BucketState | undefined;
  /** Units of the current month, cached: every write goes through this object. */
  private monthUnits: { month: string; units: number } | undefined;
  private chargesSinceSweep = 0;

  private schema(): void {
    if (this.schemaReady) return;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS key_record (
      singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
      id TEXT NOT NULL, hash TEXT NOT NULL, hint TEXT NOT NULL, label TEXT NOT NULL, plan TEXT NOT NULL,
      created TEXT NOT NULL, revoked TEXT)`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS daily_usage (
      day TEXT PRIMARY KEY, units INTEGER NOT NULL, requests INTEGER NOT NULL)`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS charges (
      request_id TEXT PRIMARY KEY, at INTEGER NOT NULL, units INTEGER NOT NULL)`);
    this.sql.exec(`CREATE INDEX IF NOT EXISTS charges_at ON charges (at)`);
    this.schemaReady = true;
  }

  private loadRecord(): KeyRecord | null {
    if (this.record !== undefined) return this.record;
    // Asked about a key nobody registered (a guessed key): answer without writing anything, so made-up
    // keys leave no storage behind.
    const exists = this.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'key_record'").toArray().length > 0;
    if (!exists) return null;
    this.schemaReady = true;
    const row = this.sql.exec<Record<string, string | null>>('SELECT id, hash, hint, label, plan, created, revoked FROM key_record').toArray()[0];
    this.record = row
      ? { id: row.id!, hash: row.hash!, hint: row.hint!, label: row.label!, plan: row.plan!, created: row.created!, revoked: row.revoked ?? null }
      : null;
    return this.record;
  }

  /** The key this object meters, if `hash` is really its hash (compared in constant time). */
  private keyFor(hash: string): KeyRecord | null {
    const record = this.loadRecord();
    return record && timingSafeEqual(record.hash, hash) ? record : null;
  }

  private quota(limit: number, now: number): QuotaInfo {
    const period = usagePeriod(now);
    if (this.monthUnits?.month !== period.month) {
      this.schema();
      const row = this.sql
        .exec<{ units: number }>('SELECT COALESCE(SUM(units), 0) AS units FROM daily_usage WHERE day >= ? AND day <= ?', period.from, period.to)
        .one();
      this.monthUnits = { month: period.month, units: row.units };
    }
    const used = this.monthUnits.units;
    return { limit, used, remaining: Math.max(0, limit - used), resetsAt: period.resetsAt };
  }

  /** Stores the key's record when the key is created. Repeating the same record is a no-op. */
  register(record: KeyRecord): KeyRecord {
    const existing = this.loadRecord();
    if (existing) {
      if (existing.id !== record.id) throw new Error('this meter already belongs to another key');
      return existing;
    }
    this.schema();
    this.sql.exec(
      'INSERT INTO key_record (singleton, id, hash, hint, label, plan, created, revoked) VALUES (1, ?, ?, ?, ?, ?, ?, NULL)',
      record.id, record.hash, record.hint, record.label, record.plan, record.created,
    );
    this.record = { ...record, revoked: null };
    return this.record;
  }

  /** Revokes the key from now on (idempotent: a second call keeps the first time). */
  revoke(at: string): KeyRecord | null {
    const record = this.loadRecord();
    if (!record) return null;
    if (record.revoked) return record;
    this.sql.exec('UPDATE key_record SET revoked = ? WHERE singleton = 1', at);
    this.record = { ...record, revoked: at };
    return this.record;
  }

  /**
   * Before the work: is the key valid, is any quota left, and is there a rate token? Refusals take no
   * token. Touches no storage on the hot path once the record and month total are loaded.
   */
  admit(hash: string, plans: Plans): Admission {
    const record = this.keyFor(hash);
    if (!record) return { outcome: 'unknown_key' };
    if (record.revoked) return { outcome: 'revoked' };
    const plan = plans[record.plan];
    if (!plan) return { outcome: 'unknown_plan', plan: record.plan };
    const now = Date.now();
    const quota = this.quota(plan.unitsPerMonth, now);
    if (quota.remaining === 0) return { outcome: 'quota_exceeded', plan: record.plan, quota };
    const limits = { capacity: plan.requestsPerSecond, refillPerSecond: plan.requestsPerSecond };
    const taken = takeToken(this.bucket ?? fullBucket(limits, now), limits, now);
    this.bucket = taken.state;
    const rate: RateInfo = {
      limit: plan.requestsPerSecond,
      remaining: taken.remaining,
      resetSeconds: taken.resetSeconds,
      retryAfterSeconds: taken.retryAfterSeconds,
    };
    return { outcome: taken.allowed ? 'ok' : 'rate_limited', plan: record.plan, rate, quota };
  }

  /**
   * After a successful answer: adds `units` (> 0) to today's counter, once per `requestId`, if the quota
   * allows all of them; otherwise charges nothing and the caller withholds the answer (402). Revoking a key
   * while its request runs does not undo the charge of an answer that was admitted.
   */
  charge(hash: string, requestId: string, units: number, plans: Plans): Charge {
    const record = this.keyFor(hash);
    if (!record) return { outcome: 'unknown_key' };
    const plan = plans[record.plan];
    if (!plan) return { outcome: 'unknown_plan', plan: record.plan };
    if (!Number.isInteger(units) || units < 1) throw new RangeError(`units must be a positive integer, got ${units}`);
    const now = Date.now();
    const quota = this.quota(plan.unitsPerMonth, now);
    const seen = this.sql.exec<{ units: number }>('SELECT units FROM charges WHERE request_id = ?', requestId).toArray()[0];
    if (seen) return { outcome: 'charged', units: seen.units, quota, duplicate: true };
    if (units > quota.remaining) return { outcome: 'quota_exceeded', units, quota };

    const day = utcDay(now);
    this.ctx.storage.transactionSync(() => {
      this.sql.exec(
        `INSERT INTO daily_usage (day, units, requests) VALUES (?, ?, 1)
         ON CONFLICT (day) DO UPDATE SET units = units + excluded.units, requests = requests + 1`,
        day, units,
      );
      this.sql.exec('INSERT INTO charges (request_id, at, units) VALUES (?, ?, ?)', requestId, now, units);
    });
    // The month cache follows the write only after it succeeded (a throw above leaves both unchanged).
    if (this.monthUnits && utcDay(now).startsWith(this.monthUnits.month)) this.monthUnits.units += units;
    if (++this.chargesSinceSweep >= 500) {
      this.chargesSinceSweep = 0;
      this.sql.exec('DELETE FROM charges WHERE at < ?', now - CHARGE_RECORD_TTL_MS);
    }
    return { outcome: 'charged', units, quota: this.quota(plan.unitsPerMonth, now), duplicate: false };
  }

  /** The key's usage in the current period, day by day (for GET /v1/usage and `keys usage`). */
  usage(hash: string, plans: Plans): KeyUsage | null {
    const record = this.keyFor(hash);
    if (!record) return null;
    const now = Date.now();
    const period = usagePeriod(now);
    const days = this.days(period.from, period.to);
    return {
      record,
      period,
      units: days.reduce((sum, d) => sum + d.units, 0),
      requests: days.reduce((sum, d) => sum + d.requests, 0),
      limit: plans[record.plan]?.unitsPerMonth ?? null,
      days,
    };
  }

  /** Units per UTC day from `from` to `to` inclusive (YYYY-MM-DD), days without use left out. */
  days(from: string, to: string): DayUsage[] {
    if (!this.loadRecord()) return [];
    return this.sql
      .exec<{ day: string; units: number; requests: number }>(
        'SELECT day, units, requests FROM daily_usage WHERE day >= ? AND day <= ? ORDER BY day',
        from, to,
      )
      .toArray()
      .map((r) => ({ day: r.day, units: r.units, requests: r.requests }));
  }
}
