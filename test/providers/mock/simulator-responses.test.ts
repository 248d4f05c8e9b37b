import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockUpstream, type MockUpstream } from '../../../src/providers/mock/simulator.js';
import { post, readEvents } from './sim-client.js';

let upstream: MockUpstream;
let client: OpenAI;

beforeAll(async () => {
  upstream = await startMockUpstream({
    latencyMs: 0,
    tokensPerSecond: 0,
    scripts: {
      '*': {},
      thinker: { reasoning: 'Consider the question carefully.', reply: 'The answer is 42.' },
      agent: { toolCalls: [{ name: 'exec_command', arguments: { cmd: 'ls -la', workdir: '/tmp' } }] },
    },
  });
  client = new OpenAI({ baseURL: upstream.url, apiKey: 'sk-test', maxRetries: 0 });
});

afterAll(async () => {
  await upstream.close();
});

const tokens = (words: number): number => Math.round((words * 4) / 3);

/** A request shaped like the ones Codex CLI sends: developer message, input_text parts, namespace tools, reasoning. */
function codexLike(text: string, model = 'gpt-oss:20b'): Record<string, unknown> {
  return {
    model,
    stream: true,
    input: [
      { type: 'message', id: 'msg_1', role: 'developer', content: [{ type: 'input_text', text: 'You are a coding agent.' }] },
      { type: 'message', id: 'msg_2', role: 'user', content: [{ type: 'input_text', text }] },
    ],
    tools: [
      { type: 'function', name: 'exec_command', strict: false, parameters: { type: 'object', properties: { cmd: { type: 'string' } } } },
      { type: 'namespace', name: 'multi_agent_v1', tools: [{ type: 'function', name: 'close_agent', parameters: { type: 'object' } }] },
      { type: 'web_search' },
    ],
    tool_choice: 'auto',
    parallel_tool_calls: true,
    reasoning: { summary: 'auto' },
    store: false,
    include: ['reasoning.encrypted_content'],
    prompt_cache_key: 'thread-1',
  };
}

interface StreamEvent {
  type: string;
  sequence_number: number;
  [key: string]: unknown;
}

async function streamEvents(body: Record<string, unknown>): Promise<{ events: StreamEvent[]; names: (string | undefined)[] }> {
  const response = await post(upstream.url, '/responses', body);
  expect(response.status).toBe(200);
  const { events, failure } = await readEvents(response);
  expect(failure).toBeUndefined();
  return { events: events.map((event) => JSON.parse(event.data) as StreamEvent), names: events.map((event) => event.event) };
}

