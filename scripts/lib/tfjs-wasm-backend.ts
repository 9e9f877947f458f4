import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

/**
 * TensorFlow.js WASM backend set up for *training* in Node (pure tfjs; tfjs-node cannot be installed here).
 *
 * Three fixes on top of the stock 'wasm' backend (see /work/shared/NOTES.md, "Training with TensorFlow.js"):
 *
 * 1. `UnsortedSegmentSum` is not implemented for 'wasm', and it is the gradient of Gather, i.e. of the
 *    Embedding layer. We register a plain-JS kernel that reads and writes the WASM heap directly.
 * 2. The WASM `BatchMatMul` / `_FusedMatMul` kernels are several times slower when `transposeA` or
 *    `transposeB` is set, and backprop through Dense/LSTM uses transposed operands everywhere. We wrap the
 *    kernels so that a transposed operand is first materialised with the (fast) WASM Transpose kernel and
 *    the plain, untransposed product is computed. Results are identical up to float rounding order.
 * 3. The WASM `Slice` kernel copies its whole input out of the heap on every call (`readSync`), and
 *    `Unpack` / `SplitV` (the LSTM's per-step unstack and gate split) slice dozens of times per step: most
 *    of a training step went into copying and garbage collection. Slice, Unpack and SplitV are replaced
 *    by versions that copy only the sliced region, heap to heap.
 *
 * Single thread (the threaded build fails in Node), SIMD on.
 */

type KernelFunc = tf.KernelFunc;
// The WASM backend's internals we rely on (BackendWasm is not exported with these members typed).
interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number, values?: tf.backend_util.BackendValues): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: object, force?: boolean): boolean;
}

/** Directory (with trailing slash) holding the tfjs-backend-wasm `.wasm` binaries. */
export function wasmBinaryDir(): string {
  const require = createRequire(import.meta.url);
  // The package's "main" is dist/tf-backend-wasm.node.js; the binaries sit next to it.
  const main = require.resolve('@tensorflow/tfjs-backend-wasm');
  return join(dirname(main), '/');
}

/** Plain-JS UnsortedSegmentSum for 'wasm': out[s, ...] = sum of x[i, ...] over i with segmentIds[i] = s. */
const unsortedSegmentSumKernel: KernelFunc = ({ inputs, backend, attrs }) => {
  const wasm = backend as unknown as WasmBackendLike;
  const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const { numSegments } = attrs as unknown as { numSegments: number };
  if (x.dtype !== 'float32' && x.dtype !== 'int32') {
    throw new Error(`UnsortedSegmentSum (wasm): dtype ${x.dtype} not supported`);
  }
  const idsShape = segmentIds.shape;
  for (let i = 0; i < idsShape.length; i++) {
    if (x.shape[i] !== idsShape[i]) {
      throw new Error(`UnsortedSegmentSum (wasm): segmentIds shape [${idsShape}] is not a prefix of x shape [${x.shape}]`);
    }
  }
  const inner = x.shape.slice(idsShape.length);
  const innerSize = inner.reduce((a, b) => a * b, 1);
  const out = wasm.makeOutput([numSegments, ...inner], x.dtype);
  // Views are taken only after makeOutput: allocating may grow (and detach) the WASM memory buffer.
  const outValues = wasm.typedArrayFromHeap(out);
  const xValues = wasm.typedArrayFromHeap(x);
  const ids = wasm.typedArrayFromHeap(segmentIds);
  outValues.fill(0);
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i]!;
    if (s < 0 || s >= numSegments) continue; // TensorFlow drops out-of-range ids
    const src = i * innerSize;
    const dst = s * innerSize;
    for (let j = 0; j < innerSize; j++) outValues[dst + j]! += xValues[src + j]!;
  }
  return out;
};

function lastTwoSwapped(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return perm;
}

/**
 * Wraps a matmul-like WASM kernel (inputs a, b; attrs transposeA, transposeB): transposed operands are
 * transposed explicitly first, then the original kernel runs with both flags false.
 */
