import { createApp } from './app.js';
import { workerClassifier, workerSessionInfo } from './worker-model.js';

// The Worker: wiring only. Routes live in src/routes, the model adapter in src/runtime.
export default createApp({ classifier: workerClassifier, sessionInfo: workerSessionInfo });
