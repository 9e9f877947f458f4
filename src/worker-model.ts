// The model this Worker serves. The ONNX file is bundled as data and ORT's wasm as a compiled module,
// because Workers may not compile WebAssembly from bytes at run time. wrangler resolves .wasm imports by
// relative path only, hence the path into node_modules.
import { env } from 'cloudflare:workers';
import ortWasm from '../node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm';
import int8ModelBytes from '../model/dga.int8.onnx';
import floatModelBytes from '../model/dga.onnx';
import metadataJson from '../model/metadata.json';
import { createClassifier, type Classifier } from './core/classifier.js';
import { parseModelMetadata } from './core/metadata.js';
import type { Scorer } from './core/scorer.js';
import { parseModelPrecision, type AppConfig, type ConfigVars, type ModelPrecision } from './config.js';
import type { SessionInfo } from './routes/health.js';
import { createOnnxScorer, ortWasmMemoryBytes, scorerOptionsFrom } from './runtime/onnx-scorer.js';

const metadata = parseModelMetadata(metadataJson);

// The precision must be known while the module evaluates (the session is built then), so it is read from
// `env` of cloudflare:workers here. A bad value falls back to float for loading; every request then answers
// 500 with the configuration error (parseConfig), which is where deployment mistakes are reported.
let precision: ModelPrecision;
try {
  precision = parseModelPrecision((env as ConfigVars).MODEL_PRECISION);
} catch {
  precision = 'float';
}

let scorer: Promise<Scorer> | undefined;
let sessionsCreated = 0;
let sessionId: string | undefined;
let evaluatingModule = true;
let createdAtStartup = false;
const classifiers = new Map<number | undefined, Classifier>();

/**
 * Creates this isolate's one ORT session and runs it once, so that V8 compiles the wasm functions the
 * model needs now rather than on the first request. A failed load is forgotten, so the next caller retries.
 */
function loadScorer(): Promise<Scorer> {
  scorer ??= (async () => {
    const created = await createOnnxScorer({
      model: precision === 'int8' ? int8ModelBytes : floatModelBytes,
      wasm: ortWasm,
      ...scorerOptionsFrom(metadata),
    });
    await created.score(new Int32Array(metadata.maxLength), 1);
    sessionsCreated += 1;
    createdAtStartup = evaluatingModule;
    sessionId = undefined; // a new session gets a new id, made lazily: no random values at global scope
    return created;
  })().catch((error: unknown) => {
    scorer = undefined;
    throw error;
  });
  return scorer;
}

// Load during module evaluation: the isolate's start-up pays for ORT's initialisation, so the first request
// does not. If it fails here, the Worker still starts and the first request retries (and answers 503 if
// the model is really broken) instead of the whole script failing to load.
await loadScorer().catch((error: unknown) => {
  console.error('model_unavailable: loading the model at start-up failed; retrying on the first request:', error);
});
evaluatingModule = false;

/**
 * This isolate's classifier for a given configuration: one ORT session shared by all of them (the
 * deployment's threshold only changes the verdict, not the model run).
 */
export async function workerClassifier(config: AppConfig): Promise<Classifier> {
  const loaded = await loadScorer();
  let classifier = classifiers.get(config.threshold);
  if (!classifier) {
    classifier = createClassifier({
      metadata,
      scorer: loaded,
      threshold: config.threshold,
      cacheSize: config.lruSize,
      variant: precision,
    });
    classifiers.set(config.threshold, classifier);
  }
  return classifier;
}

export function workerSessionInfo(): SessionInfo | undefined {
  if (sessionsCreated === 0) return undefined;
  sessionId ??= crypto.randomUUID();
  return { id: sessionId, sessionsCreated, createdAtStartup, wasmMemoryBytes: ortWasmMemoryBytes() };
}
