import type { ModelMetadata } from '../../src/core/metadata.js';
import {
  makeGraph,
  makeModel,
  makeNode,
  makeTensor,
  makeValueInfo,
  serializeModel,
  type onnx,
} from './onnx-builder.js';
import type { LayersModelJson } from './tfjs-files.js';

/**
 * Converts the trainer's tfjs LayersModel (Embedding -> LSTM -> Dropout -> Dense(1, sigmoid)) into an ONNX
 * model, without Python. Pure: same model.json + weights + metadata in, same bytes out.
 *
 * ONNX graph (default domain, opset 17; names are the Worker's contract):
 *   chars  int32 [batch, maxLength]
 *   Gather(embeddings [V,E], chars)              -> [N,T,E]
 *   Transpose(perm 1,0,2)                         -> [T,N,E]
 *   LSTM(W [1,4U,E], R [1,4U,U], B [1,8U])        -> Y_h [1,N,U]  (forward; Sigmoid,Tanh,Tanh; no sequence_lens)
 *   Reshape [-1,U] -> MatMul kernel [U,1] -> Add bias [1] -> Reshape [-1]  -> logit float32 [batch]
 *   Sigmoid(logit)                                -> score float32 [batch]
 *
 * Inputs are pre-padded and the model has no masking, so the padded steps run through the LSTM in both
 * runtimes alike and no sequence_lens is needed.
 */

export const PRODUCER_NAME = 'dga-edge-export';
/** Version of this exporter (bump when the emitted graph changes). */
export const EXPORTER_VERSION = '1.0.0';
export const OPSET = 17;
export const DEFAULT_ONNX_NAMES = { input: 'chars', score: 'score', logit: 'logit' } as const;

export type ExportMetadata = Partial<Pick<ModelMetadata, 'id' | 'version' | 'vocabulary' | 'maxLength' | 'padding' | 'threshold'>> & {
  architecture?: Partial<ModelMetadata['architecture']>;
  onnx?: Partial<ModelMetadata['onnx']>;
};

export interface ConvertInput {
  /** Parsed model.json (LayersModel format). */
  modelJson: Pick<LayersModelJson, 'modelTopology' | 'weightsManifest'> & { generatedBy?: string };
  /** All weight files named by the manifest, concatenated in manifest order. */
  weights: Uint8Array;
  /** model/metadata.json (maxLength, tensor names, and the architecture to cross-check). */
  metadata?: ExportMetadata;
  /** Producer version to record; defaults to EXPORTER_VERSION. */
  producerVersion?: string;
}

/** What the converter understood of the tfjs model (exported for tests and the CLI). */
export interface ParsedLstmClassifier {
  vocabSize: number;
  embeddingDim: number;
  units: number;
  /** Time steps from the model's input shape, or null when the model leaves them open. */
  inputLength: number | null;
  embeddings: Float32Array; // [V,E]
  kernel: Float32Array; // [E,4U], Keras gate order i,f,c,o
  recurrentKernel: Float32Array; // [U,4U]
  bias: Float32Array; // [4U]
  denseKernel: Float32Array; // [U,1]
  denseBias: Float32Array; // [1]
}

interface LayerJson {
  class_name: string;
  config: Record<string, unknown>;
}

type Manifest = LayersModelJson['weightsManifest'];

class UnsupportedModelError extends Error {
  override name = 'UnsupportedModelError';
}

function unsupported(layer: LayerJson | string, detail: string): never {
  const label = typeof layer === 'string' ? layer : `${layer.class_name} layer ${JSON.stringify(layer.config.name ?? '?')}`;
  throw new UnsupportedModelError(`tfjs-to-onnx: unsupported ${label}: ${detail}`);
}

