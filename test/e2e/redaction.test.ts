/**
 * An upstream that echoes the credentials it was sent (the Authorization
 * header, an `api-key` header, the password of the base URL) in an error
 * body, a 401, an error event inside its stream or its answer itself: the
 * client, the logs and the usage ledger never see them. The upstream is a
 * real HTTP server on loopback; the gateway's logger writes real JSON lines
 * into a stream the test reads.
 */
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway.js';
import { config, model, provider, startTestGateway } from '../helpers/gateway.js';
import { capturedLog } from '../helpers/log-capture.js';
import { replyJson, replyRaw, startOpenAIUpstream, type OpenAIUpstream, type RecordedRequest } from '../simulators/openai-upstream.js';

const API_KEY = 'sk-tollgate-test-KEY-0123456789abcdef';
const HEADER_SECRET = 'hdr-secret-api-key-5f4e3d2c1b';
const URL_PASSWORD = 'url-pass-word-98765432';
const SECRETS = [API_KEY, HEADER_SECRET, URL_PASSWORD];

/** What a careless upstream says: everything it was sent, verbatim. */
function echo(req: RecordedRequest): string {
  return `Invalid request. Authorization: ${String(req.headers['authorization'])}; api-key: ${String(req.headers['api-key'])}; upstream URL: http://svc:${URL_PASSWORD}@10.0.0.7${req.path}`;
}

function sse(events: ReadonlyArray<readonly [string | undefined, unknown]>): string {
  return events.map(([event, data]) => `${event === undefined ? '' : `event: ${event}\n`}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`).join('');
}

function chatDelta(content: string): unknown {
  return { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'm', choices: [{ index: 0, delta: { content }, finish_reason: null }] };
}

const RESPONSE = { id: 'resp_1', object: 'response', created_at: 1_700_000_000, status: 'in_progress', model: 'm', output: [], usage: null };

/** The upstream's stream for `mode`: some content, then an error event that echoes the credentials. */
function streamWithError(path: string, message: string): string {
  if (path.endsWith('/api/chat')) {
    return `${JSON.stringify({ model: 'm', created_at: '2025-01-01T00:00:00Z', message: { role: 'assistant', content: 'Hel' }, done: false })}\n${JSON.stringify({ error: message })}\n`;
  }
  if (path.endsWith('/responses')) {
    return sse([
      ['response.created', { type: 'response.created', sequence_number: 0, response: RESPONSE }],
      ['response.output_item.added', { type: 'response.output_item.added', sequence_number: 1, output_index: 0, item: { id: 'msg_1', type: 'message', status: 'in_progress', role: 'assistant', content: [] } }],
      ['response.content_part.added', { type: 'response.content_part.added', sequence_number: 2, item_id: 'msg_1', output_index: 0, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } }],
      ['response.output_text.delta', { type: 'response.output_text.delta', sequence_number: 3, item_id: 'msg_1', output_index: 0, content_index: 0, delta: 'Hel' }],
      ['response.failed', { type: 'response.failed', sequence_number: 4, response: { ...RESPONSE, status: 'failed', error: { code: 'server_error', message } } }],
    ]);
  }
  return sse([
    [undefined, chatDelta('Hel')],
    [undefined, { error: { message, type: 'server_error', param: null, code: 'server_error' } }],
  ]);
}

/** A successful stream whose text holds the API key, the key cut in two between reads. */
async function streamWithKey(res: ServerResponse, path: string): Promise<void> {
  let body: string;
  if (path.endsWith('/api/chat')) {
    body = `${JSON.stringify({ model: 'm', created_at: '2025-01-01T00:00:00Z', message: { role: 'assistant', content: `your key is ${API_KEY}!` }, done: false })}\n${JSON.stringify({ model: 'm', created_at: '2025-01-01T00:00:00Z', message: { role: 'assistant', content: '' }, done: true, done_reason: 'stop', prompt_eval_count: 3, eval_count: 5 })}\n`;
  } else {
    body = sse([
      [undefined, chatDelta(`your key is ${API_KEY}!`)],
      [undefined, { ...(chatDelta('') as object), choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }],
      [undefined, { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [], usage: { prompt_tokens: 3, completion_tokens: 5, total_tokens: 8 } }],
      [undefined, '[DONE]'],
    ]);
  }
  const at = body.indexOf(API_KEY);
  if (path.endsWith('/api/chat')) res.setHeader('content-type', 'application/x-ndjson');
  // Split inside the key, twice: no read holds it whole.
  await replyRaw(res, body, [at + 5, at + 20]);
}

