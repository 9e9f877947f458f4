import * as ort from 'onnxruntime-web/wasm';
import { paddedRowLength } from '../core/encode.js';
import type { ModelMetadata } from '../core/metadata.js';
import type { Scorer, ScoreBatch } from '../core/scorer.js';
import { createWasmPlaceholder, withPrecompiledWasm } from './wasm-handoff.js';

/**
 * The one module that talks to onnxruntime-web. It configures ORT's global `env` once, initialises the
 * WASM runtime once per isolate/process behind a memoised promise, serialises session creation, and
 * exposes a model as a `Scorer`.
 */
export interface OnnxScorerOptions {
  /** The .onnx file's bytes. */
  model: ArrayBuffer | Uint8Array;
  /**
   * ORT's WebAssembly (ort-wasm-simd-threaded.wasm): a compiled WebAssembly.Module in workerd (where
   * compiling from bytes is forbidden), or its bytes in Node.
   */
  wasm: WebAssembly.Module | ArrayBuffer | Uint8Array;
  /** Columns of the input matrix (the metadata's maxLength). */
  maxLength: number;
  /** Graph input and output names (metadata.onnx). Defaults: chars / score / logit. */
  inputName?: string;
  scoreName?: string;
  logitName?: string;
  /** Family-head output (metadata.onnx.family); omit for a model without one. */
  familyName?: string;
  /**
   * The pad-steps input of a padding-folded model (metadata.onnx.padSteps): then `score` takes any width
   * 1..maxLength and feeds pad_steps = maxLength - width. Omit for an older model (full width only).
   */
  padStepsName?: string;
  /**
   * The graph is exact only when every row of a call is as long as the call is wide (a masked model, see
   * scripts/lib/tfjs-to-onnx.ts): score() then splits a batch into one call per row length. An all-padding
   * row is run as one padding character (the classifier never sends one).
   */
  rowsOfOneLength?: boolean;
}

let configured = false;
let sessionQueue: Promise<unknown> = Promise.resolve();
let wasmMemory: WebAssembly.Memory | undefined;

/**
 * Bytes of ORT's wasm linear memory in this isolate/process (undefined before the first session). It is
 * not part of the JS heap and only grows, so it is the figure to watch next to the heap.
 */
export function ortWasmMemoryBytes(): number | undefined {
  return wasmMemory?.buffer.byteLength;
}

/**
 * Configures ORT's global env once per isolate/process. In workerd ORT gets a placeholder binary and the
 * real module is swapped in while the first session is created (see wasm-handoff.ts); in Node it gets the
 * bytes directly.
 */
function configureRuntime(wasm: OnnxScorerOptions['wasm']): void {
  if (configured) return;
  ort.env.wasm.numThreads = 1; // workerd has no threads; in Node they would only add start-up cost.
  ort.env.wasm.proxy = false;
  ort.env.logLevel = 'error';
  ort.env.wasm.wasmBinary = wasm instanceof WebAssembly.Module ? createWasmPlaceholder() : new Uint8Array(wasm);
  configured = true;
}

/** Creates sessions one at a time: ORT's wasm initialisation is not re-entrant. */
function serialised<T>(task: () => Promise<T>): Promise<T> {
  const run = sessionQueue.then(task, task);
  sessionQueue = run.catch(() => undefined);
  return run;
}

/** The scorer options a model's metadata fixes: width and the graph's input and output names. */
export function scorerOptionsFrom(metadata: ModelMetadata): Omit<OnnxScorerOptions, 'model' | 'wasm'> {
  return {
    maxLength: metadata.maxLength,
    inputName: metadata.onnx.input,
    scoreName: metadata.onnx.score,
    logitName: metadata.onnx.logit,
    familyName: metadata.onnx.family,
    padStepsName: metadata.onnx.padSteps,
    rowsOfOneLength: metadata.architecture.maskPadding === true,
  };
}

/**
 * Loads an ONNX model and returns a Scorer over it. Throws (rejects) if the wasm cannot be initialised or
 * the model cannot be parsed; the caller decides how to report that (the Worker answers 503).
 */
