/**
 * Tollgate's simulated model: a real HTTP server speaking the OpenAI wire
 * formats, so the gateway reaches it over loopback through the same code path
 * as every other OpenAI-compatible upstream. It backs `tollgate start --demo`, the
 * benchmark and the fault-injection tests, so it is deterministic and cheap:
 * scripts are split into deltas at start-up, frames are assembled from
 * strings, and with `tokensPerSecond: 0` a whole stream is one write.
 *
 * Endpoints (under /v1): `POST /chat/completions`, `POST /responses` (both
 * streaming and not), `GET /models`, `GET /models/{id}`; anything else is an
 * OpenAI-shaped 404. Any API key is accepted.
 *
 * What it answers (a simulation, not a model):
 * - text: the script's `reply`, or "Hello from Tollgate's simulated model. You
 *   said: <first 40 words of the last user message>", in word-sized deltas;
 * - reasoning: the script's `reasoning` first, as `reasoning_content` (Chat) or a
 *   reasoning item with `reasoning_text` (Responses);
 * - tool calls: the script's `toolCalls` when the conversation does not end
 *   with a tool result, ids `call_<n>` numbered after the calls already in the
 *   conversation; after a tool result: "Tool result: <first 200 characters>";
 * - usage: a word count of every message, tool call and tool result, times 4/3
 *   rounded (prompt); the same estimate over the reasoning, reply and tool-call
 *   words (completion). Cached tokens are always 0;
 * - `max_tokens` / `max_completion_tokens` / `max_output_tokens` cut the reply:
 *   `finish_reason: "length"` / `response.incomplete`;
 * - models: every name is accepted when `scripts` is empty or has a `*` entry, otherwise the
 *   script names and `mock`; another name gets 404 `model_not_found`.
 *
 * Directives, written anywhere in the text of the last user message (removed
 * from the echoed text); an unknown or malformed one is a 400:
 *   [mock:status=503]       answer with that HTTP status and an OpenAI-shaped error
 *                           (429 adds `Retry-After: 1`)
 *   [mock:retry_after=N]    the `Retry-After` seconds sent with [mock:status]
 *   [mock:latency=250]      milliseconds before the response headers (overrides latencyMs)
 *   [mock:tps=50]           deltas per second (overrides tokensPerSecond)
 *   [mock:fail_after=3]     destroy the socket after 3 content deltas (mid-stream failure;
 *                           without streaming: after half of the JSON body)
 *   [mock:error_after=3]    after 3 content deltas send the format's error event and end:
 *                           Chat `data: {"error":{...}}` + `data: [DONE]`, Responses
 *                           `response.failed` (without streaming: a 500)
 *   [mock:hang]             never answer, until the client goes away
 *   [mock:tool=NAME {"a":1}] one tool call on the first turn (arguments optional, a JSON object)
 *   [mock:words=N]          reply with exactly N words (deterministic sizes for benchmarks)
 *   [mock:think]            add reasoning when the script has none
 *   [mock:ignore_max_tokens] produce the whole reply whatever output ceiling the request sets
 * Content deltas are text, reasoning and tool-call argument deltas.
 *
 * Without streaming, the reply waits for latency plus the time the deltas
 * would have taken at the token rate. `stats.aborted` counts responses the
 * client abandoned before they were complete (not the injected failures).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MockModelScript } from '../../config/types.js';
import { isJsonObject, type JsonObject } from '../../protocols/json.js';
import { renderChatCompletion, renderChatStream } from './sim-chat.js';
import { DirectiveError, parseDirectives, type MockDirectives } from './sim-directives.js';
import { MID_STREAM_ERROR, injectedError, invalidRequest, modelNotFound } from './sim-errors.js';
import { readJsonBody, sendError, sendJson } from './sim-http.js';
import { planReply, prepareScript, type PreparedScript, type ReplyPlan } from './sim-plan.js';
import { chatPromptFacts, responsesPromptFacts, type PromptFacts } from './sim-prompt.js';
import { renderResponse, renderResponsesStream, responsesEcho } from './sim-responses.js';
import { SseStreamWriter, type SseScript } from './sim-stream.js';

export interface MockUpstreamOptions {
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 0 (an ephemeral port). */
  readonly port?: number;
  /** Delay before the response headers, in ms. */
  readonly latencyMs: number;
  /** Streaming speed in deltas per second; 0 writes each stream at once. */
  readonly tokensPerSecond: number;
  /** Per-model scripts; `*` applies to any model without its own. */
  readonly scripts: Readonly<Record<string, MockModelScript>>;
}

