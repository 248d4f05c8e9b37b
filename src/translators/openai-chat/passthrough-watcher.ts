import type { SseEvent } from '../../framing/index.js';
import type { IRChunk, IRUsage } from '../../ir/index.js';
import { isJsonObject } from '../../protocols/json.js';
import type { JsonObject, JsonValue } from '../../protocols/json.js';
import type { PassthroughStreamWatcher, PassthroughWatchOptions } from '../types.js';
import { newId } from './ids.js';
import { chatFinishReason } from './decoder.js';
import { usageFromChat, usageToChat } from './usage.js';

/*
 * Follows a Chat Completions stream relayed to the client untouched, so that
 * the gateway can end it in the protocol's own terms: the `{"error": …}`
 * event OpenAI and vLLM send mid-stream, or a last chunk with a
 * `finish_reason` (and the usage chunk when the client asked for one). Both
 * end with `data: [DONE]`, and the chunks carry the id, created time and
 * model the client already saw. Only choice 0 is read: it is the one whose
 * text the gateway counts.
 */

const DONE = 'data: [DONE]\n\n';
const ZERO_USAGE: IRUsage = { promptTokens: 0, completionTokens: 0, totalTokens: 0 };

export interface ChatWatcherDeps {
  /** Clock in milliseconds, for `created` of a response the gateway has to start itself. */
  readonly now?: () => number;
}


