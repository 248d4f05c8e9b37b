import { afterEach, describe, expect, it, vi } from 'vitest';
import { countTemplateReads } from '../../helpers/template-reads.js';
import type { IRChunk } from '../../../src/ir/index.js';
import { learnContentTemplate } from '../../../src/translators/openai-chat/content-template.js';
import { ChatStreamDecoder } from '../../../src/translators/openai-chat/index.js';
import type { RandomSource } from '../../../src/util/random.js';
import { FIXTURES, fixtureBytes, mulberry32, randomSplit } from './fixtures.js';

function decode(reads: readonly Uint8Array[], templates: boolean): IRChunk[] {
  const decoder = new ChatStreamDecoder({ templates });
  const out: IRChunk[] = [];
  for (const read of reads) out.push(...decoder.push(read));
  out.push(...decoder.end());
  return out;
}

const BASE = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'm', system_fingerprint: 'fp' };

function pick<T>(random: RandomSource, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

/** Text with what breaks naive scanners: quotes, backslashes, escapes, braces, non-ASCII, the key itself. */
function text(random: RandomSource): string {
  return pick(random, ['Hi', '', ' there', 'a "quoted" word', 'back\\slash\\', '\\"', '}{][', 'line\nbreak\ttab', 'é😀中', '"content":"x"', '<think>', '</think>', '\u0000\u001f']);
}

/** One chunk of a synthetic stream: mostly plain text, sometimes anything else a server sends. */
function chunk(random: RandomSource, i: number): string {
  const kind = random();
  let body: Record<string, unknown>;
  if (kind < 0.6) body = { ...BASE, choices: [{ index: 0, delta: { content: text(random) }, logprobs: null, finish_reason: null }], usage: null };
  else if (kind < 0.65) body = { ...BASE, choices: [{ index: 0, delta: { role: 'assistant', content: text(random), refusal: null }, finish_reason: null }] };
  else if (kind < 0.7) body = { ...BASE, choices: [{ index: 0, delta: { content: text(random), reasoning_content: text(random) }, finish_reason: null }] };
  else if (kind < 0.75) body = { ...BASE, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: `call_${i}`, function: { name: 'f', arguments: text(random) } }] }, finish_reason: null }] };
  else if (kind < 0.8) body = { ...BASE, choices: [{ index: 0, delta: { content: text(random) }, finish_reason: null }], usage: { prompt_tokens: 3, completion_tokens: i, total_tokens: 3 + i } };
  else if (kind < 0.85) body = { ...BASE, choices: [{ index: 0, delta: { content: text(random) }, logprobs: { content: [{ token: 'x', logprob: -1 }] }, finish_reason: null }] };
  else if (kind < 0.9) body = { ...BASE, choices: [{ index: 0, delta: { content: text(random) }, finish_reason: null }], usage: null, obfuscation: pick(random, ['a', 'bc"d', '']) };
  else if (kind < 0.93) body = { ...BASE, model: 'other', choices: [{ index: 0, delta: { content: text(random) }, finish_reason: null }] };
  else if (kind < 0.96) body = { ...BASE, choices: [{ index: 1, delta: { content: text(random) }, finish_reason: null }] };
  else body = { ...BASE, choices: [{ index: 0, delta: { content: text(random) }, finish_reason: pick(random, ['stop', 'length', 'tool_calls']) }] };
  return `data: ${JSON.stringify(body)}\n\n`;
}

afterEach(() => vi.restoreAllMocks());

describe('Chat content templates: the same IR as parsing every chunk whole', () => {
  it('on every golden fixture, under 50 seeded random splits', () => {
    const reads = countTemplateReads();
    const random = mulberry32(7);
    for (const name of FIXTURES) {
      const bytes = fixtureBytes(name);
      const expected = decode([bytes], false);
      expect(decode([bytes], true)).toEqual(expected);
      for (let i = 0; i < 50; i++) expect(decode(randomSplit(bytes, random), true)).toEqual(expected);
    }
    // The fast path was taken, not merely harmless.
    expect(reads()).toBeGreaterThan(100);
  });

  it('on 2,000 synthetic streams mixing plain text with every other kind of chunk', () => {
    const reads = countTemplateReads();
    const random = mulberry32(42);
    for (let n = 0; n < 2_000; n++) {
      const events: string[] = [];
      const length = 1 + Math.floor(random() * 12);
      for (let i = 0; i < length; i++) events.push(chunk(random, i));
      if (random() < 0.9) events.push('data: [DONE]\n\n');
      const bytes = new TextEncoder().encode(events.join(''));
      expect(decode([bytes], true)).toEqual(decode([bytes], false));
    }
    // The fast path was taken, not merely harmless.
    expect(reads()).toBeGreaterThan(100);
  });

  it('reads the text of a matching chunk and refuses one that differs anywhere else', () => {
    const plain = (content: string, extra = ''): string => `{"id":"c","choices":[{"index":0,"delta":{"content":${JSON.stringify(content)}},"finish_reason":null}],"usage":null${extra}}`;
    const template = learnContentTemplate(plain('a'), JSON.parse(plain('a')) as never)!;
    expect(template.match(plain('b "quoted" \\ é'))).toBe('b "quoted" \\ é');
    expect(template.match(plain('x').replace('"id":"c"', '"id":"d"'))).toBeUndefined();
    expect(template.match(plain('x').replace('null}],', '"stop"}],'))).toBeUndefined();
    expect(template.match(plain('x', ',"more":1'))).toBeUndefined();
    expect(template.match(plain('x').replace('"x"', '"x\u0001"'))).toBeUndefined();
    expect(learnContentTemplate(plain('a', ',"x":{"content":"b"}'), JSON.parse(plain('a', ',"x":{"content":"b"}')) as never)).toBeUndefined();
    // OpenAI's padding field may differ from chunk to chunk; it must still be a valid string.
    const padded = learnContentTemplate(plain('a', ',"obfuscation":"Qx"'), JSON.parse(plain('a', ',"obfuscation":"Qx"')) as never)!;
    expect(padded.match(plain('next', ',"obfuscation":"longer padding"'))).toBe('next');
    expect(padded.match(plain('next', ',"obfuscation":""'))).toBe('next');
    expect(padded.match(plain('next', ',"obfuscation":"bad\u0002"'))).toBeUndefined();
    expect(padded.match(plain('next'))).toBeUndefined();
  });
});
