import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatCompletionChunk } from '../../../src/protocols/openai-chat.js';
import { startMockUpstream, type MockUpstream } from '../../../src/providers/mock/simulator.js';
import { payloads, post, readEvents, userChat } from './sim-client.js';

let upstream: MockUpstream;
let client: OpenAI;

beforeAll(async () => {
  upstream = await startMockUpstream({
    latencyMs: 0,
    tokensPerSecond: 0,
    scripts: {
      '*': {},
      scripted: { reply: 'Fixed answer from the script.', reasoning: 'Thinking it over first.' },
      agent: {
        toolCalls: [
          { name: 'read_file', arguments: { path: 'src/index.ts' } },
          { name: 'list_dir', arguments: { dir: '.', depth: 2 } },
        ],
      },
    },
  });
  client = new OpenAI({ baseURL: upstream.url, apiKey: 'sk-test', maxRetries: 0 });
});

afterAll(async () => {
  await upstream.close();
});

/** The simulated tokenizer, restated: words × 4/3, rounded. */
const tokens = (words: number): number => Math.round((words * 4) / 3);

describe('chat completions, not streamed', () => {
  it('echoes the first 40 words of the last user message and counts usage from the words', async () => {
    const words = Array.from({ length: 50 }, (_, i) => `w${i}`);
    const completion = await client.chat.completions.create({
      model: 'gpt-oss:20b',
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'an earlier question' },
        { role: 'assistant', content: 'an answer' },
        { role: 'user', content: words.join(' ') },
      ],
    });
    const expected = `Hello from Tollgate's simulated model. You said: ${words.slice(0, 40).join(' ')}`;
    expect(completion.object).toBe('chat.completion');
    expect(completion.model).toBe('gpt-oss:20b');
    expect(completion.choices[0]?.message).toMatchObject({ role: 'assistant', content: expected });
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    const promptWords = 3 + 3 + 2 + 50;
    expect(completion.usage).toEqual({
      prompt_tokens: tokens(promptWords),
      completion_tokens: tokens(expected.split(' ').length),
      total_tokens: tokens(promptWords) + tokens(expected.split(' ').length),
      prompt_tokens_details: { cached_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0 },
    });
  });

  it('is deterministic: the same request gives the same content and usage', async () => {
    const request = { model: 'mock', messages: [{ role: 'user' as const, content: 'same words again' }] };
    const [a, b] = await Promise.all([client.chat.completions.create(request), client.chat.completions.create(request)]);
    expect(a.choices).toEqual(b.choices);
    expect(a.usage).toEqual(b.usage);
    expect(a.id).not.toBe(b.id);
  });

  it('uses the script reply and reasoning of the requested model', async () => {
    const completion = await client.chat.completions.create({ model: 'scripted', messages: [{ role: 'user', content: 'hi' }] });
    const message = completion.choices[0]?.message as { content: string | null; reasoning_content?: string };
    expect(message.content).toBe('Fixed answer from the script.');
    expect(message.reasoning_content).toBe('Thinking it over first.');
    expect(completion.usage?.completion_tokens_details?.reasoning_tokens).toBe(tokens(4));
    expect(completion.usage?.completion_tokens).toBe(tokens(4 + 5));
  });

  it('cuts the reply at max_tokens with finish_reason length', async () => {
    const completion = await client.chat.completions.create({ model: 'mock', messages: [{ role: 'user', content: '[mock:words=100]' }], max_tokens: 8 });
    expect(completion.choices[0]?.finish_reason).toBe('length');
    expect(completion.choices[0]?.message.content?.split(' ')).toHaveLength(6);
    expect(completion.usage?.completion_tokens).toBeLessThanOrEqual(8);
  });
});

