import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway.js';
import { validateResponsesSse } from '../../src/translators/openai-responses/index.js';
import { config, model, provider, startTestGateway } from '../helpers/gateway.js';
import { startOllamaSimulator } from '../simulators/ollama.js';
import type { OllamaSimulator } from '../simulators/ollama.js';
import { replySse, startOpenAIUpstream } from '../simulators/openai-upstream.js';

type OpenAIUpstream = Awaited<ReturnType<typeof startOpenAIUpstream>>;

let chat: OpenAIUpstream;
let ollama: OllamaSimulator;
let gateway: Gateway;
let client: OpenAI;

function chatFrame(delta: Record<string, unknown>, finish: string | null = null): string {
  return `data: ${JSON.stringify({ id: 'chatcmpl-r', object: 'chat.completion.chunk', created: 1, model: 'up', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
}
const usageFrame = `data: ${JSON.stringify({ id: 'chatcmpl-r', object: 'chat.completion.chunk', created: 1, model: 'up', choices: [], usage: { prompt_tokens: 42, completion_tokens: 7, total_tokens: 49, prompt_tokens_details: { cached_tokens: 12 } } })}\n\n`;

beforeAll(async () => {
  chat = await startOpenAIUpstream(async (req, res) => {
    const body = req.body as { messages: Array<{ role: string; content: unknown }>; tools?: Array<{ function: { name: string } }> };
    const last = JSON.stringify(body.messages.at(-1)?.content ?? '');
    if (last.includes('slow')) await new Promise((resolve) => setTimeout(resolve, 600));
    if (last.includes('call')) {
      return replySse(res, [
        chatFrame({ role: 'assistant', content: null, tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: body.tools?.[0]?.function.name ?? 'x', arguments: '{"q":' } }] }),
        chatFrame({ tool_calls: [{ index: 0, function: { arguments: '"tollgate"}' } }] }),
        chatFrame({}, 'tool_calls'),
        usageFrame,
        'data: [DONE]\n\n',
      ]);
    }
    return replySse(res, [chatFrame({ role: 'assistant', reasoning_content: 'Thinking briefly.' }), chatFrame({ content: 'Bridged ' }), chatFrame({ content: 'answer.' }), chatFrame({}, 'stop'), usageFrame, 'data: [DONE]\n\n'], {
      headers: { 'openai-model': 'some-other-model' },
    });
  });
  ollama = await startOllamaSimulator({ chunkDelayMs: 1, handler: () => ({ kind: 'reply', thinking: ['Hmm.'], content: ['From ', 'Ollama.'], promptEvalCount: 20, evalCount: 5 }) });
  gateway = await startTestGateway(
    config(
      [
        provider({ name: 'vllm', kind: 'openai-compatible', baseUrl: chat.url }),
        provider({ name: 'local', kind: 'ollama', baseUrl: ollama.url }),
        provider({ name: 'sim', kind: 'mock' }),
      ],
      [model('chat-model', ['vllm/up']), model('gpt-oss:20b', ['local/gpt-oss:20b']), model('native', ['sim/native'])],
      { streamKeepaliveMs: 150 },
    ),
    { validateStreams: true },
  );
  client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'k', maxRetries: 0 });
});

afterAll(async () => {
  await gateway.close();
  await chat.close();
  await ollama.close();
});

async function rawStream(body: Record<string, unknown>): Promise<{ response: Response; text: string }> {
  const response = await fetch(`${gateway.url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ stream: true, ...body }) });
  return { response, text: await response.text() };
}

