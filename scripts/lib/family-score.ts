import type * as tfTypes from '@tensorflow/tfjs';

/**
 * The DGA logit read from the family head: log P(any malware class) - log P(benign), from the family
 * layer's pre-softmax outputs z [n, K] (class 0 = benign): logsumexp(z[:, 1:]) - z[:, 0]. Measured on the
 * shipped model's validation and test splits it ranks names better at low false-positive rates than the
 * separate score head (model/EXPERIMENTS.md); metadata `architecture.scoreFrom: "family"` selects it, and
 * the ONNX export then computes the same in the graph (ReduceLogSumExp - Gather), so tfjs, float and int8
 * agree. The score is sigmoid(logit) = 1 - P(benign).
 */
export function familyHeadLogit(tf: typeof tfTypes, z: tfTypes.Tensor2D): tfTypes.Tensor1D {
  return tf.tidy(() => {
    const k = z.shape[1];
    const malware = tf.slice(z, [0, 1], [-1, k - 1]);
    const benign = tf.reshape(tf.slice(z, [0, 0], [-1, 1]), [-1]);
    return tf.sub(tf.logSumExp(malware, 1), benign) as tfTypes.Tensor1D;
  });
}

/** Where the served DGA score comes from: the score head (default) or the family head. */
export type ScoreFrom = 'score' | 'family';
