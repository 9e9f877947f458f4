// Billing periods and days, all in UTC: a period is a calendar month, counters are kept per day.

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The UTC day of a time, `YYYY-MM-DD`. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export interface UsagePeriod {
  /** `YYYY-MM`. */
  month: string;
  /** First and last day of the month, inclusive, `YYYY-MM-DD`. */
  from: string;
  to: string;
  /** When the next period starts (ISO 8601, UTC): when the quota resets. */
  resetsAt: string;
}

/** The calendar month (UTC) that contains `ms`. */
export function usagePeriod(ms: number): UsagePeriod {
  const d = new Date(ms);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  const next = Date.UTC(y, m + 1, 1);
  return {
    month: utcDay(Date.UTC(y, m, 1)).slice(0, 7),
    from: utcDay(Date.UTC(y, m, 1)),
    to: utcDay(next - 86_400_000),
    resetsAt: new Date(next).toISOString(),
  };
}

/** True for a real calendar day written `YYYY-MM-DD` (so `2026-02-30` is refused). */
export function isUtcDay(value: string): boolean {
  const m = DAY.exec(value);
  if (!m) return false;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return utcDay(ms) === value;
}