/** Extracts every float32 tensor of the manifest from the concatenated weight bytes. */
export function decodeWeights(manifest: Manifest, weights: Uint8Array): Map<string, { shape: number[]; values: Float32Array }> {
  const out = new Map<string, { shape: number[]; values: Float32Array }>();
  const view = new DataView(weights.buffer, weights.byteOffset, weights.byteLength);
  let offset = 0;
  for (const group of manifest) {
    for (const spec of group.weights) {
      if (spec.dtype !== 'float32') unsupported(`weight ${spec.name}`, `dtype ${spec.dtype} (only float32)`);
      if ((spec as { quantization?: unknown }).quantization) unsupported(`weight ${spec.name}`, 'quantized weights');
      const count = spec.shape.reduce((a, b) => a * b, 1);
      const end = offset + count * 4;
      if (end > weights.byteLength) {
        throw new Error(`tfjs-to-onnx: weights data too short: ${spec.name} needs bytes ${offset}..${end}, have ${weights.byteLength}`);
      }
      const values = new Float32Array(count);
      for (let i = 0; i < count; i++) values[i] = view.getFloat32(offset + i * 4, true);
      if (out.has(spec.name)) throw new Error(`tfjs-to-onnx: weight ${spec.name} appears twice in the manifest`);
      out.set(spec.name, { shape: [...spec.shape], values });
      offset = end;
    }
  }
  if (offset !== weights.byteLength) {
    throw new Error(`tfjs-to-onnx: manifest describes ${offset} bytes of weights but ${weights.byteLength} were given`);
  }
  return out;
}

function layersOf(topology: Record<string, unknown>): LayerJson[] {
  // model.json written by tfjs has modelTopology = { class_name, config, keras_version, backend };
  // Keras-converted files nest it under model_config.
  const top = (topology.model_config ?? topology) as { class_name?: string; config?: unknown };
  if (top.class_name !== 'Sequential') {
    unsupported(`model class ${JSON.stringify(top.class_name)}`, 'only tf.sequential models are supported');
  }
  const config = top.config as { layers?: unknown } | unknown[] | undefined;
  const layers = Array.isArray(config) ? config : (config as { layers?: unknown })?.layers;
  if (!Array.isArray(layers)) throw new Error('tfjs-to-onnx: modelTopology has no layer list');
  return layers as LayerJson[];
}

const isOff = (v: unknown) => v === undefined || v === null || v === false;

function parseEmbedding(layer: LayerJson) {
  const c = layer.config;
  if (!isOff(c.mask_zero)) unsupported(layer, 'mask_zero=true (masking is not exported; the model must use pre-padding without a mask)');
  const inputDim = c.input_dim;
  const outputDim = c.output_dim;
  if (!Number.isInteger(inputDim) || !Number.isInteger(outputDim)) unsupported(layer, 'input_dim/output_dim missing');
  const shape = (c.batch_input_shape ?? null) as (number | null)[] | null;
  let inputLength: number | null = null;
  if (Array.isArray(shape)) {
    if (shape.length !== 2) unsupported(layer, `batch_input_shape ${JSON.stringify(shape)} (expected [batch, length])`);
    inputLength = shape[1] ?? null;
  }
  const il = c.input_length;
  if (inputLength === null && typeof il === 'number') inputLength = il;
  if (Array.isArray(il) && il.length === 1 && typeof il[0] === 'number') inputLength = il[0];
  return { vocabSize: inputDim as number, embeddingDim: outputDim as number, inputLength };
}

function parseLstm(layer: LayerJson) {
  const c = layer.config;
  const units = c.units;
  if (!Number.isInteger(units) || (units as number) < 1) unsupported(layer, 'units missing');
  if (c.activation !== 'tanh') unsupported(layer, `activation=${JSON.stringify(c.activation)} (only tanh)`);
  if (c.recurrent_activation !== 'sigmoid') {
    unsupported(layer, `recurrent_activation=${JSON.stringify(c.recurrent_activation ?? 'hardSigmoid (tfjs default)')} (only sigmoid; set recurrentActivation: 'sigmoid' when training)`);
  }
  if (c.use_bias !== true) unsupported(layer, `use_bias=${JSON.stringify(c.use_bias)} (only true)`);
  if (!isOff(c.return_sequences)) unsupported(layer, 'return_sequences=true (only the last hidden state is exported)');
  if (!isOff(c.return_state)) unsupported(layer, 'return_state=true');
  if (!isOff(c.go_backwards)) unsupported(layer, 'go_backwards=true');
  if (!isOff(c.stateful)) unsupported(layer, 'stateful=true');
  if (!isOff(c.time_major)) unsupported(layer, 'time_major=true');
  // dropout, recurrent_dropout, unroll, implementation, unit_forget_bias, initialisers, regularisers and
  // constraints do not change inference.
  return { units: units as number };
}

