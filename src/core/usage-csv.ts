// The billing export's rows and their CSV form.

/** Units one key used on one UTC day. */
export interface UsageRow {
  day: string;
  keyId: string;
  label: string;
  plan: string;
  /** Classified names (billable units). */
  units: number;
  /** Answered requests that used at least one unit. */
  requests: number;
}

export const USAGE_CSV_COLUMNS = ['day', 'key_id', 'label', 'plan', 'units', 'requests'] as const;

/** RFC 4180 quoting: a field with a comma, quote or line break is quoted, quotes doubled. */
function csvField(value: string | number): string {
  const text = String(value);
  // A leading =, +, - or @ would be run as a formula by spreadsheet programs (CSV injection); labels are
  // chosen by whoever creates keys, so they are defused with a leading apostrophe.
  const safe = /^[=+\-@]/.test(text) && typeof value === 'string' ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** Rows as CSV with a header line, CRLF line ends (RFC 4180), in the order given. */
export function usageCsv(rows: readonly UsageRow[]): string {
  const lines = [USAGE_CSV_COLUMNS.join(',')];
  for (const r of rows) lines.push([r.day, r.keyId, r.label, r.plan, r.units, r.requests].map(csvField).join(','));
  return lines.join('\r\n') + '\r\n';
}
