/**
 * Slow, hostile and odd clients at the HTTP front, over real sockets: raw
 * HTTP written with `net.connect` where a library would not send it (a
 * dripped body, a chunked body never terminated, headers never finished, no
 * Host header), and a real HTTP client for the rest.
 */
import { request } from 'node:http';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway.js';
import { config, model, provider, startTestGateway } from '../helpers/gateway.js';
import { capturedLog } from '../helpers/log-capture.js';
import { startOpenAIUpstream } from '../simulators/openai-upstream.js';
import type { OpenAIUpstream } from '../simulators/openai-upstream.js';

const HEADERS_TIMEOUT_MS = 400;
const REQUEST_TIMEOUT_MS = 800;
const MAX_CONNECTIONS = 8;

let upstream: OpenAIUpstream;
let gateway: Gateway;
const captured = capturedLog('debug');
const logLines = captured.lines;

beforeAll(async () => {
  upstream = await startOpenAIUpstream();
  gateway = await startTestGateway(
    config([provider({ name: 'up', kind: 'openai-compatible', baseUrl: upstream.url })], [model('m', ['up/m'])], {
      bodyLimitBytes: 1024 * 1024,
      headersTimeoutMs: HEADERS_TIMEOUT_MS,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      maxConnections: MAX_CONNECTIONS,
    }),
    { log: captured.log },
  );
});

afterAll(async () => {
  await gateway.close();
  await upstream.close();
});

const port = (): number => Number(new URL(gateway.url).port);

interface RawExchange {
  readonly socket: Socket;
  /** Everything the gateway sent, once it closed the connection (or `timeoutMs` passed). */
  readonly reply: Promise<{ text: string; ms: number; closed: boolean }>;
}

/** A raw TCP connection to the gateway: what it sends back is collected until it closes. */
function rawConnection(timeoutMs = 5_000): RawExchange {
  const socket = connect(port(), '127.0.0.1');
  const startedAt = performance.now();
  const reply = new Promise<{ text: string; ms: number; closed: boolean }>((resolve) => {
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text, ms: performance.now() - startedAt, closed: false });
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
    });
    socket.on('error', () => undefined);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve({ text, ms: performance.now() - startedAt, closed: true });
    });
  });
  return { socket, reply };
}

function statusOf(text: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
}

function errorOf(text: string): { message: string; type: string; code: string; param: string | null } {
  const body = text.slice(text.indexOf('\r\n\r\n') + 4);
  return (JSON.parse(body) as { error: { message: string; type: string; code: string; param: string | null } }).error;
}

/** Writes `bytes` one at a time, `everyMs` apart, while the socket is open. */
function drip(socket: Socket, bytes: string, everyMs: number): void {
  let at = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || at >= bytes.length) {
      clearInterval(timer);
      return;
    }
    socket.write(bytes[at++]!);
  }, everyMs);
  socket.once('close', () => clearInterval(timer));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const CHAT_BODY = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hello' }] });

describe('slow clients get a 408 and lose their connection', () => {
  it('a body dripped a byte at a time: OpenAI-shaped 408 within the request timeout', async () => {
    const { socket, reply } = rawConnection();
    socket.write(`POST /v1/chat/completions HTTP/1.1\r\nhost: gw\r\ncontent-type: application/json\r\ncontent-length: ${CHAT_BODY.length}\r\n\r\n`);
    drip(socket, CHAT_BODY, 50);
    const { text, ms, closed } = await reply;
    expect(statusOf(text)).toBe(408);
    expect(errorOf(text)).toMatchObject({ type: 'invalid_request_error', code: 'request_timeout' });
    expect(errorOf(text).message).toContain(`${REQUEST_TIMEOUT_MS} ms`);
    expect(text.toLowerCase()).toContain('connection: close');
    expect(text.toLowerCase()).toContain('x-request-id:');
    expect(closed).toBe(true);
    // The deadline, plus Node's check interval (a tenth of the headers timeout), plus slack for a loaded machine.
    expect(ms).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 50);
    expect(ms).toBeLessThan(REQUEST_TIMEOUT_MS + 1_000);
  });

  it('a chunked body never terminated: 408 as well', async () => {
    const { socket, reply } = rawConnection();
    socket.write('POST /v1/chat/completions HTTP/1.1\r\nhost: gw\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n');
    socket.write(`${CHAT_BODY.length.toString(16)}\r\n${CHAT_BODY}\r\n`);
    const { text, ms, closed } = await reply;
    expect(statusOf(text)).toBe(408);
    expect(errorOf(text).code).toBe('request_timeout');
    expect(closed).toBe(true);
    expect(ms).toBeLessThan(REQUEST_TIMEOUT_MS + 1_000);
  });

  it('headers never finished: 408 naming the headers timeout, written before the close', async () => {
    const { socket, reply } = rawConnection();
    socket.write('POST /v1/chat/completions HTTP/1.1\r\nhost: gw\r\n');
    drip(socket, 'x-slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 50);
    const { text, ms, closed } = await reply;
    expect(statusOf(text)).toBe(408);
    expect(errorOf(text)).toMatchObject({ code: 'request_timeout' });
    expect(errorOf(text).message).toContain('server.headers_timeout');
    expect(closed).toBe(true);
    expect(ms).toBeLessThan(HEADERS_TIMEOUT_MS + 1_000);
  });

  it('a connection that sends nothing at all is closed after the headers timeout', async () => {
    const { reply } = rawConnection();
    const { text, ms, closed } = await reply;
    expect(closed).toBe(true);
    expect(statusOf(text)).toBe(408);
    expect(ms).toBeLessThan(HEADERS_TIMEOUT_MS + 1_000);
  });

  it('a client that aborts its body is logged without a stack trace, below error level', async () => {
    const before = logLines.length;
    const socket = connect(port(), '127.0.0.1');
    socket.on('error', () => undefined);
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(`POST /v1/chat/completions HTTP/1.1\r\nhost: gw\r\nx-request-id: aborted-body\r\ncontent-type: application/json\r\ncontent-length: 5000\r\n\r\n{"model":"m",`);
    await sleep(100);
    socket.destroy();
    await sleep(200);
    const entries = logLines.slice(before).map((line) => JSON.parse(line) as Record<string, unknown>);
    const mine = entries.filter((e) => e['req_id'] === 'aborted-body');
    // The access line (499) is there; nothing at warn or above, and no stack anywhere.
    expect(mine.some((e) => e['msg'] === 'request' && e['status'] === 499)).toBe(true);
    expect(mine.filter((e) => (e['level'] as number) >= 40)).toEqual([]);
    expect(logLines.slice(before).join('\n')).not.toContain('stack');
  });
});

