import type { Classifier } from '../core/classifier.js';
import type { Plan } from '../core/plans.js';
import type { AppConfig, ConfigVars } from '../config.js';
import type { ListStore } from '../dns/kv-lists.js';
import type { IpRateLimiter } from '../metering/ip-limiter.js';
import type { KeyMeter } from '../metering/key-meter.js';
import type { KeyRegistry } from '../metering/key-registry.js';

/** Bindings of the pay-per-request endpoint (wrangler.toml durable_objects, and the ADMIN_TOKEN secret). */
export interface MeteringBindings {
  KEY_METER?: DurableObjectNamespace<KeyMeter>;
  KEY_REGISTRY?: DurableObjectNamespace<KeyRegistry>;
  IP_LIMITER?: DurableObjectNamespace<IpRateLimiter>;
  /** Secret for /v1/admin/* (`wrangler secret put ADMIN_TOKEN`; `.dev.vars` locally). Unset = admin API off. */
  ADMIN_TOKEN?: string;
}

/** The API key behind a request, once the metering middleware admitted it. */
export interface Caller {
  /** SHA-256 of the key, hex: names the key's meter. */
  keyHash: string;
  planName: string;
  plan: Plan;
}

/** Typed Hono environment: bindings from wrangler, and the variables routes read (never build). */
export interface AppEnv {
  Bindings: ConfigVars &
    MeteringBindings & {
      /** KV namespace with the DoH allow and deny lists (keys "allow" and "deny"); optional. */
      DNS_LISTS?: ListStore;
    };
  Variables: {
    classifier: Classifier;
    config: AppConfig;
    /** Set by the metering middleware for keyed requests (AUTH=on). */
    caller?: Caller;
    /** Billable units of this answer, set by the route (see setUnits in http/metering.ts). */
    units?: number;
  };
}
