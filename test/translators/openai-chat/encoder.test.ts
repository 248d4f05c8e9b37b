import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SseParser } from '../../../src/framing/index.js';
import type { IRChunk } from '../../../src/ir/index.js';
import { ChatStreamEncoder } from '../../../src/translators/openai-chat/index.js';
import { decodeReads, fixtureBytes } from './fixtures.js';

type Frame = Record<string, unknown>;

function framesOf(text: string): (Frame | '[DONE]')[] {
  const parser = new SseParser();
  return [...parser.push(text), ...parser.end()].map((e) => (e.data === '[DONE]' ? '[DONE]' : (JSON.parse(e.data) as Frame)));
}

function encodeAll(chunks: readonly IRChunk[], includeUsage = true, requestedModel = 'client-model'): string {
  const encoder = new ChatStreamEncoder({ requestedModel, includeUsage });
  let text = '';
  for (const chunk of chunks) text += encoder.push(chunk);
  return text + encoder.end();
}

const START: IRChunk = { type: 'start', id: 'chatcmpl-x', model: 'upstream-model', created: 1700000000 };

describe('ChatStreamEncoder', () => {
  it('uses the model of the start chunk, not the requested one', () => {
    const frames = framesOf(encodeAll([START, { type: 'text', delta: 'hi' }, { type: 'finish', reason: 'stop' }]));
    expect(frames[0]).toMatchObject({ id: 'chatcmpl-x', model: 'upstream-model', created: 1700000000, object: 'chat.completion.chunk' });
    expect(frames[0]).toMatchObject({ choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] });
  });

  it('sends nothing for an empty delta', () => {
    const encoder = new ChatStreamEncoder({ requestedModel: 'm', includeUsage: false });
    encoder.push(START);
    expect(encoder.push({ type: 'text', delta: '' })).toBe('');
    expect(encoder.push({ type: 'reasoning', delta: '' })).toBe('');
    expect(encoder.push({ type: 'tool_call', index: 0, id: 'c', name: 'f', argumentsDelta: '' })).not.toBe('');
    expect(encoder.push({ type: 'tool_call', index: 0, argumentsDelta: '' })).toBe('');
  });

  it('emits usage after the finish frame even when it arrives first, and only when asked', () => {
    const chunks: IRChunk[] = [
      START,
      { type: 'text', delta: 'a' },
      { type: 'usage', usage: { promptTokens: 3, completionTokens: 1, totalTokens: 4 } },
      { type: 'finish', reason: 'length' },
    ];
    const frames = framesOf(encodeAll(chunks));
    expect(frames.slice(-3)).toEqual([
      expect.objectContaining({ choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'length' }], usage: null }),
      expect.objectContaining({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } }),
      '[DONE]',
    ]);
    const without = encodeAll(chunks, false);
    expect(without).not.toContain('usage');
    expect(framesOf(without)).toHaveLength(4);
  });

  it('renders an error as the error event, then only [DONE]', () => {
    const encoder = new ChatStreamEncoder({ requestedModel: 'm', includeUsage: true });
    expect(encoder.push({ type: 'error', message: 'boom', code: 'upstream_timeout' })).toBe(
      'data: {"error":{"message":"boom","type":"upstream_error","param":null,"code":"upstream_timeout"}}\n\n',
    );
    expect(encoder.push({ type: 'text', delta: 'late' })).toBe('');
    expect(encoder.end()).toBe('data: [DONE]\n\n');
    expect(encoder.end()).toBe('');
  });

  it('gives a tool call without an id one in OpenAI style', () => {
    const frames = framesOf(encodeAll([START, { type: 'tool_call', index: 0, name: 'f', argumentsDelta: '{}' }, { type: 'finish', reason: 'tool_calls' }]));
    const delta = (frames[1] as { choices: { delta: { tool_calls: { id: string; type: string; function: unknown }[] } }[] }).choices[0]?.delta;
    expect(delta?.tool_calls[0]?.id).toMatch(/^call_[0-9a-f]{32}$/);
    expect(delta?.tool_calls[0]).toMatchObject({ type: 'function', function: { name: 'f', arguments: '{}' } });
  });

  it('starts a response itself when content comes before a start chunk', () => {
    const frames = framesOf(encodeAll([{ type: 'text', delta: 'x' }, { type: 'finish', reason: 'stop' }], false, 'asked-for'));
    expect(frames).toHaveLength(4);
    expect(frames[0]).toMatchObject({ model: 'asked-for', choices: [{ delta: { role: 'assistant', content: '' } }] });
    expect(String((frames[0] as Frame)['id'])).toMatch(/^chatcmpl-/);
    expect(frames[1]).toMatchObject({ id: (frames[0] as Frame)['id'], choices: [{ delta: { content: 'x' } }] });
  });

  it('escapes content so every frame is one JSON line', () => {
    const text = encodeAll([START, { type: 'text', delta: 'line\nbreak "quoted" \u2028' }, { type: 'finish', reason: 'stop' }]);
    expect(framesOf(text)[1]).toMatchObject({ choices: [{ delta: { content: 'line\nbreak "quoted" \u2028' } }] });
  });
});

describe('ChatStreamEncoder output read by the official OpenAI SDK over HTTP', () => {
  let body = '';
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end(body);
  });
  let client: OpenAI;

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    client = new OpenAI({ apiKey: 'test', baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 });
  });

  afterAll(async () => {
    await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
  });

  it('assembles parallel tool calls and usage from a translated vLLM stream', async () => {
    body = encodeAll(decodeReads([fixtureBytes('vllm-parallel-tools')]));
    const stream = client.chat.completions.stream({
      model: 'client-model',
      messages: [{ role: 'user', content: 'Weather in Paris and Tokyo?' }],
      stream_options: { include_usage: true },
    });
    const completion = await stream.finalChatCompletion();
    expect(completion.model).toBe('Qwen/Qwen3-8B');
    expect(completion.choices[0]?.finish_reason).toBe('tool_calls');
    const calls = completion.choices[0]?.message.tool_calls ?? [];
    expect(calls.map((c) => (c.type === 'function' ? [c.id, c.function.name, JSON.parse(c.function.arguments) as unknown] : []))).toEqual([
      ['chatcmpl-tool-3f2a1b0c9d8e4f7a8b6c5d4e3f2a1b0c', 'get_weather', { city: 'Paris', unit: 'celsius' }],
      ['chatcmpl-tool-9e8d7c6b5a4f4e3d8c2b1a0f9e8d7c6b', 'get_weather', { city: 'Tokyo', unit: 'celsius' }],
    ]);
    expect(completion.usage).toMatchObject({ prompt_tokens: 287, completion_tokens: 62, total_tokens: 349 });
  });

  it('streams text deltas the SDK concatenates', async () => {
    body = encodeAll(decodeReads([fixtureBytes('openai-text')]));
    const stream = await client.chat.completions.create({ model: 'client-model', messages: [{ role: 'user', content: 'hi' }], stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('Hello! 👋 How can I help you today?');
  });

  it('surfaces a mid-stream error as an SDK APIError with the message', async () => {
    body = encodeAll(decodeReads([fixtureBytes('vllm-midstream-error')]));
    const stream = await client.chat.completions.create({ model: 'client-model', messages: [{ role: 'user', content: 'hi' }], stream: true });
    let text = '';
    const consume = async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    };
    await expect(consume()).rejects.toThrow(/EngineCore encountered an issue/);
    expect(text).toBe('Sure, here is a summary of the');
  });
});
