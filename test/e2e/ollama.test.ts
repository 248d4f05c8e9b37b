import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway.js';
import { config, model, provider, startTestGateway } from '../helpers/gateway.js';
import { startOllamaSimulator } from '../simulators/ollama.js';
import type { ChatCall, OllamaSimulator, SimulatorReply } from '../simulators/ollama.js';

let ollama: OllamaSimulator;
let gateway: Gateway;
let client: OpenAI;

/** The scripted model: what it does depends on the last user message. */
function script(call: ChatCall): SimulatorReply {
  const text = call.lastUserText;
  if (text.startsWith('tools')) {
    const last = (call.body['messages'] as Array<{ role: string }>).at(-1);
    if (last?.role === 'tool') return { kind: 'reply', content: ['Both ', 'files ', 'read.'] };
    return {
      kind: 'reply',
      toolCalls: [
        { name: 'read_file', arguments: { path: 'a.txt' } },
        { name: 'read_file', arguments: { path: 'b.txt' } },
      ],
    };
  }
  if (text.startsWith('think')) return { kind: 'reply', thinking: ['Let me ', 'think.'], content: ['The answer ', 'is 4.'], promptEvalCount: 31, evalCount: 12 };
  if (text.startsWith('forever')) return { kind: 'reply', content: Array.from({ length: 1_000 }, () => 'tick '), chunkDelayMs: 20 };
  if (text.startsWith('overflow')) return { kind: 'http_error', status: 400, message: 'prompt too long; exceeded max context length by 120 tokens' };
  if (text.startsWith('crash')) return { kind: 'reply', content: ['par', 'tial'], errorAfter: { lines: 2, message: 'llama runner process has terminated: signal: killed' } };
  return { kind: 'reply', content: ['Hello', ' from', ' Ollama.'], promptEvalCount: 17, evalCount: 3 };
}

beforeAll(async () => {
  ollama = await startOllamaSimulator({ handler: script, chunkDelayMs: 1 });
  gateway = await startTestGateway(
    config(
      [provider({ name: 'local', kind: 'ollama', baseUrl: ollama.url, requestDefaults: { options: { num_ctx: 32_768 } }, keepAlive: '10m' })],
      [model('gpt-oss:20b', ['local/gpt-oss:20b']), model('ollama/*', ['local/*'])],
    ),
  );
  client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});

afterAll(async () => {
  await gateway.close();
  await ollama.close();
});

function lastOllamaBody(): Record<string, unknown> {
  return ollama.requests.filter((r) => r.path === '/api/chat').at(-1)!.body as Record<string, unknown>;
}

