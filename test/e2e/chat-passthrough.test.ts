import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway.js';
import { config, model, provider, startTestGateway } from '../helpers/gateway.js';
import { replyJson, replySse, startOpenAIUpstream } from '../simulators/openai-upstream.js';

type Upstream = Awaited<ReturnType<typeof startOpenAIUpstream>>;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function setup(handler: Parameters<typeof startOpenAIUpstream>[0]): Promise<{ upstream: Upstream; gateway: Gateway; client: OpenAI }> {
  const upstream = await startOpenAIUpstream(handler);
  cleanups.push(() => upstream.close());
  const gateway = await startTestGateway(
    config(
      [provider({ name: 'vllm', kind: 'openai-compatible', baseUrl: upstream.url, apiKey: 'sk-upstream-secret' })],
      [model('qwen-coder', ['vllm/Qwen/Qwen2.5-Coder-32B-Instruct'], { aliases: ['coder'] })],
    ),
  );
  cleanups.push(() => gateway.close());
  const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'client-key-not-forwarded', maxRetries: 0 });
  return { upstream, gateway, client };
}

const completion = {
  id: 'chatcmpl-abc',
  object: 'chat.completion',
  created: 1_700_000_000,
  model: 'Qwen/Qwen2.5-Coder-32B-Instruct',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Hi there' }, finish_reason: 'stop', logprobs: null }],
  usage: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 },
};

