import type { RandomSource } from '../../src/util/random.js';

export { mulberry32 } from '../../src/util/random.js';

/**
 * `bytes` cut at 1–`maxCuts` random offsets; each piece is its own buffer, as
 * network reads are. With a seeded source (mulberry32) the same splits come
 * back on every run.
 */
export function randomSplit(bytes: Uint8Array, random: RandomSource, maxCuts = 16): Uint8Array[] {
  const cuts = new Set<number>();
  const count = 1 + Math.floor(random() * maxCuts);
  for (let i = 0; i < count; i++) cuts.add(Math.floor(random() * (bytes.length + 1)));
  const sorted = [...cuts].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let start = 0;
  for (const cut of [...sorted, bytes.length]) {
    pieces.push(bytes.slice(start, cut));
    start = cut;
  }
  return pieces;
}
