import type { ModelMetadata } from '../../src/core/metadata.js';
import {
  DataType,
  makeGraph,
  makeModel,
  makeNode,
  makeTensor,
  makeValueInfo,
  parseModel,
  serializeModel,
  type onnx,
} from './onnx-builder.js';
import { dequantize, quantizePerChannel, transposeLast2 } from './onnx-quantize.js';
import type { LayersModelJson } from './tfjs-files.js';

/**
 * Converts the trainer's tfjs LayersModel into an ONNX model, without Python. Two topologies:
 *   - tf.sequential: [InputLayer] Embedding -> LSTM -> Dropout -> Dense(1, sigmoid) "score";
 *   - functional tf.model: InputLayer "chars" -> Embedding -> LSTM -> Dropout, feeding a Dense(1, sigmoid) score
 *     head and optionally a Dense(K, softmax) family head (detected from inbound_nodes and the activations);
 *     optionally with train.ts's bigram branch (BigramIndex -> Embedding, MaskedSum into the character embedding)
 *     and its hashed trigram branch (TrigramIndex -> Embedding, MaskedSum into that sum), and after it a hashed
 *     four-gram branch (TrigramIndex with order 4, likewise); the LSTM may be train.ts --bidirectional's
 *     Bidirectional(LSTM, merge_mode concat) of a masked model.
 * Dropout is allowed anywhere on the trunk (identity at inference). Anything else stops the export with an
 * error naming the layer and option. Pure: same model.json + weights + metadata in, same bytes out.
 *
 * ONNX graph (default domain, opset 17; names are the Worker's contract):
 *   chars      int32 [batch, length]   (1 <= length <= maxLength; pre-padded to the batch's own width)
 *   pad_steps  int32 [batch]           (maxLength - length: the pad steps folded into the initial state)
 *   Gather(embeddings [V,E], chars)              -> [N,T,E]
 *   [bigrams] + Gather(bigram table [V*V,E], Pad(Slice(chars)) * V + chars)  (previous x current character)
 *   [trigrams] + Gather(trigram table [B+1,E], Where(chars = 0, 0, Mod((prev2 * V + prev) * V + chars, B) + 1))
 *   [fourgrams] + Gather(four-gram table [B4+1,E], Where(chars = 0, 0, Mod(((prev3 * V + prev2) * V + prev) * V + chars, B4) + 1))
 *   Transpose(perm 1,0,2)                         -> [T,N,E]
 *   Gather(H [maxLength+1,U], pad_steps) -> Unsqueeze(0) -> initial_h [1,N,U]; same for C -> initial_c
 *   LSTM(W [1,4U,E], R [1,4U,U], B [1,8U], "", initial_h, initial_c)
 *                                                 -> Y_h [1,N,U]  (forward; Sigmoid,Tanh,Tanh; no sequence_lens)
 *   [bidirectional] direction "bidirectional": W [2,4U,E] = Concat(forward, backward) (each direction quantized
 *     on its own), R [2,4U,U], B [2,8U], initial states [2,N,U] -> Y_h [2,N,U] -> Transpose(1,0,2); then
 *     the heads read [N,2U] (forward state, then backward: tfjs's concat) wherever U is written below
 *   Reshape [-1,U] -> MatMul kernel [U,1] -> Add bias [1] -> Reshape [-1]  -> logit float32 [batch]
 *   Sigmoid(logit)                                -> score float32 [batch]
 *   [family head] MatMul kernel [U,K] -> Add bias [K] -> Softmax(axis -1) -> family float32 [batch, K]
 *   [architecture.scoreFrom "family"] instead of the score head: logit = ReduceLogSumExp(Slice z[:, 1:]) -
 *   Gather z[:, 0] over the family logits z, score = Sigmoid(logit) = 1 - P(benign)
 *
 * Inputs are pre-padded and the model has no masking, so the padded steps run through the LSTM in both
 * runtimes alike and no sequence_lens is needed. Padding folding: every pad step feeds the same input
 * (embedding row 0), so the LSTM state after k pad steps from zero depends only on k. The exporter computes
 * those states once (padStateTables, float32 arithmetic with the graph's own weights) and stores them as
 * H and C; a batch pre-padded only to its longest label (width T) then starts from state maxLength - T and
 * gives the same outputs as the full maxLength-wide input, with fewer steps. pad_steps = 0 with a full-width
 * input is the unfolded model (H[0] = C[0] = 0). Only the "float" and "int8-weights" schemes fold (the
 * others keep chars [batch, maxLength] and no pad_steps input).
 *
 * A masked model (Embedding mask_zero=true, as trained by scripts/train.ts with length buckets): masked pad
 * steps leave the LSTM state where it was, i.e. at zero, so the pad-state tables are all zero and the same
 * folded graph is exact **for rows without padding inside the call**: every row of a call must have the
 * call's width as its length (metadata prop dga.rowsOfOneLength; src/runtime/onnx-scorer.ts splits a batch
 * by length for such a model). A graph that rolled rows to post-padding and gave the LSTM sequence_lens was
 * exact for mixed lengths too, but its extra kernels cost 50-90 ms of CPU on a Worker's first request (README,
 * Performance). Only folding schemes can export a masked model.
 *
 * The int8 file (scheme "int8-weights", see WEIGHT_SCHEMES) is the same graph with W, R and the head kernels
 * stored as int8 + per-channel scales and a Cast + Mul in front of each (onnxruntime folds them into float
 * weights when the session is created, so it runs exactly as fast as the float file).
 */

export const PRODUCER_NAME = 'dga-edge-export';
/** Version of this exporter (bump when the emitted graph changes). */
export const EXPORTER_VERSION = '1.3.0';
export const OPSET = 17;
export const DEFAULT_ONNX_NAMES = { input: 'chars', score: 'score', logit: 'logit', family: 'family', padSteps: 'pad_steps' } as const;

export type ExportMetadata = Partial<Pick<ModelMetadata, 'id' | 'version' | 'vocabulary' | 'maxLength' | 'padding' | 'threshold' | 'families'>> & {
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
  topology: 'sequential' | 'functional';
  vocabSize: number;
  embeddingDim: number;
  units: number;
  /** Time steps from the model's input shape, or null when the model leaves them open. */
  inputLength: number | null;
  /** The embedding masks index 0 (pad steps do not change the LSTM state). */
  masked: boolean;
  embeddings: Float32Array; // [V,E]
  /** The bigram embedding added to the character embedding (train.ts --bigrams), or null. */
  bigrams: { base: number; embeddings: Float32Array /* [base*base, E] */ } | null;
  /** The hashed trigram embedding added after it (train.ts --trigrams), or null. */
  trigrams: { base: number; buckets: number; embeddings: Float32Array /* [buckets+1, E] */ } | null;
  /** The hashed four-gram embedding added after the trigram one (train.ts --fourgrams), or null. */
  fourgrams: { base: number; buckets: number; embeddings: Float32Array /* [buckets+1, E] */ } | null;
  kernel: Float32Array; // [E,4U], Keras gate order i,f,c,o
  recurrentKernel: Float32Array; // [U,4U]
  bias: Float32Array; // [4U]
  /** A Bidirectional LSTM's backward direction (train.ts --bidirectional; the fields above are its forward one), or null. */
  backward: { kernel: Float32Array; recurrentKernel: Float32Array; bias: Float32Array } | null;
  /** Name of the Dense(1, sigmoid) score layer. */
  scoreLayerName: string;
  denseKernel: Float32Array; // [H,1], H = U (2U when bidirectional: forward state, then backward)
  denseBias: Float32Array; // [1]
  /** The family head (functional two-head models), or null. */
  family: { layerName: string; classes: number; kernel: Float32Array /* [H,K] */; bias: Float32Array /* [K] */ } | null;
}

interface LayerJson {
  class_name: string;
  config: Record<string, unknown>;
  /** Functional models only: the layer's own name and how it is connected. */
  name?: string;
  inbound_nodes?: unknown;
}

type Manifest = LayersModelJson['weightsManifest'];

export class UnsupportedModelError extends Error {
  override name = 'UnsupportedModelError';
}

function layerLabel(layer: LayerJson): string {
  return `${layer.class_name} layer ${JSON.stringify(layer.config?.name ?? layer.name ?? '?')}`;
}

