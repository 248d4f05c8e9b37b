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

export { mulberry32, randomSplit } from '../../helpers/splits.js';
