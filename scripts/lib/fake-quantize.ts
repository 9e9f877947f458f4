import * as tf from '@tensorflow/tfjs';
import { dequantize, quantizePerChannel } from './onnx-quantize.js';

/**
 * Quantization-aware training (QAT) for the int8 export, with a straight-through estimator.
 *
 * The int8 file stores exactly these kernels as int8 codes with one scale per output column (see
 * tfjs-to-onnx.ts, scheme "int8-weights"): the LSTM's kernel and recurrent kernel and the two dense heads'
 * kernels. Quantizing a trained float model afterwards moved scores by up to 0.07 on our model (the
 * recurrent weights compound the rounding over 40 steps). QAT trains the model that int8 will run instead:
 *
 *   - before each batch, every target kernel W (the "shadow", kept in float) is replaced by Q(W), the
 *     values its int8 codes stand for, so the forward pass and the gradients are those of the int8 model;
 *   - after the batch, the optimizer's step d = Q(W)' - Q(W) is applied to the shadow: W <- W + d. Steps
 *     smaller than a quantization step accumulate in the shadow instead of being rounded away (the
 *     straight-through estimator: rounding is treated as the identity in the backward pass);
 *   - validation runs on Q(W), and the final model is snapped to Q(W), so the tfjs weights, the float ONNX
 *     and the int8 ONNX describe the same network (they differ only by float rounding in the graph).
 *
 * Per-channel symmetric quantization is the exporter's own function (onnx-quantize.ts), applied per column
 * of the Keras [in, out] kernel, which is per row of ONNX's [4U, in] W/R (gate order does not matter).
 */

/** Layer weights the int8 export stores as int8 (layer name -> weight name suffix). */
const TARGETS: readonly { layer: string; weight: string }[] = [
  { layer: 'lstm', weight: 'recurrent_kernel' },
  { layer: 'lstm', weight: 'kernel' },
  { layer: 'score', weight: 'kernel' },
  { layer: 'family', weight: 'kernel' },
  // train.ts --bigrams: the bigram table, int8 per column like the kernels (the character table stays float).
  { layer: 'bigram_embedding', weight: 'embeddings' },
  // train.ts --trigrams: the hashed trigram table, likewise.
  { layer: 'trigram_embedding', weight: 'embeddings' },
  // train.ts --fourgrams: the hashed four-gram table, likewise.
  { layer: 'fourgram_embedding', weight: 'embeddings' },
];

/** The model's weights that the int8 export quantizes (the family head only when the model has one). */
export function quantizedWeights(model: tf.LayersModel): tf.LayerVariable[] {
  const found: tf.LayerVariable[] = [];
  for (const { layer, weight } of TARGETS) {
    if (!model.layers.some((l) => l.name === layer)) continue;
    // A Bidirectional wrapper (train.ts --bidirectional) holds each weight twice: forward, then backward.
    const variables = model.getLayer(layer).weights.filter((w) => baseName(w.originalName) === weight);
    if (variables.length === 0) throw new Error(`fake-quantize: layer "${layer}" has no weight "${weight}"`);
    found.push(...variables);
  }
  return found;
}

function baseName(name: string): string {
  return name.slice(name.lastIndexOf('/') + 1).replace(/_\d+$/, '');
}

/** The float32 values a [.., out] kernel has after int8 per-column quantization and dequantization. */
export function snapToInt8Grid(values: Float32Array, shape: readonly number[]): Float32Array {
  return dequantize(quantizePerChannel(values, shape, shape.length - 1));
}

function snapped(variable: tf.LayerVariable): tf.Tensor {
  const value = variable.read();
  return tf.tensor(snapToInt8Grid(value.dataSync() as Float32Array, value.shape), value.shape, 'float32');
}

/** Replaces every target weight by its int8 grid values, for good (the end of QAT, or plain rounding). */
export function snapModelToInt8Grid(model: tf.LayersModel): void {
  for (const v of quantizedWeights(model)) {
    const q = snapped(v);
    v.write(q);
    q.dispose();
  }
}

/**
 * The straight-through swap around one batch (or one validation pass): `enter` puts Q(W) in place and
 * keeps W; `leave` restores W plus whatever the optimizer changed meanwhile (nothing, after validation).
 */
export class FakeQuantizer {
  private readonly variables: tf.LayerVariable[];
  private saved: { shadow: tf.Tensor; quantized: tf.Tensor }[] | undefined;

  constructor(model: tf.LayersModel) {
    this.variables = quantizedWeights(model);
  }

  enter(): void {
    if (this.saved) throw new Error('FakeQuantizer.enter: already entered');
    this.saved = this.variables.map((v) => {
      const shadow = v.read().clone();
      const quantized = snapped(v);
      v.write(quantized);
      return { shadow, quantized };
    });
  }

  leave(): void {
    if (!this.saved) throw new Error('FakeQuantizer.leave: not entered');
    this.variables.forEach((v, i) => {
      const { shadow, quantized } = this.saved![i]!;
      const updated = tf.tidy(() => shadow.add(v.read().sub(quantized)));
      v.write(updated);
      tf.dispose([shadow, quantized, updated]);
    });
    this.saved = undefined;
  }
}
