import { readFileSync } from 'node:fs';
import type { IRChunk } from '../../../src/ir/index.js';
import type { JsonValue } from '../../../src/protocols/json.js';
import { ChatStreamDecoder } from '../../../src/translators/openai-chat/index.js';

const dir = new URL('../../fixtures/chat/', import.meta.url);

export const FIXTURES = [
  'openai-text',
  'vllm-parallel-tools',
  'vllm-reasoning',
  'llamacpp-think-tags',
  'vllm-midstream-error',
  'truncated',
] as const;

export type FixtureName = (typeof FIXTURES)[number];

export function fixtureBytes(name: FixtureName): Uint8Array {
  return new Uint8Array(readFileSync(new URL(`${name}.sse`, dir)));
}

export function expectedIR(name: FixtureName): IRChunk[] {
  return JSON.parse(readFileSync(new URL(`${name}.ir.json`, dir), 'utf8')) as IRChunk[];
}

/** The data payloads a client should read, parsed (`[DONE]` kept as the string). */
export function expectedChatFrames(name: FixtureName): JsonValue[] {
  return JSON.parse(readFileSync(new URL(`${name}.chat.json`, dir), 'utf8')) as JsonValue[];
}

export function decodeReads(reads: readonly Uint8Array[]): IRChunk[] {
  const decoder = new ChatStreamDecoder();
  const out: IRChunk[] = [];
  for (const read of reads) out.push(...decoder.push(read));
  out.push(...decoder.end());
  return out;
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

/** `bytes` cut at 1–12 random offsets. */
export function randomSplit(bytes: Uint8Array, random: () => number): Uint8Array[] {
  const cuts = new Set<number>();
  const count = 1 + Math.floor(random() * 12);
  for (let i = 0; i < count; i++) cuts.add(Math.floor(random() * (bytes.length + 1)));
  const sorted = [...cuts].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let start = 0;
  for (const cut of sorted) {
    pieces.push(bytes.subarray(start, cut));
    start = cut;
  }
  pieces.push(bytes.subarray(start));
  return pieces;
}