function parseDense(layer: LayerJson) {
  const c = layer.config;
  if (c.units !== 1) unsupported(layer, `units=${JSON.stringify(c.units)} (only 1)`);
  if (c.activation !== 'sigmoid') unsupported(layer, `activation=${JSON.stringify(c.activation)} (only sigmoid)`);
  if (c.use_bias !== true) unsupported(layer, `use_bias=${JSON.stringify(c.use_bias)} (only true)`);
}

/** Checks the topology and pulls out the weights, with errors that name the unsupported layer and option. */
export function parseLstmClassifier(modelJson: ConvertInput['modelJson'], weightBytes: Uint8Array): ParsedLstmClassifier {
  const layers = layersOf(modelJson.modelTopology);
  // Expected order, identified by class: [InputLayer] Embedding, [Dropout...], LSTM, [Dropout...], Dense.
  const expected = ['Embedding', 'LSTM', 'Dense'] as const;
  const found: LayerJson[] = [];
  let inputLayerLength: number | null = null;
  for (const [index, layer] of layers.entries()) {
    const cls = layer?.class_name;
    if (cls === 'Dropout') continue; // identity at inference
    if (cls === 'InputLayer' && index === 0) {
      const shape = layer.config.batch_input_shape ?? layer.config.batchInputShape;
      if (Array.isArray(shape) && typeof shape[1] === 'number') inputLayerLength = shape[1];
      continue;
    }
    const want = expected[found.length];
    if (cls !== want) {
      const name = JSON.stringify(layer?.config?.name ?? '?');
      if (want === undefined) unsupported(`${cls} layer ${name}`, `extra layer after the Dense output (expected Embedding, LSTM, Dropout, Dense)`);
      unsupported(`${cls} layer ${name}`, `layer class ${cls} at position ${index} (expected ${want}; supported: Embedding, LSTM, Dropout, Dense)`);
    }
    found.push(layer);
  }
  if (found.length !== expected.length) {
    unsupported('model', `missing layer(s): ${expected.slice(found.length).join(', ')} (expected Embedding, LSTM, Dropout, Dense)`);
  }
  const [embLayer, lstmLayer, denseLayer] = found as [LayerJson, LayerJson, LayerJson];
  const emb = parseEmbedding(embLayer);
  const { units } = parseLstm(lstmLayer);
  parseDense(denseLayer);

  const tensors = decodeWeights(modelJson.weightsManifest, weightBytes);
  const used = new Set<string>();
  const take = (layer: LayerJson, weight: string, shape: number[]): Float32Array => {
    const layerName = String(layer.config.name);
    // tfjs names weights "<layer>/<weight>"; some versions insert a cell scope ("lstm/lstm_cell/kernel").
    const candidates = [...tensors.keys()].filter(
      (k) => !used.has(k) && k.startsWith(`${layerName}/`) && k.split('/').pop() === weight,
    );
    if (candidates.length !== 1) {
      throw new Error(
        `tfjs-to-onnx: expected one weight "${layerName}/.../${weight}" in the manifest, found ${candidates.length} (have: ${[...tensors.keys()].join(', ')})`,
      );
    }
    const key = candidates[0]!;
    const t = tensors.get(key)!;
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new Error(`tfjs-to-onnx: weight ${key} has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}]`);
    }
    used.add(key);
    return t.values;
  };
  const V = emb.vocabSize;
  const E = emb.embeddingDim;
  const U = units;
  const parsed: ParsedLstmClassifier = {
    vocabSize: V,
    embeddingDim: E,
    units: U,
    inputLength: emb.inputLength ?? inputLayerLength,
    embeddings: take(embLayer, 'embeddings', [V, E]),
    kernel: take(lstmLayer, 'kernel', [E, 4 * U]),
    recurrentKernel: take(lstmLayer, 'recurrent_kernel', [U, 4 * U]),
    bias: take(lstmLayer, 'bias', [4 * U]),
    denseKernel: take(denseLayer, 'kernel', [U, 1]),
    denseBias: take(denseLayer, 'bias', [1]),
  };
  const unused = [...tensors.keys()].filter((k) => !used.has(k));
  if (unused.length > 0) throw new Error(`tfjs-to-onnx: weights not used by any supported layer: ${unused.join(', ')}`);
  return parsed;
}