export async function createOnnxScorer(options: OnnxScorerOptions): Promise<Scorer> {
  const { maxLength, inputName = 'chars', scoreName = 'score', logitName = 'logit', familyName, padStepsName, rowsOfOneLength = false } = options;
  if (rowsOfOneLength && !padStepsName) throw new Error('createOnnxScorer: rowsOfOneLength needs a padding-folded model (padStepsName)');
  if (!Number.isInteger(maxLength) || maxLength < 1) throw new RangeError('createOnnxScorer: maxLength must be a positive integer');
  configureRuntime(options.wasm);
  const model = options.model instanceof Uint8Array ? options.model : new Uint8Array(options.model);
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    executionProviders: ['wasm'],
    graphOptimizationLevel: 'all',
  };
  const wasm = options.wasm;
  const session = await serialised(() =>
    withPrecompiledWasm(
      wasm instanceof WebAssembly.Module ? wasm : undefined,
      () => ort.InferenceSession.create(model, sessionOptions),
      (memory) => {
        wasmMemory = memory;
      },
    ),
  );
  for (const name of [scoreName, logitName, ...(familyName ? [familyName] : [])]) {
    if (!session.outputNames.includes(name)) {
      throw new Error(`ONNX model has no output "${name}" (outputs: ${session.outputNames.join(', ')})`);
    }
  }
  for (const name of [inputName, ...(padStepsName ? [padStepsName] : [])]) {
    if (!session.inputNames.includes(name)) {
      throw new Error(
        `ONNX model has no input "${name}" (inputs: ${session.inputNames.join(', ')})` +
          (name === padStepsName ? '; the metadata names a pad-steps input the model lacks: re-export the model' : ''),
      );
    }
  }
  const unfed = session.inputNames.filter((name) => name !== inputName && name !== padStepsName);
  if (unfed.length > 0) {
    throw new Error(`ONNX model has inputs this scorer does not feed: ${unfed.join(', ')} (a padding-folded model needs metadata.onnx.padSteps)`);
  }

  /** One session run over rows that the graph may take together. */
  async function run(chars: Int32Array, count: number, width: number): Promise<ScoreBatch> {
    const feeds: Record<string, ort.Tensor> = { [inputName]: new ort.Tensor('int32', chars, [count, width]) };
    if (padStepsName) feeds[padStepsName] = new ort.Tensor('int32', new Int32Array(count).fill(maxLength - width), [count]);
    const outputs = await session.run(feeds);
    // CPU tensors' data are plain typed arrays owned by JS; no copy needed.
    return {
      scores: outputs[scoreName]!.data as Float32Array,
      logits: outputs[logitName]!.data as Float32Array,
      families: familyName ? (outputs[familyName]!.data as Float32Array) : undefined,
    };
  }

  /** For a rowsOfOneLength graph: one run per row length, each row cut to its own length, results in row order. */
  async function runByLength(chars: Int32Array, count: number, width: number): Promise<ScoreBatch> {
    const byLength = new Map<number, number[]>();
    for (let r = 0; r < count; r++) {
      const length = Math.max(1, paddedRowLength(chars, r, width));
      let rows = byLength.get(length);
      if (!rows) byLength.set(length, (rows = []));
      rows.push(r);
    }
    if (byLength.size === 1 && byLength.has(width)) return run(chars, count, width);
    const scores = new Float32Array(count);
    const logits = new Float32Array(count);
    let families: Float32Array | undefined;
    for (const [length, rows] of byLength) {
      const part = new Int32Array(rows.length * length);
      rows.forEach((r, i) => part.set(chars.subarray(r * width + width - length, (r + 1) * width), i * length));
      const out = await run(part, rows.length, length);
      const k = out.families ? out.families.length / rows.length : 0;
      if (out.families && !families) families = new Float32Array(count * k);
      rows.forEach((r, i) => {
        scores[r] = out.scores[i]!;
        logits[r] = out.logits[i]!;
        if (out.families) families!.set(out.families.subarray(i * k, (i + 1) * k), r * k);
      });
    }
    return { scores, logits, families };
  }

  return {
    async score(chars: Int32Array, count: number, width = maxLength): Promise<ScoreBatch> {
      if (!Number.isInteger(width) || width < 1 || width > maxLength) {
        throw new RangeError(`score: width must be an integer in 1..${maxLength}, got ${width}`);
      }
      if (width !== maxLength && !padStepsName) {
        throw new RangeError(`score: this model takes full-width input only (${maxLength}), got width ${width}; re-export it to fold padding`);
      }
      if (chars.length !== count * width) {
        throw new RangeError(`score: expected ${count} x ${width} indices, got ${chars.length}`);
      }
      if (count === 0) return { scores: new Float32Array(0), logits: new Float32Array(0) };
      return rowsOfOneLength ? runByLength(chars, count, width) : run(chars, count, width);
    },
  };
}
