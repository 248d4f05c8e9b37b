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

export { mulberry32, randomSplit } from '../../helpers/splits.js';