describe('chat completions, streamed', () => {
  it('streams word-sized content deltas that add up to the non-streamed reply, then usage and [DONE]', async () => {
    const body = userChat('tell me something nice', { stream: true, stream_options: { include_usage: true } });
    const response = await post(upstream.url, '/chat/completions', body);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const { events, failure } = await readEvents(response);
    expect(failure).toBeUndefined();
    const data = payloads(events);
    expect(data.at(-1)).toBe('[DONE]');
    const chunks = data.slice(0, -1) as ChatCompletionChunk[];
    const usageChunk = chunks.at(-1);
    const choiceChunks = chunks.slice(0, -1);
    expect(usageChunk?.choices).toEqual([]);
    expect(choiceChunks.every((chunk) => chunk.usage === null)).toBe(true);
    expect(choiceChunks[0]?.choices[0]?.delta).toEqual({ role: 'assistant', content: '' });
    expect(choiceChunks.at(-1)?.choices[0]).toEqual({ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' });
    const pieces = choiceChunks.slice(1, -1).map((chunk) => chunk.choices[0]?.delta.content ?? '');
    expect(pieces.every((piece) => piece.trim().split(' ').length === 1)).toBe(true);
    expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1);

    const whole = await client.chat.completions.create({ model: 'mock', messages: [{ role: 'user', content: 'tell me something nice' }] });
    expect(pieces.join('')).toBe(whole.choices[0]?.message.content);
    expect(usageChunk?.usage).toEqual(whole.usage);
  });

  it('sends no usage field at all without stream_options.include_usage', async () => {
    const { events } = await readEvents(await post(upstream.url, '/chat/completions', userChat('hello', { stream: true })));
    const chunks = payloads(events).slice(0, -1) as Record<string, unknown>[];
    expect(chunks.length).toBeGreaterThan(3);
    expect(chunks.some((chunk) => 'usage' in chunk)).toBe(false);
  });

  it('works with the official SDK stream helper', async () => {
    const stream = client.chat.completions.stream({ model: 'mock', messages: [{ role: 'user', content: 'stream please' }], stream_options: { include_usage: true } });
    const final = await stream.finalChatCompletion();
    expect(final.choices[0]?.message.content).toBe("Hello from Tollgate's simulated model. You said: stream please");
    expect(final.usage?.prompt_tokens).toBe(tokens(2));
  });

  it('streams reasoning_content before the content', async () => {
    const stream = await client.chat.completions.create({ model: 'scripted', messages: [{ role: 'user', content: 'hi' }], stream: true });
    const kinds: string[] = [];
    let reasoning = '';
    for await (const chunk of stream) {
      const delta: object = chunk.choices[0]?.delta ?? {};
      if ('reasoning_content' in delta && typeof delta.reasoning_content === 'string') {
        kinds.push('reasoning');
        reasoning += delta.reasoning_content;
      }
      if ('content' in delta && delta.content) kinds.push('content');
    }
    expect(reasoning).toBe('Thinking it over first.');
    expect(kinds.indexOf('content')).toBeGreaterThan(kinds.lastIndexOf('reasoning'));
  });

  it('adds default reasoning with [mock:think] and exact sizes with [mock:words=N]', async () => {
    const completion = await client.chat.completions.create({ model: 'mock', messages: [{ role: 'user', content: '[mock:think] [mock:words=25]' }] });
    const message = completion.choices[0]?.message as { content: string | null; reasoning_content?: string };
    expect(message.content?.split(' ')).toHaveLength(25);
    expect(message.reasoning_content).toBeTruthy();
    const again = await client.chat.completions.create({ model: 'mock', messages: [{ role: 'user', content: 'other text [mock:words=25]' }] });
    expect(again.choices[0]?.message.content).toBe(message.content);
  });
});

describe('tool calls', () => {
  it('makes the scripted tool calls on the first turn, arguments split over several deltas', async () => {
    const { events } = await readEvents(await post(upstream.url, '/chat/completions', { ...userChat('look around'), model: 'agent', stream: true }));
    const chunks = payloads(events).slice(0, -1) as ChatCompletionChunk[];
    const calls = chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? []);
    for (const index of [0, 1]) {
      const mine = calls.filter((call) => call.index === index);
      expect(mine[0]).toMatchObject({ index, id: `call_${index + 1}`, type: 'function', function: { arguments: '' } });
      expect(mine.slice(1).length).toBeGreaterThanOrEqual(2);
      expect(mine.slice(1).every((call) => call.id === undefined && call.function?.name === undefined)).toBe(true);
    }
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('tool_calls');

    const final = await client.chat.completions
      .stream({ model: 'agent', messages: [{ role: 'user', content: 'look around' }] })
      .finalChatCompletion();
    const toolCalls = final.choices[0]?.message.tool_calls ?? [];
    expect(toolCalls.map((call) => (call.type === 'function' ? [call.id, call.function.name, JSON.parse(call.function.arguments) as unknown] : []))).toEqual([
      ['call_1', 'read_file', { path: 'src/index.ts' }],
      ['call_2', 'list_dir', { dir: '.', depth: 2 }],
    ]);
    expect(final.choices[0]?.finish_reason).toBe('tool_calls');
  });

  it('answers a tool result with its first 200 characters, and numbers later calls after the earlier ones', async () => {
    const output = 'x'.repeat(150) + ' ' + 'y'.repeat(100);
    const history: OpenAI.Chat.ChatCompletionMessageParam[] = [
      { role: 'user', content: 'look around' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'read_file', arguments: '{"path":"a"}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: output },
    ];
    const afterTool = await client.chat.completions.create({ model: 'agent', messages: history });
    expect(afterTool.choices[0]?.message.content).toBe(`Tool result: ${output.slice(0, 200)}`);
    expect(afterTool.choices[0]?.message.tool_calls).toBeUndefined();
    expect(afterTool.choices[0]?.finish_reason).toBe('stop');

    const nextTurn = await client.chat.completions.create({
      model: 'agent',
      messages: [...history, { role: 'assistant', content: 'done' }, { role: 'user', content: 'again' }],
    });
    expect(nextTurn.choices[0]?.message.tool_calls?.map((call) => call.id)).toEqual(['call_2', 'call_3']);
  });

  it('makes one tool call from [mock:tool=NAME {json}], braces inside strings included', async () => {
    const completion = await client.chat.completions.create({
      model: 'mock',
      messages: [{ role: 'user', content: 'run it [mock:tool=exec_command {"cmd":"echo \\"}]\\"","n":[1,2]}] please' }],
    });
    const call = completion.choices[0]?.message.tool_calls?.[0];
    expect(call?.type === 'function' ? [call.function.name, JSON.parse(call.function.arguments)] : undefined).toEqual([
      'exec_command',
      { cmd: 'echo "}]"', n: [1, 2] },
    ]);
    expect(completion.choices[0]?.message.content).toBeNull();
  });
});

describe('models and errors', () => {
  it('lists the script names and mock', async () => {
    const models = await client.models.list();
    expect(models.data.map((model) => model.id).sort()).toEqual(['agent', 'mock', 'scripted']);
    expect((await client.models.retrieve('agent')).id).toBe('agent');
  });

  it('refuses unknown models when no `*` script exists', async () => {
    const strict = await startMockUpstream({ latencyMs: 0, tokensPerSecond: 0, scripts: { known: { reply: 'yes' } } });
    try {
      const strictClient = new OpenAI({ baseURL: strict.url, apiKey: 'k', maxRetries: 0 });
      await expect(strictClient.chat.completions.create({ model: 'known', messages: [{ role: 'user', content: 'x' }] })).resolves.toBeDefined();
      const failure = await strictClient.chat.completions.create({ model: 'other', messages: [{ role: 'user', content: 'x' }] }).catch((err: unknown) => err);
      expect(failure).toBeInstanceOf(OpenAI.NotFoundError);
      expect((failure as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_found');
    } finally {
      await strict.close();
    }
  });

  it('answers bad requests with OpenAI-shaped errors', async () => {
    const cases: Array<[string, unknown, number, Record<string, unknown>]> = [
      ['/chat/completions', '{not json', 400, { type: 'invalid_request_error', param: null, code: null }],
      ['/chat/completions', { model: 'mock' }, 400, { param: 'messages', code: 'missing_required_parameter' }],
      ['/chat/completions', { model: 'mock', messages: [] }, 400, { param: 'messages', code: 'empty_array' }],
      ['/chat/completions', { messages: [{ role: 'user', content: 'x' }] }, 400, { message: 'you must provide a model parameter' }],
      ['/chat/completions', userChat('[mock:bogus=1]'), 400, { param: 'messages', code: 'invalid_mock_directive' }],
      ['/chat/completions', userChat('[mock:status=200]'), 400, { code: 'invalid_mock_directive' }],
      ['/chat/completions', userChat('[mock:tool=x {"unclosed": 1]'), 400, { code: 'invalid_mock_directive' }],
      ['/embeddings', { model: 'mock', input: 'x' }, 404, { message: 'Invalid URL (POST /v1/embeddings)', type: 'invalid_request_error' }],
    ];
    for (const [path, body, status, expected] of cases) {
      const response = await post(upstream.url, path, body);
      expect(response.status, path).toBe(status);
      const json = (await response.json()) as { error: Record<string, unknown> };
      expect(Object.keys(json.error).sort()).toEqual(['code', 'message', 'param', 'type']);
      expect(json.error).toMatchObject(expected);
    }
  });
});