export interface MockUpstreamStats {
  /** HTTP requests received. */
  requests: number;
  /** Responses the client abandoned before they were complete. */
  aborted: number;
}

export interface MockUpstream {
  /** Base URL including `/v1`, e.g. `http://127.0.0.1:43123/v1`. */
  readonly url: string;
  readonly stats: MockUpstreamStats;
  close(): Promise<void>;
}

/** One request in flight: its timer or stream writer, cancelled when the client goes away. */
class Exchange {
  timer: NodeJS.Timeout | undefined;
  writer: SseStreamWriter | undefined;
  closed = false;
  /** Set when the simulator cut the connection itself (an injected failure). */
  destroyedOnPurpose = false;

  constructor(res: ServerResponse, onAbort: () => void) {
    res.once('close', () => {
      this.closed = true;
      if (this.timer !== undefined) clearTimeout(this.timer);
      this.writer?.stop();
      if (!res.writableFinished && !this.destroyedOnPurpose && !this.writer?.destroyedOnPurpose) onAbort();
    });
  }

  /** Resolves after `ms`; never resolves when the client leaves first (the timer is cleared). */
  wait(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        resolve();
      }, ms);
    });
  }
}

interface Reply {
  readonly plan: ReplyPlan;
  stream(): SseScript;
  body(): string;
}

/** A validated request of either format, ready for the shared reply logic. */
interface ReplyRequest {
  /** The request field holding the conversation, named in directive errors. */
  readonly param: 'messages' | 'input';
  readonly facts: PromptFacts;
  readonly model: string;
  readonly maxOutputTokens: number | undefined;
  readonly stream: boolean;
  readonly serial: number;
  readonly render: (plan: ReplyPlan) => Reply;
}

class MockModelServer {
  readonly stats: MockUpstreamStats = { requests: 0, aborted: 0 };
  readonly server: Server;
  readonly #options: MockUpstreamOptions;
  readonly #scripts: ReadonlyMap<string, PreparedScript>;
  readonly #fallback: PreparedScript;
  readonly #anyModel: boolean;
  readonly #modelIds: ReadonlySet<string>;
  readonly #modelsJson: string;
  readonly #createdAt = Math.floor(Date.now() / 1000);
  #serial = 0;
  #closing = false;
  readonly #onAbort = (): void => {
    if (!this.#closing) this.stats.aborted++;
  };

