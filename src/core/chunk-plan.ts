/** One model call planned by planChunks: which rows (indices into its input) and the width they share. */
export interface Chunk {
  rows: number[];
  width: number;
}

/**
 * Relative cost of a model call, in units of one row through one LSTM step: a call costs CALL_COST +
 * width x (STEP_COST + rows). Measured with onnxruntime-web (int8 model, one thread): ~0.06 ms per call,
 * ~2 us per step, ~2.3 us per row-step.
 */
export const CHUNK_COSTS = { call: 26, step: 1 } as const;

/**
 * Groups rows of the given widths (each row's encoded length) into model calls, each padded only to its
 * own widest row: rows are sorted by width, and the split into calls minimises the estimated cost (fewer,
 * larger calls against less padding; dynamic programming over the distinct widths). A call of more than
 * `chunkSize` rows is cut into consecutive pieces, each again padded only to its own widest row.
 */
export function planChunks(widths: readonly number[], chunkSize: number, costs: { call: number; step: number } = CHUNK_COSTS): Chunk[] {
  if (!(Number.isInteger(chunkSize) && chunkSize >= 1)) throw new RangeError(`chunkSize must be a positive integer, got ${chunkSize}`);
  if (widths.length === 0) return [];
  // Distinct widths, ascending, with their rows in input order.
  const byWidth = new Map<number, number[]>();
  widths.forEach((w, row) => {
    const list = byWidth.get(w);
    if (list) list.push(row);
    else byWidth.set(w, [row]);
  });
  const groups = [...byWidth.entries()].sort((a, b) => a[0] - b[0]);
  // best[j]: cheapest cost of the first j groups; cut[j]: where the last call of that plan starts.
  const m = groups.length;
  const best = new Float64Array(m + 1);
  const cut = new Int32Array(m + 1);
  for (let j = 1; j <= m; j++) {
    best[j] = Infinity;
    const width = groups[j - 1]![0];
    let rows = 0;
    for (let i = j; i >= 1; i--) {
      rows += groups[i - 1]![1].length;
      const cost = best[i - 1]! + costs.call + width * (costs.step + rows);
      if (cost < best[j]!) {
        best[j] = cost;
        cut[j] = i - 1;
      }
    }
  }
  const calls: number[][][] = [];
  for (let j = m; j > 0; j = cut[j]!) calls.unshift(groups.slice(cut[j]!, j).map((g) => g[1]));
  const chunks: Chunk[] = [];
  for (const call of calls) {
    const rows = call.flat();
    for (let start = 0; start < rows.length; start += chunkSize) {
      const piece = rows.slice(start, start + chunkSize);
      chunks.push({ rows: piece, width: widths[piece.at(-1)!]! });
    }
  }
  return chunks;
}

/**
 * Builds the classifier shared by the Worker and the CLI: normalise, deduplicate the scored labels, encode,
 * score in chunks, and map scores back to the inputs in order.
 */
