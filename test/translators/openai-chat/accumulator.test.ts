import { describe, expect, it } from 'vitest';
import { UpstreamError } from '../../../src/errors/index.js';
import type { IRChunk } from '../../../src/ir/index.js';
import { ChatResponseAccumulator, chatClientCodec } from '../../../src/translators/openai-chat/index.js';
import { decodeReads, fixtureBytes } from './fixtures.js';
import type { FixtureName } from './fixtures.js';

function accumulate(chunks: readonly IRChunk[], provider?: string): ChatResponseAccumulator {
  const acc = new ChatResponseAccumulator({ requestedModel: 'client-model', includeUsage: false }, provider);
  for (const chunk of chunks) acc.push(chunk);
  return acc;
}

function fromFixture(name: FixtureName): ChatResponseAccumulator {
  return accumulate(decodeReads([fixtureBytes(name)]));
}

describe('ChatResponseAccumulator', () => {
  it('builds a chat.completion from a text stream', () => {
    expect(fromFixture('openai-text').result()).toEqual({
      id: 'chatcmpl-BnQ7fXkz2c4vJrLx9TqWm1aYpE3sD',
      object: 'chat.completion',
      created: 1750864011,
      model: 'gpt-4.1-mini-2025-04-14',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hello! 👋 How can I help you today?' }, logprobs: null, finish_reason: 'stop' }],
      usage: {
        prompt_tokens: 19,
        completion_tokens: 11,
        total_tokens: 30,
        prompt_tokens_details: { cached_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 0 },
      },
    });
  });

  it('assembles parallel tool calls in index order, with content null and the reasoning', () => {
    const body = fromFixture('vllm-parallel-tools').result();
    expect(body['choices']).toEqual([
      {
        index: 0,
        message: {
          role: 'assistant',
          content: null,
          reasoning_content: 'The user wants the weather in Paris and Tokyo. I will call get_weather twice.',
          tool_calls: [
            {
              id: 'chatcmpl-tool-3f2a1b0c9d8e4f7a8b6c5d4e3f2a1b0c',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city": "Paris", "unit": "celsius"}' },
            },
            {
              id: 'chatcmpl-tool-9e8d7c6b5a4f4e3d8c2b1a0f9e8d7c6b',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city": "Tokyo", "unit": "celsius"}' },
            },
          ],
        },
        logprobs: null,
        finish_reason: 'tool_calls',
      },
    ]);
    expect(body['usage']).toEqual({ prompt_tokens: 287, completion_tokens: 62, total_tokens: 349 });
  });

  it('orders tool calls by index whatever order their deltas came in', () => {
    const body = accumulate([
      { type: 'start', id: 'r', model: 'm', created: 1 },
      { type: 'tool_call', index: 1, id: 'b', name: 'g', argumentsDelta: '{' },
      { type: 'tool_call', index: 0, id: 'a', name: 'f', argumentsDelta: '{}' },
      { type: 'tool_call', index: 1, argumentsDelta: '}' },
      { type: 'text', delta: 'calling' },
      { type: 'finish', reason: 'tool_calls' },
    ]).result();
    expect(body['choices']).toMatchObject([
      {
        message: {
          content: 'calling',
          tool_calls: [
            { id: 'a', function: { name: 'f', arguments: '{}' } },
            { id: 'b', function: { name: 'g', arguments: '{}' } },
          ],
        },
      },
    ]);
  });

  it('splits think tags into reasoning_content and content', () => {
    const message = (fromFixture('llamacpp-think-tags').result()['choices'] as { message: Record<string, unknown> }[])[0]?.message;
    expect(message).toEqual({
      role: 'assistant',
      content: '9.8 is larger than 9.11 — 0.80 > 0.11.',
      reasoning_content: 'The user asks which is larger: 9.11 or 9.8. Compare the decimals…',
    });
  });

  it('throws an UpstreamError (502) carrying the upstream message for a mid-stream error', () => {
    const acc = accumulate(decodeReads([fixtureBytes('vllm-midstream-error')]), 'vllm');
    let caught: unknown;
    try {
      acc.result();
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(UpstreamError);
    expect(caught).toMatchObject({
      status: 502,
      code: 'upstream_error',
      provider: 'vllm',
      message: 'EngineCore encountered an issue. See stack trace (above) for the root cause.',
    });
  });

  it('throws upstream_truncated for a truncated stream', () => {
    expect(() => fromFixture('truncated').result()).toThrow(expect.objectContaining({ status: 502, code: 'upstream_truncated' }) as Error);
  });

  it('is what the client codec creates', () => {
    expect(chatClientCodec.createAccumulator({ requestedModel: 'm', includeUsage: false })).toBeInstanceOf(ChatResponseAccumulator);
  });
});