  constructor(options: MockUpstreamOptions) {
    this.#options = options;
    const scripts = new Map<string, PreparedScript>();
    for (const [name, script] of Object.entries(options.scripts)) scripts.set(name, prepareScript(script));
    this.#scripts = scripts;
    this.#fallback = scripts.get('*') ?? prepareScript(undefined);
    this.#anyModel = scripts.size === 0 || scripts.has('*');
    this.#modelIds = new Set([...scripts.keys()].filter((name) => name !== '*').concat('mock'));
    this.#modelsJson = JSON.stringify({ object: 'list', data: [...this.#modelIds].map((id) => this.#model(id)) });
    this.server = createServer((req, res) => this.#onRequest(req, res));
  }

  close(): Promise<void> {
    this.#closing = true;
    return new Promise((resolve, reject) => {
      this.server.close((err) => (err ? reject(err) : resolve()));
      // Hanging and streaming responses would otherwise keep close() waiting forever.
      this.server.closeAllConnections();
    });
  }

  #model(id: string): JsonObject {
    return { id, object: 'model', created: this.#createdAt, owned_by: 'tollgate' };
  }

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    this.stats.requests++;
    const exchange = new Exchange(res, this.#onAbort);
    this.#route(req, res, exchange).catch((err: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const message = err instanceof Error ? err.message : String(err);
      sendError(res, 500, { message: `Simulator failure: ${message}`, type: 'server_error', param: null, code: null });
    });
  }

  async #route(req: IncomingMessage, res: ServerResponse, exchange: Exchange): Promise<void> {
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const path = query < 0 ? url : url.slice(0, query);
    const method = req.method ?? 'GET';
    if (method === 'GET' && path === '/v1/models') {
      sendJson(res, 200, this.#modelsJson);
    } else if (method === 'GET' && path.startsWith('/v1/models/')) {
      const id = decodeURIComponent(path.slice('/v1/models/'.length));
      if (this.#knows(id)) sendJson(res, 200, JSON.stringify(this.#model(id)));
      else sendError(res, 404, modelNotFound(id));
    } else if (method === 'POST' && path === '/v1/chat/completions') {
      await this.#withBody(req, res, exchange, (body, model) => this.#chat(body, model, res, exchange));
    } else if (method === 'POST' && path === '/v1/responses') {
      await this.#withBody(req, res, exchange, (body, model) => this.#responses(body, model, res, exchange));
    } else {
      sendError(res, 404, invalidRequest(`Invalid URL (${method} ${path})`));
    }
  }

  async #withBody(
    req: IncomingMessage,
    res: ServerResponse,
    exchange: Exchange,
    handle: (body: JsonObject, model: string) => Promise<void>,
  ): Promise<void> {
    const result = await readJsonBody(req);
    if (exchange.closed) return;
    if (!result.ok) {
      sendError(res, result.status, result.error);
      return;
    }
    const model = result.body.model;
    if (typeof model !== 'string' || model === '') {
      sendError(res, 400, invalidRequest('you must provide a model parameter'));
    } else if (!this.#knows(model)) {
      sendError(res, 404, modelNotFound(model));
    } else {
      await handle(result.body, model);
    }
  }

  #knows(model: string): boolean {
    return this.#anyModel || this.#modelIds.has(model);
  }

  #script(model: string): PreparedScript {
    return this.#scripts.get(model) ?? this.#fallback;
  }

  async #chat(body: JsonObject, model: string, res: ServerResponse, exchange: Exchange): Promise<void> {
    const messages = body.messages;
    if (!Array.isArray(messages)) {
      sendError(res, 400, invalidRequest("Missing required parameter: 'messages'.", 'messages', 'missing_required_parameter'));
      return;
    }
    if (messages.length === 0) {
      const message = "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.";
      sendError(res, 400, invalidRequest(message, 'messages', 'empty_array'));
      return;
    }
    const stream = body.stream === true;
    const serial = ++this.#serial;
    await this.#reply(res, exchange, {
      param: 'messages',
      facts: chatPromptFacts(messages),
      model,
      maxOutputTokens: positiveInteger(body.max_completion_tokens) ?? positiveInteger(body.max_tokens),
      stream,
      serial,
      render: (plan) => {
        const ctx = {
          id: `chatcmpl-mock-${serial}`,
          created: Math.floor(Date.now() / 1000),
          model,
          includeUsage: stream && isJsonObject(body.stream_options) && body.stream_options.include_usage === true,
        };
        return { plan, stream: () => renderChatStream(plan, ctx), body: () => renderChatCompletion(plan, ctx) };
      },
    });
  }

  async #responses(body: JsonObject, model: string, res: ServerResponse, exchange: Exchange): Promise<void> {
    const input = body.input;
    if (typeof input !== 'string' && !Array.isArray(input)) {
      sendError(res, 400, invalidRequest("Missing required parameter: 'input'.", 'input', 'missing_required_parameter'));
      return;
    }
    const serial = ++this.#serial;
    await this.#reply(res, exchange, {
      param: 'input',
      facts: responsesPromptFacts(input, body.instructions),
      model,
      maxOutputTokens: positiveInteger(body.max_output_tokens),
      stream: body.stream === true,
      serial,
      render: (plan) => {
        const ctx = {
          serial,
          createdAt: Math.floor(Date.now() / 1000),
          model,
          echo: responsesEcho(body),
          encryptedReasoning: Array.isArray(body.include) && body.include.includes('reasoning.encrypted_content'),
        };
        return { plan, stream: () => renderResponsesStream(plan, ctx), body: () => renderResponse(plan, ctx) };
      },
    });
  }

  /** The part both formats share: directives, latency, injected errors, then the reply. */
  async #reply(res: ServerResponse, exchange: Exchange, request: ReplyRequest): Promise<void> {
    const { facts, stream } = request;
    let directives: MockDirectives;
    let userText: string;
    try {
      ({ directives, text: userText } = parseDirectives(facts.lastUserText));
    } catch (err) {
      if (!(err instanceof DirectiveError)) throw err;
      sendError(res, 400, invalidRequest(`Invalid mock directive: ${err.message}`, request.param, 'invalid_mock_directive'));
      return;
    }
    // Never answer; the close handler counts the abort when the client gives up.
    if (directives.hang) return;

    const tokensPerSecond = directives.tokensPerSecond ?? this.#options.tokensPerSecond;
    let latency = directives.latencyMs ?? this.#options.latencyMs;
    const reply =
      directives.status === undefined
        ? request.render(
            planReply({ facts, directives, userText, script: this.#script(request.model), maxOutputTokens: directives.ignoreMaxTokens === true ? undefined : request.maxOutputTokens }),
          )
        : undefined;
    if (reply && !stream && tokensPerSecond > 0) latency += (countDeltas(reply.plan) * 1000) / tokensPerSecond;
    await exchange.wait(latency);
    if (exchange.closed) return;

    const requestId = `req_mock_${request.serial}`;
    if (!reply) {
      const status = directives.status ?? 500;
      const headers: Record<string, string> = { 'x-request-id': requestId };
      const retryAfter = directives.retryAfter ?? (status === 429 ? 1 : undefined);
      if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter);
      if (status === 429) {
        headers['x-ratelimit-remaining-requests'] = '0';
        headers['x-ratelimit-reset-requests'] = `${retryAfter ?? 1}s`;
      }
      sendError(res, status, injectedError(status), headers);
      return;
    }

    if (stream) {
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-request-id': requestId });
      const writer = new SseStreamWriter(res, reply.stream(), {
        tokensPerSecond,
        failAfter: directives.failAfter,
        errorAfter: directives.errorAfter,
      });
      exchange.writer = writer;
      writer.start();
    } else if (directives.failAfter !== undefined) {
      const body = reply.body();
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-request-id': requestId });
      res.write(body.slice(0, body.length >> 1), () => {
        exchange.destroyedOnPurpose = true;
        res.destroy();
      });
    } else if (directives.errorAfter !== undefined) {
      sendError(res, 500, MID_STREAM_ERROR, { 'x-request-id': requestId });
    } else {
      sendJson(res, 200, reply.body(), { 'x-request-id': requestId });
    }
  }
}

function positiveInteger(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
}

function countDeltas(plan: ReplyPlan): number {
  let deltas = (plan.reasoning?.deltas.length ?? 0) + plan.text.deltas.length;
  for (const call of plan.toolCalls) deltas += call.argumentDeltas.length;
  return deltas;
}

/** Starts the simulated model; resolves once it listens. */
export async function startMockUpstream(options: MockUpstreamOptions): Promise<MockUpstream> {
  const sim = new MockModelServer(options);
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    sim.server.once('error', reject);
    sim.server.listen({ host, port: options.port ?? 0 }, () => {
      sim.server.off('error', reject);
      resolve();
    });
  });
  const { port } = sim.server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return { url: `http://${urlHost}:${port}/v1`, stats: sim.stats, close: () => sim.close() };
}
