import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatCompletionChunk } from '../../../src/protocols/openai-chat.js';
import { startMockUpstream, type MockUpstream } from '../../../src/providers/mock/simulator.js';
import { eventually, payloads, post, readEvents, userChat } from './sim-client.js';

let upstream: MockUpstream;

beforeAll(async () => {
  upstream = await startMockUpstream({ latencyMs: 0, tokensPerSecond: 0, scripts: {} });
});

afterAll(async () => {
  await upstream.close();
});

function contentDeltas(data: unknown[]): string[] {
  return (data.filter((item) => item !== '[DONE]') as ChatCompletionChunk[]).flatMap((chunk) => {
    const content = chunk.choices?.[0]?.delta.content;
    return content ? [content] : [];
  });
}

describe('[mock:status]', () => {
  it('answers with the status and an OpenAI-shaped error, streamed or not', async () => {
    for (const stream of [false, true]) {
      const response = await post(upstream.url, '/chat/completions', userChat('[mock:status=503] hi', { stream }));
      expect(response.status).toBe(503);
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(response.headers.get('retry-after')).toBeNull();
      const body = (await response.json()) as { error: Record<string, unknown> };
      expect(body.error).toMatchObject({ type: 'server_error', param: null, code: null });
      expect(body.error.message).toMatch(/simulated/);
    }
  });

  it('adds Retry-After: 1 to a 429, or the [mock:retry_after] value', async () => {
    const limited = await post(upstream.url, '/responses', { model: 'mock', input: '[mock:status=429]' });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe('rate_limit_exceeded');

    const busy = await post(upstream.url, '/chat/completions', userChat('[mock:status=503][mock:retry_after=7]'));
    expect(busy.headers.get('retry-after')).toBe('7');

    const client = new OpenAI({ baseURL: upstream.url, apiKey: 'k', maxRetries: 0 });
    const failure = await client.chat.completions.create({ model: 'mock', messages: [{ role: 'user', content: '[mock:status=429]' }] }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(OpenAI.RateLimitError);
  });
});

describe('[mock:latency] and pacing', () => {
  it('waits before the headers: the directive, and the configured latency', async () => {
    let start = performance.now();
    const response = await post(upstream.url, '/chat/completions', userChat('[mock:latency=250] hi', { stream: true }));
    expect(performance.now() - start).toBeGreaterThanOrEqual(240);
    await response.text();

    const slow = await startMockUpstream({ latencyMs: 150, tokensPerSecond: 0, scripts: {} });
    try {
      start = performance.now();
      await (await post(slow.url, '/chat/completions', userChat('hi'))).json();
      expect(performance.now() - start).toBeGreaterThanOrEqual(140);
    } finally {
      await slow.close();
    }
  });

  it('paces deltas at roughly the token rate, streamed and not', async () => {
    // 20 words at 100 per second: about 200 ms after the first delta.
    let start = performance.now();
    const response = await post(upstream.url, '/chat/completions', userChat('[mock:tps=100] [mock:words=20]', { stream: true }));
    const { events, reads } = await readEvents(response);
    const elapsed = performance.now() - start;
    expect(contentDeltas(payloads(events))).toHaveLength(20);
    expect(reads).toBeGreaterThanOrEqual(10);
    expect(elapsed).toBeGreaterThanOrEqual(180);
    expect(elapsed).toBeLessThan(2_000);

    start = performance.now();
    await (await post(upstream.url, '/chat/completions', userChat('[mock:tps=100] [mock:words=20]'))).json();
    expect(performance.now() - start).toBeGreaterThanOrEqual(180);
  });

  it('uses the configured rate, and without one writes a whole stream at once', async () => {
    const paced = await startMockUpstream({ latencyMs: 0, tokensPerSecond: 200, scripts: {} });
    try {
      const start = performance.now();
      await readEvents(await post(paced.url, '/responses', { model: 'mock', stream: true, input: '[mock:words=40]' }));
      expect(performance.now() - start).toBeGreaterThanOrEqual(180);
    } finally {
      await paced.close();
    }
    const start = performance.now();
    const { events } = await readEvents(await post(upstream.url, '/chat/completions', userChat('[mock:words=2000]', { stream: true })));
    expect(contentDeltas(payloads(events))).toHaveLength(2_000);
    expect(performance.now() - start).toBeLessThan(1_000);
  });
});

describe('mid-stream failures', () => {
  it('[mock:fail_after=3] destroys the socket after 3 content deltas, not counted as a client abort', async () => {
    const before = upstream.stats.aborted;
    for (const tps of [0, 200]) {
      const response = await post(upstream.url, '/chat/completions', userChat(`[mock:fail_after=3] [mock:tps=${tps}] one two three four five six`, { stream: true }));
      expect(response.status).toBe(200);
      const { events, failure } = await readEvents(response);
      expect(failure).toBeInstanceOf(Error);
      expect(contentDeltas(payloads(events))).toHaveLength(3);
      expect(events.some((event) => event.data === '[DONE]')).toBe(false);
    }
    const responses = await post(upstream.url, '/responses', { model: 'mock', stream: true, input: '[mock:fail_after=2] hello' });
    const { events, failure } = await readEvents(responses);
    expect(failure).toBeInstanceOf(Error);
    const types = events.map((event) => event.event);
    expect(types.filter((type) => type === 'response.output_text.delta')).toHaveLength(2);
    expect(types.at(-1)).toBe('response.output_text.delta');
    expect(upstream.stats.aborted).toBe(before);
  });

  it('[mock:fail_after] without streaming cuts the JSON body halfway', async () => {
    const response = await post(upstream.url, '/chat/completions', userChat('[mock:fail_after=1] hello'));
    expect(response.status).toBe(200);
    await expect(response.text()).rejects.toThrow();
  });

  it('[mock:error_after=3] sends the Chat error event and [DONE] after 3 deltas; the SDK raises it', async () => {
    const response = await post(upstream.url, '/chat/completions', userChat('[mock:error_after=3] one two three four five', { stream: true }));
    const { events, failure } = await readEvents(response);
    expect(failure).toBeUndefined();
    const data = payloads(events);
    expect(contentDeltas(data)).toHaveLength(3);
    expect(data.at(-1)).toBe('[DONE]');
    expect(data.at(-2)).toEqual({ error: { message: expect.stringMatching(/simulated/) as unknown, type: 'server_error', param: null, code: 'server_error' } });

    const client = new OpenAI({ baseURL: upstream.url, apiKey: 'k', maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: 'mock', stream: true, messages: [{ role: 'user', content: '[mock:error_after=2] a b c d' }] });
    const received: string[] = [];
    const consume = async (): Promise<void> => {
      for await (const chunk of stream) received.push(chunk.choices[0]?.delta.content ?? '');
    };
    await expect(consume()).rejects.toBeInstanceOf(OpenAI.APIError);
    expect(received.filter((piece) => piece !== '')).toHaveLength(2);
  });

  it('[mock:error_after] ends a Responses stream with response.failed, and is a 500 without streaming', async () => {
    const response = await post(upstream.url, '/responses', { model: 'mock', stream: true, input: '[mock:error_after=1] hi' });
    const { events, failure } = await readEvents(response);
    expect(failure).toBeUndefined();
    const data = events.map((event) => JSON.parse(event.data) as { type: string; sequence_number: number; response?: { status: string; error: unknown } });
    expect(data.map((event) => event.sequence_number)).toEqual(data.map((_, i) => i));
    expect(data.filter((event) => event.type === 'response.output_text.delta')).toHaveLength(1);
    const last = data.at(-1);
    expect(last?.type).toBe('response.failed');
    expect(events.at(-1)?.event).toBe('response.failed');
    expect(last?.response).toMatchObject({ status: 'failed', error: { code: 'server_error' } });

    const plain = await post(upstream.url, '/responses', { model: 'mock', input: '[mock:error_after=1] hi' });
    expect(plain.status).toBe(500);
    expect(((await plain.json()) as { error: { type: string } }).error.type).toBe('server_error');
  });
});

describe('client aborts', () => {
  it('[mock:hang] never answers and counts the abort when the client gives up', async () => {
    const before = upstream.stats.aborted;
    const controller = new AbortController();
    const pending = post(upstream.url, '/chat/completions', userChat('[mock:hang]', { stream: true }), controller.signal);
    setTimeout(() => controller.abort(), 150);
    await expect(pending).rejects.toThrow();
    await eventually(() => upstream.stats.aborted === before + 1);
  });

  it('counts an abort during the latency wait and one mid-stream, and stops writing', async () => {
    const before = upstream.stats.aborted;
    const waiting = new AbortController();
    const pending = post(upstream.url, '/chat/completions', userChat('[mock:latency=5000] hi'), waiting.signal);
    setTimeout(() => waiting.abort(), 50);
    await expect(pending).rejects.toThrow();
    await eventually(() => upstream.stats.aborted === before + 1);

    const streaming = new AbortController();
    const response = await post(upstream.url, '/responses', { model: 'mock', stream: true, input: '[mock:tps=20] [mock:words=200]' }, streaming.signal);
    const reader = response.body!.getReader();
    await reader.read();
    streaming.abort();
    await eventually(() => upstream.stats.aborted === before + 2);
  });

  it('closes promptly with requests still hanging or streaming', async () => {
    const local = await startMockUpstream({ latencyMs: 0, tokensPerSecond: 5, scripts: {} });
    const hanging = post(local.url, '/chat/completions', userChat('[mock:hang]')).catch((err: unknown) => err);
    const streaming = await post(local.url, '/chat/completions', userChat('[mock:words=500]', { stream: true }));
    const reading = readEvents(streaming);
    await eventually(() => local.stats.requests === 2);
    const start = performance.now();
    await local.close();
    expect(performance.now() - start).toBeLessThan(500);
    expect(await hanging).toBeInstanceOf(Error);
    expect((await reading).failure).toBeInstanceOf(Error);
    expect(local.stats.aborted).toBe(0);
  });

  it('counts requests', async () => {
    const local = await startMockUpstream({ latencyMs: 0, tokensPerSecond: 0, scripts: {} });
    try {
      await (await fetch(`${local.url}/models`)).json();
      await (await post(local.url, '/chat/completions', userChat('hi'))).json();
      await (await post(local.url, '/nowhere', {})).json();
      expect(local.stats).toEqual({ requests: 3, aborted: 0 });
    } finally {
      await local.close();
    }
  });
});
