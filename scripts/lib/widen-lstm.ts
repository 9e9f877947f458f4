import type * as tf from '@tensorflow/tfjs';

/**
 * Function-preserving widening of the LSTM (Net2Net-style), so that a larger model can start from a trained
 * smaller one instead of from scratch: `--init-from` a 64-unit model into a run with `--units 128`.
 *
 * Keras/tfjs LSTM weights hold the four gates side by side (i, f, c, o), each `units` columns wide. The old
 * units keep their columns inside each gate block; the new units get the fresh initialisation of the target
 * model (glorot input kernel, orthogonal recurrent kernel, forget bias 1), with two exceptions that make the
 * widened model compute exactly the old function at step 0:
 * - rows of the recurrent kernel from new units into old units' gates are zero (old units never see them);
 * - rows of the output heads (score, family) for new units are zero (the outputs ignore them).
 * The new units still run (their state is not zero), so the heads' gradients reach them and training grows them.
 */

export interface NamedWeights {
  name: string;
  shape: number[];
  values: Float32Array;
}

const LSTM = 'lstm/';
const HEADS = ['score/kernel', 'family/kernel'];

/** The LSTM unit count of a weight list (rows of its recurrent kernel), or undefined without one. */
export function lstmUnits(weights: readonly Pick<NamedWeights, 'name' | 'shape'>[]): number | undefined {
  return weights.find((w) => w.name === `${LSTM}recurrent_kernel`)?.shape[0];
}

/**
 * Returns `target` (same names and order, the wider model's fresh weights) with the trained `source` weights
 * placed into it. Every other weight must match in shape and is copied as it is.
 */
export function widenLstmWeights(source: readonly NamedWeights[], target: readonly NamedWeights[]): NamedWeights[] {
  const u = lstmUnits(source);
  const w = lstmUnits(target);
  if (u === undefined || w === undefined) throw new Error('both models need an lstm layer');
  if (w < u) throw new Error(`cannot narrow the LSTM from ${u} to ${w} units`);
  const bySource = new Map(source.map((s) => [s.name, s]));
  if (source.length !== target.length || target.some((t) => !bySource.has(t.name))) {
    throw new Error(`weights differ: saved ${source.map((s) => s.name).join(' ')}; this run's model ${target.map((t) => t.name).join(' ')}`);
  }
  return target.map((t) => {
    const s = bySource.get(t.name)!;
    const out = Float32Array.from(t.values);
    const sameShape = s.shape.join(',') === t.shape.join(',');
    if (t.name === `${LSTM}kernel` || t.name === `${LSTM}recurrent_kernel` || t.name === `${LSTM}bias`) {
      const rows = t.name.endsWith('bias') ? 1 : t.shape[0]!;
      const sourceRows = t.name.endsWith('bias') ? 1 : s.shape[0]!;
      for (let r = 0; r < rows; r++) {
        for (let g = 0; g < 4; g++) {
          for (let j = 0; j < u; j++) {
            // Old unit j of gate g: its trained weight from an old input/unit, zero from a new unit.
            out[r * 4 * w + g * w + j] = r < sourceRows ? s.values[r * 4 * u + g * u + j]! : 0;
          }
        }
      }
      return { ...t, values: out };
    }
    if (HEADS.includes(t.name)) {
      const cols = t.shape[1]!;
      if (s.shape[1] !== cols || s.shape[0] !== u) throw new Error(`${t.name}: saved [${s.shape.join(',')}], this run's model [${t.shape.join(',')}]`);
      out.fill(0);
      out.set(s.values.subarray(0, u * cols), 0);
      return { ...t, values: out };
    }
    if (!sameShape) throw new Error(`${t.name}: saved [${s.shape.join(',')}], this run's model [${t.shape.join(',')}] (only the LSTM units may differ)`);
    return { ...t, values: Float32Array.from(s.values) };
  });
}

/** The weights of a tfjs model as named Float32Arrays (names without the model's unique-name suffixes). */
export function namedWeights(model: tf.LayersModel): NamedWeights[] {
  return model.weights.map((v) => ({ name: v.originalName, shape: v.shape.map((d) => d ?? 0), values: Float32Array.from(v.read().dataSync() as Float32Array) }));
}