/** Keras gate blocks are i,f,c,o; ONNX wants i,o,f,c. ONNX block g takes Keras block KERAS_BLOCK[g]. */
const KERAS_BLOCK_FOR_ONNX = [0, 3, 1, 2] as const;

/** Keras [in, 4U] (columns in i,f,c,o blocks) -> ONNX [4U, in] (rows in i,o,f,c blocks). */
export function kerasKernelToOnnx(kernel: Float32Array, inputs: number, units: number): Float32Array {
  const out = new Float32Array(4 * units * inputs);
  for (let g = 0; g < 4; g++) {
    const src = KERAS_BLOCK_FOR_ONNX[g]! * units;
    for (let u = 0; u < units; u++) {
      for (let e = 0; e < inputs; e++) out[(g * units + u) * inputs + e] = kernel[e * 4 * units + src + u]!;
    }
  }
  return out;
}

/** Keras bias [4U] (i,f,c,o) -> ONNX B [8U] = [Wb (i,o,f,c) ; Rb = 0]. */
export function kerasBiasToOnnx(bias: Float32Array, units: number): Float32Array {
  const out = new Float32Array(8 * units);
  for (let g = 0; g < 4; g++) {
    const src = KERAS_BLOCK_FOR_ONNX[g]! * units;
    out.set(bias.subarray(src, src + units), g * units);
  }
  return out;
}

function checkMetadata(parsed: ParsedLstmClassifier, metadata: ExportMetadata | undefined): number {
  const modelLength = parsed.inputLength;
  const metaLength = metadata?.maxLength;
  if (metaLength !== undefined && (!Number.isInteger(metaLength) || metaLength < 1)) {
    throw new Error(`tfjs-to-onnx: metadata.maxLength ${metaLength} is not a positive integer`);
  }
  if (metaLength !== undefined && modelLength !== null && metaLength !== modelLength) {
    throw new Error(`tfjs-to-onnx: metadata.maxLength ${metaLength} disagrees with the model's input length ${modelLength}`);
  }
  const maxLength = metaLength ?? modelLength;
  if (maxLength === null || maxLength === undefined) {
    throw new Error('tfjs-to-onnx: no maxLength (neither metadata.maxLength nor a fixed model input length)');
  }
  const arch = metadata?.architecture;
  if (arch) {
    const check = (field: string, meta: unknown, model: unknown) => {
      if (meta !== undefined && meta !== model) {
        throw new Error(`tfjs-to-onnx: metadata.architecture.${field} ${JSON.stringify(meta)} disagrees with the model (${JSON.stringify(model)})`);
      }
    };
    check('cell', arch.cell, 'lstm');
    check('embeddingDim', arch.embeddingDim, parsed.embeddingDim);
    check('units', arch.units, parsed.units);
    check('recurrentActivation', arch.recurrentActivation, 'sigmoid');
  }
  if (metadata?.vocabulary !== undefined && metadata.vocabulary.length + 1 !== parsed.vocabSize) {
    throw new Error(
      `tfjs-to-onnx: metadata.vocabulary has ${metadata.vocabulary.length} characters (+1 padding = ${metadata.vocabulary.length + 1}) but the embedding has input_dim ${parsed.vocabSize}`,
    );
  }
  return maxLength;
}

