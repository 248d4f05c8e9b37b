/**
 * Non-streamed upstream replies are checked before they are relayed: a 2xx
 * that is not the JSON object the API returns (random bytes, a cut body, an
 * HTML page, a bare JSON value, an OpenAI-style error) is a 502 the gateway
 * retries and falls back from like a 5xx, and a reply over
 * `server.upstream_reply_limit` is a 502 naming the limit. Everything runs
 * against real HTTP upstreams on loopback.
 */
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway.js';
import { config, model, provider, startTestGateway } from '../helpers/gateway.js';
import { replyJson, replySse, startOpenAIUpstream, type OpenAIUpstream } from '../simulators/openai-upstream.js';

const CHAT_REPLY = {
  id: 'chatcmpl-ok',
  object: 'chat.completion',
  created: 1_700_000_000,
  model: 'up-model',
  choices: [{ index: 0, message: { role: 'assistant', content: 'fine', refusal: null }, logprobs: null, finish_reason: 'stop' }],
  usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
};

function raw(res: ServerResponse, contentType: string | undefined, body: Buffer | string, withLength = true): void {
  const headers: Record<string, string | number> = {};
  if (contentType !== undefined) headers['content-type'] = contentType;
  if (withLength) headers['content-length'] = Buffer.byteLength(body);
  res.writeHead(200, headers);
  res.end(body);
}

const HTML = '<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>\n';

let gateway: Gateway | undefined;
const upstreams: OpenAIUpstream[] = [];

afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
  for (const upstream of upstreams.splice(0)) await upstream.close();
});

