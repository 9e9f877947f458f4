import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClassifier, type Classifier } from '../core/classifier.js';
import { parseModelMetadata, type ModelMetadata } from '../core/metadata.js';
import { createOnnxScorer, scorerOptionsFrom } from './onnx-scorer.js';

/** The project root (where package.json and model/ live), found from this file's location. */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The shipped exports of the model, by precision; int8 serves by default, as in the Worker. */
export const MODEL_PATHS = {
  int8: join(PROJECT_ROOT, 'model', 'dga.int8.onnx'),
  float: join(PROJECT_ROOT, 'model', 'dga.onnx'),
} as const;
export const DEFAULT_MODEL_PATH = MODEL_PATHS.int8;
export const DEFAULT_METADATA_PATH = join(PROJECT_ROOT, 'model', 'metadata.json');

/** Path of ORT's wasm binary inside the installed onnxruntime-web package. */
export function ortWasmPath(): string {
  const require = createRequire(import.meta.url);
  // The package's main entry lives in dist/, next to the wasm (package.json itself is not exported).
  return join(dirname(require.resolve('onnxruntime-web')), 'ort-wasm-simd-threaded.wasm');
}

export interface NodeClassifierOptions {
  /** Which shipped export to load (default int8); ignored when modelPath is given. */
  precision?: keyof typeof MODEL_PATHS;
  modelPath?: string;
  metadataPath?: string;
  threshold?: number;
  /** Overrides the metadata's open-set cut-off (src/core/open-set.ts); 0 = off. */
  familyMinProbability?: number;
}

/** Reads and checks a metadata.json file. */
export async function readMetadata(path = DEFAULT_METADATA_PATH): Promise<ModelMetadata> {
  return parseModelMetadata(JSON.parse(await readFile(path, 'utf8')));
}

/**
 * The classifier for Node (CLI, scripts, tests): the same ONNX model, pre-processing and onnxruntime-web
 * WASM backend as the Worker, with the wasm read from node_modules.
 */
export async function loadNodeClassifier(options: NodeClassifierOptions = {}): Promise<Classifier> {
  const modelPath = options.modelPath ?? MODEL_PATHS[options.precision ?? 'int8'];
  const metadata = await readMetadata(options.metadataPath ?? DEFAULT_METADATA_PATH);
  const [model, wasm] = await Promise.all([readFile(modelPath), readFile(ortWasmPath())]);
  const scorer = await createOnnxScorer({
    model,
    wasm,
    ...scorerOptionsFrom(metadata),
  });
  const variant = options.modelPath ? undefined : (options.precision ?? 'int8');
  return createClassifier({ metadata, scorer, threshold: options.threshold, familyMinProbability: options.familyMinProbability, variant });
}
