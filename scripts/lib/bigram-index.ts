// The custom tfjs layers of the bigram branch (train.ts --bigrams; model/EXPERIMENTS.md section 5): a second
// embedding, of character pairs, added to the character embedding before the LSTM. Both register themselves
// with tfjs on import, which a saved model that has them needs before it loads: train-model.ts imports this
// file, so load such models through it (loadLayersModelDir). The exporter rebuilds the branch from ONNX ops.
import * as tf from '@tensorflow/tfjs';

/** Character indices [n, T] k steps later: column t holds column t - k, the first k columns 0 (before the start). */
function shiftRight(x: tf.Tensor2D, k: number): tf.Tensor2D {
  const [n, t] = x.shape;
  if (t <= k) return tf.zeros([n, t], 'int32');
  return tf.concat([tf.zeros([n, k], 'int32'), x.slice([0, 0], [n, t - k])], 1);
}

/**
 * A weightless layer that turns character indices [n, T] into bigram indices: prev * base + current, where
 * prev is the previous character (0 before the first), and 0 where the current step is padding, so the
 * bigram embedding masks exactly the steps the character embedding masks.
 */
export class BigramIndex extends tf.layers.Layer {
  static className = 'BigramIndex';
  readonly base: number;

  constructor(config: { name?: string; base: number }) {
    super({ ...config, dtype: 'int32', trainable: false });
    this.base = config.base;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0]! : inputs).toInt() as tf.Tensor2D;
      const idx = tf.add(tf.mul(shiftRight(x, 1), tf.scalar(this.base, 'int32')), x);
      return tf.where(tf.equal(x, 0), tf.zerosLike(idx), idx);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), base: this.base };
  }
}
tf.serialization.registerClass(BigramIndex);

/**
 * Trigram indices [n, T] from character indices (train.ts --trigrams; model/EXPERIMENTS.md section 17): the two previous characters
 * and the current one, ((prev2 * base + prev) * base + current) mod buckets + 1 (0 before the start), and 0
 * where the current step is padding. base^3 (54,872 for 38) rows would be 1.8 M weights, so the trigrams share
 * `buckets` rows: colliding trigrams share a vector, as in hashed n-gram features. With `order` 4 (train.ts
 * --fourgrams; section 19) the same for the three previous characters and the current one.
 */
export class TrigramIndex extends tf.layers.Layer {
  static className = 'TrigramIndex';
  readonly base: number;
  readonly buckets: number;
  /** Characters per n-gram: 3 (models saved before 4 existed have no `order`) or 4. */
  readonly order: number;

  constructor(config: { name?: string; base: number; buckets: number; order?: number }) {
    super({ ...config, dtype: 'int32', trainable: false });
    this.base = config.base;
    this.buckets = config.buckets;
    this.order = config.order ?? 3;
    if (this.order !== 3 && this.order !== 4) throw new Error(`TrigramIndex: order ${this.order} is not 3 or 4`);
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0]! : inputs).toInt() as tf.Tensor2D;
      const base = tf.scalar(this.base, 'int32');
      // Horner's rule over the characters order - 1 steps back to the current one.
      let code: tf.Tensor2D = shiftRight(x, this.order - 1);
      for (let k = this.order - 2; k >= 0; k--) code = tf.add(tf.mul(code, base), k === 0 ? x : shiftRight(x, k));
      const idx = tf.add(tf.mod(code, tf.scalar(this.buckets, 'int32')), tf.scalar(1, 'int32'));
      return tf.where(tf.equal(x, 0), tf.zerosLike(idx), idx);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    // order only when 4, so a trigram model's saved config stays as it was.
    return { ...super.getConfig(), base: this.base, buckets: this.buckets, ...(this.order === 3 ? {} : { order: this.order }) };
  }
}
tf.serialization.registerClass(TrigramIndex);

/**
 * Sum of the character and bigram embeddings that passes on the first input's mask (tfjs's own merge
 * layers add a leading dimension to the mask, which the LSTM then cannot use).
 */
export class MaskedSum extends tf.layers.Layer {
  static className = 'MaskedSum';
  /** Training only: the share of names whose bigram term is dropped (the rest scaled by 1 / (1 - rate)). */
  readonly dropRate: number;

  constructor(config: { name?: string; dropRate?: number }) {
    super(config);
    this.supportsMasking = true;
    this.dropRate = config.dropRate ?? 0;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return (inputShape as tf.Shape[])[0]!;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean } = {}): tf.Tensor {
    const [a, b] = inputs as tf.Tensor[];
    if (!kwargs.training || this.dropRate === 0) return tf.add(a!, b!);
    return tf.tidy(() => {
      const keep = tf.cast(tf.greaterEqual(tf.randomUniform([b!.shape[0]!, 1, 1]), this.dropRate), 'float32');
      return tf.add(a!, tf.mul(b!, tf.div(keep, 1 - this.dropRate)));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), dropRate: this.dropRate };
  }

  override computeMask(_inputs: tf.Tensor | tf.Tensor[], mask?: tf.Tensor | tf.Tensor[]): tf.Tensor {
    // tfjs's Layer typing has no null here, but a null mask is what "no mask" is at run time.
    return (Array.isArray(mask) ? mask[0] : mask) as tf.Tensor;
  }
}
tf.serialization.registerClass(MaskedSum);