describe('chat completions translated to the Ollama native API', () => {
  it('non-streamed: text, real token counts, options merged with provider defaults', async () => {
    const result = await client.chat.completions.create({
      model: 'gpt-oss:20b',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'hello' },
      ],
      max_tokens: 64,
      temperature: 0.2,
    });
    expect(result.choices[0]?.message.content).toBe('Hello from Ollama.');
    expect(result.choices[0]?.finish_reason).toBe('stop');
    expect(result.usage).toMatchObject({ prompt_tokens: 17, completion_tokens: 3, total_tokens: 20 });
    expect(lastOllamaBody()).toMatchObject({
      model: 'gpt-oss:20b',
      stream: true,
      keep_alive: '10m',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'hello' },
      ],
      options: { num_ctx: 32_768, num_predict: 64, temperature: 0.2 },
    });
  });

  it('streamed: thinking arrives as reasoning_content, usage when asked for', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-oss:20b',
      stream: true,
      stream_options: { include_usage: true },
      reasoning_effort: 'high',
      messages: [{ role: 'user', content: 'think: 2+2?' }],
    });
    let reasoning = '';
    let content = '';
    let usage: OpenAI.CompletionUsage | undefined | null;
    let finish: string | null | undefined;
    for await (const part of stream) {
      const delta: { content?: string | null; reasoning_content?: string } | undefined = part.choices[0]?.delta;
      reasoning += delta?.reasoning_content ?? '';
      content += delta?.content ?? '';
      finish = part.choices[0]?.finish_reason ?? finish;
      if (part.usage) usage = part.usage;
    }
    expect(reasoning).toBe('Let me think.');
    expect(content).toBe('The answer is 4.');
    expect(finish).toBe('stop');
    expect(usage).toMatchObject({ prompt_tokens: 31, completion_tokens: 12, total_tokens: 43 });
    expect(lastOllamaBody()['think']).toBe('high');
  });

  it('parallel tool calls go out as OpenAI tool_calls and results come back as tool messages', async () => {
    const tools: OpenAI.ChatCompletionTool[] = [
      { type: 'function', function: { name: 'read_file', description: 'Read a file', parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] } } },
    ];
    const first = await client.chat.completions.stream({ model: 'ollama/qwen3:8b', messages: [{ role: 'user', content: 'tools please' }], tools }).finalChatCompletion();
    const calls = first.choices[0]?.message.tool_calls ?? [];
    expect(first.choices[0]?.finish_reason).toBe('tool_calls');
    expect(calls).toHaveLength(2);
    const functionCalls = calls.flatMap((c) => (c.type === 'function' ? [c] : []));
    expect(functionCalls.map((c) => [c.function.name, JSON.parse(c.function.arguments) as unknown])).toEqual([
      ['read_file', { path: 'a.txt' }],
      ['read_file', { path: 'b.txt' }],
    ]);
    expect(new Set(functionCalls.map((c) => c.id)).size).toBe(2);
    expect(lastOllamaBody()).toMatchObject({ model: 'qwen3:8b', tools: [{ type: 'function', function: { name: 'read_file' } }] });

    const second = await client.chat.completions.create({
      model: 'ollama/qwen3:8b',
      tools,
      messages: [
        { role: 'user', content: 'tools please' },
        { role: 'assistant', content: null, tool_calls: functionCalls },
        { role: 'tool', tool_call_id: functionCalls[0]!.id, content: 'contents of a' },
        { role: 'tool', tool_call_id: functionCalls[1]!.id, content: 'contents of b' },
      ],
    });
    expect(second.choices[0]?.message.content).toBe('Both files read.');
    const sent = lastOllamaBody()['messages'] as Array<Record<string, unknown>>;
    expect(sent[1]).toMatchObject({ role: 'assistant', tool_calls: [{ function: { name: 'read_file', arguments: { path: 'a.txt' } } }, { function: { arguments: { path: 'b.txt' } } }] });
    expect(sent[2]).toMatchObject({ role: 'tool', content: 'contents of a', tool_name: 'read_file' });
  });

  it('images in data URLs become Ollama base64 images', async () => {
    const png = Buffer.from('89504e470d0a1a0a', 'hex').toString('base64');
    await client.chat.completions.create({
      model: 'gpt-oss:20b',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hello, what is this?' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${png}` } }] }],
    });
    expect((lastOllamaBody()['messages'] as Array<Record<string, unknown>>)[0]).toMatchObject({ role: 'user', content: 'hello, what is this?', images: [png] });
  });

  it('an Ollama context overflow is a 400 context_length_exceeded', async () => {
    await expect(client.chat.completions.create({ model: 'gpt-oss:20b', messages: [{ role: 'user', content: 'overflow' }] })).rejects.toMatchObject({
      status: 400,
      code: 'context_length_exceeded',
    });
  });

  it('an error after the stream started ends it with an error event and [DONE]', async () => {
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'gpt-oss:20b', stream: true, messages: [{ role: 'user', content: 'crash' }] }),
    });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain('"content":"par"');
    expect(text).toMatch(/data: \{"error":\{"message":"[^"]*llama runner process has terminated/);
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
  });

  it('a client that disconnects aborts the Ollama request', async () => {
    const controller = new AbortController();
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'gpt-oss:20b', stream: true, messages: [{ role: 'user', content: 'forever' }] }),
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    await reader.read();
    const before = ollama.aborted;
    controller.abort();
    await ollama.waitForAborts(before + 1, 1_000);
    expect(ollama.aborted).toBe(before + 1);
  });

  it('lists installed Ollama models under the wildcard route', async () => {
    const models = await client.models.list();
    const ids = models.data.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining(['gpt-oss:20b', 'ollama/llama3.2:latest', 'ollama/qwen3:8b']));
  });
});
