/**
 * What the classifier needs from a model runtime: scores for a batch of encoded names. The ONNX adapter
 * (src/runtime/onnx-scorer.ts) implements it for the Worker and the CLI; tests may implement it directly.
 */
export interface Scorer {
  /**
   * Scores `count` names given as a row-major [count, width] matrix of character indices, pre-padded to
   * `width` (default and at most maxLength). Resolves to the model's probability of "DGA" and its logit, one
   * entry per row. A width below maxLength needs a padding-folded model (metadata.onnx.padSteps); the
   * results equal those of the same names padded to maxLength.
   */
  score(chars: Int32Array, count: number, width?: number): Promise<ScoreBatch>;
}

export interface ScoreBatch {
  scores: Float32Array;
  logits: Float32Array;
  /** Family-head probabilities, row-major [count, families.length], when the model has a family head. */
  families?: Float32Array;
}
