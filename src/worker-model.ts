// The model this Worker serves. The ONNX file is bundled as data and ORT's wasm as a compiled module,
// because Workers may not compile WebAssembly from bytes at run time. wrangler resolves .wasm imports by
// relative path only, hence the path into node_modules.
import ortWasm from '../node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm';
import modelBytes from '../model/dga.onnx';
import metadataJson from '../model/metadata.json';
import { createClassifier, type Classifier } from './core/classifier.js';
import { parseModelMetadata } from './core/metadata.js';
import type { AppConfig } from './config.js';
import type { SessionInfo } from './routes/health.js';
import { createOnnxScorer } from './runtime/onnx-scorer.js';

let session: Promise<Classifier> | undefined;
let info: SessionInfo | undefined;
let sessionsCreated = 0;

/**
 * This isolate's classifier: one ORT session, created on first use and reused by every later request.
 * A failed load is not cached, so the next request retries instead of the isolate staying broken.
 */
export function workerClassifier(config: AppConfig): Promise<Classifier> {
  session ??= (async () => {
    const metadata = parseModelMetadata(metadataJson);
    const scorer = await createOnnxScorer({
      model: modelBytes,
      wasm: ortWasm,
      maxLength: metadata.maxLength,
      inputName: metadata.onnx.input,
      scoreName: metadata.onnx.score,
      logitName: metadata.onnx.logit,
      familyName: metadata.onnx.family,
    });
    sessionsCreated += 1;
    info = { id: crypto.randomUUID(), sessionsCreated };
    return createClassifier({ metadata, scorer, threshold: config.threshold });
  })().catch((error: unknown) => {
    session = undefined;
    throw error;
  });
  return session;
}

export function workerSessionInfo(): SessionInfo | undefined {
  return info;
}