/** Builds the ONNX ModelProto (unserialised); see convertLayersModel. */
export function buildOnnxModel(input: ConvertInput): onnx.IModelProto {
  const parsed = parseLstmClassifier(input.modelJson, input.weights);
  const metadata = input.metadata;
  const T = checkMetadata(parsed, metadata);
  const { vocabSize: V, embeddingDim: E, units: U } = parsed;
  const names = { ...DEFAULT_ONNX_NAMES, ...(metadata?.onnx ?? {}) };

  const initializers = [
    makeTensor('embedding.weight', 'FLOAT', [V, E], parsed.embeddings),
    makeTensor('lstm.W', 'FLOAT', [1, 4 * U, E], kerasKernelToOnnx(parsed.kernel, E, U)),
    makeTensor('lstm.R', 'FLOAT', [1, 4 * U, U], kerasKernelToOnnx(parsed.recurrentKernel, U, U)),
    makeTensor('lstm.B', 'FLOAT', [1, 8 * U], kerasBiasToOnnx(parsed.bias, U)),
    makeTensor('lstm.h_shape', 'INT64', [2], [-1, U]),
    makeTensor('score.kernel', 'FLOAT', [U, 1], parsed.denseKernel),
    makeTensor('score.bias', 'FLOAT', [1], parsed.denseBias),
    makeTensor('flat_shape', 'INT64', [1], [-1]),
  ];
  const nodes = [
    makeNode('Gather', ['embedding.weight', names.input], ['embedded'], { axis: 0 }, { name: 'embedding' }),
    makeNode('Transpose', ['embedded'], ['embedded_tnc'], { perm: [1, 0, 2] }, { name: 'to_time_major' }),
    makeNode(
      'LSTM',
      ['embedded_tnc', 'lstm.W', 'lstm.R', 'lstm.B'],
      ['', 'lstm.Y_h'],
      { activations: ['Sigmoid', 'Tanh', 'Tanh'], direction: 'forward', hidden_size: U },
      { name: 'lstm' },
    ),
    makeNode('Reshape', ['lstm.Y_h', 'lstm.h_shape'], ['lstm.h'], {}, { name: 'last_hidden' }),
    makeNode('MatMul', ['lstm.h', 'score.kernel'], ['score.matmul'], {}, { name: 'score_matmul' }),
    makeNode('Add', ['score.matmul', 'score.bias'], ['score.logit2d'], {}, { name: 'score_bias' }),
    makeNode('Reshape', ['score.logit2d', 'flat_shape'], [names.logit], {}, { name: 'flatten' }),
    makeNode('Sigmoid', [names.logit], [names.score], {}, { name: 'sigmoid' }),
  ];
  const graph = makeGraph({
    name: 'dga_lstm',
    nodes,
    initializers,
    inputs: [makeValueInfo(names.input, 'INT32', ['batch', T], `character indices, pre-padded with 0, vocabulary size ${V}`)],
    outputs: [
      makeValueInfo(names.logit, 'FLOAT', ['batch'], 'raw score before the sigmoid (use for ranking at low FPR)'),
      makeValueInfo(names.score, 'FLOAT', ['batch'], 'probability that the name is DGA-generated'),
    ],
    valueInfo: [
      makeValueInfo('embedded', 'FLOAT', ['batch', T, E]),
      makeValueInfo('embedded_tnc', 'FLOAT', [T, 'batch', E]),
      makeValueInfo('lstm.Y_h', 'FLOAT', [1, 'batch', U]),
      makeValueInfo('lstm.h', 'FLOAT', ['batch', U]),
    ],
  });

  const modelLabel = metadata?.id ? `${metadata.id}${metadata.version ? ` ${metadata.version}` : ''}` : 'DGA classifier';
  const docString =
    `${modelLabel}: character-level LSTM DGA-domain classifier (embedding ${V}x${E}, LSTM ${U} units, dense 1 + sigmoid), ` +
    `converted from a tfjs LayersModel${input.modelJson.generatedBy ? ` (${input.modelJson.generatedBy})` : ''} by ${PRODUCER_NAME}. ` +
    `Input "${names.input}": int32 [batch, ${T}] pre-padded character indices; outputs "${names.logit}" and "${names.score}": float32 [batch].`;

  const props: [string, string][] = [];
  const add = (key: string, value: unknown) => {
    if (value !== undefined && value !== null) props.push([key, String(value)]);
  };
  add('dga.id', metadata?.id);
  add('dga.version', metadata?.version);
  add('dga.vocabulary', metadata?.vocabulary);
  add('dga.maxLength', T);
  add('dga.padding', metadata?.padding);
  add('dga.threshold', metadata?.threshold);

  return makeModel(graph, {
    opset: OPSET,
    producerName: PRODUCER_NAME,
    producerVersion: input.producerVersion ?? EXPORTER_VERSION,
    docString,
    metadataProps: props,
  });
}

/** Converts a tfjs LayersModel (model.json + weights) into the bytes of an ONNX file. */
export function convertLayersModel(input: ConvertInput): Uint8Array {
  return serializeModel(buildOnnxModel(input));
}
