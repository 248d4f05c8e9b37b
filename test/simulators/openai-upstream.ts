/**
 * A scripted OpenAI-compatible upstream for tests: a real HTTP server on
 * 127.0.0.1 that records every request and lets the test answer each one
 * with a handler and the reply helpers below. It knows nothing of the
 * formats by itself; the frames a test sends are the fixture, so build them
 * from the published wire formats (see src/providers/mock/sim-chat.ts and
 * sim-responses.ts for the facts the built-in simulator follows).
 *
 * Without a handler it answers `POST .../chat/completions` with a minimal
 * `chat.completion` ("ok"), `GET .../models` with an empty list and anything
 * else with an OpenAI-shaped 404.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  readonly method: string;
  /** Path and query, e.g. `/v1/chat/completions`. */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** The body parsed as JSON, or the raw text when it is not JSON ('' when empty). */
  readonly body: unknown;
  /** The body exactly as received. */
  readonly text: string;
}

export type UpstreamHandler = (req: RecordedRequest, res: ServerResponse) => void | Promise<void>;

export interface OpenAIUpstream {
  /** Base URL ending in `/v1`. */
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Responses the client abandoned before they were complete. */
  readonly aborted: number;
  /** TCP connections accepted (tells connection reuse apart from new connections). */
  readonly opened: number;
  /**
   * Resolves at the next abort not yet waited for (immediately when it already
   * happened); rejects after `timeoutMs`.
   */
  waitForAbort(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export function replyJson(res: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export interface SseOptions {
  /** Pause before each frame after the first, in ms (default 0: all frames at once). */
  readonly delayMs?: number;
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string>>;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Writes complete SSE frames (`data: ...\n\n`) and ends; stops early when the client goes away. */
export async function replySse(res: ServerResponse, frames: readonly string[], options: SseOptions = {}): Promise<void> {
  res.writeHead(options.status ?? 200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...options.headers });
  const delayMs = options.delayMs ?? 0;
  for (let i = 0; i < frames.length; i++) {
    if (i > 0 && delayMs > 0) await delay(delayMs);
    if (res.destroyed) return;
    res.write(frames[i]);
  }
  res.end();
}

/**
 * Writes raw bytes, optionally split into separately flushed pieces: `chunks`
 * is either a number of nearly equal pieces or the byte offsets to split at.
 * Sends a 200 `text/event-stream` head unless the handler already set headers.
 */
export async function replyRaw(res: ServerResponse, bytes: string | Uint8Array, chunks?: number | readonly number[]): Promise<void> {
  const data = typeof bytes === 'string' ? Buffer.from(bytes) : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (!res.headersSent) {
    if (res.getHeader('content-type') === undefined) res.setHeader('content-type', 'text/event-stream');
    res.writeHead(res.statusCode);
  }
  const offsets = splitOffsets(data.length, chunks);
  let start = 0;
  for (const end of offsets) {
    if (res.destroyed) return;
    const piece = data.subarray(start, end);
    start = end;
    // Wait until the piece is on the wire, then a little more, so the client reads it separately.
    await new Promise<void>((resolve) => res.write(piece, () => resolve()));
    await delay(2);
  }
  if (!res.destroyed) res.end(data.subarray(start));
}

function splitOffsets(length: number, chunks: number | readonly number[] | undefined): number[] {
  if (chunks === undefined) return [];
  if (typeof chunks !== 'number') return chunks.filter((at) => at > 0 && at < length).sort((a, b) => a - b);
  const size = Math.ceil(length / Math.max(1, chunks));
  const offsets: number[] = [];
  for (let at = size; at < length; at += size) offsets.push(at);
  return offsets;
}

const defaultHandler: UpstreamHandler = (req, res) => {
  const path = req.path.split('?')[0] ?? '';
  if (req.method === 'POST' && path.endsWith('/chat/completions')) {
    const model = typeof req.body === 'object' && req.body !== null && 'model' in req.body ? req.body.model : 'unknown';
    replyJson(res, 200, {
      id: 'chatcmpl-test',
      object: 'chat.completion',
      created: 1_700_000_000,
      model,
      choices: [{ index: 0, message: { role: 'assistant', content: 'ok', refusal: null }, logprobs: null, finish_reason: 'stop' }],
      usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
    });
  } else if (req.method === 'GET' && path.endsWith('/models')) {
    replyJson(res, 200, { object: 'list', data: [] });
  } else {
    replyJson(res, 404, { error: { message: `Invalid URL (${req.method} ${path})`, type: 'invalid_request_error', param: null, code: null } });
  }
};

function parseBody(text: string): unknown {
  if (text === '') return '';
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export async function startOpenAIUpstream(handler: UpstreamHandler = defaultHandler): Promise<OpenAIUpstream> {
  const requests: RecordedRequest[] = [];
  let aborted = 0;
  let opened = 0;
  let waited = 0;
  let closing = false;
  const abortWaiters = new Set<() => void>();

  const server = createServer((req, res) => {
    res.once('close', () => {
      if (res.writableFinished || closing) return;
      aborted++;
      for (const wake of abortWaiters) wake();
    });
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.once('error', () => undefined);
    req.once('end', () => {
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: req.headers,
        text: Buffer.concat(chunks).toString('utf8'),
        body: parseBody(Buffer.concat(chunks).toString('utf8')),
      };
      requests.push(recorded);
      Promise.resolve()
        .then(() => handler(recorded, res))
        .catch((err: unknown) => {
          if (res.headersSent) {
            res.destroy();
            return;
          }
          const message = err instanceof Error ? err.message : String(err);
          replyJson(res, 500, { error: { message: `test upstream handler failed: ${message}`, type: 'server_error', param: null, code: null } });
        });
    });
  });
  server.on('connection', () => {
    opened++;
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    get aborted() {
      return aborted;
    },
    get opened() {
      return opened;
    },
    waitForAbort(timeoutMs) {
      return new Promise<void>((resolve, reject) => {
        const check = (): boolean => {
          if (aborted <= waited) return false;
          waited++;
          abortWaiters.delete(wake);
          clearTimeout(timer);
          resolve();
          return true;
        };
        const wake = (): void => {
          check();
        };
        const timer = setTimeout(() => {
          abortWaiters.delete(wake);
          reject(new Error(`the test upstream saw no client abort within ${timeoutMs} ms`));
        }, timeoutMs);
        if (!check()) abortWaiters.add(wake);
      });
    },
    close() {
      closing = true;
      return new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}