function untransposingKernel(original: KernelFunc, transpose: KernelFunc): KernelFunc {
  return (args) => {
    const attrs = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
    if (!attrs.transposeA && !attrs.transposeB) return original(args);
    const wasm = args.backend as unknown as WasmBackendLike;
    const inputs = { ...(args.inputs as Record<string, tf.TensorInfo>) };
    const temporaries: tf.TensorInfo[] = [];
    for (const [key, flag] of [['a', attrs.transposeA], ['b', attrs.transposeB]] as const) {
      if (!flag) continue;
      const t = inputs[key]!;
      const transposed = transpose({
        inputs: { x: t },
        backend: args.backend,
        attrs: { perm: lastTwoSwapped(t.shape.length) } as unknown as tf.NamedAttrMap,
      }) as tf.TensorInfo;
      temporaries.push(transposed);
      inputs[key] = transposed;
    }
    try {
      return original({
        ...args,
        inputs: inputs as unknown as tf.NamedTensorInfoMap,
        attrs: { ...args.attrs, transposeA: false, transposeB: false } as unknown as tf.NamedAttrMap,
      });
    } finally {
      for (const t of temporaries) wasm.disposeData(t.dataId);
    }
  };
}

/**
 * Slice without the full copy: the stock WASM Slice kernel calls `backend.readSync(x)`, which copies the
 * *whole* input out of the WASM heap for every slice. Unpack (the LSTM's per-time-step unstack) and SplitV
 * (the LSTM's gate split) call it dozens of times per step, so training spends most of its time copying
 * and garbage-collecting. This version copies only the sliced region, heap to heap.
 */
function sliceKernel(original: KernelFunc): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const x = (inputs as { x: tf.TensorInfo }).x;
    if (x.dtype === 'string' || x.dtype === 'complex64') return original(args);
    const wasm = backend as unknown as WasmBackendLike;
    const { begin, size } = attrs as unknown as { begin: number | number[]; size?: number | number[] };
    const [begin_, size_] = tf.slice_util.parseSliceParams(x as unknown as tf.TensorInfo & tf.Tensor, begin, size) as [number[], number[]];
    const out = wasm.makeOutput(size_, x.dtype);
    const outSize = size_.reduce((a, b) => a * b, 1);
    if (outSize === 0) return out;
    // Views after makeOutput (allocation may grow the heap and detach older views).
    const outVals = wasm.typedArrayFromHeap(out);
    const xVals = wasm.typedArrayFromHeap(x);
    const xStrides = tf.util.computeStrides(x.shape);
    if (tf.slice_util.isSliceContinous(x.shape, begin_, size_)) {
      const offset = tf.slice_util.computeFlatOffset(begin_, xStrides);
      outVals.set(xVals.subarray(offset, offset + outSize));
      return out;
    }
    // Generic strided copy, one run along the last axis at a time.
    const rank = x.shape.length;
    const run = size_[rank - 1]!;
    const index = new Array<number>(rank - 1).fill(0);
    for (let outOffset = 0; outOffset < outSize; outOffset += run) {
      let xOffset = begin_[rank - 1]!;
      for (let d = 0; d < rank - 1; d++) xOffset += (begin_[d]! + index[d]!) * xStrides[d]!;
      outVals.set(xVals.subarray(xOffset, xOffset + run), outOffset);
      for (let d = rank - 2; d >= 0; d--) {
        if (++index[d]! < size_[d]!) break;
        index[d] = 0;
      }
    }
    return out;
  };
}

/** Unpack through the copy-free slice (the stock kernel calls the copying slice directly). */
function unpackKernel(slice: KernelFunc): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const value = (inputs as { value: tf.TensorInfo }).value;
    let axis = (attrs as unknown as { axis: number }).axis;
    if (axis < 0) axis += value.shape.length;
    const outShape = value.shape.filter((_, i) => i !== axis);
    const begin = new Array<number>(value.shape.length).fill(0);
    const size = value.shape.slice();
    size[axis] = 1;
    const outs: tf.TensorInfo[] = [];
    for (let i = 0; i < value.shape[axis]!; i++) {
      begin[axis] = i;
      const o = slice({ inputs: { x: value }, backend, attrs: { begin: [...begin], size } as unknown as tf.NamedAttrMap }) as tf.TensorInfo;
      outs.push({ dataId: o.dataId, dtype: o.dtype, shape: outShape });
    }
    return outs;
  };
}

