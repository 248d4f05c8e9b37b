import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { IRChunk } from '../../../src/ir/index.js';
import { OllamaStreamDecoder } from '../../../src/translators/ollama/index.js';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/ollama/', import.meta.url));

export function readFixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(`${FIXTURES}${name}`));
}

/** A decoder with deterministic ids and clock, so replays compare exactly. */
export function testDecoder(options: { readonly templates?: boolean } = {}): OllamaStreamDecoder {
  let calls = 0;
  return new OllamaStreamDecoder({
    ...options,
    newId: (kind) => (kind === 'response' ? 'chatcmpl-test' : `call_gen_${calls++}`),
    now: () => 1_700_000_000_000,
  });
}

/** Feeds `bytes` cut at `cuts` (sorted offsets) and returns every chunk, end() included. */
export function decodeSplit(bytes: Uint8Array, cuts: readonly number[], options: { readonly templates?: boolean } = {}): IRChunk[] {
  const decoder = testDecoder(options);
  const out: IRChunk[] = [];
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    // Copy each piece: a network read is its own buffer, and the decoder must not rely on neighbours.
    out.push(...decoder.push(bytes.slice(start, cut)));
    start = cut;
  }
  out.push(...decoder.end());
  return out;
}

/** The project's seeded generator, so split positions are reproducible. */
export { mulberry32 as seededRandom } from '../../../src/util/random.js';

/** Up to `maxCuts` distinct sorted offsets strictly inside [1, length). */
export function randomCuts(random: () => number, length: number, maxCuts: number): number[] {
  const count = 1 + Math.floor(random() * maxCuts);
  const cuts = new Set<number>();
  for (let i = 0; i < count && length > 1; i++) cuts.add(1 + Math.floor(random() * (length - 1)));
  return [...cuts].sort((a, b) => a - b);
}
