import { describe, expect, it } from 'vitest';
import { usageFromReply, usageReaderFor } from '../../src/translators/usage-readers.js';

const chat = usageReaderFor('openai-chat')!;
const responses = usageReaderFor('openai-responses')!;
const usage = { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17, prompt_tokens_details: { cached_tokens: 3 } };
const expected = { promptTokens: 12, completionTokens: 5, totalTokens: 17, cachedPromptTokens: 3 };

function reply(body: unknown, space?: number): Buffer {
  return Buffer.from(JSON.stringify(body, null, space));
}

describe('usageFromReply: usage of a whole non-streamed reply', () => {
  it('reads the usage object at the end of compact and pretty-printed replies', () => {
    const body = { id: 'c', choices: [{ message: { role: 'assistant', content: 'a "usage": {"prompt_tokens": 999} in text' } }], usage };
    expect(usageFromReply(chat, reply(body))).toEqual(expected);
    expect(usageFromReply(chat, reply(body, 2))).toEqual(expected);
  });

  it('falls back to the whole reply when usage is not near its end, or is not an object there', () => {
    const early = { usage, choices: [{ message: { content: 'x'.repeat(20_000) } }] };
    expect(usageFromReply(chat, reply(early))).toEqual(expected);
    const trailingKey = { usage, kind: 'usage', note: { usage: 'none' } };
    expect(usageFromReply(chat, reply(trailingKey))).toEqual(expected);
  });

  it('reads Responses usage, with strings full of braces and escapes before it', () => {
    const body = {
      id: 'resp_1',
      output: [{ type: 'message', content: [{ type: 'output_text', text: 'braces } { and \\" quotes \\\\' }] }],
      usage: { input_tokens: 20, output_tokens: 5, total_tokens: 25, input_tokens_details: { cached_tokens: 0 }, output_tokens_details: { reasoning_tokens: 2 } },
      metadata: { a: '}' },
    };
    expect(usageFromReply(responses, reply(body))).toEqual({ promptTokens: 20, completionTokens: 5, totalTokens: 25, cachedPromptTokens: 0, reasoningTokens: 2 });
  });

  it('has no usage for replies without one, or that are not JSON', () => {
    expect(usageFromReply(chat, reply({ id: 'c', choices: [] }))).toBeUndefined();
    expect(usageFromReply(chat, Buffer.from('<html>"usage": {"prompt_tokens": 1'))).toBeUndefined();
    expect(usageFromReply(chat, Buffer.alloc(0))).toBeUndefined();
  });
});
