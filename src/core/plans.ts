import { DgaEdgeError } from './errors.js';

/** What a key may use. Plans live in configuration (PLANS); a key stores only its plan's name. */
export interface Plan {
  /** Classified names per calendar month (UTC). */
  unitsPerMonth: number;
  /** Sustained requests per second; bursts up to the same number are allowed (token bucket). */
  requestsPerSecond: number;
  /** Most names in one POST /v1/classify (further capped by MAX_BATCH). */
  maxBatch: number;
}

export type Plans = Readonly<Record<string, Plan>>;

/** The plans used when PLANS is not set. */
export const DEFAULT_PLANS: Plans = {
  free: { unitsPerMonth: 10_000, requestsPerSecond: 2, maxBatch: 100 },
  pro: { unitsPerMonth: 5_000_000, requestsPerSecond: 50, maxBatch: 1000 },
  enterprise: { unitsPerMonth: 200_000_000, requestsPerSecond: 500, maxBatch: 1000 },
};

const PLAN_NAME = /^[a-z][a-z0-9_-]{0,31}$/;
const FIELDS: Record<keyof Plan, [min: number, max: number]> = {
  unitsPerMonth: [0, 1e12],
  requestsPerSecond: [1, 1_000_000],
  maxBatch: [1, 100_000],
};

function configError(message: string): DgaEdgeError {
  return new DgaEdgeError('internal_error', `configuration: PLANS ${message}`, 500);
}

/**
 * Parses the PLANS variable: a JSON object of plan name -> {unitsPerMonth, requestsPerSecond, maxBatch}, all
 * integers. Absent or empty means DEFAULT_PLANS. Anything malformed throws a configuration error naming the
 * plan and field, so a bad deployment fails loudly instead of metering with limits nobody asked for.
 */
export function parsePlans(raw: string | undefined): Plans {
  if (raw === undefined || raw.trim() === '') return DEFAULT_PLANS;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw configError('is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw configError('must be a JSON object of plan name -> limits');
  const plans: Record<string, Plan> = {};
  for (const [name, limits] of Object.entries(value)) {
    if (!PLAN_NAME.test(name)) throw configError(`plan name "${name}" must match ${PLAN_NAME}`);
    if (typeof limits !== 'object' || limits === null) throw configError(`plan "${name}" must be an object`);
    const plan = {} as Plan;
    for (const [field, [min, max]] of Object.entries(FIELDS) as [keyof Plan, [number, number]][]) {
      const n = (limits as Record<string, unknown>)[field];
      if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
        throw configError(`plan "${name}": ${field} must be an integer in ${min}..${max}, got ${JSON.stringify(n)}`);
      }
      plan[field] = n;
    }
    const extra = Object.keys(limits).filter((k) => !(k in FIELDS));
    if (extra.length > 0) throw configError(`plan "${name}": unknown field(s) ${extra.join(', ')}`);
    plans[name] = plan;
  }
  if (Object.keys(plans).length === 0) throw configError('defines no plan');
  return plans;
}
