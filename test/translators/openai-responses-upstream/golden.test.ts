import { describe, expect, it } from 'vitest';
import { accumulateResponse } from 'openai/lib/responses/ResponseAccumulator';
import type { Response, ResponseStreamEvent } from 'openai/resources/responses/responses';
import { SseParser } from '../../../src/framing/index.js';
import type { IRChunk } from '../../../src/ir/index.js';
import { FIXTURES, decodeReads, expectedIR, fixtureBytes, fixtureText, mulberry32, randomSplit } from './fixtures.js';

interface Folded {
  text: string;
  reasoning: string;
  calls: { id: string | undefined; name: string | undefined; arguments: string }[];
}

/** What a client would end up with after reading these chunks. */
function fold(chunks: readonly IRChunk[]): Folded {
  const folded: Folded = { text: '', reasoning: '', calls: [] };
  for (const chunk of chunks) {
    if (chunk.type === 'text') folded.text += chunk.delta;
    else if (chunk.type === 'reasoning') folded.reasoning += chunk.delta;
    else if (chunk.type === 'tool_call') {
      const call = (folded.calls[chunk.index] ??= { id: undefined, name: undefined, arguments: '' });
      if (chunk.id !== undefined) call.id = chunk.id;
      if (chunk.name !== undefined) call.name = chunk.name;
      call.arguments += chunk.argumentsDelta;
    }
  }
  return folded;
}

const TERMINAL = new Set(['response.completed', 'response.incomplete', 'response.failed']);

/**
 * The fixture's events run through the official SDK's stream accumulator,
 * which rejects events that do not fit the response so far: the snapshot
 * built from the streamed events, and the terminal event's response object.
 */
function sdkSnapshots(text: string): { streamed: Response | undefined; final: Response | undefined } {
  const parser = new SseParser();
  let streamed: Response | undefined;
  let final: Response | undefined;
  for (const event of parser.push(text)) {
    const parsed = JSON.parse(event.data) as ResponseStreamEvent;
    const next = accumulateResponse(parsed, final ?? streamed);
    if (TERMINAL.has(parsed.type)) final = next;
    else streamed = next;
  }
  return { streamed, final };
}

function content(response: Response): Folded {
  const folded: Folded = { text: '', reasoning: '', calls: [] };
  const summaries: string[] = [];
  for (const item of response.output) {
    if (item.type === 'message') {
      for (const part of item.content) if (part.type === 'output_text') folded.text += part.text;
    } else if (item.type === 'reasoning') {
      for (const part of item.summary) summaries.push(part.text);
    } else if (item.type === 'function_call') {
      folded.calls.push({ id: item.call_id, name: item.name, arguments: item.arguments });
    }
  }
  // The decoder joins summary parts with a blank line.
  folded.reasoning = summaries.join('\n\n');
  return folded;
}

describe.each(FIXTURES)('golden fixture %s', (name) => {
  const bytes = fixtureBytes(name);
  const expected = expectedIR(name);

  it('decodes to the expected IR chunks, in order', () => {
    expect(decodeReads([bytes])).toEqual(expected);
  });

  it('decodes identically when split at 50 seeded random sets of byte offsets', () => {
    const random = mulberry32(0x7e5b + name.length);
    for (let trial = 0; trial < 50; trial++) {
      const pieces = randomSplit(bytes, random);
      expect(decodeReads(pieces), `trial ${trial}: ${pieces.map((p) => p.length).join('+')}`).toEqual(expected);
    }
  });

  it('decodes identically when fed one byte at a time', () => {
    const reads: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i++) reads.push(bytes.slice(i, i + 1));
    expect(decodeReads(reads)).toEqual(expected);
  });

  it('never emits an empty text or reasoning delta', () => {
    for (const chunk of expected) {
      if (chunk.type === 'text' || chunk.type === 'reasoning') expect(chunk.delta).not.toBe('');
    }
  });

  it('follows the IR stream grammar', () => {
    const types = expected.map((c) => c.type);
    expect(types[0]).toBe('start');
    expect(types.filter((t) => t === 'start')).toHaveLength(1);
    if (types[types.length - 1] === 'error') {
      expect(types).not.toContain('finish');
      expect(types.filter((t) => t === 'error')).toHaveLength(1);
    } else {
      expect(types.filter((t) => t === 'finish')).toHaveLength(1);
      expect(types[types.length - 1]).toBe('finish');
      expect(types.filter((t) => t === 'usage')).toHaveLength(1);
      expect(types[types.length - 2]).toBe('usage');
    }
  });

  it('is a stream the official SDK accumulates without complaint, with the same content as the IR', () => {
    const { streamed, final } = sdkSnapshots(fixtureText(name));
    expect(streamed).toBeDefined();
    if (streamed === undefined) return;
    const first = expected[0];
    expect(first?.type === 'start' ? first.id : undefined).toBe(streamed.id);
    const folded = fold(expected);
    // What was streamed, also for a stream that failed or was cut off.
    expect(folded).toEqual(content(streamed));
    // A response that ended normally holds exactly what was streamed.
    if (final !== undefined && final.status !== 'failed') expect(folded).toEqual(content(final));
  });
});
