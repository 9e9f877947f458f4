// The model this Worker serves. The ONNX file is bundled as data and ORT's wasm as a compiled module,
// because Workers may not compile WebAssembly from bytes at run time. wrangler resolves .wasm imports by
// relative path only, hence the path into node_modules.
import { env } from 'cloudflare:workers';
import ortWasm from '../node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm';
import int8ModelBytes from '../model/dga.int8.onnx';
import floatModelBytes from '../model/dga.onnx';
import metadataJson from '../model/metadata.json';
import { createClassifier, type Classifier } from './core/classifier.js';
import { parseModelMetadata, type ModelMetadata } from './core/metadata.js';
import type { Scorer } from './core/scorer.js';
import { parseModelPrecision, type AppConfig, type ConfigVars, type ModelPrecision } from './config.js';
import type { SessionInfo } from './routes/health.js';
import { createModelLoadGate } from './runtime/model-load-gate.js';
import { createOnnxScorer, ortWasmMemoryBytes, scorerOptionsFrom } from './runtime/onnx-scorer.js';

/** Seconds between attempts to load a model that failed to load (each failed attempt logs one line). */
const MODEL_RETRY_SECONDS = 60;
/** Seconds a request waits for a load attempt before it is abandoned (a normal load takes under 1 s). */
const MODEL_LOAD_TIMEOUT_SECONDS = 10;

// The precision must be known while the module evaluates (the session is built then), so it is read from
// `env` of cloudflare:workers here. A bad value falls back to the default for loading; every request then answers
// 500 with the configuration error (parseConfig), which is where deployment mistakes are reported.
let precision: ModelPrecision;
try {
  precision = parseModelPrecision((env as ConfigVars).MODEL_PRECISION);
} catch {
  precision = parseModelPrecision(undefined);
}

let sessionsCreated = 0;
let sessionId: string | undefined;
let requestSeen = false;
let createdAtStartup = false;
const classifiers = new Map<string, Classifier>();

/**
 * This isolate's one ORT session, run once after creation so that V8 compiles the wasm functions the model
 * needs now rather than on the first request. Failures are handled by the gate: one log line per attempt,
 * 503 model_unavailable until the next attempt (model-load-gate.ts).
 */
interface LoadedModel {
  metadata: ModelMetadata;
  scorer: Scorer;
}

// The metadata is parsed inside the gate too: a bad metadata.json then answers 503 like a bad model,
// rather than failing the whole script at start-up.
const model = createModelLoadGate<LoadedModel>({
  what: `model/${precision === 'int8' ? 'dga.int8.onnx' : 'dga.onnx'} (${precision})`,
  retryAfterSeconds: MODEL_RETRY_SECONDS,
  timeoutSeconds: MODEL_LOAD_TIMEOUT_SECONDS,
  load: async () => {
    const metadata = parseModelMetadata(metadataJson);
    const created = await createOnnxScorer({
      model: precision === 'int8' ? int8ModelBytes : floatModelBytes,
      wasm: ortWasm,
      ...scorerOptionsFrom(metadata),
    });
    await created.score(new Int32Array(metadata.maxLength), 1);
    sessionsCreated += 1;
    createdAtStartup = !requestSeen;
    sessionId = undefined; // a new session gets a new id, made lazily: no random values at global scope
    return { metadata, scorer: created };
  },
});

// Start loading while the script starts: the isolate's start-up pays for ORT's initialisation, so the first
// request does not. Deliberately not a top-level await: an attempt that never settles (ORT given a wasm
// module that is not its own) would fail the whole script ("Top-level await in module is unsettled"), a
// crash loop; started here, the first request finds it done, or waits for it with a deadline (the gate).
// If it fails, the Worker still starts (the gate has logged why) and the first request retries.
void model.get({ startup: true }).catch(() => undefined);

/**
 * This isolate's classifier for a given configuration: one ORT session shared by all of them (the
 * deployment's threshold and open-set cut-off only change the verdict, not the model run).
 */
export async function workerClassifier(config: AppConfig): Promise<Classifier> {
  requestSeen = true;
  const { metadata, scorer } = await model.get();
  const key = `${config.threshold}/${config.familyMinProbability}`;
  let classifier = classifiers.get(key);
  if (!classifier) {
    classifier = createClassifier({
      metadata,
      scorer,
      threshold: config.threshold,
      familyMinProbability: config.familyMinProbability,
      cacheSize: config.lruSize,
      variant: precision,
    });
    classifiers.set(key, classifier);
  }
  return classifier;
}

export function workerSessionInfo(): SessionInfo | undefined {
  if (sessionsCreated === 0) return undefined;
  sessionId ??= crypto.randomUUID();
  return { id: sessionId, sessionsCreated, createdAtStartup, wasmMemoryBytes: ortWasmMemoryBytes() };
}