function parseObject(data: string): JsonObject | undefined {
  try {
    const parsed: unknown = JSON.parse(data);
    return isJsonObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

const nonEmpty = (value: JsonValue | undefined): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

export class ChatPassthroughWatcher implements PassthroughStreamWatcher {
  private readonly requestedModel: string;
  private readonly includeUsage: boolean;
  private readonly now: () => number;
  private id: string | undefined;
  private created: number | undefined;
  private model: string | undefined;
  private fingerprint: string | undefined;
  /** The client has seen a chunk of the response (so its role, too). */
  private sawChunk = false;
  /** A chunk with a finish_reason was relayed: the choice is over. */
  private finished = false;
  /**
   * The client already has the final usage: the usage chunk, or usage on the
   * finish chunk. Usage on earlier chunks (vLLM's continuous usage stats)
   * does not count: the `"usage": null` of a later chunk replaces it.
   */
  private usageSeen = false;
  /** Usage seen on a chunk with choices, reported with the finish (llama.cpp, vLLM's continuous usage stats). */
  private pendingUsage: JsonObject | undefined;
  /** The upstream's own error event was relayed: only `[DONE]` may follow. */
  private upstreamError = false;
  /** `[DONE]` was relayed, or the watcher ended the stream. */
  private ended = false;
  /** Per tool-call index: whether its opening chunk (id, name) went out. */
  private readonly opened: boolean[] = [];
  private lastToolIndex = -1;

  constructor(options: PassthroughWatchOptions, deps: ChatWatcherDeps = {}) {
    this.requestedModel = options.requestedModel;
    this.includeUsage = options.includeUsage;
    this.now = deps.now ?? Date.now;
  }

  event(event: SseEvent): IRChunk[] {
    if (this.ended) return [];
    if (event.data === '[DONE]') {
      this.ended = true;
      return [];
    }
    const chunk = parseObject(event.data);
    if (chunk === undefined) return [];
    const out: IRChunk[] = [];
    const error = chunk['error'];
    if (error !== undefined && error !== null) this.error(error, out);
    else this.chunk(chunk, out);
    return out;
  }

  failure(code: string, message: string, errorType = 'upstream_error'): string {
    if (this.ended) return '';
    this.ended = true;
    if (this.upstreamError) return DONE;
    return `data: ${JSON.stringify({ error: { message, type: errorType, param: null, code } })}\n\n${DONE}`;
  }

  closing(): string {
    if (this.ended) return '';
    this.ended = true;
    return DONE;
  }

  earlyEnd(reason: 'length', usage: IRUsage | undefined): string {
    if (this.ended) return '';
    this.ended = true;
    if (this.upstreamError) return DONE;
    let out = '';
    // A response the client never saw begins like any other, with the assistant's role.
    if (!this.sawChunk) out += this.frame({ choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }] });
    if (!this.finished) out += this.frame({ choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: reason }] });
    if (this.includeUsage && !this.usageSeen) out += this.frame({ choices: [], usage: usageToChat(usage ?? ZERO_USAGE) }, true);
    return out + DONE;
  }

  // ---- following the upstream

  /** vLLM puts the HTTP status (a number) in `code`; only a string code is a stable error code. */
  private error(error: JsonValue, out: IRChunk[]): void {
    this.upstreamError = true;
    const e = isJsonObject(error) ? error : {};
    const message = (typeof error === 'string' && error !== '' ? error : nonEmpty(e['message'])) ?? 'the upstream reported an error';
    out.push({ type: 'error', message, code: nonEmpty(e['code']) ?? 'upstream_error' });
  }

  private chunk(chunk: JsonObject, out: IRChunk[]): void {
    this.identify(chunk);
    const choices = chunk['choices'];
    const usage = isJsonObject(chunk['usage']) ? chunk['usage'] : undefined;
    if (!Array.isArray(choices) || choices.length === 0) {
      // The usage chunk of stream_options.include_usage: choices is [].
      if (usage === undefined) return;
      this.usageSeen = true;
      out.push({ type: 'usage', usage: usageFromChat(usage) });
      return;
    }
    if (usage !== undefined) this.pendingUsage = usage;
    const finished = this.finished;
    const choice = choices.find((c) => isJsonObject(c) && (c['index'] ?? 0) === 0);
    if (isJsonObject(choice)) this.choice(choice, out);
    // llama.cpp's final usage rides on the finish chunk.
    if (!finished && this.finished && usage !== undefined) this.usageSeen = true;
  }

  /** The members every chunk repeats, from the first chunk that has them. */
  private identify(chunk: JsonObject): void {
    this.sawChunk = true;
    const { id, created, model, system_fingerprint: fingerprint } = chunk;
    if (this.id === undefined && typeof id === 'string') this.id = id;
    if (this.created === undefined && typeof created === 'number') this.created = created;
    if (this.model === undefined && typeof model === 'string') this.model = model;
    if (this.fingerprint === undefined && typeof fingerprint === 'string') this.fingerprint = fingerprint;
  }

  private choice(choice: JsonObject, out: IRChunk[]): void {
    if (this.finished) return;
    const delta = choice['delta'];
    if (isJsonObject(delta)) {
      // vLLM renamed reasoning_content to reasoning; a server sending both means the same text.
      const reasoning = nonEmpty(delta['reasoning_content']) ?? nonEmpty(delta['reasoning']);
      if (reasoning !== undefined) out.push({ type: 'reasoning', delta: reasoning });
      // Content goes out as the client reads it (inline `<think>` tags included): nothing is held back.
      const content = nonEmpty(delta['content']);
      if (content !== undefined) out.push({ type: 'text', delta: content });
      const calls = delta['tool_calls'];
      if (Array.isArray(calls)) for (const call of calls) if (isJsonObject(call)) this.toolCall(call, out);
    }
    const reason = choice['finish_reason'];
    if (typeof reason !== 'string') return;
    this.finished = true;
    const mapped = chatFinishReason(reason);
    if (mapped === undefined) {
      out.push({ type: 'error', message: `the upstream stopped generating (finish_reason '${reason}')`, code: 'upstream_error' });
      return;
    }
    out.push({ type: 'finish', reason: mapped });
    // Usage that rode on a chunk with choices is reported once, with the finish: a chunk whose only IR
    // is usage counts as a usage-only event, which a relay may leave out.
    if (this.pendingUsage !== undefined) out.push({ type: 'usage', usage: usageFromChat(this.pendingUsage) });
  }

  private toolCall(call: JsonObject, out: IRChunk[]): void {
    const rawIndex = call['index'];
    const id = nonEmpty(call['id']);
    let index: number;
    if (typeof rawIndex === 'number' && Number.isInteger(rawIndex) && rawIndex >= 0) index = rawIndex;
    // Without an index, a delta with an id opens the next call and one without continues the last.
    else index = id !== undefined || this.lastToolIndex < 0 ? this.lastToolIndex + 1 : this.lastToolIndex;
    this.lastToolIndex = Math.max(this.lastToolIndex, index);
    const fn = isJsonObject(call['function']) ? call['function'] : {};
    const name = nonEmpty(fn['name']);
    const rawArgs = fn['arguments'];
    const args = typeof rawArgs === 'string' ? rawArgs : isJsonObject(rawArgs) ? JSON.stringify(rawArgs) : '';
    if (this.opened[index] === true) {
      if (args !== '') out.push({ type: 'tool_call', index, argumentsDelta: args });
      return;
    }
    if (id === undefined && name === undefined && args === '') return;
    this.opened[index] = true;
    out.push({ type: 'tool_call', index, ...(id !== undefined ? { id } : {}), ...(name !== undefined ? { name } : {}), argumentsDelta: args });
  }

  // ---- ending the stream

  /** One chunk continuing the client's response (an id and model invented only when it never saw one). */
  private frame(rest: JsonObject, last = false): string {
    this.id ??= newId('chatcmpl-');
    this.created ??= Math.floor(this.now() / 1000);
    this.model ??= this.requestedModel;
    const head: JsonObject = { id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model };
    if (this.fingerprint !== undefined) head['system_fingerprint'] = this.fingerprint;
    // With include_usage OpenAI sends `"usage": null` on every chunk but the last.
    const usage = this.includeUsage && !last ? { usage: null } : {};
    return `data: ${JSON.stringify({ ...head, ...rest, ...usage })}\n\n`;
  }
}
