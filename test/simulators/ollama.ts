/**
 * An Ollama server for tests, built from the published API (docs/api.md,
 * docs/api/errors.mdx, docs/api/streaming.mdx) and the server's own code
 * (server/routes.go, api/types.go) in ollama/ollama; the facts are listed in
 * test/fixtures/ollama/README.md.
 *
 * Serves POST /api/chat (NDJSON stream or one JSON), GET /api/tags,
 * GET /api/version and GET / on 127.0.0.1 with an ephemeral port. What the
 * model "says" is decided per request by a script handler.
 */
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isJsonObject } from '../../src/protocols/json.js';
import type { JsonObject, JsonValue } from '../../src/protocols/json.js';

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** Parsed JSON body; null for an empty body; the raw text when it is not JSON. */
  readonly body: JsonValue | string | null;
}

export interface SimulatedToolCall {
  readonly name: string;
  readonly arguments: JsonObject;
  /** Default: a generated `call_xxxxxxxx` (recent Ollama); null sends none (older Ollama). */
  readonly id?: string | null;
}

/** A streamed model reply: thinking pieces, then content pieces, then tool calls (all in one line, as Ollama's parsers emit parallel calls). */
export interface StreamReply {
  readonly kind: 'reply';
  readonly thinking?: readonly string[];
  readonly content?: readonly string[];
  readonly toolCalls?: readonly SimulatedToolCall[];
  /** Default 'stop' ('length' when options.num_predict cuts the pieces). */
  readonly doneReason?: string;
  /** Default: about a token per 4 characters of the prompt. */
  readonly promptEvalCount?: number;
  /** Default: the number of pieces streamed. */
  readonly evalCount?: number;
  /** After this many lines, send `{"error": message}` and end (an error while the model runs). */
  readonly errorAfter?: { readonly lines: number; readonly message: string };
  /**
   * After this many lines the server breaks off: 'end' finishes the HTTP body
   * cleanly without the done line, 'destroy' resets the connection after writing
   * half of the next line.
   */
  readonly cutAfter?: { readonly lines: number; readonly mode: 'end' | 'destroy' };
  /** Overrides the simulator's delay between lines. */
  readonly chunkDelayMs?: number;
}

