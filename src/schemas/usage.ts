import { z } from '@hono/zod-openapi';

// Answers of GET /v1/usage and of the admin API (/v1/admin/*). They describe those routes in /openapi.json,
// and the worker tests parse the real answers with them, so the document cannot drift from what is sent.
// Requests are checked by the handlers (src/routes/usage.ts, src/routes/admin.ts) with their own messages.

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
const KEY_ID = z.string().regex(/^key_[0-9a-f]{16}$/).openapi({ description: 'Public key id: `key_` + 16 hex digits.', example: 'key_0f3a9c1e5b7d2468' });

/** The billing period: a calendar month in UTC. */
export const UsagePeriod = z
  .object({
    month: z.string().regex(/^\d{4}-\d{2}$/).openapi({ example: '2026-11' }),
    from: day.openapi({ description: 'First day of the month (UTC).', example: '2026-11-01' }),
    to: day.openapi({ description: 'Last day of the month (UTC).', example: '2026-11-30' }),
    resetsAt: z.string().openapi({ description: 'When the next period starts and the quota resets (ISO 8601).', example: '2026-12-01T00:00:00.000Z' }),
  })
  .openapi('UsagePeriod');

/** Units and requests of one UTC day; days without use are left out. */
export const DayUsage = z
  .object({
    day: day.openapi({ example: '2026-11-27' }),
    units: z.number().int().openapi({ description: 'Classified names (billable units).' }),
    requests: z.number().int().openapi({ description: 'Answered requests that used at least one unit.' }),
  })
  .openapi('DayUsage');

const units = z.number().int().openapi({ description: 'Units used this period.' });
const requests = z.number().int().openapi({ description: 'Charged requests this period.' });

/** GET /v1/usage: the calling key's usage in the current period. */
export const Usage = z
  .object({
    key: z.object({
      id: KEY_ID,
      label: z.string(),
      plan: z.string().openapi({ description: 'Plan name (PLANS).', example: 'pro' }),
      created: z.string().openapi({ description: 'ISO 8601.' }),
    }),
    period: UsagePeriod,
    units,
    requests,
    quota: z.object({
      limit: z.number().int().nullable().openapi({ description: 'Units per period of the key’s plan.' }),
      remaining: z.number().int().nullable(),
    }),
    days: z.array(DayUsage),
  })
  .openapi('Usage');

/** A key as the admin API lists it: never the secret, never its hash. */
export const KeyInfo = z
  .object({
    id: KEY_ID,
    hint: z.string().openapi({ description: '`dga_live_` + the first 4 characters of the secret, to tell keys apart.', example: 'dga_live_BwcH…' }),
    label: z.string(),
    plan: z.string().openapi({ example: 'pro' }),
    created: z.string().openapi({ description: 'ISO 8601.' }),
    revoked: z.string().nullable().openapi({ description: 'When the key was revoked (ISO 8601), or null.' }),
  })
  .openapi('KeyInfo');

/** POST /v1/admin/keys body. */
export const CreateKeyRequest = z
  .object({
    plan: z.string().openapi({ description: 'One of the plans in PLANS (default: free, pro, enterprise).', example: 'pro' }),
    label: z.string().max(100).optional().openapi({ description: 'Free text to recognise the key by, at most 100 characters, no control characters.', example: 'acme' }),
  })
  .openapi('CreateKeyRequest');

/** POST /v1/admin/keys answer: the new key's record and, this once, the secret key itself. */
export const NewKey = KeyInfo.extend({
  key: z.string().openapi({ description: 'The API key. It is shown in this answer only and stored nowhere (only its SHA-256).' }),
}).openapi('NewKey');

/** GET /v1/admin/keys answer. */
export const KeyList = z.object({ keys: z.array(KeyInfo) }).openapi('KeyList');

/** GET /v1/admin/keys/{id}/usage answer. */
export const KeyUsage = z
  .object({
    key: KeyInfo,
    period: UsagePeriod,
    units,
    requests,
    limit: z.number().int().nullable().openapi({ description: 'Units per period of the key’s plan.' }),
    days: z.array(DayUsage),
  })
  .openapi('KeyUsage');

/** `{id}` of the admin key routes. */
export const KeyIdParams = z.object({ id: KEY_ID });

/** GET /v1/admin/usage/export query. */
export const UsageExportQuery = z.object({
  from: day.optional().openapi({ description: 'First day (UTC, YYYY-MM-DD); default: the first day of this month.', example: '2026-11-01' }),
  to: day.optional().openapi({ description: 'Last day, inclusive; default: the last day of this month. At most 366 days in all.', example: '2026-11-30' }),
  format: z.enum(['json', 'csv']).optional().openapi({ description: '`json` (default) or `csv` (RFC 4180, one row per key per day).' }),
});

/** One row of the billing export: one key on one UTC day. */
export const UsageRow = z
  .object({
    day,
    keyId: KEY_ID,
    label: z.string(),
    plan: z.string(),
    units: z.number().int(),
    requests: z.number().int(),
  })
  .openapi('UsageRow');

/** GET /v1/admin/usage/export answer (format=json). */
export const UsageExport = z
  .object({
    from: day,
    to: day,
    units: z.number().int().openapi({ description: 'Sum of the rows’ units.' }),
    rows: z.array(UsageRow).openapi({ description: 'Ordered by day, then key id.' }),
  })
  .openapi('UsageExport');

/** The CSV form of the export: header `day,key_id,label,plan,units,requests`, CRLF line ends. */
export const UsageExportCsv = z.string().openapi({ description: 'CSV (RFC 4180): `day,key_id,label,plan,units,requests`, one row per key per day.' });