function unsupported(layer: LayerJson | string, detail: string): never {
  const label = typeof layer === 'string' ? layer : layerLabel(layer);
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

const SUPPORTED_LAYERS = 'InputLayer, Embedding, LSTM (or Bidirectional LSTM), Dropout, Dense';
/** The recurrent step: a plain LSTM, or train.ts --bidirectional's Bidirectional wrapper around one. */
const RECURRENT = ['LSTM', 'Bidirectional'];
const NOT_PRODUCED: Record<string, string> = {
  GRU: 'GRU cells are not exported (the trainer builds an LSTM; only LSTM is supported)',
  SimpleRNN: 'SimpleRNN cells are not exported (only LSTM is supported)',
  Masking: 'masking is not exported (the model must use pre-padding without a mask)',
  RNN: 'generic RNN wrappers are not exported (only the LSTM layer is supported)',
};

/** The layers the exporter understood, in data-flow order. */
interface Plan {
  topology: 'sequential' | 'functional';
  /** Time steps declared by an InputLayer (functional models, or a sequential model with an explicit input). */
  inputLength: number | null;
  embedding: LayerJson;
  /** The bigram branch (BigramIndex -> Embedding, summed into the character embedding), or null. */
  bigrams: { index: LayerJson; embedding: LayerJson } | null;
  /** The trigram branch (TrigramIndex -> Embedding, summed after the bigram one), or null. */
  trigrams: { index: LayerJson; embedding: LayerJson } | null;
  /** The four-gram branch (TrigramIndex order 4 -> Embedding, summed after the trigram one), or null. */
  fourgrams: { index: LayerJson; embedding: LayerJson } | null;
  lstm: LayerJson;
  score: LayerJson;
  family: LayerJson | null;
}

function topLevel(topology: Record<string, unknown>): { className: string | undefined; config: unknown } {
  // model.json written by tfjs has modelTopology = { class_name, config, keras_version, backend };
  // Keras-converted files nest it under model_config.
  const top = (topology.model_config ?? topology) as { class_name?: string; config?: unknown };
  return { className: top.class_name, config: top.config };
}

function inputLengthOf(layer: LayerJson): number | null {
  const shape = layer.config.batch_input_shape ?? layer.config.batchInputShape;
  if (!Array.isArray(shape) || shape.length !== 2) {
    unsupported(layer, `batch_input_shape ${JSON.stringify(shape ?? null)} (expected [batch, length])`);
  }
  if (!isOff(layer.config.sparse)) unsupported(layer, 'sparse=true');
  if (!isOff(layer.config.ragged)) unsupported(layer, 'ragged=true');
  return typeof shape[1] === 'number' ? shape[1] : null;
}

/** Checks the order of the layers on the path from input to heads (Dropout anywhere, it is the identity). */
function checkTrunk(trunk: readonly LayerJson[], where: (index: number) => string): { embedding: LayerJson; lstm: LayerJson } {
  const expected = ['Embedding', 'LSTM'] as const;
  const found: LayerJson[] = [];
  for (const [index, layer] of trunk.entries()) {
    const cls = layer?.class_name;
    if (cls === 'Dropout') continue;
    if (cls in NOT_PRODUCED) unsupported(layer, NOT_PRODUCED[cls]!);
    const want = expected[found.length];
    if (cls !== want && !(want === 'LSTM' && cls === 'Bidirectional')) {
      if (want === undefined) unsupported(layer, `layer class ${cls} after the LSTM (an extra layer; expected Embedding, LSTM, Dropout, Dense heads)`);
      unsupported(layer, `layer class ${cls} at ${where(index)} (expected ${want}; supported: ${SUPPORTED_LAYERS})`);
    }
    found.push(layer);
  }
  if (found.length !== expected.length) {
    unsupported('model', `missing layer(s): ${expected.slice(found.length).join(', ')} (expected Embedding, LSTM, Dropout, Dense)`);
  }
  return { embedding: found[0]!, lstm: found[1]! };
}

function planSequential(config: unknown): Plan {
  const layers = (Array.isArray(config) ? config : (config as { layers?: unknown })?.layers) as LayerJson[] | undefined;
  if (!Array.isArray(layers)) throw new Error('tfjs-to-onnx: modelTopology has no layer list');
  let inputLength: number | null = null;
  let body = layers;
  if (layers[0]?.class_name === 'InputLayer') {
    inputLength = inputLengthOf(layers[0]);
    body = layers.slice(1);
  }
  // [InputLayer] Embedding, [Dropout...], LSTM, [Dropout...], Dense: the last layer is the score head.
  let last = body.length - 1;
  while (last >= 0 && body[last]?.class_name === 'Dropout') last--;
  const head = body[last];
  const offset = layers.length - body.length;
  if (head === undefined || head.class_name !== 'Dense' || body.slice(0, last).some((l) => l?.class_name === 'Dense')) {
    // Let the trunk check name the first layer out of place.
    const firstDense = body.findIndex((l) => l?.class_name === 'Dense');
    const trunk = firstDense < 0 ? body : body.slice(0, firstDense);
    checkTrunk(trunk, (i) => `position ${i + offset}`);
    if (firstDense < 0) unsupported('model', 'no Dense output layer (expected Embedding, LSTM, Dropout, Dense)');
    const extra = body.slice(firstDense + 1).find((l) => l?.class_name !== 'Dropout')!;
    unsupported(extra, `extra layer after the Dense output "${body[firstDense]!.config.name}" (expected Embedding, LSTM, Dropout, Dense)`);
  }
  const { embedding, lstm } = checkTrunk(body.slice(0, last), (i) => `position ${i + offset}`);
  return { topology: 'sequential', inputLength, embedding, lstm, score: head, family: null, bigrams: null, trigrams: null, fourgrams: null };
}

/** One inbound tensor of a functional layer: [layer name, node index, tensor index, call kwargs]. */
function inboundOf(layer: LayerJson): string | null {
  const nodes = layer.inbound_nodes;
  if (layer.class_name === 'InputLayer') {
    if (Array.isArray(nodes) && nodes.length === 0) return null;
    unsupported(layer, 'an InputLayer with inbound nodes');
  }
  if (!Array.isArray(nodes)) unsupported(layer, `inbound_nodes ${JSON.stringify(nodes ?? null)} (format not understood)`);
  if (nodes.length !== 1) unsupported(layer, `called ${nodes.length} times (shared or unused layers are not supported)`);
  const node = nodes[0];
  if (!Array.isArray(node)) unsupported(layer, `inbound node ${JSON.stringify(node)} (format not understood)`);
  if (node.length !== 1) unsupported(layer, `${node.length} inputs (only single-input layers: no Concatenate/Add/multiple inputs)`);
  const tensor = node[0];
  if (!Array.isArray(tensor) || typeof tensor[0] !== 'string') unsupported(layer, `inbound tensor ${JSON.stringify(tensor)} (format not understood)`);
  const [source, nodeIndex, tensorIndex, kwargs] = tensor as [string, unknown, unknown, unknown];
  if (nodeIndex !== 0 || tensorIndex !== 0) {
    unsupported(layer, `input ${JSON.stringify(tensor)} (only the first output of each layer's single call can be used)`);
  }
  if (kwargs !== undefined && kwargs !== null && (typeof kwargs !== 'object' || Object.keys(kwargs).length > 0)) {
    unsupported(layer, `call arguments ${JSON.stringify(kwargs)} (e.g. mask or training flags are not exported)`);
  }
  return source;
}

function planFunctional(config: unknown): Plan {
  const c = config as { layers?: unknown; input_layers?: unknown; output_layers?: unknown };
  if (!Array.isArray(c?.layers)) throw new Error('tfjs-to-onnx: modelTopology has no layer list');
  // Outermost branch first: the four-gram sum reads the trigram sum, which reads the bigram sum.
  const fourgramSplit = splitHashedBranch(c.layers as LayerJson[], 4);
  const trigramSplit = splitHashedBranch(fourgramSplit.layers, 3);
  const split = splitBigramBranch(trigramSplit.layers);
  const layers = split.layers;
  const bigrams = split.bigrams;
  const trigrams = trigramSplit.branch;
  const fourgrams = fourgramSplit.branch;
  if (fourgrams && !trigrams) unsupported(fourgrams.index, 'a four-gram branch needs the trigram branch before it');
  if (fourgrams && trigrams && fourgrams.index.config.base !== trigrams.index.config.base) {
    unsupported(fourgrams.index, `base ${JSON.stringify(fourgrams.index.config.base)} differs from the trigram base ${JSON.stringify(trigrams.index.config.base)} (the graph extends the trigram code)`);
  }
  const byName = new Map<string, LayerJson>();
  for (const layer of layers) {
    const name = layer?.name ?? (layer?.config?.name as string | undefined);
    if (typeof name !== 'string') throw new Error('tfjs-to-onnx: a layer of the functional model has no name');
    if (byName.has(name)) throw new Error(`tfjs-to-onnx: two layers are named ${JSON.stringify(name)}`);
    if (layer.config?.name !== undefined && layer.config.name !== name) {
      throw new Error(`tfjs-to-onnx: layer ${JSON.stringify(name)} has config.name ${JSON.stringify(layer.config.name)}`);
    }
    byName.set(name, layer);
  }
  const refs = (what: string, value: unknown): string[] => {
    if (!Array.isArray(value)) throw new Error(`tfjs-to-onnx: modelTopology has no ${what}`);
    return value.map((ref) => {
      if (!Array.isArray(ref) || typeof ref[0] !== 'string' || !byName.has(ref[0])) {
        throw new Error(`tfjs-to-onnx: ${what} entry ${JSON.stringify(ref)} does not name a layer`);
      }
      if (ref[1] !== 0 || ref[2] !== 0) unsupported(byName.get(ref[0])!, `${what} entry ${JSON.stringify(ref)} (only the first output of a layer)`);
      return ref[0] as string;
    });
  };
  const inputs = refs('input_layers', c.input_layers);
  const outputs = refs('output_layers', c.output_layers);
  if (inputs.length !== 1) {
    unsupported('model', `${inputs.length} inputs (${inputs.map((n) => JSON.stringify(n)).join(', ')}); only one input of character indices is supported`);
  }
  const consumers = new Map<string, LayerJson[]>();
  for (const layer of layers) {
    const source = inboundOf(layer);
    if (source === null) {
      if (layer.name !== inputs[0]) unsupported(layer, 'a second input layer (only one input is supported)');
      continue;
    }
    if (!byName.has(source)) throw new Error(`tfjs-to-onnx: layer ${JSON.stringify(layer.name)} reads unknown layer ${JSON.stringify(source)}`);
    const list = consumers.get(source) ?? [];
    list.push(layer);
    consumers.set(source, list);
  }
  const consumersOf = (layer: LayerJson) => consumers.get(layer.name!) ?? [];

  const input = byName.get(inputs[0]!)!;
  if (input.class_name !== 'InputLayer') unsupported(input, `model input is a ${input.class_name}, expected an InputLayer`);
  const inputLength = inputLengthOf(input);
  // The trunk: a single chain from the input until a layer whose output feeds a Dense layer (or several layers).
  const trunk: LayerJson[] = [];
  let end = input;
  for (;;) {
    const next = consumersOf(end);
    if (next.length !== 1 || next[0]!.class_name === 'Dense') break;
    trunk.push(next[0]!);
    end = next[0]!;
  }
  const branches = consumersOf(end);
  for (const layer of trunk) {
    if (layer.class_name in NOT_PRODUCED) unsupported(layer, NOT_PRODUCED[layer.class_name]!);
    if (!['Embedding', ...RECURRENT, 'Dropout'].includes(layer.class_name)) {
      unsupported(layer, `layer class ${layer.class_name} (supported: ${SUPPORTED_LAYERS})`);
    }
  }
  if (branches.length > 1 && !trunk.some((l) => RECURRENT.includes(l.class_name))) {
    unsupported(
      end,
      `its output feeds ${branches.length} layers (${branches.map(layerLabel).join(', ')}); only the LSTM's output (or a Dropout after it) may feed several heads`,
    );
  }
  const { embedding, lstm } = checkTrunk(trunk, (i) => `step ${i + 1} from the input`);
  const heads = branches;
  if (heads.length === 0) unsupported(end, 'the model ends here; expected Dense heads on the LSTM/Dropout output');
  for (const head of heads) {
    if (head.class_name !== 'Dense') {
      unsupported(head, `layer class ${head.class_name} reading ${layerLabel(end)} alongside other layers (only Dense heads may share the LSTM/Dropout output)`);
    }
    const after = consumersOf(head);
    if (after.length > 0) unsupported(after[0]!, `layer after the Dense head "${head.name}" (heads must be model outputs)`);
  }
  const onPath = new Set([input, ...trunk, ...heads]);
  for (const layer of layers) {
    if (!onPath.has(layer)) unsupported(layer, `not on the path input -> Embedding -> LSTM -> Dropout -> Dense heads (other connections are not supported)`);
  }
  const headNames = heads.map((h) => h.name!).sort();
  if (outputs.length !== heads.length || [...outputs].sort().some((n, i) => n !== headNames[i])) {
    unsupported('model', `outputs [${outputs.join(', ')}] are not exactly the Dense heads [${headNames.join(', ')}]`);
  }
  if (heads.length > 2) unsupported(heads[2]!, `a third head (supported: a score head Dense(1, sigmoid) and an optional family head Dense(K, softmax))`);
  const isScore = (h: LayerJson) => h.config.activation === 'sigmoid' && h.config.units === 1;
  const isFamily = (h: LayerJson) => h.config.activation === 'softmax';
  for (const head of heads) {
    if (!isScore(head) && !isFamily(head)) {
      unsupported(
        head,
        `units=${JSON.stringify(head.config.units)}, activation=${JSON.stringify(head.config.activation)} (a head is either Dense(1, sigmoid), the score, or Dense(K, softmax), the family)`,
      );
    }
  }
  const scores = heads.filter(isScore);
  const families = heads.filter(isFamily);
  if (scores.length !== 1) {
    if (scores.length === 0) unsupported(families[0]!, 'a softmax head without a Dense(1, sigmoid) score head');
    unsupported(scores[1]!, `a second sigmoid head (the other is "${scores[0]!.name}"; only one score head is supported)`);
  }
  if (families.length > 1) unsupported(families[1]!, `a second softmax head (the other is "${families[0]!.name}")`);
  return { topology: 'functional', inputLength, embedding, lstm, score: scores[0]!, family: families[0] ?? null, bigrams, trigrams, fourgrams };
}

/**
 * A hashed n-gram branch (order 3: train.ts --trigrams; 4: --fourgrams): input -> TrigramIndex -> Embedding,
 * and a MaskedSum of [the embeddings so far, this embedding] feeding the LSTM. Returns the layer list with the
 * branch taken out (the LSTM reading the sum's first input), for the next split and the planner; the
 * four-gram branch, added last, is split first.
 */
function splitHashedBranch(layers: LayerJson[], order: 3 | 4): { layers: LayerJson[]; branch: { index: LayerJson; embedding: LayerJson } | null } {
  const what = order === 3 ? 'trigram' : 'four-gram';
  const orderOf = (l: LayerJson) => (l.config.order === undefined ? 3 : l.config.order);
  const all = layers.filter((l) => l.class_name === 'TrigramIndex');
  const bad = all.find((l) => orderOf(l) !== 3 && orderOf(l) !== 4);
  if (bad) unsupported(bad, `order ${JSON.stringify(bad.config.order)} (3 or 4 are exported)`);
  const indexes = all.filter((l) => orderOf(l) === order);
  if (indexes.length === 0) return { layers, branch: null };
  if (indexes.length !== 1) unsupported(indexes[1]!, `a ${what} branch must be exactly one TrigramIndex of order ${order}`);
  const index = indexes[0]!;
  const embedding = layers.find((l) => l.class_name === 'Embedding' && inboundOf(l) === index.name);
  if (!embedding) unsupported(index, 'no Embedding reads the TrigramIndex layer');
  const sum = layers.find((l) => {
    const node = (l.inbound_nodes as unknown[][] | undefined)?.[0];
    return l.class_name === 'MaskedSum' && Array.isArray(node) && node.length === 2 && Array.isArray(node[1]) && node[1][0] === embedding.name;
  });
  if (!sum) unsupported(embedding, `the ${what} embedding must be the second input of a MaskedSum`);
  const first = ((sum.inbound_nodes as unknown[][])[0]![0] as unknown[])[0];
  if (typeof first !== 'string') unsupported(sum, 'MaskedSum must read two layers');
  const { base, buckets } = index.config;
  if (!Number.isInteger(base) || !Number.isInteger(buckets) || (buckets as number) < 1) unsupported(index, `base ${JSON.stringify(base)} / buckets ${JSON.stringify(buckets)} must be positive integers`);
  if (embedding.config.input_dim !== (buckets as number) + 1) unsupported(embedding, `input_dim ${JSON.stringify(embedding.config.input_dim)} is not TrigramIndex buckets ${JSON.stringify(buckets)} + 1`);
  if (embedding.config.mask_zero !== true) unsupported(embedding, `the ${what} embedding must mask index 0`);
  // The unhashed code, (prev2 * base + prev) * base + current (one factor more for four-grams), must fit the
  // int32 the graph computes it in.
  if ((base as number) ** order > 2 ** 31 - 1) unsupported(index, `base ${base} to the power ${order} overflows int32`);
  const rest: LayerJson[] = [];
  for (const layer of layers) {
    if (layer === index || layer === embedding || layer === sum) continue;
    // (The other branches' MaskedSums read two layers, neither of them this sum once the outer branches are
    // split off: inboundOf would refuse them.)
    const readsSum = layer.class_name !== 'MaskedSum' && inboundOf(layer) === sum.name;
    rest.push(readsSum ? { ...layer, inbound_nodes: [[[first, 0, 0, {}]]] } : layer);
  }
  return { layers: rest, branch: { index, embedding } };
}

/**
 * The bigram branch of train.ts --bigrams: input -> BigramIndex -> Embedding "bigram_embedding", and a
 * MaskedSum of [character embedding, bigram embedding] feeding the LSTM. Checks that exact shape and returns
 * the layer list with the branch taken out (the LSTM reading the character embedding directly), so the
 * single-chain planner sees the usual trunk; the branch is built separately in the graph.
 */
function splitBigramBranch(layers: LayerJson[]): { layers: LayerJson[]; bigrams: { index: LayerJson; embedding: LayerJson } | null } {
  const sums = layers.filter((l) => l.class_name === 'MaskedSum');
  const indexes = layers.filter((l) => l.class_name === 'BigramIndex');
  if (sums.length === 0 && indexes.length === 0) return { layers, bigrams: null };
  if (sums.length !== 1 || indexes.length !== 1) unsupported(sums[1] ?? indexes[1] ?? sums[0] ?? indexes[0]!, 'a bigram branch must be exactly one BigramIndex and one MaskedSum');
  const sum = sums[0]!;
  const index = indexes[0]!;
  const node = (sum.inbound_nodes as unknown[][] | undefined)?.[0];
  const sources = Array.isArray(node) ? node.map((t) => (Array.isArray(t) ? t[0] : undefined)) : [];
  if (sources.length !== 2 || sources.some((s) => typeof s !== 'string')) unsupported(sum, 'MaskedSum must read two layers');
  const byName = new Map(layers.map((l) => [l.name, l]));
  const [charEmbedding, pairEmbedding] = sources.map((s) => byName.get(s as string));
  if (charEmbedding?.class_name !== 'Embedding' || pairEmbedding?.class_name !== 'Embedding') unsupported(sum, 'MaskedSum must add two Embedding layers (characters first)');
  if (inboundOf(pairEmbedding) !== index.name) unsupported(pairEmbedding, `the bigram embedding must read the BigramIndex layer "${index.name}"`);
  const base = index.config.base;
  if (!Number.isInteger(base) || pairEmbedding.config.input_dim !== (base as number) * (base as number)) {
    unsupported(pairEmbedding, `input_dim ${JSON.stringify(pairEmbedding.config.input_dim)} is not BigramIndex base ${JSON.stringify(base)} squared`);
  }
  if (base !== charEmbedding.config.input_dim) unsupported(index, `base ${JSON.stringify(base)} differs from the character embedding's input_dim ${JSON.stringify(charEmbedding.config.input_dim)}`);
  if (pairEmbedding.config.output_dim !== charEmbedding.config.output_dim) unsupported(pairEmbedding, 'output_dim differs from the character embedding\'s');
  if (pairEmbedding.config.mask_zero !== true || charEmbedding.config.mask_zero !== true) unsupported(pairEmbedding, 'both embeddings must mask index 0');
  const rest: LayerJson[] = [];
  for (const layer of layers) {
    if (layer === index || layer === pairEmbedding || layer === sum) continue;
    // The layer after the sum now reads the character embedding.
    rest.push(inboundOf(layer) === sum.name ? { ...layer, inbound_nodes: [[[charEmbedding.name, 0, 0, {}]]] } : layer);
  }
  return { layers: rest, bigrams: { index, embedding: pairEmbedding } };
}

function planModel(topology: Record<string, unknown>): Plan {
  const { className, config } = topLevel(topology);
  if (className === 'Sequential') return planSequential(config);
  if (className === 'Model' || className === 'Functional') return planFunctional(config);
  return unsupported(`model class ${JSON.stringify(className)}`, 'only tf.sequential and functional tf.model models are supported');
}

const isOff = (v: unknown) => v === undefined || v === null || v === false;

function parseEmbedding(layer: LayerJson) {
  const c = layer.config;
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
  return { vocabSize: inputDim as number, embeddingDim: outputDim as number, inputLength, masked: c.mask_zero === true };
}

function parseLstm(outer: LayerJson): { units: number; bidirectional: boolean } {
  const bidirectional = outer.class_name === 'Bidirectional';
  let layer = outer;
  if (bidirectional) {
    const inner = outer.config.layer as LayerJson | undefined;
    if (inner?.class_name !== 'LSTM') unsupported(outer, `wraps ${JSON.stringify(inner?.class_name ?? null)} (only an LSTM)`);
    if (outer.config.merge_mode !== 'concat') unsupported(outer, `merge_mode=${JSON.stringify(outer.config.merge_mode)} (only concat)`);
    layer = inner;
  }
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
  return { units: units as number, bidirectional };
}

function parseScoreDense(layer: LayerJson) {
  const c = layer.config;
  if (c.units !== 1) unsupported(layer, `units=${JSON.stringify(c.units)} (the score head has 1 unit)`);
  if (c.activation !== 'sigmoid') unsupported(layer, `activation=${JSON.stringify(c.activation)} (only sigmoid for the score head)`);
  if (c.use_bias !== true) unsupported(layer, `use_bias=${JSON.stringify(c.use_bias)} (only true)`);
}

function parseFamilyDense(layer: LayerJson): number {
  const c = layer.config;
  if (!Number.isInteger(c.units) || (c.units as number) < 2) unsupported(layer, `units=${JSON.stringify(c.units)} (the family head needs at least 2 classes)`);
  if (c.activation !== 'softmax') unsupported(layer, `activation=${JSON.stringify(c.activation)} (only softmax for the family head)`);
  if (c.use_bias !== true) unsupported(layer, `use_bias=${JSON.stringify(c.use_bias)} (only true)`);
  return c.units as number;
}

/** Checks the topology and pulls out the weights, with errors that name the unsupported layer and option. */
export function parseLstmClassifier(modelJson: ConvertInput['modelJson'], weightBytes: Uint8Array): ParsedLstmClassifier {
  const plan = planModel(modelJson.modelTopology);
  const emb = parseEmbedding(plan.embedding);
  const { units, bidirectional } = parseLstm(plan.lstm);
  parseScoreDense(plan.score);
  const K = plan.family ? parseFamilyDense(plan.family) : 0;
  if (emb.inputLength !== null && plan.inputLength !== null && emb.inputLength !== plan.inputLength) {
    unsupported(plan.embedding, `input length ${emb.inputLength} disagrees with the model input's ${plan.inputLength}`);
  }

  const tensors = decodeWeights(modelJson.weightsManifest, weightBytes);
  const used = new Set<string>();
  /** scope: a Bidirectional wrapper's direction ("forward_lstm" / "backward_lstm", a path segment). */
  const take = (layer: LayerJson, weight: string, shape: number[], scope?: string): Float32Array => {
    const layerName = String(layer.config.name);
    // tfjs names weights "<layer>/<weight>"; some versions insert a cell scope ("lstm/lstm_cell/kernel"),
    // a Bidirectional wrapper its direction ("lstm/forward_lstm/kernel").
    const candidates = [...tensors.keys()].filter(
      (k) => !used.has(k) && k.startsWith(`${layerName}/`) && k.split('/').pop() === weight && (scope === undefined || k.split('/').includes(scope)),
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
  const hashedTable = (branch: { index: LayerJson; embedding: LayerJson } | null) => {
    if (!branch) return null;
    const buckets = branch.index.config.buckets as number;
    return { base: branch.index.config.base as number, buckets, embeddings: take(branch.embedding, 'embeddings', [buckets + 1, E]) };
  };
  const U = units;
  const H = bidirectional ? 2 * U : U; // width of what the heads read
  const inner = bidirectional ? String((plan.lstm.config.layer as LayerJson).config.name) : undefined;
  const direction = (prefix: string) => {
    const scope = inner === undefined ? undefined : `${prefix}_${inner}`;
    return {
      kernel: take(plan.lstm, 'kernel', [E, 4 * U], scope),
      recurrentKernel: take(plan.lstm, 'recurrent_kernel', [U, 4 * U], scope),
      bias: take(plan.lstm, 'bias', [4 * U], scope),
    };
  };
  const forward = direction('forward');
  const parsed: ParsedLstmClassifier = {
    topology: plan.topology,
    vocabSize: V,
    embeddingDim: E,
    units: U,
    inputLength: emb.inputLength ?? plan.inputLength,
    masked: emb.masked,
    embeddings: take(plan.embedding, 'embeddings', [V, E]),
    bigrams: plan.bigrams
      ? { base: plan.bigrams.index.config.base as number, embeddings: take(plan.bigrams.embedding, 'embeddings', [(plan.bigrams.index.config.base as number) ** 2, E]) }
      : null,
    trigrams: hashedTable(plan.trigrams),
    fourgrams: hashedTable(plan.fourgrams),
    ...forward,
    backward: bidirectional ? direction('backward') : null,
    scoreLayerName: String(plan.score.config.name),
    denseKernel: take(plan.score, 'kernel', [H, 1]),
    denseBias: take(plan.score, 'bias', [1]),
    family: plan.family
      ? {
          layerName: String(plan.family.config.name),
          classes: K,
          kernel: take(plan.family, 'kernel', [H, K]),
          bias: take(plan.family, 'bias', [K]),
        }
      : null,
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
    check('bigrams', arch.bigrams === undefined ? undefined : arch.bigrams === true, parsed.bigrams !== null);
    check('trigrams', arch.trigrams, parsed.trigrams?.buckets ?? 0);
    check('fourgrams', arch.fourgrams, parsed.fourgrams?.buckets ?? 0);
    check('bidirectional', arch.bidirectional === undefined ? undefined : arch.bidirectional === true, parsed.backward !== null);
  }
  if (metadata?.vocabulary !== undefined && metadata.vocabulary.length + 1 !== parsed.vocabSize) {
    throw new Error(
      `tfjs-to-onnx: metadata.vocabulary has ${metadata.vocabulary.length} characters (+1 padding = ${metadata.vocabulary.length + 1}) but the embedding has input_dim ${parsed.vocabSize}`,
    );
  }
  const families = metadata?.families;
  if (parsed.family) {
    const K = parsed.family.classes;
    if (metadata !== undefined && families === undefined) {
      throw new Error(`tfjs-to-onnx: the model has a ${K}-class family head "${parsed.family.layerName}" but metadata has no "families" list`);
    }
    if (families !== undefined) {
      if (!Array.isArray(families) || families.some((f) => typeof f !== 'string')) throw new Error('tfjs-to-onnx: metadata.families must be a list of names');
      if (families.length !== K) {
        throw new Error(`tfjs-to-onnx: metadata.families has ${families.length} names but the family head "${parsed.family.layerName}" has ${K} units`);
      }
      if (families[0] !== 'benign') throw new Error(`tfjs-to-onnx: metadata.families[0] is ${JSON.stringify(families[0])}, expected "benign"`);
      if (new Set(families).size !== families.length) throw new Error('tfjs-to-onnx: metadata.families has repeated names');
    }
  } else if (families !== undefined) {
    throw new Error(`tfjs-to-onnx: metadata lists ${families.length} families but the model has no family head (a Dense softmax output)`);
  }
  return maxLength;
}

/**
 * How the weights are stored and the LSTM is computed:
 *   - "float": float32 everywhere (the reference export, model/dga.onnx).
 *   - "int8-weights" (chosen for model/dga.int8.onnx): the LSTM's W and R and the head kernels (and, with
 *     int8Embedding, the embedding table) stored as int8 codes with per-channel float32 scales, turned back
 *     into float32 weights in front of the usual float ops (Cast + Mul, or DequantizeLinear). Activations
 *     stay float32, so a name's score does not depend on the rest of the batch.
 *   - "int8-dqlstm": as int8-weights, but the LSTM is com.microsoft DynamicQuantizeLSTM (int8 W/R;
 *     activations quantized to uint8 per batch and time step at run time).
 *   - "int8-mmi": as int8-weights, but the LSTM is unrolled over the time steps and its matrix products are
 *     DynamicQuantizeLinear + MatMulInteger (uint8 activations per batch x int8 weights).
 *   - "float-unrolled": the unrolled graph of int8-mmi with float MatMuls (a check of the unrolling).
 * Biases stay float32 in every scheme.
 */
export const WEIGHT_SCHEMES = ['float', 'int8-weights', 'int8-dqlstm', 'int8-mmi', 'float-unrolled'] as const;
export type WeightScheme = (typeof WEIGHT_SCHEMES)[number];
/** The int8 scheme written to model/dga.int8.onnx (chosen from measurements; see runs/int8-scheme.md). */
export const DEFAULT_INT8_SCHEME: WeightScheme = 'int8-weights';

export interface BuildOptions {
  /** Default "float". */
  scheme?: WeightScheme;
  /**
   * Int8 schemes only: store the embedding table as int8 too (per-row scales). Default false: on the
   * committed model an int8 embedding moved scores by up to 0.05 (runs/int8-scheme.md), and the table is small.
   */
  int8Embedding?: boolean;
  /**
   * How int8 weights become float: "DequantizeLinear" (per-axis, opset 13), or "Cast+Mul" (Cast to float and
   * Mul by scales shaped to broadcast). Same values either way; onnxruntime constant-folds Cast+Mul on
   * initializers when the session is created but leaves DequantizeLinear to run on every call (it keeps DQ
   * nodes for its QDQ fusions). Default "Cast+Mul".
   */
  dequantize?: 'DequantizeLinear' | 'Cast+Mul';
  /**
   * Fold leading padding into the LSTM's initial state (input pad_steps, chars [batch, length]; see the top
   * of this file). Default true for the schemes that support it ("float", "int8-weights"); an error for
   * the others.
   */
  foldPadding?: boolean;
}

/** The weight schemes whose graph can fold padding (an ONNX LSTM node with float weights). */
export const FOLDING_SCHEMES: readonly WeightScheme[] = ['float', 'int8-weights'];

const f32 = Math.fround;

/**
 * The logistic function as onnxruntime's CPU LSTM computes it (MLAS MlasComputeLogistic: Eigen's rational
 * approximation on [-18, 18], float32 multiply and add, no fused multiply-add in WebAssembly SIMD).
 * Within ~1e-7 of the exact function; using the runtime's own formula keeps the folded states within
 * float rounding of the steps they replace.
 */
export function ortSigmoid(x: number): number {
  const v = Math.min(18, Math.max(-18, f32(x)));
  const v2 = f32(v * v);
  let p = f32(f32(v2 * f32(4.37031012579801e-11)) + f32(1.15627324459942e-7));
  p = f32(f32(p * v2) + f32(6.08574864600143e-5));
  p = f32(f32(p * v2) + f32(8.51377133304701e-3));
  p = f32(f32(p * v2) + f32(2.48287947061529e-1));
  p = f32(p * v);
  let q = f32(f32(v2 * f32(6.10247389755681e-13)) + f32(5.76102136993427e-9));
  q = f32(f32(q * v2) + f32(6.2910678501704e-6));
  q = f32(f32(q * v2) + f32(1.70198817374094e-3));
  q = f32(f32(q * v2) + f32(1.16817656904453e-1));
  q = f32(f32(q * v2) + f32(9.9315192102318e-1));
  return Math.min(1, Math.max(0, f32(f32(p / q) + 0.5)));
}

/** tanh as onnxruntime's CPU LSTM computes it (MLAS MlasComputeTanh: Eigen's rational approximation on [-9, 9]). */
export function ortTanh(x: number): number {
  const v = Math.min(9, Math.max(-9, f32(x)));
  const v2 = f32(v * v);
  let p = f32(f32(v2 * f32(-2.76076847742355e-16)) + f32(2.00018790482477e-13));
  p = f32(f32(p * v2) + f32(-8.60467152213735e-11));
  p = f32(f32(p * v2) + f32(5.12229709037114e-8));
  p = f32(f32(p * v2) + f32(1.48572235717979e-5));
  p = f32(f32(p * v2) + f32(6.37261928875436e-4));
  p = f32(f32(p * v2) + f32(4.89352455891786e-3));
  p = f32(p * v);
  let q = f32(f32(v2 * f32(1.19825839466702e-6)) + f32(1.18534705686654e-4));
  q = f32(f32(q * v2) + f32(2.268434632439e-3));
  q = f32(f32(q * v2) + f32(4.89352518554385e-3));
  return f32(p / q);
}

/**
 * LSTM states after k = 0..steps pad steps from a zero state, in float32 arithmetic with ONNX LSTM
 * semantics (gate blocks i,o,f,c; f, i, o sigmoid, c~ and output tanh) and onnxruntime's order of
 * operations (z = (x.W^T + h.R^T) + (Wb + Rb); c = c.f + tanh(z_c).i; h = tanh(c).o): row k of `h` and `c`
 * ([steps+1, U], row-major) is the state after k steps whose input is `x` (the padding index's embedding).
 * Row 0 is zero. W [4U, E], R [4U, U], B [8U] (= Wb ; Rb) are the values the graph's LSTM node sees.
 */
export function padStateTables(p: { x: Float32Array; W: Float32Array; R: Float32Array; B: Float32Array; units: number; steps: number }): {
  h: Float32Array;
  c: Float32Array;
} {
  const { x, W, R, B, units: U, steps } = p;
  const E = x.length;
  if (W.length !== 4 * U * E || R.length !== 4 * U * U || B.length !== 8 * U) throw new RangeError('padStateTables: weight sizes do not match units and input width');
  // The input part is the same every step: xw = x . W^T, and the bias Wb + Rb.
  const xw = new Float32Array(4 * U);
  const bias = new Float32Array(4 * U);
  for (let j = 0; j < 4 * U; j++) {
    let acc = 0;
    for (let e = 0; e < E; e++) acc = f32(acc + f32(x[e]! * W[j * E + e]!));
    xw[j] = acc;
    bias[j] = f32(B[j]! + B[4 * U + j]!);
  }
  const h = new Float32Array((steps + 1) * U);
  const c = new Float32Array((steps + 1) * U);
  const gates = new Float32Array(4 * U);
  for (let k = 1; k <= steps; k++) {
    const hPrev = (k - 1) * U;
    for (let j = 0; j < 4 * U; j++) {
      let acc = 0;
      for (let u = 0; u < U; u++) acc = f32(acc + f32(h[hPrev + u]! * R[j * U + u]!));
      gates[j] = f32(f32(acc + xw[j]!) + bias[j]!);
    }
    for (let u = 0; u < U; u++) {
      const i = ortSigmoid(gates[u]!);
      const o = ortSigmoid(gates[U + u]!);
      const f = ortSigmoid(gates[2 * U + u]!);
      const g = ortTanh(gates[3 * U + u]!);
      const cell = f32(f32(c[hPrev + u]! * f) + f32(g * i));
      c[k * U + u] = cell;
      h[k * U + u] = f32(ortTanh(cell) * o);
    }
  }
  return { h, c };
}

const MS_DOMAIN = 'com.microsoft';


/** Builds the ONNX ModelProto (unserialised); see convertLayersModel. */
export function buildOnnxModel(input: ConvertInput, options: BuildOptions = {}): onnx.IModelProto {
  const scheme = options.scheme ?? 'float';
  if (!WEIGHT_SCHEMES.includes(scheme)) throw new Error(`tfjs-to-onnx: unknown weight scheme ${JSON.stringify(scheme)} (one of ${WEIGHT_SCHEMES.join(', ')})`);
  const int8 = scheme.startsWith('int8');
  const parsed = parseLstmClassifier(input.modelJson, input.weights);
  const metadata = input.metadata;
  const T = checkMetadata(parsed, metadata);
  const { vocabSize: V, embeddingDim: E, units: U } = parsed;
  // Directions of the LSTM node and the width the heads read (forward state, then backward: tfjs's concat).
  const D = parsed.backward ? 2 : 1;
  const H = D * U;
  const names = { ...DEFAULT_ONNX_NAMES, ...(metadata?.onnx ?? {}) };
  const K = parsed.family?.classes ?? 0;
  const fold = options.foldPadding ?? FOLDING_SCHEMES.includes(scheme);
  if (fold && !FOLDING_SCHEMES.includes(scheme)) {
    throw new Error(`tfjs-to-onnx: scheme ${scheme} cannot fold padding (only ${FOLDING_SCHEMES.join(', ')}); pass foldPadding: false`);
  }
  if (D === 2 && !(scheme === 'float' || scheme === 'int8-weights')) {
    throw new Error(`tfjs-to-onnx: a bidirectional LSTM exports with scheme float or int8-weights only, not ${scheme}`);
  }
  if (D === 2 && !parsed.masked) {
    // The backward pass of pre-padded rows would end in the padding; only masked models run rows of one length.
    throw new Error('tfjs-to-onnx: a bidirectional LSTM exports only from a masked model (train.ts --padding mask)');
  }
  if (parsed.masked && !fold) {
    throw new Error(`tfjs-to-onnx: the model masks its padding (mask_zero); only a padding-folding export (scheme ${FOLDING_SCHEMES.join(' or ')}) computes it exactly`);
  }
  const graphNames = [names.input, names.logit, names.score, ...(K > 0 ? [names.family] : []), ...(fold ? [names.padSteps] : [])];
  if (new Set(graphNames).size !== graphNames.length) throw new Error(`tfjs-to-onnx: metadata.onnx names must differ: ${graphNames.join(', ')}`);

  const initializers: onnx.ITensorProto[] = [];
  const nodes: onnx.INodeProto[] = [];
  const valueInfo: onnx.IValueInfoProto[] = [];
  const extraOpsets: [string, number][] = [];
  const node = (op: string, ins: string[], outs: string[], attrs: Parameters<typeof makeNode>[3], name: string, domain?: string) =>
    nodes.push(makeNode(op, ins, outs, attrs, { name, ...(domain ? { domain } : {}) }));
  /**
   * A weight matrix as a float value for float ops: a float initializer, or (int8 schemes) int8 codes with
   * per-channel scales along `axis` and a DequantizeLinear node. Returns the name of the float value.
   */
  const weight = (name: string, values: Float32Array, dims: number[], axis: number, quantize = int8): string => {
    if (!quantize) {
      initializers.push(makeTensor(name, 'FLOAT', dims, values));
      return name;
    }
    const qt = quantizePerChannel(values, dims, axis);
    if ((options.dequantize ?? 'Cast+Mul') === 'Cast+Mul') {
      // Scales shaped [dims[axis], 1, ...] (trailing ones) to broadcast along `axis`.
      const scaleDims = dims.slice(axis).map((d, i) => (i === 0 ? d : 1));
      initializers.push(makeTensor(`${name}.q`, 'INT8', dims, qt.q), makeTensor(`${name}.scale`, 'FLOAT', scaleDims, qt.scales));
      node('Cast', [`${name}.q`], [`${name}.int8_as_float`], { to: DataType.FLOAT }, `${name}.cast`);
      node('Mul', [`${name}.int8_as_float`, `${name}.scale`], [name], {}, `${name}.dequantize`);
      return name;
    }
    initializers.push(makeTensor(`${name}.q`, 'INT8', dims, qt.q), makeTensor(`${name}.scale`, 'FLOAT', [dims[axis]!], qt.scales));
    node('DequantizeLinear', [`${name}.q`, `${name}.scale`], [name], { axis }, `${name}.dequantize`);
    return name;
  };

  // Embedding lookup: chars [N,T] -> [N,T,E] -> time-major [T,N,E]. A folding graph leaves T open.
  const steps: string | number = fold ? 'length' : T;
  const int8Embedding = int8 && options.int8Embedding === true;
  const table = weight('embedding.weight', parsed.embeddings, [V, E], 0, int8Embedding);
  // The sum of the tables feeding the LSTM: characters, then bigrams, trigrams, four-grams (tfjs's order of adds).
  const sumNames = [
    'embedded_chars',
    ...(parsed.bigrams ? ['embedded_sum_pairs'] : []),
    ...(parsed.trigrams ? ['embedded_sum_triples'] : []),
    ...(parsed.fourgrams ? ['embedded_sum_fours'] : []),
  ];
  sumNames[sumNames.length - 1] = 'embedded';
  const triplesAt = parsed.bigrams ? 2 : 1; // sumNames[triplesAt]: the sum after the trigram table
  node('Gather', [table, names.input], [sumNames[0]!], { axis: 0 }, 'embedding');
  // [N,T] -> the same one step later (column t holds column t-1, column 0 is 0): drop the last column, put a
  // zero column in front. The bigram and trigram indices use it; its constants are added once.
  let shiftConstants = false;
  const shiftRight = (from: string, to: string, nodePrefix: string) => {
    if (!shiftConstants) {
      shiftConstants = true;
      initializers.push(
        makeTensor('shift.slice_starts', 'INT64', [1], [0]),
        makeTensor('shift.slice_ends', 'INT64', [1], [-1]),
        makeTensor('shift.slice_axes', 'INT64', [1], [1]),
        makeTensor('shift.pads', 'INT64', [4], [0, 1, 0, 0]),
      );
    }
    node('Slice', [from, 'shift.slice_starts', 'shift.slice_ends', 'shift.slice_axes'], [`${to}_cut`], {}, `${nodePrefix}.drop_last`);
    node('Pad', [`${to}_cut`, 'shift.pads'], [to], { mode: 'constant' }, `${nodePrefix}.shift`);
  };
  if (parsed.bigrams) {
    // Bigram index = previous character * base + character, the previous character of the first step being
    // padding (0): drop the last column, put a zero column in front. A pad step's index is 0 without a
    // Where, because under pre-padding the step before a pad step is a pad step too.
    const { base, embeddings } = parsed.bigrams;
    initializers.push(makeTensor('bigram.base', 'INT32', [], [base]));
    shiftRight(names.input, 'bigram.prev', 'bigram');
    node('Mul', ['bigram.prev', 'bigram.base'], ['bigram.prev_scaled'], {}, 'bigram.scale');
    node('Add', ['bigram.prev_scaled', names.input], ['bigram.index'], {}, 'bigram.index');
    // Per-column int8 in the int8 file, as quantization-aware training rounds it (fake-quantize.ts).
    const pairs = weight('bigram_embedding.weight', embeddings, [base * base, E], 1);
    node('Gather', [pairs, 'bigram.index'], ['embedded_pairs'], { axis: 0 }, 'bigram_embedding');
    node('Add', ['embedded_chars', 'embedded_pairs'], [sumNames[1]!], {}, 'embedding_sum');
  }
  if (parsed.trigrams) {
    // Trigram index = Mod((prev2 * base + prev) * base + character, buckets) + 1, prev and prev2 the
    // characters one and two steps back (0 before the start). prev2 * base + prev is the previous step's
    // bigram index, so with the bigram branch present the graph shifts that one (fewer ops per call).
    // Unlike the bigram index, a pad step's code is 0 but its bucket is not: a Where gives it row 0, as tfjs.
    const { base, buckets, embeddings } = parsed.trigrams;
    initializers.push(
      makeTensor('trigram.base', 'INT32', [], [base]),
      makeTensor('trigram.buckets', 'INT32', [], [buckets]),
      makeTensor('trigram.one', 'INT32', [], [1]),
      makeTensor('trigram.zero', 'INT32', [], [0]),
    );
    let pairs = 'bigram.index';
    if (!parsed.bigrams) {
      pairs = 'trigram.pair';
      shiftRight(names.input, 'trigram.prev', 'trigram.prev');
      node('Mul', ['trigram.prev', 'trigram.base'], ['trigram.prev_scaled'], {}, 'trigram.pair_scale');
      node('Add', ['trigram.prev_scaled', names.input], [pairs], {}, 'trigram.pair');
    }
    shiftRight(pairs, 'trigram.prev_pair', 'trigram.prev_pair');
    node('Mul', ['trigram.prev_pair', 'trigram.base'], ['trigram.prev_pair_scaled'], {}, 'trigram.scale');
    node('Add', ['trigram.prev_pair_scaled', names.input], ['trigram.code'], {}, 'trigram.code');
    node('Mod', ['trigram.code', 'trigram.buckets'], ['trigram.bucket0'], { fmod: 0 }, 'trigram.hash');
    node('Add', ['trigram.bucket0', 'trigram.one'], ['trigram.bucket'], {}, 'trigram.bucket');
    node('Equal', [names.input, 'trigram.zero'], ['trigram.is_pad'], {}, 'trigram.is_pad');
    node('Where', ['trigram.is_pad', 'trigram.zero', 'trigram.bucket'], ['trigram.index'], {}, 'trigram.index');
    const triples = weight('trigram_embedding.weight', embeddings, [buckets + 1, E], 1);
    node('Gather', [triples, 'trigram.index'], ['embedded_triples'], { axis: 0 }, 'trigram_embedding');
    node('Add', [sumNames[triplesAt - 1]!, 'embedded_triples'], [sumNames[triplesAt]!], {}, 'trigram_sum');
  }
  if (parsed.fourgrams && parsed.trigrams) {
    // Four-gram index = Mod(unhashed trigram code one step back * base + character, buckets) + 1: the trigram
    // branch's code shifted, so the four-gram costs one Slice/Pad, Mul and Add more before its hash.
    const { buckets, embeddings } = parsed.fourgrams; // its base is the trigram one (checked when planning)
    initializers.push(makeTensor('fourgram.buckets', 'INT32', [], [buckets]));
    shiftRight('trigram.code', 'fourgram.prev_code', 'fourgram.prev_code');
    node('Mul', ['fourgram.prev_code', 'trigram.base'], ['fourgram.prev_code_scaled'], {}, 'fourgram.scale');
    node('Add', ['fourgram.prev_code_scaled', names.input], ['fourgram.code'], {}, 'fourgram.code');
    node('Mod', ['fourgram.code', 'fourgram.buckets'], ['fourgram.bucket0'], { fmod: 0 }, 'fourgram.hash');
    node('Add', ['fourgram.bucket0', 'trigram.one'], ['fourgram.bucket'], {}, 'fourgram.bucket');
    node('Where', ['trigram.is_pad', 'trigram.zero', 'fourgram.bucket'], ['fourgram.index'], {}, 'fourgram.index');
    const fours = weight('fourgram_embedding.weight', embeddings, [buckets + 1, E], 1);
    node('Gather', [fours, 'fourgram.index'], ['embedded_fours'], { axis: 0 }, 'fourgram_embedding');
    node('Add', [sumNames[triplesAt]!, 'embedded_fours'], [sumNames[triplesAt + 1]!], {}, 'fourgram_sum');
  }
  node('Transpose', ['embedded'], ['embedded_tnc'], { perm: [1, 0, 2] }, 'to_time_major');
  valueInfo.push(makeValueInfo('embedded', 'FLOAT', ['batch', steps, E]), makeValueInfo('embedded_tnc', 'FLOAT', [steps, 'batch', E]));
  /** The float values a weight() matrix has in the graph (after dequantization for int8 schemes). */
  const graphValues = (values: Float32Array, dims: number[], axis: number, quantize = int8) =>
    quantize ? dequantize(quantizePerChannel(values, dims, axis)) : values;

  // The LSTM's last hidden state, h [N,U].
  const lstmAttrs = D === 2
    ? { activations: ['Sigmoid', 'Tanh', 'Tanh', 'Sigmoid', 'Tanh', 'Tanh'], direction: 'bidirectional', hidden_size: U }
    : { activations: ['Sigmoid', 'Tanh', 'Tanh'], direction: 'forward', hidden_size: U };
  if (scheme === 'float' || scheme === 'int8-weights' || scheme === 'int8-dqlstm') {
    const W = kerasKernelToOnnx(parsed.kernel, E, U); // [4U, E]
    const R = kerasKernelToOnnx(parsed.recurrentKernel, U, U); // [4U, U]
    if (scheme === 'int8-dqlstm') {
      // DynamicQuantizeLSTM wants W [dirs, in, 4U] and R [dirs, U, 4U] (transposed against LSTM), with
      // per-column scales [dirs, 4U] and zero points of the weights' type.
      const wq = quantizePerChannel(W, [1, 4 * U, E], 1);
      const rq = quantizePerChannel(R, [1, 4 * U, U], 1);
      initializers.push(
        makeTensor('lstm.W.q', 'INT8', [1, E, 4 * U], transposeLast2(wq.q, [1, 4 * U, E])),
        makeTensor('lstm.R.q', 'INT8', [1, U, 4 * U], transposeLast2(rq.q, [1, 4 * U, U])),
        makeTensor('lstm.B', 'FLOAT', [1, 8 * U], kerasBiasToOnnx(parsed.bias, U)),
        makeTensor('lstm.W.scale', 'FLOAT', [1, 4 * U], wq.scales),
        makeTensor('lstm.W.zero_point', 'INT8', [1, 4 * U], new Int8Array(4 * U)),
        makeTensor('lstm.R.scale', 'FLOAT', [1, 4 * U], rq.scales),
        makeTensor('lstm.R.zero_point', 'INT8', [1, 4 * U], new Int8Array(4 * U)),
      );
      node(
        'DynamicQuantizeLSTM',
        ['embedded_tnc', 'lstm.W.q', 'lstm.R.q', 'lstm.B', '', '', '', '', 'lstm.W.scale', 'lstm.W.zero_point', 'lstm.R.scale', 'lstm.R.zero_point'],
        ['', 'lstm.Y_h'],
        lstmAttrs,
        'lstm',
        MS_DOMAIN,
      );
      extraOpsets.push([MS_DOMAIN, 1]);
    } else {
      const B = kerasBiasToOnnx(parsed.bias, U);
      let lstmInputs: string[];
      if (parsed.backward) {
        // Each direction quantized on its own (per-row scales), then stacked [2, ...] (onnxruntime folds the Concat).
        const wb = kerasKernelToOnnx(parsed.backward.kernel, E, U);
        const rb = kerasKernelToOnnx(parsed.backward.recurrentKernel, U, U);
        const stack = (name: string, parts: string[]): string => {
          node('Concat', parts, [name], { axis: 0 }, name);
          return name;
        };
        const w = stack('lstm.W', [weight('lstm.W.forward', W, [1, 4 * U, E], 1), weight('lstm.W.backward', wb, [1, 4 * U, E], 1)]);
        const r = stack('lstm.R', [weight('lstm.R.forward', R, [1, 4 * U, U], 1), weight('lstm.R.backward', rb, [1, 4 * U, U], 1)]);
        const both = new Float32Array(16 * U);
        both.set(B);
        both.set(kerasBiasToOnnx(parsed.backward.bias, U), 8 * U);
        initializers.push(makeTensor('lstm.B', 'FLOAT', [2, 8 * U], both));
        lstmInputs = ['embedded_tnc', w, r, 'lstm.B'];
      } else {
        const w = weight('lstm.W', W, [1, 4 * U, E], 1);
        const r = weight('lstm.R', R, [1, 4 * U, U], 1);
        initializers.push(makeTensor('lstm.B', 'FLOAT', [1, 8 * U], B));
        lstmInputs = ['embedded_tnc', w, r, 'lstm.B'];
      }
      if (fold) {
        // States after k = 0..T pad steps, from the very values the LSTM node computes with.
        const x = graphValues(parsed.embeddings, [V, E], 0, int8Embedding).slice(0, E);
        // Masked pad steps keep the zero initial state: all-zero tables.
        const states = parsed.masked
          ? { h: new Float32Array((T + 1) * U), c: new Float32Array((T + 1) * U) }
          : padStateTables({ x, W: graphValues(W, [1, 4 * U, E], 1), R: graphValues(R, [1, 4 * U, U], 1), B, units: U, steps: T });
        initializers.push(
          makeTensor('lstm.pad_state_h', 'FLOAT', [T + 1, U], states.h),
          makeTensor('lstm.pad_state_c', 'FLOAT', [T + 1, U], states.c),
          makeTensor('lstm.direction_axis', 'INT64', [1], [0]),
        );
        for (const s of ['h', 'c'] as const) {
          node('Gather', [`lstm.pad_state_${s}`, names.padSteps], [`lstm.initial_${s}_rows`], { axis: 0 }, `lstm.initial_${s}_lookup`);
          const one = D === 2 ? `lstm.initial_${s}_one` : `lstm.initial_${s}`;
          node('Unsqueeze', [`lstm.initial_${s}_rows`, 'lstm.direction_axis'], [one], {}, one);
          // Both directions start from the same (masked: zero) state.
          if (D === 2) node('Concat', [one, one], [`lstm.initial_${s}`], { axis: 0 }, `lstm.initial_${s}`);
          valueInfo.push(makeValueInfo(`lstm.initial_${s}`, 'FLOAT', [D, 'batch', U]));
        }
        lstmInputs.push('', 'lstm.initial_h', 'lstm.initial_c');
      }
      node('LSTM', lstmInputs, ['', 'lstm.Y_h'], lstmAttrs, 'lstm');
    }
    initializers.push(makeTensor('lstm.h_shape', 'INT64', [2], [-1, H]));
    if (D === 2) {
      // Y_h [2,N,U] -> [N,2,U] -> [N,2U]: each row's forward state, then its backward one.
      node('Transpose', ['lstm.Y_h'], ['lstm.Y_h_batch_major'], { perm: [1, 0, 2] }, 'directions_last');
      node('Reshape', ['lstm.Y_h_batch_major', 'lstm.h_shape'], ['lstm.h'], {}, 'last_hidden');
    } else {
      node('Reshape', ['lstm.Y_h', 'lstm.h_shape'], ['lstm.h'], {}, 'last_hidden');
    }
    valueInfo.push(makeValueInfo('lstm.Y_h', 'FLOAT', [D, 'batch', U]));
  } else {
    unrolledLstm({ T, E, U, parsed, quantized: scheme === 'int8-mmi', initializers, node, output: 'lstm.h' });
  }
  valueInfo.push(makeValueInfo('lstm.h', 'FLOAT', ['batch', H]));

  // Heads: logit = h . k + b, score = sigmoid(logit); family = softmax(h . K + b). With
  // architecture.scoreFrom "family" the logit is read from the family head instead (family-score.ts):
  // logit = logsumexp(z[:, 1:]) - z[:, 0] over the family logits z, and the score head is left out.
  const fromFamily = metadata?.architecture?.scoreFrom === 'family';
  if (fromFamily && !parsed.family) throw new Error('tfjs-to-onnx: metadata.architecture.scoreFrom is "family" but the model has no family head');
  if (!fromFamily) {
    const scoreKernel = weight('score.kernel', parsed.denseKernel, [H, 1], 1);
    initializers.push(makeTensor('score.bias', 'FLOAT', [1], parsed.denseBias), makeTensor('flat_shape', 'INT64', [1], [-1]));
    node('MatMul', ['lstm.h', scoreKernel], ['score.matmul'], {}, 'score_matmul');
    node('Add', ['score.matmul', 'score.bias'], ['score.logit2d'], {}, 'score_bias');
    node('Reshape', ['score.logit2d', 'flat_shape'], [names.logit], {}, 'flatten');
    node('Sigmoid', [names.logit], [names.score], {}, 'sigmoid');
  }
  const outputs = [
    makeValueInfo(names.logit, 'FLOAT', ['batch'], 'raw score before the sigmoid (use for ranking at low FPR)'),
    makeValueInfo(names.score, 'FLOAT', ['batch'], 'probability that the name is DGA-generated'),
  ];
  if (parsed.family) {
    const familyKernel = weight('family.kernel', parsed.family.kernel, [H, K], 1);
    initializers.push(makeTensor('family.bias', 'FLOAT', [K], parsed.family.bias));
    node('MatMul', ['lstm.h', familyKernel], ['family.matmul'], {}, 'family_matmul');
    node('Add', ['family.matmul', 'family.bias'], ['family.logits'], {}, 'family_bias');
    node('Softmax', ['family.logits'], [names.family], { axis: -1 }, 'family_softmax');
    outputs.push(
      makeValueInfo(names.family, 'FLOAT', ['batch', K], `family probabilities (softmax over ${K} classes; metadata "families", index 0 = benign)`),
    );
    valueInfo.push(makeValueInfo('family.logits', 'FLOAT', ['batch', K]));
    if (fromFamily) {
      initializers.push(
        makeTensor('family.benign_index', 'INT64', [], [0]),
        makeTensor('family.malware_starts', 'INT64', [1], [1]),
        makeTensor('family.malware_ends', 'INT64', [1], [K]),
        makeTensor('family.malware_axes', 'INT64', [1], [1]),
      );
      node('Gather', ['family.logits', 'family.benign_index'], ['family.benign_logit'], { axis: 1 }, 'family_benign_logit');
      node('Slice', ['family.logits', 'family.malware_starts', 'family.malware_ends', 'family.malware_axes'], ['family.malware_logits'], {}, 'family_malware_logits');
      node('ReduceLogSumExp', ['family.malware_logits'], ['family.malware_lse'], { axes: [1], keepdims: 0 }, 'family_malware_lse');
      node('Sub', ['family.malware_lse', 'family.benign_logit'], [names.logit], {}, 'family_dga_logit');
      node('Sigmoid', [names.logit], [names.score], {}, 'sigmoid');
      valueInfo.push(
        makeValueInfo('family.benign_logit', 'FLOAT', ['batch']),
        makeValueInfo('family.malware_logits', 'FLOAT', ['batch', K - 1]),
        makeValueInfo('family.malware_lse', 'FLOAT', ['batch']),
      );
    }
  }
  const graph = makeGraph({
    name: 'dga_lstm',
    nodes,
    initializers,
    outputs,
    valueInfo,
    inputs: fold
      ? [
          makeValueInfo(names.input, 'INT32', ['batch', steps], `character indices pre-padded with 0 to the batch's width (1..${T}), vocabulary size ${V}`),
          makeValueInfo(names.padSteps, 'INT32', ['batch'], `${T} minus the width of "${names.input}": leading pad steps folded into the LSTM's initial state (0..${T})`),
        ]
      : [makeValueInfo(names.input, 'INT32', ['batch', T], `character indices, pre-padded with 0, vocabulary size ${V}`)],
  });

  const modelLabel = metadata?.id ? `${metadata.id}${metadata.version ? ` ${metadata.version}` : ''}` : 'DGA classifier';
  const heads = parsed.family
    ? fromFamily
      ? `a ${K}-class dense + softmax family head; the score is 1 - P(benign) from it (logsumexp of the malware logits minus the benign logit)`
      : `dense 1 + sigmoid and a ${K}-class dense + softmax family head`
    : 'dense 1 + sigmoid';
  const outs = parsed.family
    ? `outputs "${names.logit}" and "${names.score}": float32 [batch], "${names.family}": float32 [batch, ${K}]`
    : `outputs "${names.logit}" and "${names.score}": float32 [batch]`;
  const schemeNote = scheme === 'float' ? '' : ` Weights: ${SCHEME_DOC[scheme]}.`;
  const docString =
    `${modelLabel}: character-level LSTM DGA-domain classifier (embedding ${V}x${E}${parsed.bigrams ? ` plus a ${parsed.bigrams.base ** 2}x${E} bigram embedding` : ''}${parsed.trigrams ? ` plus a ${parsed.trigrams.buckets + 1}x${E} hashed trigram embedding` : ''}${parsed.fourgrams ? ` plus a ${parsed.fourgrams.buckets + 1}x${E} hashed four-gram embedding` : ''}, LSTM ${U} units, ${heads}), ` +
    `converted from a tfjs LayersModel${input.modelJson.generatedBy ? ` (${input.modelJson.generatedBy})` : ''} by ${PRODUCER_NAME}. ` +
    (fold
      ? `Inputs "${names.input}": int32 [batch, length <= ${T}] character indices pre-padded to the batch's longest label, and "${names.padSteps}": int32 [batch] = ${T} - length ` +
        `(padding beyond length is folded into the LSTM's initial state; same outputs as full-width input); ${outs}.${schemeNote}`
      : `Input "${names.input}": int32 [batch, ${T}] pre-padded character indices; ${outs}.${schemeNote}`);

  const props: [string, string][] = [];
  const add = (key: string, value: unknown) => {
    if (value !== undefined && value !== null) props.push([key, typeof value === 'string' || typeof value === 'number' ? String(value) : JSON.stringify(value)]);
  };
  add('dga.id', metadata?.id);
  add('dga.version', metadata?.version);
  add('dga.vocabulary', metadata?.vocabulary);
  add('dga.maxLength', T);
  add('dga.padding', metadata?.padding);
  if (fold) add('dga.padSteps', names.padSteps);
  if (parsed.masked) add('dga.rowsOfOneLength', true);
  add('dga.threshold', metadata?.threshold);
  if (parsed.family) add('dga.families', metadata?.families);
  if (int8) {
    const how = scheme === 'int8-weights' ? `, dequantized by ${options.dequantize ?? 'Cast+Mul'}` : '';
    add('dga.weights', `${scheme}: int8 per-channel symmetric${how}; embedding ${options.int8Embedding === true ? 'int8 per-row' : 'float32'}; biases float32`);
  } else if (scheme !== 'float') {
    add('dga.weights', scheme);
  }

  return makeModel(graph, {
    opset: OPSET,
    extraOpsets,
    producerName: PRODUCER_NAME,
    producerVersion: input.producerVersion ?? EXPORTER_VERSION,
    docString,
    metadataProps: props,
  });
}

const SCHEME_DOC: Record<WeightScheme, string> = {
  float: 'float32',
  'int8-weights': 'int8 per-channel (symmetric, zero point 0), dequantized to float32 in the graph; float32 activations and biases',
  'int8-dqlstm': 'int8 per-channel; LSTM as com.microsoft DynamicQuantizeLSTM (uint8 activations quantized per batch); float32 biases',
  'int8-mmi': 'int8 per-channel; LSTM unrolled with DynamicQuantizeLinear + MatMulInteger (uint8 activations per batch); float32 biases',
  'float-unrolled': 'float32, LSTM unrolled over time steps',
};

/**
 * The LSTM written out step by step (Keras gate order i,f,c,o, pre-padded input, zero initial state):
 *   xw = X . W + b  for all steps at once ([T*N, 4U]),
 *   per step t: z = xw[t] + h . R;  i,f,g,o = split(z);  c = sig(f) c + sig(i) tanh(g);  h = sig(o) tanh(c).
 * `quantized`: the two matrix products are DynamicQuantizeLinear (uint8, per tensor) + MatMulInteger with
 * int8 per-column weights, then Cast and a Mul by (activation scale x weight scales) -- the pattern
 * onnxruntime fuses into DynamicQuantizeMatMul.
 */
function unrolledLstm(g: {
  T: number;
  E: number;
  U: number;
  parsed: ParsedLstmClassifier;
  quantized: boolean;
  initializers: onnx.ITensorProto[];
  node: (op: string, ins: string[], outs: string[], attrs: Parameters<typeof makeNode>[3], name: string) => void;
  output: string;
}): void {
  const { T, E, U, parsed, quantized, initializers, node } = g;
  /** A Keras kernel [rows, 4U] as a float or int8 (+ per-column scales) initializer; returns a product op. */
  const kernel = (name: string, B: Float32Array, rows: number) => {
    if (!quantized) {
      initializers.push(makeTensor(name, 'FLOAT', [rows, 4 * U], B));
      return (a: string, out: string) => node('MatMul', [a, name], [out], {}, `${out}.matmul`);
    }
    const q = quantizePerChannel(B, [rows, 4 * U], 1);
    initializers.push(makeTensor(`${name}.q`, 'INT8', [rows, 4 * U], q.q), makeTensor(`${name}.scale`, 'FLOAT', [4 * U], q.scales));
    return (a: string, out: string) => {
      node('DynamicQuantizeLinear', [a], [`${a}.q`, `${a}.scale`, `${a}.zero_point`], {}, `${a}.quantize`);
      node('MatMulInteger', [`${a}.q`, `${name}.q`, `${a}.zero_point`], [`${out}.int32`], {}, `${out}.matmul_integer`);
      node('Cast', [`${out}.int32`], [`${out}.float`], { to: 1 }, `${out}.cast`);
      node('Mul', [`${a}.scale`, `${name}.scale`], [`${out}.scale`], {}, `${out}.scale`);
      node('Mul', [`${out}.float`, `${out}.scale`], [out], {}, `${out}.rescale`);
    };
  };
  const inputProduct = kernel('lstm.kernel', parsed.kernel, E);
  const recurrentProduct = kernel('lstm.recurrent_kernel', parsed.recurrentKernel, U);
  initializers.push(
    makeTensor('lstm.x_shape', 'INT64', [2], [-1, E]),
    makeTensor('lstm.xw_shape', 'INT64', [3], [T, -1, 4 * U]),
    makeTensor('lstm.bias', 'FLOAT', [4 * U], parsed.bias),
    makeTensor('lstm.gate_sizes', 'INT64', [4], [U, U, U, U]),
  );
  node('Reshape', ['embedded_tnc', 'lstm.x_shape'], ['lstm.x'], {}, 'lstm.flatten_steps');
  inputProduct('lstm.x', 'lstm.xw_nobias');
  node('Add', ['lstm.xw_nobias', 'lstm.bias'], ['lstm.xw_flat'], {}, 'lstm.input_bias');
  node('Reshape', ['lstm.xw_flat', 'lstm.xw_shape'], ['lstm.xw'], {}, 'lstm.split_steps');
  let h = '';
  let c = '';
  for (let t = 0; t < T; t++) {
    const p = `lstm.t${t}`;
    initializers.push(makeTensor(`${p}.index`, 'INT64', [], [t]));
    node('Gather', ['lstm.xw', `${p}.index`], [`${p}.xw`], { axis: 0 }, `${p}.step_input`);
    let z = `${p}.xw`;
    if (t > 0) {
      recurrentProduct(h, `${p}.hr`);
      node('Add', [`${p}.xw`, `${p}.hr`], [`${p}.z`], {}, `${p}.z`);
      z = `${p}.z`;
    }
    node('Split', [z, 'lstm.gate_sizes'], [`${p}.zi`, `${p}.zf`, `${p}.zg`, `${p}.zo`], { axis: 1 }, `${p}.gates`);
    node('Sigmoid', [`${p}.zi`], [`${p}.i`], {}, `${p}.i`);
    node('Tanh', [`${p}.zg`], [`${p}.g`], {}, `${p}.g`);
    node('Sigmoid', [`${p}.zo`], [`${p}.o`], {}, `${p}.o`);
    if (t === 0) {
      node('Mul', [`${p}.i`, `${p}.g`], [`${p}.c`], {}, `${p}.c`);
    } else {
      node('Sigmoid', [`${p}.zf`], [`${p}.f`], {}, `${p}.f`);
      node('Mul', [`${p}.f`, c], [`${p}.fc`], {}, `${p}.fc`);
      node('Mul', [`${p}.i`, `${p}.g`], [`${p}.ig`], {}, `${p}.ig`);
      node('Add', [`${p}.fc`, `${p}.ig`], [`${p}.c`], {}, `${p}.c`);
    }
    node('Tanh', [`${p}.c`], [`${p}.tanh_c`], {}, `${p}.tanh_c`);
    node('Mul', [`${p}.o`, `${p}.tanh_c`], [t === T - 1 ? g.output : `${p}.h`], {}, `${p}.h`);
    h = `${p}.h`;
    c = `${p}.c`;
  }
}

/**
 * The pad-steps input of an exported file (a graph input other than the character indices), or undefined
 * for a full-width graph: for callers that run files of several schemes or exporter versions.
 */
export function padStepsInputOf(bytes: Uint8Array): string | undefined {
  const graph = parseModel(bytes).graph as onnx.GraphProto;
  const initializers = new Set(graph.initializer.map((t) => t.name));
  const extra = graph.input.slice(1).map((i) => i.name ?? '').filter((name) => name !== '' && !initializers.has(name));
  if (extra.length > 1) throw new Error(`padStepsInputOf: more than one extra input (${extra.join(', ')})`);
  return extra[0];
}

/** Converts a tfjs LayersModel (model.json + weights) into the bytes of an ONNX file. */
export function convertLayersModel(input: ConvertInput, options: BuildOptions = {}): Uint8Array {
  return serializeModel(buildOnnxModel(input, options));
}

/**
 * Whether an ONNX file from this exporter needs every row of a call to have the call's width as its length
 * (a masked model: metadata prop dga.rowsOfOneLength), so that callers split batches by length.
 */
export function rowsOfOneLengthOf(bytes: Uint8Array): boolean {
  return parseModel(bytes).metadataProps.some((p) => p.key === 'dga.rowsOfOneLength' && p.value === 'true');
}