describe('the Responses API through Tollgate', () => {
  it.each([
    ['a Chat Completions upstream', 'chat-model', 'Bridged answer.', 'Thinking briefly.'],
    ['an Ollama upstream', 'gpt-oss:20b', 'From Ollama.', 'Hmm.'],
    ['a native Responses upstream (pass-through)', 'native', 'You said: hello there', undefined],
  ])('responses.stream and responses.create work against %s', async (_name, modelName, text, reasoning) => {
    const stream = client.responses.stream({ model: modelName, input: 'hello there' });
    const final = await stream.finalResponse();
    expect(final.output_text).toContain(text);
    expect(final.status).toBe('completed');
    expect(final.usage?.total_tokens).toBeGreaterThan(0);
    if (reasoning) {
      const item = final.output.find((o) => o.type === 'reasoning');
      expect(JSON.stringify(item)).toContain(reasoning);
    }
    const created = await client.responses.create({ model: modelName, input: 'hello there' });
    expect(created.output_text).toContain(text);
    expect(created.id).toMatch(/^resp_/);
  });

  it('produces a stream that passes the protocol validator, with full usage and no upstream openai-model header', async () => {
    const { response, text } = await rawStream({ model: 'chat-model', input: 'hello' });
    expect(response.headers.get('openai-model')).toBeNull();
    expect(response.headers.get('x-tollgate-provider')).toBe('vllm');
    expect(validateResponsesSse(text)).toEqual([]);
    const completed = text.split('\n').find((line) => line.startsWith('data: ') && line.includes('"response.completed"'))!;
    const usage = (JSON.parse(completed.slice(6)) as { response: { usage: unknown } }).response.usage;
    expect(usage).toEqual({ input_tokens: 42, output_tokens: 7, total_tokens: 49, input_tokens_details: { cached_tokens: 12 }, output_tokens_details: { reasoning_tokens: 0 } });
  });

  it('returns namespaced function calls with their namespace and drops hosted tools visibly', async () => {
    const { response, text } = await rawStream({
      model: 'chat-model',
      input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'call it' }] }],
      tools: [
        { type: 'namespace', name: 'search_v1', description: 'Search tools', tools: [{ type: 'function', name: 'find', parameters: { type: 'object', properties: { q: { type: 'string' } } }, strict: false }] },
        { type: 'web_search' },
      ],
    });
    expect(response.headers.get('x-tollgate-dropped-tools')).toBe('web_search');
    expect(validateResponsesSse(text)).toEqual([]);
    const sent = chat.requests.at(-1)!.body as { tools: Array<{ function: { name: string } }> };
    expect(sent.tools).toHaveLength(1);
    const done = text
      .split('\n')
      .filter((line) => line.startsWith('data: ') && line.includes('"response.output_item.done"'))
      .map((line) => (JSON.parse(line.slice(6)) as { item: Record<string, unknown> }).item);
    expect(done).toContainEqual(expect.objectContaining({ type: 'function_call', namespace: 'search_v1', name: 'find', call_id: 'call_1', arguments: '{"q":"tollgate"}' }));
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(metrics).toMatch(/llm_dropped_tools_total\{tool="web_search",provider="vllm"\} 1/);
  });

  it('keeps a slow upstream alive with real response.in_progress events', async () => {
    const { text } = await rawStream({ model: 'chat-model', input: 'slow please' });
    const types = text
      .split('\n')
      .filter((line) => line.startsWith('data: '))
      .map((line) => (JSON.parse(line.slice(6)) as { type: string }).type);
    const firstDelta = types.findIndex((t) => t.endsWith('.delta'));
    expect(types[0]).toBe('response.created');
    expect(types.slice(0, firstDelta).filter((t) => t === 'response.in_progress').length).toBeGreaterThanOrEqual(2);
    expect(text).not.toMatch(/^:/m);
    expect(validateResponsesSse(text)).toEqual([]);
    expect(types.at(-1)).toBe('response.completed');
  });

  it('rejects previous_response_id on a translated route with a 400 that says what to do', async () => {
    const response = await fetch(`${gateway.url}/v1/responses`, {
      method: 'POST',
      body: JSON.stringify({ model: 'chat-model', input: 'more', previous_response_id: 'resp_123' }),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('unsupported_parameter');
    expect(body.error.message).toMatch(/full/i);
  });
});
