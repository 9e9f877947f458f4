import type { Classifier } from '../core/classifier.js';
import type { AppConfig, ConfigVars } from '../config.js';

/** Typed Hono environment: bindings from wrangler, and the variables routes read (never build). */
export interface AppEnv {
  Bindings: ConfigVars;
  Variables: {
    classifier: Classifier;
    config: AppConfig;
  };
}