async function post(path: string, body: unknown): Promise<{ status: number; text: string; json: { error?: { message: string; type: string; code: string; param: unknown } } & Record<string, unknown> }> {
  const response = await fetch(`${gateway!.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, text, json: JSON.parse(text) as never };
}

async function ledgerRows(): Promise<Awaited<ReturnType<Gateway['ledger']['recent']>>> {
  // Rows are written off the response path.
  await new Promise((resolve) => setTimeout(resolve, 100));
  return gateway!.ledger.recent(100);
}

describe('non-streamed upstream replies that are not the API JSON', () => {
  const cases: ReadonlyArray<{ name: string; send: (res: ServerResponse) => void; says: RegExp }> = [
    { name: 'random bytes', send: (res) => raw(res, 'application/json', randomBytes(300)), says: /not JSON: 300 bytes of application\/json beginning "/ },
    { name: '{not json', send: (res) => raw(res, 'application/json', '{not json'), says: /not JSON: 9 bytes of application\/json beginning "\{not json"/ },
    { name: 'an HTML page', send: (res) => raw(res, 'text/html', HTML), says: /not JSON: \d+ bytes of text\/html beginning "<!DOCTYPE html><html><head><title>502 Bad Gatewa…"/ },
    { name: 'a JSON array', send: (res) => raw(res, 'application/json', '[1,2,3]'), says: /JSON an array, not an object/ },
    { name: 'an empty body', send: (res) => raw(res, undefined, ''), says: /not JSON: an empty body, no content type/ },
    { name: 'a body cut short', send: (res) => raw(res, 'application/json', JSON.stringify(CHAT_REPLY).slice(0, 120)), says: /not JSON: 120 bytes/ },
  ];

  for (const { name, send, says } of cases) {
    it(`${name}: 502 upstream_invalid_response after the retries, recorded as an error`, async () => {
      const upstream = await startOpenAIUpstream((_req, res) => send(res));
      upstreams.push(upstream);
      gateway = await startTestGateway(config([provider({ name: 'up', kind: 'openai-compatible', baseUrl: upstream.url })], [model('m', ['up/up-model'])]));

      const { status, json } = await post('/v1/chat/completions', { model: 'm', messages: [{ role: 'user', content: 'hi' }] });

      expect(status).toBe(502);
      expect(json.error?.code).toBe('upstream_invalid_response');
      expect(json.error?.type).toBe('upstream_error');
      expect(json.error?.message).toMatch(/^The upstream provider 'up' answered with something other than the JSON object its API returns/);
      expect(json.error?.message).toMatch(says);
      // Retried like a 5xx (max_attempts 3).
      expect(upstream.requests).toHaveLength(3);
      const rows = await ledgerRows();
      expect(rows.map((row) => [row.status, row.httpStatus])).toEqual([['error', 502]]);
    });
  }

  it('falls back to the next deployment, whose valid reply the client gets', async () => {
    const html = await startOpenAIUpstream((_req, res) => raw(res, 'text/html', HTML));
    const good = await startOpenAIUpstream((_req, res) => replyJson(res, 200, CHAT_REPLY));
    upstreams.push(html, good);
    gateway = await startTestGateway(
      config(
        [provider({ name: 'html', kind: 'openai-compatible', baseUrl: html.url }), provider({ name: 'good', kind: 'openai-compatible', baseUrl: good.url })],
        [model('m', ['html/up-model', 'good/up-model'])],
      ),
    );
    const response = await fetch(`${gateway.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }) });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-tollgate-provider')).toBe('good');
    expect(await response.json()).toEqual(CHAT_REPLY);
    const rows = await ledgerRows();
    expect(rows.map((row) => [row.status, row.provider, row.promptTokens, row.completionTokens])).toEqual([['ok', 'good', 3, 1]]);
  });

  it('an OpenAI-style error with status 200 is the upstream reporting a failure: 502 with its words, retried', async () => {
    const upstream = await startOpenAIUpstream((_req, res) =>
      replyJson(res, 200, { error: { message: 'The server had an error while processing your request.', type: 'server_error', param: null, code: 'server_error' } }),
    );
    upstreams.push(upstream);
    gateway = await startTestGateway(config([provider({ name: 'up', kind: 'openai-compatible', baseUrl: upstream.url })], [model('m', ['up/up-model'])]));

    const { status, json } = await post('/v1/chat/completions', { model: 'm', messages: [{ role: 'user', content: 'hi' }] });

    expect(status).toBe(502);
    expect(json.error?.code).toBe('server_error');
    expect(json.error?.message).toBe("Provider 'up' reported an error: The server had an error while processing your request.");
    expect(upstream.requests).toHaveLength(3);
    expect((await ledgerRows()).map((row) => row.status)).toEqual(['error']);
  });

  it('a Responses reply that is an HTML page is refused too (pass-through on the Responses API)', async () => {
    const upstream = await startOpenAIUpstream((_req, res) => raw(res, 'text/html; charset=utf-8', HTML));
    upstreams.push(upstream);
    gateway = await startTestGateway(config([provider({ name: 'oa', kind: 'openai', baseUrl: upstream.url, apiKey: 'sk-x' })], [model('m', ['oa/up-model'])]));

    const { status, json } = await post('/v1/responses', { model: 'm', input: 'hi' });

    expect(status).toBe(502);
    expect(json.error?.code).toBe('upstream_invalid_response');
    expect(json.error?.message).toContain('text/html; charset=utf-8');
    expect(upstream.requests.every((req) => req.path === '/v1/responses')).toBe(true);
  });

  it('a translated call (Responses client, Chat upstream) whose upstream sends an HTML page instead of its stream: 502 upstream_invalid_response, retried', async () => {
    const upstream = await startOpenAIUpstream((_req, res) => raw(res, 'text/html', HTML));
    upstreams.push(upstream);
    gateway = await startTestGateway(config([provider({ name: 'up', kind: 'openai-compatible', baseUrl: upstream.url })], [model('m', ['up/up-model'])]));

    const { status, json } = await post('/v1/responses', { model: 'm', input: 'hi' });

    expect(status).toBe(502);
    expect(json.error?.code).toBe('upstream_invalid_response');
    expect(json.error?.message).toMatch(/not a stream the gateway can read: \d+ bytes of text\/html beginning "<!DOCTYPE html>/);
    expect(upstream.requests).toHaveLength(3);
    expect((await ledgerRows()).map((row) => [row.status, row.httpStatus])).toEqual([['error', 502]]);
  });
});