/** SplitV through the copy-free slice. */
function splitVKernel(slice: KernelFunc): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const x = (inputs as { x: tf.TensorInfo }).x;
    const { numOrSizeSplits, axis } = attrs as unknown as { numOrSizeSplits: number | number[]; axis: number };
    const $axis = tf.util.parseAxisParam(axis, x.shape)[0]!;
    const splitSizes = tf.backend_util.prepareSplitSize(x as unknown as tf.Tensor, numOrSizeSplits, $axis);
    const begin = new Array<number>(x.shape.length).fill(0);
    return splitSizes.map((s) => {
      const size = x.shape.slice();
      size[$axis] = s;
      const o = slice({ inputs: { x }, backend, attrs: { begin: [...begin], size } as unknown as tf.NamedAttrMap }) as tf.TensorInfo;
      begin[$axis]! += s;
      return o;
    });
  };
}

function replaceKernel(name: string, make: (original: tf.KernelConfig) => KernelFunc): void {
  const original = tf.getKernel(name, 'wasm');
  if (original === undefined) throw new Error(`tfjs-backend-wasm: no ${name} kernel registered`);
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({
    kernelName: name,
    backendName: 'wasm',
    setupFunc: original.setupFunc,
    disposeFunc: original.disposeFunc,
    kernelFunc: make(original),
  });
}

let kernelsPatched = false;

/**
 * Registers the two fixes for the 'wasm' backend. Idempotent. Call before `tf.setBackend('wasm')` (it also
 * works afterwards: the wrapped kernels reuse the originals' setup).
 */
export function registerWasmTrainingKernels(options: { fastTransposedMatMul?: boolean; fastSlice?: boolean } = {}): void {
  if (kernelsPatched) return;
  if (tf.getKernel('UnsortedSegmentSum', 'wasm') === undefined) {
    tf.registerKernel({ kernelName: 'UnsortedSegmentSum', backendName: 'wasm', kernelFunc: unsortedSegmentSumKernel });
  }
  if (options.fastTransposedMatMul !== false) {
    const transpose = tf.getKernel('Transpose', 'wasm');
    if (transpose === undefined) throw new Error('tfjs-backend-wasm: no Transpose kernel registered');
    for (const name of ['BatchMatMul', '_FusedMatMul']) {
      replaceKernel(name, (original) => untransposingKernel(original.kernelFunc, transpose.kernelFunc));
    }
  }
  if (options.fastSlice !== false) {
    replaceKernel('Slice', (original) => sliceKernel(original.kernelFunc));
    const slice = tf.getKernel('Slice', 'wasm')!.kernelFunc;
    replaceKernel('Unpack', () => unpackKernel(slice));
    replaceKernel('SplitV', () => splitVKernel(slice));
  }
  kernelsPatched = true;
}

export interface WasmSetupOptions {
  /** Directory of the .wasm binaries (default: next to the installed tfjs-backend-wasm). */
  wasmDir?: string;
  /** Use the SIMD build (default true). */
  simd?: boolean;
  /** Wrap transposed MatMuls (default true; false only for benchmarks). */
  fastTransposedMatMul?: boolean;
  /** Copy-free Slice/Unpack/SplitV (default true; false only for benchmarks). */
  fastSlice?: boolean;
}

let initialised: Promise<typeof tf> | undefined;

/** Makes 'wasm' the active tfjs backend with the training fixes above. Safe to call more than once. */
export function setupWasmBackend(options: WasmSetupOptions = {}): Promise<typeof tf> {
  initialised ??= (async () => {
    registerWasmTrainingKernels({ fastTransposedMatMul: options.fastTransposedMatMul, fastSlice: options.fastSlice });
    // Emscripten in Node reads the binary from a file path; a file path (not a file:// URL) with a trailing
    // slash is what tfjs-backend-wasm concatenates the binary name to.
    setWasmPaths(options.wasmDir ?? wasmBinaryDir());
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    tf.env().set('WASM_HAS_SIMD_SUPPORT', options.simd ?? true);
    const ok = await tf.setBackend('wasm');
    if (!ok) throw new Error('could not initialise the tfjs wasm backend');
    await tf.ready();
    return tf;
  })();
  return initialised;
}