function upstreamHandler(req: RecordedRequest, res: ServerResponse): void | Promise<void> {
  if (req.method === 'GET') {
    // Model discovery (and so /readyz) answered with the credential it was sent, not JSON.
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`${String(req.headers['authorization']).slice('Bearer '.length)} is not allowed to list models`);
    return;
  }
  const body = req.body as { model?: string };
  const mode = body.model ?? '';
  const ollama = req.path.endsWith('/api/chat');
  const message = echo(req);
  if (mode === 'e400') return ollama ? replyJson(res, 400, { error: message }) : replyJson(res, 400, { error: { message, type: 'invalid_request_error', param: null, code: 'invalid_value' } });
  if (mode === 'e401') return replyJson(res, 401, { error: { message, type: 'invalid_request_error', param: null, code: 'invalid_api_key' } });
  if (mode === 'stream-error') {
    if (ollama) res.setHeader('content-type', 'application/x-ndjson');
    return replyRaw(res, streamWithError(req.path, message));
  }
  if (mode === 'key-in-text') return streamWithKey(res, req.path);
  if (mode === 'html-echo') {
    // A proxy's error page that prints the request it could not forward, with status 200.
    const page = `<p>${String(req.headers['authorization'])} ${String(req.headers['api-key'])}</p><html><body>upstream down</body></html>`;
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(page);
    return;
  }
  return replyJson(res, 500, { error: { message: `unknown mode ${mode}` } });
}

let upstream: OpenAIUpstream;
let gateway: Gateway;
const captured = capturedLog('debug');
const logLines = captured.lines;

beforeAll(async () => {
  upstream = await startOpenAIUpstream(upstreamHandler);
  const port = new URL(upstream.url).port;
  const secretUrl = `http://svc:${URL_PASSWORD}@127.0.0.1:${port}`;
  const credentials = { apiKey: API_KEY, headers: { 'api-key': HEADER_SECRET } };
  const modes = ['e400', 'e401', 'stream-error', 'key-in-text', 'html-echo'];
  gateway = await startTestGateway(
    config(
      [
        provider({ name: 'vl', kind: 'openai-compatible', baseUrl: `${secretUrl}/v1`, ...credentials }),
        provider({ name: 'oa', kind: 'openai', baseUrl: `${secretUrl}/v1`, ...credentials }),
        provider({ name: 'ol', kind: 'ollama', baseUrl: secretUrl, ...credentials }),
      ],
      modes.flatMap((mode) => [model(`vl-${mode}`, [`vl/${mode}`]), model(`oa-${mode}`, [`oa/${mode}`]), model(`ol-${mode}`, [`ol/${mode}`])]),
    ),
    { log: captured.log },
  );
});

afterAll(async () => {
  await gateway.close();
  await upstream.close();
});

const seen: string[] = [];

