import { readFileSync } from 'node:fs';
import type { IRChunk } from '../../../src/ir/index.js';
import { ResponsesStreamDecoder } from '../../../src/translators/openai-responses/upstream.js';

const dir = new URL('../../fixtures/responses-upstream/', import.meta.url);

export const FIXTURES = ['text', 'reasoning-summary', 'parallel-tools', 'failed', 'incomplete', 'error-event', 'truncated'] as const;

export type FixtureName = (typeof FIXTURES)[number];

export function fixtureBytes(name: FixtureName): Uint8Array {
  return new Uint8Array(readFileSync(new URL(`${name}.sse`, dir)));
}

export function fixtureText(name: FixtureName): string {
  return readFileSync(new URL(`${name}.sse`, dir), 'utf8');
}

export function expectedIR(name: FixtureName): IRChunk[] {
  return JSON.parse(readFileSync(new URL(`${name}.ir.json`, dir), 'utf8')) as IRChunk[];
}

/** Every chunk a fresh decoder produces for these reads, end() included. */
export function decodeReads(reads: readonly Uint8Array[]): IRChunk[] {
  const decoder = new ResponsesStreamDecoder({ now: () => 1_700_000_000_000 });
  const out: IRChunk[] = [];
  for (const read of reads) out.push(...decoder.push(read));
  out.push(...decoder.end());
  return out;
}

export function decodeText(text: string): IRChunk[] {
  return decodeReads([new TextEncoder().encode(text)]);
}

/** Seeded PRNG (mulberry32): the same splits on every run. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `bytes` cut at 1–12 random offsets; every piece is copied into its own buffer, as a network read is. */
export function randomSplit(bytes: Uint8Array, random: () => number): Uint8Array[] {
  const cuts = new Set<number>();
  const count = 1 + Math.floor(random() * 12);
  for (let i = 0; i < count; i++) cuts.add(Math.floor(random() * (bytes.length + 1)));
  const sorted = [...cuts].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let start = 0;
  for (const cut of sorted) {
    pieces.push(bytes.slice(start, cut));
    start = cut;
  }
  pieces.push(bytes.slice(start));
  return pieces;
}
