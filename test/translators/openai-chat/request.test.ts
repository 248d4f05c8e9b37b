import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../../src/errors/index.js';
import type { IRRequest } from '../../../src/ir/index.js';
import type { JsonObject } from '../../../src/protocols/json.js';
import { chatRequestToIR, chatUpstreamCodec, irToChatRequest } from '../../../src/translators/openai-chat/index.js';

function invalid(body: JsonObject): InvalidRequestError {
  try {
    chatRequestToIR(body);
  } catch (err) {
    if (err instanceof InvalidRequestError) return err;
    throw err;
  }
  throw new Error('expected an InvalidRequestError');
}

const user = { role: 'user', content: 'hi' };

describe('chatRequestToIR', () => {
  it('converts a full request', () => {
    const ir = chatRequestToIR({
      model: 'gpt-oss:20b',
      stream: true,
      stream_options: { include_usage: true },
      messages: [
        { role: 'developer', content: 'Be brief.' },
        { role: 'system', content: [{ type: 'text', text: 'A' }, { type: 'text', text: 'B' }] },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA', detail: 'low' } },
          ],
        },
        {
          role: 'assistant',
          content: null,
          reasoning_content: 'need a tool',
          tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'look', arguments: '{"q":"x"}' } }],
        },
        { role: 'tool', tool_call_id: 'call_1', content: 'a cat' },
        { role: 'assistant', content: 'A cat.', reasoning: 'easy' },
      ],
      tools: [{ type: 'function', function: { name: 'look', description: 'Look', parameters: { type: 'object' }, strict: true } }],
      tool_choice: { type: 'function', function: { name: 'look' } },
      parallel_tool_calls: false,
      max_completion_tokens: 256,
      max_tokens: 100,
      temperature: 0.2,
      top_p: 0.9,
      stop: 'END',
      seed: 7,
      reasoning_effort: 'low',
      response_format: { type: 'json_schema', json_schema: { name: 'out', schema: { type: 'object' }, strict: true } },
      user: 'u-1',
      top_k: 40,
      chat_template_kwargs: { enable_thinking: false },
    });
    const expected: IRRequest = {
      model: 'gpt-oss:20b',
      stream: true,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'system', content: 'AB' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image', url: 'data:image/png;base64,AAAA', detail: 'low' },
          ],
        },
        { role: 'assistant', content: '', reasoning: 'need a tool', toolCalls: [{ id: 'call_1', name: 'look', arguments: '{"q":"x"}' }] },
        { role: 'tool', toolCallId: 'call_1', content: 'a cat' },
        { role: 'assistant', content: 'A cat.', reasoning: 'easy' },
      ],
      tools: [{ name: 'look', description: 'Look', parameters: { type: 'object' }, strict: true }],
      toolChoice: { name: 'look' },
      parallelToolCalls: false,
      maxTokens: 256,
      temperature: 0.2,
      topP: 0.9,
      stop: ['END'],
      seed: 7,
      reasoningEffort: 'low',
      responseFormat: { type: 'json_schema', name: 'out', schema: { type: 'object' }, strict: true },
      extra: { user: 'u-1', top_k: 40, chat_template_kwargs: { enable_thinking: false } },
    };
    expect(ir).toEqual(expected);
  });

  it('treats null optional parameters as absent and defaults stream to false', () => {
    const ir = chatRequestToIR({ model: 'm', messages: [user], temperature: null, stop: null, max_tokens: 5, tool_choice: null, stream: null });
    expect(ir).toEqual({ model: 'm', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], stream: false, maxTokens: 5, extra: {} });
  });

  it('reads stop arrays, tool choice strings and the simple response formats', () => {
    expect(chatRequestToIR({ model: 'm', messages: [user], stop: ['a', 'b'], tool_choice: 'required' })).toMatchObject({
      stop: ['a', 'b'],
      toolChoice: 'required',
    });
    expect(chatRequestToIR({ model: 'm', messages: [user], response_format: { type: 'json_object' } }).responseFormat).toEqual({ type: 'json_object' });
  });

  it('keeps tool message content parts and names', () => {
    const ir = chatRequestToIR({
      model: 'm',
      messages: [user, { role: 'tool', tool_call_id: 'c', name: 'f', content: [{ type: 'text', text: 'out' }] }],
    });
    expect(ir.messages[1]).toEqual({ role: 'tool', toolCallId: 'c', name: 'f', content: [{ type: 'text', text: 'out' }] });
  });

  it.each<[string, JsonObject, string, RegExp]>([
    ['missing model', { messages: [user] }, 'model', /model must be a non-empty string/],
    ['no messages', { model: 'm' }, 'messages', /messages must be a non-empty array/],
    ['empty messages', { model: 'm', messages: [] }, 'messages', /messages must be a non-empty array/],
    ['message not an object', { model: 'm', messages: ['hi'] }, 'messages[0]', /must be an object/],
    ['unknown role', { model: 'm', messages: [{ role: 'robot', content: 'x' }] }, 'messages[0].role', /must be one of system, developer, user, assistant or tool/],
    ['legacy function role', { model: 'm', messages: [{ role: 'function', name: 'f', content: 'x' }] }, 'messages[0].role', /legacy functions API/],
    ['user without content', { model: 'm', messages: [{ role: 'user' }] }, 'messages[0].content', /content is required/],
    [
      'unsupported part',
      { model: 'm', messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: {} }] }] },
      'messages[0].content[0].type',
      /"input_audio" is not supported/,
    ],
    ['tool without id', { model: 'm', messages: [{ role: 'tool', content: 'x' }] }, 'messages[0].tool_call_id', /must be a string/],
    [
      'tool call without name',
      { model: 'm', messages: [{ role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { arguments: '{}' } }] }] },
      'messages[0].tool_calls[0].function.name',
      /must be a string/,
    ],
    ['bad temperature', { model: 'm', messages: [user], temperature: 'hot' }, 'temperature', /temperature must be a number \(got string\)/],
    ['fractional max_tokens', { model: 'm', messages: [user], max_tokens: 1.5 }, 'max_tokens', /integer of at least 1/],
    ['bad stream', { model: 'm', messages: [user], stream: 'yes' }, 'stream', /stream must be a boolean/],
    ['bad stop', { model: 'm', messages: [user], stop: [1] }, 'stop', /stop must be a string or an array of strings/],
    ['non-function tool', { model: 'm', messages: [user], tools: [{ type: 'custom', custom: { name: 'x' } }] }, 'tools[0].type', /only 'function' tools/],
    ['tool_choice', { model: 'm', messages: [user], tool_choice: 'always' }, 'tool_choice', /tool_choice must be/],
    ['response_format', { model: 'm', messages: [user], response_format: { type: 'xml' } }, 'response_format.type', /must be 'text', 'json_object' or 'json_schema'/],
    [
      'json_schema without name',
      { model: 'm', messages: [user], response_format: { type: 'json_schema', json_schema: { schema: {} } } },
      'response_format.json_schema.name',
      /must be a string/,
    ],
  ])('rejects %s with a clear message and param', (_label, body, param, message) => {
    const err = invalid(body);
    expect(err.status).toBe(400);
    expect(err.type).toBe('invalid_request_error');
    expect(err.param).toBe(param);
    expect(err.message).toMatch(message);
  });
});

