import type { Classifier } from '../core/classifier.js';
import type { AppConfig, ConfigVars } from '../config.js';
import type { ListStore } from '../dns/kv-lists.js';

/** Typed Hono environment: bindings from wrangler, and the variables routes read (never build). */
export interface AppEnv {
  Bindings: ConfigVars & {
    /** KV namespace with the DoH allow and deny lists (keys "allow" and "deny"); optional. */
    DNS_LISTS?: ListStore;
  };
  Variables: {
    classifier: Classifier;
    config: AppConfig;
  };
}
