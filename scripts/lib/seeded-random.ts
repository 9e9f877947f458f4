/**
 * The project's one seeded PRNG (mulberry32: tiny, fast, good enough for shuffles, sampling and generated
 * fixtures). Training, the dataset builder, benchmarks and test fixtures all draw from it, so a seed means
 * the same sequence everywhere. Returns floats uniform in [0, 1).
 */
export function createRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