describe('server.upstream_reply_limit', () => {
  const LIMIT = 1024 * 1024;
  /** A valid reply of about `bytes` bytes. */
  function bigReply(bytes: number): string {
    return JSON.stringify({ ...CHAT_REPLY, choices: [{ ...CHAT_REPLY.choices[0], message: { role: 'assistant', content: 'x'.repeat(bytes), refusal: null } }] });
  }

  for (const declared of [true, false]) {
    it(`a reply over the limit (${declared ? 'declared by Content-Length' : 'chunked, no length'}) is a 502 naming the limit and the key, not a cut 200`, async () => {
      const upstream = await startOpenAIUpstream((_req, res) => raw(res, 'application/json', bigReply(2 * LIMIT), declared));
      upstreams.push(upstream);
      gateway = await startTestGateway(config([provider({ name: 'up', kind: 'openai-compatible', baseUrl: upstream.url })], [model('m', ['up/up-model'])], { upstreamReplyLimitBytes: LIMIT }));

      const { status, json } = await post('/v1/chat/completions', { model: 'm', messages: [{ role: 'user', content: 'hi' }] });

      expect(status).toBe(502);
      expect(json.error?.code).toBe('upstream_response_too_large');
      expect(json.error?.message).toContain(`limit of ${LIMIT} bytes`);
      expect(json.error?.message).toContain('server.upstream_reply_limit');
      // The same request gets the same reply from this deployment: not retried.
      expect(upstream.requests).toHaveLength(1);
      expect((await ledgerRows()).map((row) => [row.status, row.httpStatus])).toEqual([['error', 502]]);
    });
  }

  it('by default a 70 MiB reply is refused (64 MiB limit), not cut at 64 MiB and sent as a 200', async () => {
    const body = bigReply(70 * 1024 * 1024);
    const upstream = await startOpenAIUpstream((_req, res) => raw(res, 'application/json', body));
    upstreams.push(upstream);
    gateway = await startTestGateway(config([provider({ name: 'up', kind: 'openai-compatible', baseUrl: upstream.url })], [model('m', ['up/up-model'])]));

    const { status, json } = await post('/v1/chat/completions', { model: 'm', messages: [{ role: 'user', content: 'hi' }] });

    expect(status).toBe(502);
    expect(json.error?.code).toBe('upstream_response_too_large');
    expect(json.error?.message).toContain(`limit of ${64 * 1024 * 1024} bytes`);
  });

  it('a reply just under the limit is relayed whole', async () => {
    const body = bigReply(LIMIT - 1000);
    const upstream = await startOpenAIUpstream((_req, res) => raw(res, 'application/json', body, false));
    upstreams.push(upstream);
    gateway = await startTestGateway(config([provider({ name: 'up', kind: 'openai-compatible', baseUrl: upstream.url })], [model('m', ['up/up-model'])], { upstreamReplyLimitBytes: LIMIT }));
    const { status, text } = await post('/v1/chat/completions', { model: 'm', messages: [{ role: 'user', content: 'hi' }] });
    expect(status).toBe(200);
    expect(text).toBe(body);
  });

  it('bounds a translated non-streamed call too', async () => {
    const delta = (content: string): string => `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'up-model', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;
    const frames = Array.from({ length: 40 }, () => delta('y'.repeat(64 * 1024)));
    const upstream = await startOpenAIUpstream((_req, res) => replySse(res, [...frames, 'data: [DONE]\n\n']));
    upstreams.push(upstream);
    gateway = await startTestGateway(config([provider({ name: 'up', kind: 'openai-compatible', baseUrl: upstream.url })], [model('m', ['up/up-model'])], { upstreamReplyLimitBytes: LIMIT }));

    const { status, json } = await post('/v1/responses', { model: 'm', input: 'hi' });

    expect(status).toBe(502);
    expect(json.error?.code).toBe('upstream_response_too_large');
    expect(json.error?.message).toContain('server.upstream_reply_limit');
  });
});