/** An error answered before streaming starts: an HTTP status with `{"error": message}`. */
export interface HttpErrorReply {
  readonly kind: 'http_error';
  readonly status: number;
  readonly message: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Exact bytes, for replies a real server would never send (garbage, wrong framing). */
export interface RawReply {
  readonly kind: 'raw';
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly chunks: readonly (string | Uint8Array)[];
}

export type SimulatorReply = StreamReply | HttpErrorReply | RawReply;

export interface ChatCall {
  readonly model: string;
  readonly body: JsonObject;
  readonly headers: IncomingHttpHeaders;
  /** The text of the last user message. */
  readonly lastUserText: string;
}

export type ScriptHandler = (call: ChatCall) => SimulatorReply | Promise<SimulatorReply>;

export interface SimulatedModel {
  readonly name: string;
  readonly capabilities?: readonly ('tools' | 'thinking')[];
}

export interface OllamaSimulatorOptions {
  readonly handler?: ScriptHandler;
  /** Installed models; a name without a tag means `:latest`. Default: llama3.2, gpt-oss:20b, qwen3:8b, deepseek-r1:8b. */
  readonly models?: readonly (string | SimulatedModel)[];
  /** Delay between streamed lines. Default 2 ms. */
  readonly chunkDelayMs?: number;
  /** Delay before the response headers (model load and prefill). Default 0. */
  readonly firstByteDelayMs?: number;
  readonly version?: string;
}

export interface OllamaSimulator {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:43121 */
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Requests whose client went away before the response ended. */
  readonly aborted: number;
  /** Resolves once `aborted` reaches `count`; rejects after `timeoutMs`. */
  waitForAborts(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

const DEFAULT_MODELS: readonly SimulatedModel[] = [
  { name: 'llama3.2:latest', capabilities: ['tools'] },
  { name: 'gpt-oss:20b', capabilities: ['tools', 'thinking'] },
  { name: 'qwen3:8b', capabilities: ['tools', 'thinking'] },
  { name: 'deepseek-r1:8b', capabilities: ['thinking'] },
];

/** Go's encoding/json escapes <, >, & and U+2028/9 in strings; real Ollama output looks like this. */
export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function toolCallId(): string {
  const letters = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let id = 'call_';
  for (let i = 0; i < 8; i++) id += letters[Math.floor(Math.random() * letters.length)] ?? 'a';
  return id;
}

function words(text: string): string[] {
  return text.match(/\S+\s*/g) ?? [];
}

function lastUserText(body: JsonObject): string {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i];
    if (isJsonObject(message) && message.role === 'user' && typeof message.content === 'string') return message.content;
  }
  return '';
}

/** Without a script: echo the prompt, and think first when asked to. */
const defaultHandler: ScriptHandler = (call) => {
  const think = call.body.think;
  const thinks = think === true || typeof think === 'string';
  return {
    kind: 'reply',
    ...(thinks ? { thinking: words('The user wrote something; answer by echoing it.') } : {}),
    content: words(`You said: ${call.lastUserText}`),
  };
};

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

function sendJson(res: ServerResponse, status: number, value: unknown, headers: Readonly<Record<string, string>> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(goJson(value));
}

export async function startOllamaSimulator(script?: ScriptHandler | OllamaSimulatorOptions): Promise<OllamaSimulator> {
  const options: OllamaSimulatorOptions = typeof script === 'function' ? { handler: script } : (script ?? {});
  const handler = options.handler ?? defaultHandler;
  const models = (options.models ?? DEFAULT_MODELS).map((model) => (typeof model === 'string' ? { name: model } : model));
  const chunkDelayMs = options.chunkDelayMs ?? 2;
  const requests: RecordedRequest[] = [];
  let aborted = 0;
  const abortWaiters = new Set<() => void>();
  /** Responses whose connection has closed: stop writing to them. */
  const closed = new WeakSet<ServerResponse>();
  /** Responses the server broke off on purpose (not client aborts). */
  const cutByServer = new WeakSet<ServerResponse>();
  const gone = (res: ServerResponse): boolean => closed.has(res) || res.destroyed;
  const cut = (res: ServerResponse): void => {
    cutByServer.add(res);
    res.destroy();
  };

  const findModel = (name: string): SimulatedModel | undefined =>
    models.find((model) => model.name === name || model.name === `${name}:latest`);

  async function chat(res: ServerResponse, raw: string, headers: IncomingHttpHeaders): Promise<void> {
    if (raw.trim() === '') return sendJson(res, 400, { error: 'missing request body' });
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      return sendJson(res, 400, { error: `invalid character '${raw.trim().charAt(0)}' looking for beginning of value` });
    }
    if (!isJsonObject(parsed)) return sendJson(res, 400, { error: 'json: cannot unmarshal into Go value of type api.ChatRequest' });
    const body = parsed;
    const model = typeof body.model === 'string' ? body.model : '';
    if (model === '') return sendJson(res, 400, { error: 'model is required' });
    const installed = findModel(model);
    if (installed === undefined) return sendJson(res, 404, { error: `model "${model}" not found, try pulling it first` });
    const caps = installed.capabilities ?? ['tools', 'thinking'];
    const think = body.think;
    if ((think === true || typeof think === 'string') && !caps.includes('thinking')) {
      return sendJson(res, 400, { error: `"${model}" does not support thinking` });
    }
    if (Array.isArray(body.tools) && body.tools.length > 0 && !caps.includes('tools')) {
      return sendJson(res, 400, { error: `registry.ollama.ai/library/${installed.name} does not support tools` });
    }
    const messages = Array.isArray(body.messages) ? body.messages : [];
    if (messages.length === 0) {
      return sendJson(res, 200, { model, created_at: new Date().toISOString(), message: { role: 'assistant', content: '' }, done: true, done_reason: 'load' });
    }

    await sleep(options.firstByteDelayMs ?? 0);
    if (gone(res)) return;
    const reply = await handler({ model, body, headers, lastUserText: lastUserText(body) });
    if (gone(res)) return;
    if (reply.kind === 'http_error') return sendJson(res, reply.status, { error: reply.message }, reply.headers);
    if (reply.kind === 'raw') return sendRaw(res, reply);
    const lines = replyLines(model, body, reply);
    if (body.stream === false) return sendWhole(res, lines, reply);
    await streamLines(res, lines, reply, reply.chunkDelayMs ?? chunkDelayMs);
  }

  async function sendRaw(res: ServerResponse, reply: RawReply): Promise<void> {
    res.writeHead(reply.status ?? 200, { 'content-type': 'application/x-ndjson', ...reply.headers });
    for (const chunk of reply.chunks) {
      if (gone(res)) return;
      res.write(chunk);
      await sleep(chunkDelayMs);
    }
    res.end();
  }

  async function streamLines(res: ServerResponse, lines: JsonObject[], reply: StreamReply, delayMs: number): Promise<void> {
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    for (let i = 0; i < lines.length; i++) {
      if (gone(res)) return;
      if (reply.errorAfter !== undefined && i === reply.errorAfter.lines) {
        res.end(`${goJson({ error: reply.errorAfter.message })}\n`);
        return;
      }
      if (reply.cutAfter !== undefined && i === reply.cutAfter.lines) {
        if (reply.cutAfter.mode === 'end') {
          res.end();
        } else {
          const text = goJson(lines[i]);
          res.write(text.slice(0, Math.floor(text.length / 2)), () => cut(res));
        }
        return;
      }
      res.write(`${goJson(lines[i])}\n`);
      if (i < lines.length - 1) await sleep(delayMs);
    }
    res.end();
  }

