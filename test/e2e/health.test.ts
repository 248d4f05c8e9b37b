import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { config, model, provider, startTestGateway } from '../helpers/gateway.js';
import { replyJson, startOpenAIUpstream } from '../simulators/openai-upstream.js';

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('health and readiness', () => {
  it('readyz is 200 when every upstream answers and 503 naming the one that does not', async () => {
    const upstream = await startOpenAIUpstream((_req, res) => replyJson(res, 200, { object: 'list', data: [{ id: 'm', object: 'model' }] }));
    const gateway = await startTestGateway(
      config(
        [provider({ name: 'up', kind: 'openai-compatible', baseUrl: upstream.url }), provider({ name: 'down', kind: 'openai-compatible', baseUrl: 'http://127.0.0.1:1/v1' })],
        [model('a', ['up/m']), model('b', ['down/m'])],
      ),
    );
    try {
      const ready = await get(`${gateway.url}/readyz`);
      expect(ready.status).toBe(503);
      const body = JSON.parse(ready.body) as { status: string; checks: Array<{ name: string; ok: boolean; error?: string }> };
      expect(body.status).toBe('not_ready');
      expect(body.checks).toEqual([
        { name: 'store', ok: true },
        { name: 'provider:up', ok: true },
        expect.objectContaining({ name: 'provider:down', ok: false }),
      ]);
      expect((await get(`${gateway.url}/healthz`)).status).toBe(200);
    } finally {
      await gateway.close();
      await upstream.close();
    }
  });

  it('reuses pooled keep-alive connections to the upstream', async () => {
    const upstream = await startOpenAIUpstream((_req, res) =>
      replyJson(res, 200, { id: 'x', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }] }),
    );
    const gateway = await startTestGateway(config([provider({ name: 'up', kind: 'openai-compatible', baseUrl: upstream.url })], [model('a', ['up/m'])]));
    try {
      for (let i = 0; i < 20; i++) {
        const response = await fetch(`${gateway.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'a', messages: [{ role: 'user', content: 'hi' }] }) });
        expect(response.status).toBe(200);
        await response.arrayBuffer();
      }
      expect(upstream.requests).toHaveLength(20);
      expect(upstream.opened).toBe(1);
    } finally {
      await gateway.close();
      await upstream.close();
    }
  });
});