async function call(path: '/v1/chat/completions' | '/v1/responses', modelName: string, stream: boolean): Promise<{ status: number; text: string }> {
  const body = path === '/v1/responses' ? { model: modelName, input: 'hi', stream } : { model: modelName, stream, messages: [{ role: 'user', content: 'hi' }] };
  const response = await fetch(`${gateway.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await response.text();
  seen.push(text);
  return { status: response.status, text };
}

function expectNoSecret(text: string): void {
  for (const secret of SECRETS) expect(text).not.toContain(secret);
  // Not even a piece of one.
  for (const secret of SECRETS) expect(text).not.toContain(secret.slice(-12));
  for (const secret of SECRETS) expect(text).not.toContain(secret.slice(0, 10));
}

/** [client endpoint, model prefix, what it exercises] */
const ROUTES = [
  ['/v1/chat/completions', 'vl', 'Chat, passed through'],
  ['/v1/responses', 'oa', 'Responses, passed through'],
  ['/v1/responses', 'vl', 'Responses client, translated to a Chat upstream'],
  ['/v1/chat/completions', 'ol', 'Chat client, translated to Ollama'],
] as const;

describe('upstream replies that echo the provider credentials', () => {
  it('the upstream really received the credentials it echoes', async () => {
    await call('/v1/chat/completions', 'vl-e400', false);
    const last = upstream.requests.at(-1)!;
    expect(last.headers['authorization']).toBe(`Bearer ${API_KEY}`);
    expect(last.headers['api-key']).toBe(HEADER_SECRET);
  });

  for (const [path, prefix, what] of ROUTES) {
    for (const stream of [false, true]) {
      it(`${what}${stream ? ', streamed' : ''}: a 400 that echoes them is relayed redacted`, async () => {
        const { status, text } = await call(path, `${prefix}-e400`, stream);
        // A streaming Responses client gets the failure as `response.failed` (see sendFailure).
        expect(status).toBe(path === '/v1/responses' && stream ? 200 : 400);
        expectNoSecret(text);
        // The upstream's own words still reach the client, secrets replaced.
        expect(text).toContain('Invalid request. Authorization: Bearer [redacted]; api-key: [redacted]; upstream URL: http://svc:[redacted]@10.0.0.7');
      });

      it(`${what}${stream ? ', streamed' : ''}: a 401 that echoes them is not relayed`, async () => {
        const { status, text } = await call(path, `${prefix}-e401`, stream);
        expect(status).toBe(path === '/v1/responses' && stream ? 200 : 502);
        expect(text).toContain('upstream_auth_failed');
        expectNoSecret(text);
      });
    }

    it(`${what}, streamed: an error event in the stream that echoes them reaches the client redacted`, async () => {
      const { status, text } = await call(path, `${prefix}-stream-error`, true);
      expect(status).toBe(200);
      expectNoSecret(text);
      expect(text).toContain('[redacted]');
      expect(text).toContain('Hel');
    });

    it(`${what}, streamed: the key inside the answer itself, cut between reads, is redacted`, async () => {
      const { status, text } = await call(path, `${prefix}-key-in-text`, true);
      expect(status).toBe(200);
      expectNoSecret(text);
      expect(text).toContain('your key is [redacted]!');
    });
  }

  it('an unreadable 200 that echoes them is refused, quoting its first bytes redacted, to the client and in the log', async () => {
    const { status, text } = await call('/v1/chat/completions', 'vl-html-echo', false);
    expect(status).toBe(502);
    expect(text).toContain('upstream_invalid_response');
    expect(text).toContain('beginning \\"<p>Bearer [redacted] [redacted]</p><html><body>u…');
    expectNoSecret(text);
    const warned = logLines.map((line) => JSON.parse(line) as { level: string; code?: string; msg: string }).filter((entry) => entry.code === 'upstream_invalid_response' && entry.level === 'warn');
    // One line per attempt (three attempts), with what was received.
    expect(warned).toHaveLength(3);
    expect(warned[0]!.msg).toContain('<p>Bearer [redacted] [redacted]</p>');
  });

  it('/readyz, which anyone may call, names the failing discovery without quoting the reply', async () => {
    const response = await fetch(`${gateway.url}/readyz`);
    const text = await response.text();
    expect(response.status).toBe(503);
    expect(text).toContain('answered something other than JSON');
    expectNoSecret(text);
  });

  it('neither the logs nor the ledger hold them', async () => {
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(seen.length).toBeGreaterThan(20);
    // One access line per request, among others.
    const access = logLines.map((line) => JSON.parse(line) as { msg?: string; path?: string }).filter((entry) => entry.msg === 'request' && entry.path?.startsWith('/v1/') === true);
    expect(access).toHaveLength(seen.length);
    expectNoSecret(logLines.join('\n'));
    const rows = await gateway.ledger.recent(1000);
    expect(rows.length).toBe(seen.length);
    expectNoSecret(JSON.stringify(rows));
    expectNoSecret(await (await fetch(`${gateway.url}/metrics`)).text());
  });
});