describe('irToChatRequest', () => {
  const ir: IRRequest = {
    model: 'qwen3:8b',
    stream: false,
    messages: [
      { role: 'system', content: 'sys' },
      { role: 'user', content: [{ type: 'text', text: 'hello' }] },
      { role: 'user', content: [{ type: 'text', text: 'see' }, { type: 'image', url: 'https://x/y.png' }] },
      { role: 'assistant', content: '', reasoning: 'hidden', toolCalls: [{ id: 'c1', name: 'f', arguments: '{}' }] },
      { role: 'tool', toolCallId: 'c1', content: 'result' },
    ],
    tools: [{ name: 'f', parameters: { type: 'object', properties: {} } }],
    toolChoice: 'auto',
    maxTokens: 64,
    temperature: 0,
    stop: ['x'],
    responseFormat: { type: 'json_schema', name: 's', schema: { type: 'object' } },
    extra: { top_k: 20, chat_template_kwargs: { enable_thinking: true } },
  };

  it('builds a streaming body with usage, extra fields copied through', () => {
    expect(irToChatRequest(ir, {})).toEqual({
      model: 'qwen3:8b',
      messages: [
        { role: 'system', content: 'sys' },
        { role: 'user', content: 'hello' },
        { role: 'user', content: [{ type: 'text', text: 'see' }, { type: 'image_url', image_url: { url: 'https://x/y.png' } }] },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'c1', content: 'result' },
      ],
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: {} } } }],
      tool_choice: 'auto',
      max_tokens: 64,
      temperature: 0,
      stop: ['x'],
      response_format: { type: 'json_schema', json_schema: { name: 's', schema: { type: 'object' } } },
      top_k: 20,
      chat_template_kwargs: { enable_thinking: true },
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('merges provider defaults under the client values', () => {
    const body = irToChatRequest(ir, {
      temperature: 0.7,
      top_p: 0.8,
      chat_template_kwargs: { enable_thinking: false, keep: 1 },
      stream: false,
      stream_options: { continuous_usage_stats: true, include_usage: false },
    });
    expect(body).toMatchObject({
      temperature: 0,
      top_p: 0.8,
      chat_template_kwargs: { enable_thinking: true, keep: 1 },
      stream: true,
      stream_options: { continuous_usage_stats: true, include_usage: true },
    });
  });

  it('can name the token limit max_completion_tokens and send reasoning back', () => {
    const body = irToChatRequest(ir, {}, { maxTokensField: 'max_completion_tokens', includeReasoning: true });
    expect(body['max_completion_tokens']).toBe(64);
    expect(body['max_tokens']).toBeUndefined();
    expect((body['messages'] as JsonObject[])[3]).toMatchObject({ reasoning_content: 'hidden' });
  });

  it('round-trips a chat request through the IR', () => {
    const request: JsonObject = {
      model: 'm',
      messages: [
        { role: 'system', content: 's' },
        { role: 'user', content: 'q' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }] },
        { role: 'tool', tool_call_id: 'c', content: 'r' },
      ],
      tools: [{ type: 'function', function: { name: 'f', description: 'd', parameters: { type: 'object' } } }],
      tool_choice: { type: 'function', function: { name: 'f' } },
      parallel_tool_calls: true,
      max_tokens: 10,
      top_p: 1,
      seed: 3,
      reasoning_effort: 'high',
      response_format: { type: 'text' },
      logprobs: false,
      stream: true,
      stream_options: { include_usage: true },
    };
    expect(chatUpstreamCodec.buildRequest(chatRequestToIR(request), {})).toEqual(request);
  });
});