describe('responses, streamed', () => {
  it('emits the typed events in order, numbered from 0, each named by its event line, without [DONE]', async () => {
    const { events, names } = await streamEvents(codexLike('say hi'));
    expect(names).toEqual(events.map((event) => event.type));
    expect(events.map((event) => event.sequence_number)).toEqual(events.map((_, i) => i));
    const types = events.map((event) => event.type);
    const deltas = types.filter((type) => type === 'response.output_text.delta').length;
    expect(deltas).toBe('Hello from Tollgate\'s simulated model. You said: say hi'.split(' ').length);
    expect(types).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      ...Array<string>(deltas).fill('response.output_text.delta'),
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const completed = events.at(-1) as unknown as { response: Record<string, unknown> & { output: unknown[] } };
    expect(completed.response).toMatchObject({
      object: 'response',
      status: 'completed',
      model: 'gpt-oss:20b',
      store: false,
      prompt_cache_key: 'thread-1',
      parallel_tool_calls: true,
      usage: {
        input_tokens: tokens(5 + 2),
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: tokens(deltas),
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: tokens(7) + tokens(deltas),
      },
    });
    expect((completed.response.tools as unknown[]).length).toBe(3);
    expect(completed.response.output).toEqual([
      {
        id: expect.stringMatching(/^msg_/) as unknown,
        type: 'message',
        status: 'completed',
        role: 'assistant',
        content: [{ type: 'output_text', annotations: [], logprobs: [], text: "Hello from Tollgate's simulated model. You said: say hi" }],
      },
    ]);
  });

  it('is accepted by the official SDK stream accumulator', async () => {
    const stream = client.responses.stream({ model: 'mock', input: 'tell me [mock:words=12]' });
    const seen: string[] = [];
    stream.on('response.output_text.delta', (event) => seen.push(event.delta));
    const final = await stream.finalResponse();
    expect(final.output_text.split(' ')).toHaveLength(12);
    expect(seen.join('')).toBe(final.output_text);
    expect(final.usage?.output_tokens).toBe(tokens(12));
  });

  it('streams a reasoning item first, with encrypted_content when it is included', async () => {
    const { events } = await streamEvents(codexLike('why?', 'thinker'));
    const types = events.map((event) => event.type);
    expect(types.slice(2, 5)).toEqual(['response.output_item.added', 'response.content_part.added', 'response.reasoning_text.delta']);
    const reasoningDone = events.find((event) => event.type === 'response.output_item.done' && event.output_index === 0);
    expect(reasoningDone?.item).toEqual({
      id: expect.stringMatching(/^rs_/) as unknown,
      type: 'reasoning',
      summary: [],
      content: [{ type: 'reasoning_text', text: 'Consider the question carefully.' }],
      encrypted_content: expect.any(String) as unknown,
    });
    const text = events.filter((event) => event.type === 'response.reasoning_text.delta').map((event) => event.delta as string);
    expect(text.join('')).toBe('Consider the question carefully.');
    const message = events.find((event) => event.type === 'response.output_item.added' && event.output_index === 1);
    expect((message?.item as { type: string }).type).toBe('message');
    const completed = events.at(-1) as unknown as { response: { usage: { output_tokens_details: { reasoning_tokens: number } } } };
    expect(completed.response.usage.output_tokens_details.reasoning_tokens).toBe(tokens(4));

    const sdk = await client.responses.stream({ model: 'thinker', input: 'why?' }).finalResponse();
    expect(sdk.output.map((item) => item.type)).toEqual(['reasoning', 'message']);
    expect(sdk.output[0]).not.toHaveProperty('encrypted_content');
    expect(sdk.output_text).toBe('The answer is 42.');
  });

  it('streams scripted function calls, then answers their output', async () => {
    const { events } = await streamEvents(codexLike('list files', 'agent'));
    const argDeltas = events.filter((event) => event.type === 'response.function_call_arguments.delta');
    expect(argDeltas.length).toBeGreaterThanOrEqual(2);
    const done = events.find((event) => event.type === 'response.function_call_arguments.done');
    expect(done).toMatchObject({ name: 'exec_command', arguments: '{"cmd":"ls -la","workdir":"/tmp"}', output_index: 0 });
    expect(argDeltas.map((event) => event.delta as string).join('')).toBe(done?.arguments);
    const item = events.find((event) => event.type === 'response.output_item.done')?.item;
    expect(item).toEqual({
      id: expect.stringMatching(/^fc_/) as unknown,
      type: 'function_call',
      status: 'completed',
      arguments: '{"cmd":"ls -la","workdir":"/tmp"}',
      call_id: 'call_1',
      name: 'exec_command',
    });

    const followUp = await client.responses.create({
      model: 'agent',
      input: [
        { role: 'user', content: 'list files' },
        { type: 'function_call', call_id: 'call_1', name: 'exec_command', arguments: '{"cmd":"ls -la"}' },
        { type: 'function_call_output', call_id: 'call_1', output: 'README.md\npackage.json' },
      ],
    });
    expect(followUp.output_text).toBe('Tool result: README.md\npackage.json');
    expect(followUp.output.some((out) => out.type === 'function_call')).toBe(false);
  });

  it('ends with response.incomplete when max_output_tokens cuts the reply', async () => {
    const { events } = await streamEvents({ model: 'mock', stream: true, input: '[mock:words=50]', max_output_tokens: 16 });
    const last = events.at(-1) as unknown as { type: string; response: { status: string; incomplete_details: unknown; output: { status: string }[] } };
    expect(last.type).toBe('response.incomplete');
    expect(last.response.status).toBe('incomplete');
    expect(last.response.incomplete_details).toEqual({ reason: 'max_output_tokens' });
    expect(last.response.output[0]?.status).toBe('incomplete');
    expect(events.filter((event) => event.type === 'response.output_text.delta')).toHaveLength(12);
  });
});

describe('responses, not streamed', () => {
  it('returns the response object with output and usage', async () => {
    const response = await client.responses.create({ model: 'mock', instructions: 'Be brief.', input: 'hello there' });
    expect(response.object).toBe('response');
    expect(response.status).toBe('completed');
    expect(response.id).toMatch(/^resp_/);
    expect(response.instructions).toBe('Be brief.');
    expect(response.output_text).toBe("Hello from Tollgate's simulated model. You said: hello there");
    expect(response.usage).toEqual({
      input_tokens: tokens(4),
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: tokens(9),
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: tokens(4) + tokens(9),
    });
  });

  it('matches the streamed response', async () => {
    const body = codexLike('same reply both ways', 'thinker');
    const { events } = await streamEvents(body);
    const streamed = (events.at(-1) as unknown as { response: { output: unknown; usage: unknown } }).response;
    const whole = (await (await post(upstream.url, '/responses', { ...body, stream: false })).json()) as { output: unknown; usage: unknown };
    const withoutIds = (output: unknown): unknown => JSON.parse(JSON.stringify(output).replace(/"id":"[^"]+"/g, '"id":"x"'));
    expect(withoutIds(whole.output)).toEqual(withoutIds(streamed.output));
    expect(whole.usage).toEqual(streamed.usage);
  });

  it('rejects a request without input', async () => {
    const response = await post(upstream.url, '/responses', { model: 'mock' });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: { message: "Missing required parameter: 'input'.", type: 'invalid_request_error', param: 'input', code: 'missing_required_parameter' },
    });
  });
});
