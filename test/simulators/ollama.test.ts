import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import type { IRChunk } from '../../src/ir/index.js';
import { isJsonObject } from '../../src/protocols/json.js';
import { OllamaStreamDecoder } from '../../src/translators/ollama/index.js';
import { startOllamaSimulator } from './ollama.js';
import type { OllamaSimulator, OllamaSimulatorOptions, ScriptHandler } from './ollama.js';

let sim: OllamaSimulator | undefined;

afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(script?: ScriptHandler | OllamaSimulatorOptions): Promise<OllamaSimulator> {
  sim = await startOllamaSimulator(script);
  return sim;
}

async function postChat(s: OllamaSimulator, body: Record<string, unknown>) {
  return request(`${s.url}/api/chat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

/** Streams a chat through the real decoder, as the gateway will. */
async function chatIR(s: OllamaSimulator, body: Record<string, unknown>): Promise<IRChunk[]> {
  const res = await postChat(s, body);
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toBe('application/x-ndjson');
  const decoder = new OllamaStreamDecoder();
  const out: IRChunk[] = [];
  for await (const part of res.body) out.push(...decoder.push(part as Buffer));
  out.push(...decoder.end());
  return out;
}

function text(chunks: readonly IRChunk[], type: 'text' | 'reasoning'): string {
  return chunks.map((chunk) => (chunk.type === type ? chunk.delta : '')).join('');
}

const hello = { model: 'llama3.2', messages: [{ role: 'user', content: 'hello there' }] };

describe('Ollama simulator', () => {
  it('serves /api/version, /api/tags and the root probe', async () => {
    const s = await start({ version: '0.9.0', models: ['llama3.2:latest', { name: 'gpt-oss:20b' }] });
    const version = await request(`${s.url}/api/version`);
    expect(await version.body.json()).toEqual({ version: '0.9.0' });
    const tags = await request(`${s.url}/api/tags`);
    const list = (await tags.body.json()) as { models: Array<{ name: string; model: string; details: { format: string } }> };
    expect(list.models.map((model) => model.name)).toEqual(['llama3.2:latest', 'gpt-oss:20b']);
    expect(list.models[0]).toMatchObject({ model: 'llama3.2:latest', details: { format: 'gguf' } });
    const root = await request(s.url);
    expect(await root.body.text()).toBe('Ollama is running');
    const unknown = await request(`${s.url}/v1/nothing`);
    expect(unknown.statusCode).toBe(404);
    expect(await unknown.body.text()).toBe('404 page not found');
  });

  it('streams a chat as NDJSON that the decoder reads, and records the request', async () => {
    const s = await start();
    const chunks = await chatIR(s, { ...hello, options: { num_ctx: 4096 } });
    expect(chunks[0]).toMatchObject({ type: 'start', model: 'llama3.2' });
    expect(text(chunks, 'text')).toBe('You said: hello there');
    expect(chunks.at(-1)).toEqual({ type: 'finish', reason: 'stop' });
    const usage = chunks.find((chunk) => chunk.type === 'usage');
    expect(usage?.type === 'usage' && usage.usage.completionTokens).toBe(4);
    expect(s.requests).toHaveLength(1);
    expect(s.requests[0]).toMatchObject({ method: 'POST', path: '/api/chat', body: { ...hello, options: { num_ctx: 4096 } } });
    expect(s.requests[0]?.headers['content-type']).toBe('application/json');
    expect(s.aborted).toBe(0);
  });

  it('answers stream:false with one JSON object', async () => {
    const s = await start(() => ({ kind: 'reply', thinking: ['Hm', 'm.'], content: ['Hi', '!'] }));
    const res = await postChat(s, { ...hello, stream: false });
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    const body = (await res.body.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ model: 'llama3.2', done: true, done_reason: 'stop', message: { role: 'assistant', content: 'Hi!', thinking: 'Hmm.' }, eval_count: 4 });
  });

  it('escapes like Go: <, > and & arrive as \\u escapes', async () => {
    const s = await start(() => ({ kind: 'reply', content: ['<think>a & b</think>'] }));
    const res = await postChat(s, hello);
    const raw = await res.body.text();
    expect(raw).toContain('"content":"\\u003cthink\\u003ea \\u0026 b\\u003c/think\\u003e"');
  });

  it('streams thinking and parallel tool calls with ids, or without them like older versions', async () => {
    const s = await start((call) => ({
      kind: 'reply',
      thinking: ['Need ', 'weather.'],
      toolCalls: [
        { name: 'get_weather', arguments: { city: 'Tokyo' } },
        { name: 'get_weather', arguments: { city: 'Paris' }, id: call.model === 'qwen3:8b' ? 'call_fixed01' : null },
      ],
    }));
    const chunks = await chatIR(s, { ...hello, model: 'qwen3:8b', think: true, tools: [{ type: 'function', function: { name: 'get_weather' } }] });
    expect(text(chunks, 'reasoning')).toBe('Need weather.');
    const calls = chunks.filter((chunk) => chunk.type === 'tool_call');
    expect(calls).toMatchObject([
      { index: 0, name: 'get_weather', argumentsDelta: '{"city":"Tokyo"}' },
      { index: 1, id: 'call_fixed01', name: 'get_weather', argumentsDelta: '{"city":"Paris"}' },
    ]);
    expect(calls[0]?.type === 'tool_call' && calls[0].id).toMatch(/^call_[a-z0-9]{8}$/);
    expect(chunks.at(-1)).toEqual({ type: 'finish', reason: 'tool_calls' });

    const legacy = await postChat(s, { ...hello, stream: false });
    const body = (await legacy.body.json()) as { message: { tool_calls: unknown[] } };
    expect(body.message.tool_calls[1]).toEqual({ function: { name: 'get_weather', arguments: { city: 'Paris' } } });
  });

  it('stops at options.num_predict with done_reason length', async () => {
    const s = await start(() => ({ kind: 'reply', content: ['a', 'b', 'c', 'd'] }));
    const chunks = await chatIR(s, { ...hello, options: { num_predict: 2 } });
    expect(text(chunks, 'text')).toBe('ab');
    expect(chunks.at(-1)).toEqual({ type: 'finish', reason: 'length' });
  });

  it('answers an unknown model with 404 and Ollama\'s message', async () => {
    const s = await start();
    const res = await postChat(s, { ...hello, model: 'mistral' });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(await res.body.json()).toEqual({ error: 'model "mistral" not found, try pulling it first' });
  });

  it('refuses tools and thinking for models without those capabilities, and bad bodies', async () => {
    const s = await start();
    const tools = await postChat(s, { ...hello, model: 'deepseek-r1:8b', tools: [{ type: 'function', function: { name: 'f' } }] });
    expect(tools.statusCode).toBe(400);
    expect(await tools.body.json()).toEqual({ error: 'registry.ollama.ai/library/deepseek-r1:8b does not support tools' });
    const think = await postChat(s, { ...hello, think: true });
    expect(await think.body.json()).toEqual({ error: '"llama3.2" does not support thinking' });
    const missing = await request(`${s.url}/api/chat`, { method: 'POST' });
    expect(missing.statusCode).toBe(400);
    expect(await missing.body.json()).toEqual({ error: 'missing request body' });
    const noModel = await postChat(s, { messages: [] });
    expect(await noModel.body.json()).toEqual({ error: 'model is required' });
  });

  it('sends scripted HTTP errors before streaming', async () => {
    const s = await start(() => ({ kind: 'http_error', status: 503, message: 'server busy, please try again.  maximum pending requests exceeded', headers: { 'retry-after': '1' } }));
    const res = await postChat(s, hello);
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(await res.body.json()).toEqual({ error: 'server busy, please try again.  maximum pending requests exceeded' });
  });

  it('sends a mid-stream error line with status 200', async () => {
    const s = await start(() => ({ kind: 'reply', content: ['a', 'b', 'c'], errorAfter: { lines: 2, message: 'an error was encountered while running the model' } }));
    const chunks = await chatIR(s, hello);
    expect(text(chunks, 'text')).toBe('ab');
    expect(chunks.at(-1)).toEqual({ type: 'error', code: 'upstream_error', message: 'an error was encountered while running the model' });
  });

  it('breaks a stream off cleanly or by resetting the connection, neither counted as a client abort', async () => {
    const s = await start((call) => ({ kind: 'reply', content: ['a', 'b', 'c'], cutAfter: { lines: 1, mode: call.lastUserText === 'end' ? 'end' : 'destroy' } }));
    const ended = await chatIR(s, { ...hello, messages: [{ role: 'user', content: 'end' }] });
    expect(ended.at(-1)).toMatchObject({ type: 'error', code: 'upstream_truncated' });

    const res = await postChat(s, hello);
    const received: Buffer[] = [];
    await expect(
      (async () => {
        for await (const part of res.body) received.push(part as Buffer);
      })(),
    ).rejects.toThrow();
    const raw = Buffer.concat(received).toString('utf8');
    expect(raw.startsWith('{"model":"llama3.2"')).toBe(true);
    expect(raw.endsWith('\n')).toBe(false);
    expect(s.aborted).toBe(0);
  });

  it('sends raw bytes for protocol-violation tests', async () => {
    const s = await start(() => ({ kind: 'raw', chunks: ['{"model":"llama3.2",', 'oops\n'] }));
    const chunks = await chatIR(s, hello);
    expect(chunks).toEqual([{ type: 'error', code: 'upstream_protocol_error', message: 'Ollama sent a stream line that is not valid JSON.' }]);
  });

  describe('client abort detection', () => {
    it('counts a client that goes away mid-stream', async () => {
      const s = await start({ handler: () => ({ kind: 'reply', content: Array.from({ length: 200 }, (_, i) => `w${i} `) }), chunkDelayMs: 5 });
      const controller = new AbortController();
      const res = await request(`${s.url}/api/chat`, { method: 'POST', body: JSON.stringify(hello), signal: controller.signal });
      let lines = 0;
      await expect(
        (async () => {
          for await (const part of res.body) {
            lines += (part as Buffer).toString('utf8').split('\n').length - 1;
            if (lines >= 3) controller.abort();
          }
        })(),
      ).rejects.toThrow();
      await s.waitForAborts(1);
      expect(s.aborted).toBe(1);
    });

    it('counts a client that gives up before the first byte (model still loading)', async () => {
      const s = await start({ firstByteDelayMs: 300 });
      await expect(request(`${s.url}/api/chat`, { method: 'POST', body: JSON.stringify(hello), signal: AbortSignal.timeout(50) })).rejects.toThrow();
      await s.waitForAborts(1);
      expect(s.aborted).toBe(1);
    });

    it('does not count completed requests, and times out waiting for aborts that do not happen', async () => {
      const s = await start();
      await chatIR(s, hello);
      const tags = await request(`${s.url}/api/tags`);
      await tags.body.dump();
      expect(s.aborted).toBe(0);
      await expect(s.waitForAborts(1, 50)).rejects.toThrow('expected 1 aborted requests');
      expect(s.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /api/chat', 'GET /api/tags']);
      expect(s.requests.every((r) => r.body === null || isJsonObject(r.body))).toBe(true);
    });
  });
});
