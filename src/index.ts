import rocSvg from '../model/roc.svg';
import { createApp } from './app.js';
import { workerClassifier, workerSessionInfo } from './worker-model.js';

// The Worker: wiring only. Routes live in src/routes, the model adapter in src/runtime, the page in src/page.
// Durable Object classes of the pay-per-request endpoint (wrangler.toml durable_objects) must be exported
// by the entry module.
export { IpRateLimiter } from './metering/ip-limiter.js';
export { KeyMeter } from './metering/key-meter.js';
export { KeyRegistry } from './metering/key-registry.js';

// The ROC plot arrives as text through wrangler's "Text" rule for .svg (wrangler.toml).
export default createApp({ classifier: workerClassifier, sessionInfo: workerSessionInfo, rocSvg });
