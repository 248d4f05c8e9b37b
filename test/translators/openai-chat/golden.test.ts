import { describe, expect, it } from 'vitest';
import { SseParser } from '../../../src/framing/index.js';
import type { IRChunk } from '../../../src/ir/index.js';
import type { JsonValue } from '../../../src/protocols/json.js';
import { ChatStreamEncoder } from '../../../src/translators/openai-chat/index.js';
import {
  FIXTURES,
  decodeReads,
  expectedChatFrames,
  expectedIR,
  fixtureBytes,
  mulberry32,
  randomSplit,
} from './fixtures.js';

function encode(chunks: readonly IRChunk[], includeUsage: boolean): string {
  const encoder = new ChatStreamEncoder({ requestedModel: 'client-model', includeUsage });
  let text = '';
  for (const chunk of chunks) text += encoder.push(chunk);
  return text + encoder.end();
}

function frames(text: string): JsonValue[] {
  const parser = new SseParser();
  return [...parser.push(text), ...parser.end()].map((e) => (e.data === '[DONE]' ? '[DONE]' : (JSON.parse(e.data) as JsonValue)));
}

describe.each(FIXTURES)('golden fixture %s', (name) => {
  const bytes = fixtureBytes(name);
  const expected = expectedIR(name);

  it('decodes to the expected IR chunks, in order', () => {
    expect(decodeReads([bytes])).toEqual(expected);
  });

  it('decodes identically when split at 50 seeded random sets of byte offsets', () => {
    const random = mulberry32(0x5eed + name.length);
    for (let trial = 0; trial < 50; trial++) {
      const pieces = randomSplit(bytes, random);
      expect(decodeReads(pieces), `trial ${trial}: ${pieces.map((p) => p.length).join('+')}`).toEqual(expected);
    }
  });

  it('decodes identically when fed one byte at a time', () => {
    const reads: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i++) reads.push(bytes.subarray(i, i + 1));
    expect(decodeReads(reads)).toEqual(expected);
  });

  it('encodes back to the expected Chat Completions frames', () => {
    expect(frames(encode(decodeReads([bytes]), true))).toEqual(expectedChatFrames(name));
  });

  it('never emits an empty text or reasoning delta', () => {
    for (const chunk of expected) {
      if (chunk.type === 'text' || chunk.type === 'reasoning') expect(chunk.delta).not.toBe('');
    }
  });

  it('follows the IR stream grammar', () => {
    const types = expected.map((c) => c.type);
    const last = types[types.length - 1];
    expect(types[0]).toBe('start');
    expect(types.filter((t) => t === 'start')).toHaveLength(1);
    if (last === 'error') {
      expect(types).not.toContain('finish');
    } else {
      expect(types.filter((t) => t === 'finish')).toHaveLength(1);
      const finishAt = types.indexOf('finish');
      expect(types.slice(finishAt + 1).every((t) => t === 'usage')).toBe(true);
    }
  });
});

describe('golden fixtures: encoder without include_usage', () => {
  it('drops usage frames and the usage:null members', () => {
    const text = encode(decodeReads([fixtureBytes('vllm-reasoning')]), false);
    expect(text).not.toContain('"usage"');
    const parsed = frames(text);
    expect(parsed[parsed.length - 1]).toBe('[DONE]');
    expect(parsed.filter((f) => typeof f === 'object' && f !== null && !Array.isArray(f) && Array.isArray(f['choices']) && f['choices'].length === 0)).toEqual([]);
  });
});
