import { Agent, request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { SseParser } from '../../src/framing/sse.js';
import { replyJson, replyRaw, replySse, startOpenAIUpstream } from './openai-upstream.js';

describe('scripted OpenAI upstream', () => {
  it('records requests and answers with the default handler', async () => {
    const upstream = await startOpenAIUpstream();
    try {
      expect(upstream.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
      const response = await fetch(`${upstream.url}/chat/completions?x=1`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer sk-1' },
        body: JSON.stringify({ model: 'm', messages: [] }),
      });
      expect(((await response.json()) as { model: string; choices: { message: { content: string } }[] }).choices[0]?.message.content).toBe('ok');
      await (await fetch(`${upstream.url}/other`, { method: 'POST', body: 'not json' })).text();
      expect(upstream.requests.map((r) => [r.method, r.path, r.body])).toEqual([
        ['POST', '/v1/chat/completions?x=1', { model: 'm', messages: [] }],
        ['POST', '/v1/other', 'not json'],
      ]);
      expect(upstream.requests[0]?.headers.authorization).toBe('Bearer sk-1');
    } finally {
      await upstream.close();
    }
  });

  it('counts connections, so reuse is visible', async () => {
    const upstream = await startOpenAIUpstream();
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const get = (): Promise<void> =>
      new Promise((resolve, reject) => {
        request(`${upstream.url}/models`, { agent }, (res) => {
          res.resume();
          res.once('end', resolve);
        })
          .once('error', reject)
          .end();
      });
    try {
      await get();
      await get();
      expect(upstream.opened).toBe(1);
      agent.destroy();
      await get();
      expect(upstream.opened).toBe(2);
    } finally {
      agent.destroy();
      await upstream.close();
    }
  });

  it('replies with JSON, SSE frames and raw split bytes', async () => {
    const upstream = await startOpenAIUpstream(async (req, res) => {
      if (req.path.endsWith('/json')) return replyJson(res, 429, { error: { message: 'slow down' } }, { 'retry-after': '2' });
      if (req.path.endsWith('/sse')) return replySse(res, ['data: {"a":1}\n\n', 'data: [DONE]\n\n'], { delayMs: 20 });
      return replyRaw(res, 'data: {"b":2}\r\n\r\n', [3, 9]);
    });
    try {
      const json = await fetch(`${upstream.url}/json`);
      expect([json.status, json.headers.get('retry-after'), await json.json()]).toEqual([429, '2', { error: { message: 'slow down' } }]);

      const start = performance.now();
      const sse = await fetch(`${upstream.url}/sse`);
      expect(sse.headers.get('content-type')).toBe('text/event-stream');
      const parser = new SseParser();
      expect(parser.push(await sse.text()).map((e) => e.data)).toEqual(['{"a":1}', '[DONE]']);
      expect(performance.now() - start).toBeGreaterThanOrEqual(15);

      const raw = await fetch(`${upstream.url}/raw`);
      const reader = raw.body!.getReader();
      const pieces: string[] = [];
      for (let r = await reader.read(); !r.done; r = await reader.read()) pieces.push(Buffer.from(r.value).toString());
      expect(pieces.join('')).toBe('data: {"b":2}\r\n\r\n');
      expect(pieces.length).toBeGreaterThanOrEqual(2);
    } finally {
      await upstream.close();
    }
  });

  it('counts client aborts and wakes waitForAbort', async () => {
    const upstream = await startOpenAIUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {}\n\n');
    });
    try {
      await expect(upstream.waitForAbort(50)).rejects.toThrow(/no client abort/);
      for (let round = 1; round <= 2; round++) {
        const controller = new AbortController();
        const response = await fetch(`${upstream.url}/chat/completions`, { method: 'POST', body: '{}', signal: controller.signal });
        await response.body!.getReader().read();
        controller.abort();
        await upstream.waitForAbort(2_000);
        expect(upstream.aborted).toBe(round);
      }
    } finally {
      await upstream.close();
    }
  });

  it('turns a throwing handler into a 500', async () => {
    const upstream = await startOpenAIUpstream(() => {
      throw new Error('boom');
    });
    try {
      const response = await fetch(`${upstream.url}/x`);
      expect(response.status).toBe(500);
      expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(/boom/);
    } finally {
      await upstream.close();
    }
  });
});