  function sendWhole(res: ServerResponse, lines: JsonObject[], reply: StreamReply): void {
    if (reply.errorAfter !== undefined) return sendJson(res, 500, { error: reply.errorAfter.message });
    const last = lines[lines.length - 1] ?? {};
    let content = '';
    let thinking = '';
    const toolCalls: JsonValue[] = [];
    for (const line of lines) {
      const message = line.message;
      if (!isJsonObject(message)) continue;
      if (typeof message.content === 'string') content += message.content;
      if (typeof message.thinking === 'string') thinking += message.thinking;
      if (Array.isArray(message.tool_calls)) toolCalls.push(...message.tool_calls);
    }
    const message: JsonObject = { role: 'assistant', content };
    if (thinking !== '') message.thinking = thinking;
    if (toolCalls.length > 0) message.tool_calls = toolCalls;
    sendJson(res, 200, { ...last, message });
  }

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    let finishedNormally = false;
    res.on('finish', () => {
      finishedNormally = true;
    });
    res.on('close', () => {
      closed.add(res);
      // 'close' without 'finish' means the connection went away mid-response.
      if (finishedNormally || cutByServer.has(res)) return;
      aborted++;
      for (const wake of abortWaiters) wake();
    });

    void (async () => {
      const raw = await readBody(req);
      let body: JsonValue | string | null = null;
      if (raw !== '') {
        try {
          body = JSON.parse(raw) as JsonValue;
        } catch {
          body = raw;
        }
      }
      requests.push({ method: req.method ?? '', path, headers: req.headers, body });
      const route = `${req.method ?? ''} ${path}`;
      if (route === 'POST /api/chat') return chat(res, raw, req.headers);
      if (route === 'GET /api/tags') return sendJson(res, 200, { models: models.map(tagEntry) });
      if (route === 'GET /api/version') return sendJson(res, 200, { version: options.version ?? '0.12.6' });
      if (route === 'GET /' || route === 'HEAD /') {
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
        return void res.end('Ollama is running');
      }
      // gin answers unknown routes (and wrong methods) with a plain-text 404.
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('404 page not found');
    })().catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: String(err) });
      else cut(res);
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get aborted() {
      return aborted;
    },
    waitForAborts(count, timeoutMs = 2000) {
      return new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (aborted < count) return;
          clearTimeout(timer);
          abortWaiters.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          abortWaiters.delete(check);
          reject(new Error(`expected ${count} aborted requests within ${timeoutMs} ms, saw ${aborted}`));
        }, timeoutMs);
        abortWaiters.add(check);
        check();
      });
    },
    close() {
      return new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}

function tagEntry(model: SimulatedModel): JsonObject {
  const family = model.name.split(/[:.\d]/)[0] ?? 'llama';
  return {
    name: model.name,
    model: model.name,
    modified_at: '2025-05-10T08:06:48.639712648-07:00',
    size: 4683075271,
    digest: '0a8c266910232fd3291e71e5ba1e058cc5af9d411192cf88b6d30e92b6e73163',
    details: { parent_model: '', format: 'gguf', family, families: [family], parameter_size: '7.6B', quantization_level: 'Q4_K_M' },
  };
}

/** The NDJSON lines of a reply, the done line last; `options.num_predict` caps the pieces like the real server. */
function replyLines(model: string, body: JsonObject, reply: StreamReply): JsonObject[] {
  const options = isJsonObject(body.options) ? body.options : {};
  const limit = typeof options.num_predict === 'number' && options.num_predict > 0 ? options.num_predict : Infinity;
  const lines: JsonObject[] = [];
  let pieces = 0;
  let cut = false;
  const line = (message: JsonObject): JsonObject => ({ model, created_at: new Date().toISOString(), message: { role: 'assistant', content: '', ...message }, done: false });
  for (const [field, parts] of [['thinking', reply.thinking ?? []], ['content', reply.content ?? []]] as const) {
    for (const part of parts) {
      if (pieces >= limit) {
        cut = true;
        break;
      }
      lines.push(line({ [field]: part }));
      pieces++;
    }
  }
  const calls = reply.toolCalls ?? [];
  if (calls.length > 0 && !cut) {
    lines.push(
      line({
        tool_calls: calls.map((call, index): JsonObject => {
          const id = call.id === undefined ? toolCallId() : call.id;
          // Recent versions send an id and function.index; older ones neither.
          if (id === null) return { function: { name: call.name, arguments: call.arguments } };
          return { id, function: { index, name: call.name, arguments: call.arguments } };
        }),
      }),
    );
    pieces += calls.length;
  }
  const promptChars = JSON.stringify(body.messages ?? []).length;
  const final: JsonObject = {
    model,
    created_at: new Date().toISOString(),
    message: { role: 'assistant', content: '' },
    done: true,
    done_reason: cut ? 'length' : (reply.doneReason ?? 'stop'),
    total_duration: 182242375,
    load_duration: 41295167,
    prompt_eval_count: reply.promptEvalCount ?? Math.max(1, Math.ceil(promptChars / 4)),
    prompt_eval_duration: 24573166,
    eval_count: reply.evalCount ?? pieces,
    eval_duration: 115959084,
  };
  // Go's omitempty drops zero counts.
  if (final.prompt_eval_count === 0) delete final.prompt_eval_count;
  if (final.eval_count === 0) delete final.eval_count;
  lines.push(final);
  return lines;
}