function chunk(delta: Record<string, unknown>, finish: string | null = null): string {
  return `data: ${JSON.stringify({ id: 'chatcmpl-s', object: 'chat.completion.chunk', created: 1, model: 'Qwen/Qwen2.5-Coder-32B-Instruct', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
}

describe('chat completions pass-through to an OpenAI-compatible upstream', () => {
  it('forwards a non-streamed request with the upstream model name, the gateway key and unknown fields', async () => {
    const { upstream, client } = await setup((_req, res) => replyJson(res, 200, completion));
    const { data, response } = await client.chat.completions
      .create({ model: 'coder', messages: [{ role: 'user', content: 'Hello' }], top_k: 20 } as OpenAI.ChatCompletionCreateParamsNonStreaming)
      .withResponse();
    expect(data.choices[0]?.message.content).toBe('Hi there');
    expect(data.usage?.total_tokens).toBe(11);
    expect(response.headers.get('x-tollgate-provider')).toBe('vllm');
    expect(response.headers.get('x-tollgate-model')).toBe('Qwen/Qwen2.5-Coder-32B-Instruct');
    expect(response.headers.get('x-request-id')).toMatch(/.+/);
    expect(upstream.requests).toHaveLength(1);
    const sent = upstream.requests[0]!;
    expect(sent.path).toBe('/v1/chat/completions');
    expect(sent.headers['authorization']).toBe('Bearer sk-upstream-secret');
    expect(sent.body).toMatchObject({ model: 'Qwen/Qwen2.5-Coder-32B-Instruct', top_k: 20, messages: [{ role: 'user', content: 'Hello' }] });
  });

  it("sends the client's own bytes upstream with only the model replaced, and re-serialises when it cannot", async () => {
    const { upstream, gateway } = await setup((_req, res) => replyJson(res, 200, completion));
    const post = (body: string): Promise<Response> => fetch(`${gateway.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    // Spacing, key order and number spelling (1.0, a 20-digit seed) survive, as no parse-and-serialise does.
    const exact = '{ "messages": [{"role":"user","content":"model: \\"coder\\""}],\n  "model": "coder", "temperature": 1.0, "seed": 12345678901234567890 }';
    expect((await post(exact)).status).toBe(200);
    expect(upstream.requests[0]!.text).toBe(exact.replace('"model": "coder"', '"model": "Qwen/Qwen2.5-Coder-32B-Instruct"'));
    // A duplicated model key is never spliced: the upstream gets one model, the one that was routed.
    expect((await post('{"model":"nope","messages":[{"role":"user","content":"x"}],"model":"coder"}')).status).toBe(200);
    expect(upstream.requests[1]!.text).toBe('{"model":"Qwen/Qwen2.5-Coder-32B-Instruct","messages":[{"role":"user","content":"x"}]}');
    // A stream that does not ask for usage gets it asked for, appended to the client's bytes.
    await (await post('{"model":"coder","stream":true,"messages":[]}')).text();
    expect(upstream.requests[2]!.text).toBe('{"model":"Qwen/Qwen2.5-Coder-32B-Instruct","stream":true,"messages":[],"stream_options":{"include_usage":true}}');
    // stream_options of the client's own are kept and completed, in a re-serialised body.
    await (await post('{"model":"coder","stream":true,"stream_options":{"continuous_usage_stats":true},"messages":[]}')).text();
    expect(upstream.requests[3]!.body).toEqual({ model: 'Qwen/Qwen2.5-Coder-32B-Instruct', stream: true, stream_options: { continuous_usage_stats: true, include_usage: true }, messages: [] });
    // A client that asks for usage itself: its bytes as sent.
    await (await post('{"model":"coder","stream":true,"stream_options":{"include_usage":true},"messages":[]}')).text();
    expect(upstream.requests[4]!.text).toBe('{"model":"Qwen/Qwen2.5-Coder-32B-Instruct","stream":true,"stream_options":{"include_usage":true},"messages":[]}');
  });

  it("puts the provider's request defaults under the client's fields, appended to the client's own bytes", async () => {
    const upstream = await startOpenAIUpstream((_req, res) => replyJson(res, 200, completion));
    cleanups.push(() => upstream.close());
    const gateway = await startTestGateway(
      config(
        [provider({ name: 'vllm', kind: 'openai-compatible', baseUrl: upstream.url, requestDefaults: { temperature: 0.1, top_p: 0.9, chat_template_kwargs: { enable_thinking: false } } })],
        [model('coder', ['vllm/qwen'])],
      ),
    );
    cleanups.push(() => gateway.close());
    const sent = '{"model":"coder","temperature":1.0,"messages":[{"role":"user","content":"hi"}]}';
    const response = await fetch(`${gateway.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: sent });
    expect(response.status).toBe(200);
    expect(upstream.requests[0]!.text).toBe('{"model":"qwen","temperature":1.0,"messages":[{"role":"user","content":"hi"}],"top_p":0.9,"chat_template_kwargs":{"enable_thinking":false}}');
  });

  it('echoes a caller-supplied x-request-id and passes it upstream', async () => {
    const { upstream, gateway } = await setup((_req, res) => replyJson(res, 200, completion));
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'trace-123' },
      body: JSON.stringify({ model: 'qwen-coder', messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe('trace-123');
    expect(upstream.requests[0]?.headers['x-request-id']).toBe('trace-123');
  });

  it('relays a stream chunk by chunk, before the upstream has finished', async () => {
    let releaseRest: () => void = () => undefined;
    const rest = new Promise<void>((resolve) => (releaseRest = resolve));
    const { client } = await setup(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(chunk({ role: 'assistant', content: '' }));
      res.write(chunk({ content: 'first' }));
      await rest; // the client must see 'first' while the upstream is still holding the rest
      res.write(chunk({ content: ' second' }));
      res.write(chunk({}, 'stop'));
      res.end('data: [DONE]\n\n');
    });
    const stream = await client.chat.completions.create({ model: 'qwen-coder', stream: true, messages: [{ role: 'user', content: 'go' }] });
    const texts: string[] = [];
    for await (const part of stream) {
      const text = part.choices[0]?.delta.content;
      if (text) {
        texts.push(text);
        if (text === 'first') releaseRest();
      }
    }
    expect(texts).toEqual(['first', ' second']);
  });

  it('streams parallel tool calls unchanged', async () => {
    const frames = [
      chunk({ role: 'assistant', content: null, tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'read_file', arguments: '' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{"path":' } }] }),
      chunk({ tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'list_dir', arguments: '{"dir":"."}' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '"a.txt"}' } }] }),
      chunk({}, 'tool_calls'),
      'data: [DONE]\n\n',
    ];
    const { client } = await setup((_req, res) => replySse(res, frames));
    const stream = client.chat.completions.stream({
      model: 'qwen-coder',
      messages: [{ role: 'user', content: 'look around' }],
      tools: [
        { type: 'function', function: { name: 'read_file', parameters: { type: 'object', properties: { path: { type: 'string' } } } } },
        { type: 'function', function: { name: 'list_dir', parameters: { type: 'object', properties: { dir: { type: 'string' } } } } },
      ],
    });
    const final = await stream.finalChatCompletion();
    const calls = final.choices[0]?.message.tool_calls ?? [];
    expect(calls.map((c) => (c.type === 'function' ? [c.id, c.function.name, c.function.arguments] : []))).toEqual([
      ['call_a', 'read_file', '{"path":"a.txt"}'],
      ['call_b', 'list_dir', '{"dir":"."}'],
    ]);
    expect(final.choices[0]?.finish_reason).toBe('tool_calls');
  });

  it('aborts the upstream request within 100 ms when the client disconnects mid-stream', async () => {
    let upstreamClosedAt = 0;
    const { upstream, gateway } = await setup((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(chunk({ role: 'assistant', content: 'tick' }));
      const timer = setInterval(() => res.write(chunk({ content: ' tick' })), 20);
      res.on('close', () => {
        upstreamClosedAt = performance.now();
        clearInterval(timer);
      });
    });
    const controller = new AbortController();
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'qwen-coder', stream: true, messages: [{ role: 'user', content: 'forever' }] }),
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    await reader.read();
    const abortedAt = performance.now();
    controller.abort();
    await upstream.waitForAbort(2_000);
    expect(upstream.aborted).toBe(1);
    expect(upstreamClosedAt - abortedAt).toBeLessThan(100);
  });

  it('applies backpressure: a client that does not read stops the upstream from writing', async () => {
    const payload = chunk({ content: 'x'.repeat(16 * 1024) });
    let written = 0;
    let blocked = false;
    const { gateway } = await setup((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const pump = (): void => {
        while (written < 2_000) {
          written += 1;
          if (!res.write(payload)) {
            blocked = true;
            res.once('drain', pump);
            return;
          }
        }
        res.end('data: [DONE]\n\n');
      };
      pump();
    });
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'qwen-coder', stream: true, messages: [{ role: 'user', content: 'a lot' }] }),
    });
    const reader = response.body!.getReader() as ReadableStreamDefaultReader<Uint8Array>;
    await reader.read();
    await new Promise((resolve) => setTimeout(resolve, 500));
    // 2,000 × 16 KiB = 32 MiB; without backpressure the gateway would have buffered all of it by now.
    expect(blocked).toBe(true);
    expect(written).toBeLessThan(1_000);
    let total = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
    }
    expect(written).toBe(2_000);
    expect(total).toBeGreaterThan(2_000 * 16 * 1024);
  });
});
