/**
 * Seedable random sources. Strategies take a `RandomSource` instead of calling
 * `Math.random` so that tests can replay a sequence exactly.
 */

/** Returns a number in [0, 1), like `Math.random`. */
export type RandomSource = () => number;

export const systemRandom: RandomSource = Math.random;

/**
 * mulberry32: a tiny 32-bit generator with a full 2^32 period and good
 * statistical quality for load balancing and jitter (not for secrets).
 */
export function mulberry32(seed: number): RandomSource {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
