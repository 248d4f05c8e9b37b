import { request } from 'node:http';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway.js';
import { config, model, provider, startTestGateway } from '../helpers/gateway.js';
import { replyJson, startOpenAIUpstream } from '../simulators/openai-upstream.js';

let gateway: Gateway;
let upstream: Awaited<ReturnType<typeof startOpenAIUpstream>>;

beforeAll(async () => {
  upstream = await startOpenAIUpstream((req, res) => {
    const model = (req.body as { model?: string }).model;
    if (model === 'needs-auth') return replyJson(res, 401, { error: { message: 'Incorrect API key provided: sk-upstr***', type: 'invalid_request_error', code: 'invalid_api_key' } });
    if (model === 'too-long')
      return replyJson(res, 400, { error: { message: "This model's maximum context length is 8192 tokens. However, you requested 9000 tokens.", type: 'invalid_request_error', code: null } });
    if (model === 'busy') return replyJson(res, 503, { error: { message: 'internal stack trace at worker-7', type: 'server_error' } });
    return replyJson(res, 200, { id: 'x', object: 'chat.completion', created: 1, model, choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }] });
  });
  gateway = await startTestGateway(
    config(
      [provider({ name: 'up', kind: 'openai-compatible', baseUrl: upstream.url, apiKey: 'sk-upstream-secret' })],
      [model('good', ['up/good']), model('locked', ['up/needs-auth']), model('small', ['up/too-long']), model('flaky', ['up/busy']), model('local/*', ['up/*'])],
      { bodyLimitBytes: 64 * 1024 },
    ),
  );
});

afterAll(async () => {
  await gateway.close();
  await upstream.close();
});

async function post(path: string, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }): Promise<{ status: number; json: { error: { message: string; type: string; code: string; param: string | null } }; headers: Headers }> {
  const response = await fetch(`${gateway.url}${path}`, { method: 'POST', headers, body });
  return { status: response.status, json: (await response.json()) as never, headers: response.headers };
}

describe('errors are OpenAI-shaped and honest', () => {
  it('unknown model: 404 model_not_found listing the available names, through the SDK too', async () => {
    const { status, json } = await post('/v1/chat/completions', JSON.stringify({ model: 'gpt-17', messages: [{ role: 'user', content: 'hi' }] }));
    expect(status).toBe(404);
    expect(json.error.code).toBe('model_not_found');
    expect(json.error.param).toBe('model');
    expect(json.error.message).toContain("'gpt-17'");
    expect(json.error.message).toContain('good, locked, small, flaky, local/*');
    const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'k', maxRetries: 0 });
    await expect(client.chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({
      status: 404,
      code: 'model_not_found',
    });
  });

  it('wildcard routes forward the matched part as the upstream model', async () => {
    const { status } = await post('/v1/chat/completions', JSON.stringify({ model: 'local/anything-7b', messages: [{ role: 'user', content: 'hi' }] }));
    expect(status).toBe(200);
    expect((upstream.requests.at(-1)?.body as { model: string }).model).toBe('anything-7b');
  });

  it('malformed JSON: 400 invalid_json', async () => {
    const { status, json } = await post('/v1/chat/completions', '{"model": "good", "messages": [');
    expect(status).toBe(400);
    expect(json.error.code).toBe('invalid_json');
    expect(json.error.type).toBe('invalid_request_error');
  });

  it('a body that is not an object, or has no model: 400 with the field named', async () => {
    expect((await post('/v1/chat/completions', '[1,2]')).json.error.message).toContain('JSON object');
    const missing = await post('/v1/chat/completions', '{"messages":[]}');
    expect(missing.status).toBe(400);
    expect(missing.json.error.param).toBe('model');
  });

  it('oversized body: 413 naming the limit, declared or chunked', async () => {
    const big = JSON.stringify({ model: 'good', messages: [{ role: 'user', content: 'x'.repeat(100 * 1024) }] });
    const declared = await post('/v1/chat/completions', big);
    expect(declared.status).toBe(413);
    expect(declared.json.error.code).toBe('request_too_large');
    expect(declared.json.error.message).toContain('65536');

    const chunked = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const url = new URL(`${gateway.url}/v1/chat/completions`);
      const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      for (let i = 0; i < 10; i++) req.write(big.slice(i * 10_000, (i + 1) * 10_000));
      req.end(big.slice(100_000));
    });
    expect(chunked.status).toBe(413);
    expect(JSON.parse(chunked.body)).toMatchObject({ error: { code: 'request_too_large' } });
  });

  it('wrong method: 405 with Allow; unknown path: 404', async () => {
    const wrong = await fetch(`${gateway.url}/v1/chat/completions`);
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
    expect(((await wrong.json()) as { error: { code: string } }).error.code).toBe('method_not_allowed');
    const missing = await fetch(`${gateway.url}/v2/whatever`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });

  it('upstream 401 becomes a gateway configuration error that leaks neither key nor upstream body', async () => {
    const { status, json } = await post('/v1/chat/completions', JSON.stringify({ model: 'locked', messages: [{ role: 'user', content: 'hi' }] }));
    expect(status).toBe(502);
    expect(json.error.code).toBe('upstream_auth_failed');
    expect(json.error.message).toContain("provider 'up'");
    expect(JSON.stringify(json)).not.toContain('sk-upstr');
  });

  it('upstream context-length wording becomes context_length_exceeded', async () => {
    const { status, json } = await post('/v1/chat/completions', JSON.stringify({ model: 'small', messages: [{ role: 'user', content: 'hi' }] }));
    expect(status).toBe(400);
    expect(json.error.code).toBe('context_length_exceeded');
  });

  it('upstream 5xx becomes 502 without the upstream internals', async () => {
    const { status, json } = await post('/v1/chat/completions', JSON.stringify({ model: 'flaky', messages: [{ role: 'user', content: 'hi' }] }));
    expect(status).toBe(502);
    expect(json.error.code).toBe('upstream_error');
    expect(json.error.message).not.toContain('stack trace');
  });

  it('an unreachable upstream is a 502 naming the provider', async () => {
    const down = await startTestGateway(config([provider({ name: 'gone', kind: 'openai-compatible', baseUrl: 'http://127.0.0.1:1/v1' })], [model('m', ['gone/m'])]));
    try {
      const response = await fetch(`${down.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }) });
      expect(response.status).toBe(502);
      const json = (await response.json()) as { error: { code: string; message: string } };
      expect(json.error.code).toBe('upstream_unavailable');
      expect(json.error.message).toContain("'gone'");
    } finally {
      await down.close();
    }
  });

  it('healthz answers; models lists concrete names', async () => {
    expect((await fetch(`${gateway.url}/healthz`)).status).toBe(200);
    const models = (await (await fetch(`${gateway.url}/v1/models`)).json()) as { data: Array<{ id: string }> };
    expect(models.data.map((m) => m.id)).toEqual(expect.arrayContaining(['good', 'locked', 'small', 'flaky']));
  });
});