describe('the connection cap', () => {
  it('refuses connections over server.max_connections with an OpenAI-shaped 503, and serves again once below it', async () => {
    // Connections the earlier tests' refusals left lingering (up to a second) still count.
    await sleep(1_200);
    // Idle connections that hold a slot each: sockets that sent nothing yet.
    const idle: Socket[] = [];
    for (let i = 0; i < MAX_CONNECTIONS; i++) {
      const socket = connect(port(), '127.0.0.1');
      socket.on('error', () => undefined);
      await new Promise((resolve) => socket.once('connect', resolve));
      idle.push(socket);
    }
    await sleep(50);
    // A normal request on a fresh connection, over the cap: refused clearly, not reset.
    const { socket, reply } = rawConnection();
    socket.write('GET /healthz HTTP/1.1\r\nhost: gw\r\n\r\n');
    const refused = await reply;
    expect(statusOf(refused.text)).toBe(503);
    expect(errorOf(refused.text)).toMatchObject({ type: 'server_error', code: 'too_many_connections' });
    expect(errorOf(refused.text).message).toContain(`${MAX_CONNECTIONS} client connections`);
    expect(refused.text.toLowerCase()).toContain('retry-after: 1');
    expect(refused.closed).toBe(true);

    // Below the cap again, the gateway serves as before.
    for (const s of idle) s.destroy();
    await sleep(100);
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${gateway.url}/metrics`, { agent: false }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(200);
    // The operator sees the refusal counted.
    expect(body).toMatch(/^http_connections_refused_total\{reason="too_many_connections"\} 1$/m);
  });
});

describe('odd but legitimate requests', () => {
  it('a request without a Host header gets an OpenAI-shaped 400', async () => {
    const { socket, reply } = rawConnection();
    socket.write('GET /healthz HTTP/1.1\r\n\r\n');
    const { text } = await reply;
    expect(statusOf(text)).toBe(400);
    expect(errorOf(text)).toMatchObject({ type: 'invalid_request_error', code: 'missing_host_header' });
  });

  it('HEAD is served wherever GET is, with no body', async () => {
    for (const path of ['/healthz', '/v1/models', '/metrics']) {
      const response = await fetch(`${gateway.url}${path}`, { method: 'HEAD' });
      expect(response.status, path).toBe(200);
      expect(await response.text()).toBe('');
    }
    const post = await fetch(`${gateway.url}/v1/chat/completions`, { method: 'HEAD' });
    expect(post.status).toBe(405);
  });

  it('a body starting with a UTF-8 byte order mark is accepted, and the mark is not forwarded', async () => {
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'bom-body' },
      body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(CHAT_BODY)]),
    });
    expect(response.status).toBe(200);
    await response.arrayBuffer();
    const forwarded = upstream.requests.at(-1)!;
    expect(forwarded.text.charCodeAt(0)).not.toBe(0xfeff);
    expect(forwarded.text.startsWith('{')).toBe(true);
    expect((forwarded.body as { messages: unknown }).messages).toEqual([{ role: 'user', content: 'hello' }]);
  });

  it('a 50 MB upload declared over the body limit: a client that sends it all before reading sees the 413, not a reset', async () => {
    // Like curl without Expect, Python's http.client and many SDKs: the whole body is written, then the answer read.
    const total = 50 * 1024 * 1024;
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    const { socket, reply } = rawConnection(20_000);
    const writeErrors: string[] = [];
    socket.on('error', (error: NodeJS.ErrnoException) => writeErrors.push(error.code ?? error.message));
    socket.write(`POST /v1/chat/completions HTTP/1.1\r\nhost: gw\r\ncontent-type: application/json\r\ncontent-length: ${total}\r\n\r\n`);
    for (let sent = 0; sent < total && !socket.destroyed; sent += chunk.length) {
      await new Promise<void>((resolve) => socket.write(chunk, () => resolve()));
    }
    const { text } = await reply;
    expect(writeErrors).toEqual([]);
    expect(statusOf(text)).toBe(413);
    expect(errorOf(text)).toMatchObject({ type: 'invalid_request_error', code: 'request_too_large' });
    expect(errorOf(text).message).toContain(String(1024 * 1024));
    expect(text.toLowerCase()).toContain('connection: close');
  });
});
