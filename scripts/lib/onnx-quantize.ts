/**
 * Int8 weight quantization for the exporter (no Python, no onnxruntime.quantization): symmetric, per channel,
 * computed offline from the float weights, so the same weights always give the same bytes.
 *
 *   scale[c] = max |w[..., c, ...]| / 127   (float32; 1 for an all-zero channel)
 *   q        = round(w / scale[c])  clamped to [-127, 127]   (zero point 0; -128 is never used)
 *   w ~ q * scale[c]                                         (what DequantizeLinear / the int8 kernels compute)
 *
 * -128 is left out so that the range is symmetric: a weight and its negation quantize to negated codes.
 * Rounding is half away from zero, done here in double precision from float32 inputs.
 */

export interface QuantizedTensor {
  /** Int8 codes, same layout and dims as the float tensor. */
  q: Int8Array;
  /** One float32 scale per channel along `axis`. */
  scales: Float32Array;
  dims: readonly number[];
  axis: number;
}

function count(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** Symmetric per-channel int8 quantization of a row-major tensor along `axis`. */
export function quantizePerChannel(values: Float32Array, dims: readonly number[], axis: number): QuantizedTensor {
  const n = count(dims);
  if (values.length !== n) throw new RangeError(`quantizePerChannel: ${values.length} values for dims [${dims.join(', ')}] (${n} elements)`);
  if (!Number.isInteger(axis) || axis < 0 || axis >= dims.length) throw new RangeError(`quantizePerChannel: axis ${axis} out of range for dims [${dims.join(', ')}]`);
  const channels = dims[axis]!;
  const inner = count(dims.slice(axis + 1));
  const channelOf = (i: number) => Math.floor(i / inner) % channels;
  const maxAbs = new Float64Array(channels);
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) throw new RangeError(`quantizePerChannel: non-finite weight ${v} at ${i}`);
    const c = channelOf(i);
    maxAbs[c] = Math.max(maxAbs[c]!, Math.abs(v));
  }
  const scales = Float32Array.from(maxAbs, (m) => (m > 0 ? Math.fround(m / 127) : 1));
  const q = new Int8Array(n);
  for (let i = 0; i < n; i++) {
    const x = values[i]! / scales[channelOf(i)]!;
    const r = Math.sign(x) * Math.round(Math.abs(x));
    q[i] = Math.max(-127, Math.min(127, r));
  }
  return { q, scales, dims: [...dims], axis };
}

/** q * scale, in float32 (what the runtime sees). */
export function dequantize(t: QuantizedTensor): Float32Array {
  const channels = t.dims[t.axis]!;
  const inner = count(t.dims.slice(t.axis + 1));
  return Float32Array.from(t.q, (v, i) => Math.fround(v * t.scales[Math.floor(i / inner) % channels]!));
}

/** Largest |w - dequantize(quantize(w))|, relative to the channel's largest |w| (at most 0.5/127). */
export function maxRelativeError(values: Float32Array, t: QuantizedTensor): number {
  const back = dequantize(t);
  const channels = t.dims[t.axis]!;
  const inner = count(t.dims.slice(t.axis + 1));
  let worst = 0;
  for (let i = 0; i < values.length; i++) {
    const scale = t.scales[Math.floor(i / inner) % channels]!;
    worst = Math.max(worst, Math.abs(values[i]! - back[i]!) / (127 * scale));
  }
  return worst;
}

/** Row-major transpose of the last two dims of a [..., rows, cols] tensor. */
export function transposeLast2<T extends Float32Array | Int8Array>(values: T, dims: readonly number[]): T {
  const rows = dims.at(-2)!;
  const cols = dims.at(-1)!;
  const outer = count(dims.slice(0, -2));
  const out = new (values.constructor as { new (n: number): T })(values.length);
  for (let o = 0; o < outer; o++) {
    const base = o * rows * cols;
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[base + c * rows + r] = values[base + r * cols + c]!;
  }
  return out;
}
