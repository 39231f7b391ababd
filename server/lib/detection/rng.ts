/**
 * Louvain visits nodes in random order; with Math.random two runs on the same events would give
 * different communities (and so different community ids). A small seeded generator makes a run
 * reproducible from `--seed`.
 */

/** mulberry32: 32-bit state, passes the usual quick statistical checks, fast enough per node visit. */
export function seededRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
