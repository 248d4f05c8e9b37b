import { SseEventTooLargeError, SseParser } from '../../framing/index.js';
import type { SseEvent } from '../../framing/index.js';
import type { IRChunk, IRUsage } from '../../ir/index.js';
import { isJsonObject } from '../../protocols/json.js';
import type { JsonObject, JsonValue } from '../../protocols/json.js';
import type { StreamDecoder } from '../types.js';

/*
 * Responses API streaming events (`POST /v1/responses` with `stream: true`) to
 * IR chunks. Every event's JSON carries its own `type`, which is what is
 * dispatched on; the SSE `event:` line repeats it and may be absent (some
 * compatible servers omit it), so it is only a fallback. There is no
 * `data: [DONE]`: the stream ends with `response.completed`,
 * `response.incomplete` or `response.failed`, or with an `error` event.
 *
 *   response.created / in_progress / queued      -> start (once)
 *   response.output_text.delta, refusal.delta    -> text
 *   response.reasoning_summary_text.delta,
 *   response.reasoning_text.delta                -> reasoning
 *   response.output_item.added (function_call)   -> tool_call (id = call_id, name)
 *   response.function_call_arguments.delta       -> tool_call arguments
 *   response.completed                           -> usage, finish stop | tool_calls
 *   response.incomplete                          -> usage, finish length | content_filter
 *   response.failed, error                       -> error
 *
 * Anything else (content_part, annotations, hosted tool progress, `.done`
 * events that repeat text already streamed) is ignored. The text of several
 * message items runs together, as the SDKs' `output_text` joins it; reasoning
 * parts get a blank line between them.
 */

export interface ResponsesStreamDecoderOptions {
  /** Fallback clock (ms) when the response object has no `created_at`. */
  readonly now?: () => number;
  /** Largest accepted SSE event; default 16 MiB. */
  readonly maxEventBytes?: number;
}

const enum State {
  Open,
  /** A terminal event arrived: the response is whole and anything after it is ignored. */
  Done,
  /** An error chunk was emitted: the IR stream is over. */
  Failed,
}

/** One function call of the response, found by its item id or its output index. */
interface CallState {
  readonly index: number;
  /** Argument text was already emitted (deltas, or whole arguments on the item). */
  argumentsSent: boolean;
}

/** Separates reasoning summary parts (each usually opens with its own bold title) when they are joined into one text. */
const PART_SEPARATOR = '\n\n';

function str(value: JsonValue | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function int(value: JsonValue | undefined): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) ? value : undefined;
}

function count(value: JsonValue | undefined): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

/** A Responses `usage` object as the IR counts it (missing counts are 0, a missing total is the sum). */
export function usageFromResponses(raw: JsonObject): IRUsage {
  const promptTokens = count(raw['input_tokens']);
  const completionTokens = count(raw['output_tokens']);
  const total = raw['total_tokens'];
  const usage: IRUsage = {
    promptTokens,
    completionTokens,
    totalTokens: typeof total === 'number' && Number.isFinite(total) ? total : promptTokens + completionTokens,
  };
  const input = raw['input_tokens_details'];
  if (isJsonObject(input) && typeof input['cached_tokens'] === 'number') usage.cachedPromptTokens = input['cached_tokens'];
  const output = raw['output_tokens_details'];
  if (isJsonObject(output) && typeof output['reasoning_tokens'] === 'number') usage.reasoningTokens = output['reasoning_tokens'];
  return usage;
}

export class ResponsesStreamDecoder implements StreamDecoder {
  private readonly parser: SseParser;
  private readonly now: () => number;
  private state = State.Open;
  private started = false;
  private callCount = 0;
  private readonly callsByItem = new Map<string, CallState>();
  private readonly callsByOutput = new Map<number, CallState>();
  // The reasoning part the last reasoning delta belonged to, to separate parts.
  private reasoningSent = false;
  private reasoningEvent = '';
  private reasoningItem: string | undefined = undefined;
  private reasoningPart = -1;

  constructor(options: ResponsesStreamDecoderOptions = {}) {
    this.parser = new SseParser(options.maxEventBytes === undefined ? {} : { maxEventBytes: options.maxEventBytes });
    this.now = options.now ?? Date.now;
  }

  push(bytes: Uint8Array): IRChunk[] {
    const out: IRChunk[] = [];
    if (this.state !== State.Open) return out;
    let events: SseEvent[];
    try {
      events = this.parser.push(bytes);
    } catch (err) {
      if (!(err instanceof SseEventTooLargeError)) throw err;
      for (const event of err.events) this.event(event, out);
      if (this.isOpen()) this.fail(out, 'upstream_protocol_error', `the upstream sent a stream event larger than ${err.maxEventBytes} bytes`);
      return out;
    }
    for (let i = 0; i < events.length && this.isOpen(); i++) {
      const event = events[i];
      if (event) this.event(event, out);
    }
    return out;
  }

  end(): IRChunk[] {
    const out: IRChunk[] = [];
    if (this.state !== State.Open) return out;
    this.parser.end();
    this.fail(out, 'upstream_truncated', 'the upstream stream ended before the response was complete');
    return out;
  }

  /** A method, not a field read, because the event handlers called in between change the state. */
  private isOpen(): boolean {
    return this.state === State.Open;
  }

  private fail(out: IRChunk[], code: string, message: string): void {
    out.push({ type: 'error', message, code });
    this.state = State.Failed;
  }

  private event(event: SseEvent, out: IRChunk[]): void {
    if (this.state !== State.Open) return;
    const data = event.data;
    // Not part of the Responses protocol, but Chat-minded servers append it; the terminal event decides.
    if (data === '[DONE]') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch {
      this.fail(out, 'upstream_protocol_error', 'the upstream sent a stream event that is not valid JSON');
      return;
    }
    if (!isJsonObject(parsed)) {
      this.fail(out, 'upstream_protocol_error', 'the upstream sent a stream event that is not a JSON object');
      return;
    }
    const type = str(parsed['type']) ?? event.event;
    switch (type) {
      case 'response.created':
      case 'response.in_progress':
      case 'response.queued':
        this.ensureStart(parsed['response'], out);
        return;
      case 'response.output_text.delta':
      case 'response.refusal.delta':
        // A refusal is the model's answer to the user; the IR has no separate channel for it.
        this.text(parsed, out);
        return;
      case 'response.reasoning_summary_text.delta':
        this.reasoning(parsed, type, parsed['summary_index'], out);
        return;
      case 'response.reasoning_text.delta':
        this.reasoning(parsed, type, parsed['content_index'], out);
        return;
      case 'response.output_item.added':
        this.itemAdded(parsed, out);
        return;
      case 'response.function_call_arguments.delta':
        this.argumentsDelta(parsed, out);
        return;
      case 'response.function_call_arguments.done':
        this.wholeArguments(this.findCall(str(parsed['item_id']), int(parsed['output_index'])), parsed['arguments'], out);
        return;
      case 'response.output_item.done':
        this.itemDone(parsed, out);
        return;
      case 'response.completed':
        this.complete(parsed['response'], out);
        return;
      case 'response.incomplete':
        this.incomplete(parsed['response'], out);
        return;
      case 'response.failed':
        this.failed(parsed['response'], out);
        return;
      case 'error':
        this.errorEvent(parsed, out);
        return;
      case undefined: {
        // No type at all: a bare `{"error": {...}}` as Chat-style servers send it.
        const error = parsed['error'];
        if (isJsonObject(error)) this.errorEvent(error, out);
        return;
      }
      default:
        return;
    }
  }

  private ensureStart(response: JsonValue | undefined, out: IRChunk[]): void {
    if (this.started) return;
    this.started = true;
    const r = isJsonObject(response) ? response : undefined;
    const createdAt = r?.['created_at'];
    out.push({
      type: 'start',
      id: str(r?.['id']) ?? '',
      model: str(r?.['model']) ?? '',
      created: typeof createdAt === 'number' && Number.isFinite(createdAt) ? Math.floor(createdAt) : Math.floor(this.now() / 1000),
    });
  }

  private text(event: JsonObject, out: IRChunk[]): void {
    const delta = event['delta'];
    if (typeof delta !== 'string' || delta === '') return;
    this.ensureStart(undefined, out);
    out.push({ type: 'text', delta });
  }

  private reasoning(event: JsonObject, type: string, part: JsonValue | undefined, out: IRChunk[]): void {
    const delta = event['delta'];
    if (typeof delta !== 'string' || delta === '') return;
    this.ensureStart(undefined, out);
    const item = str(event['item_id']);
    const partIndex = int(part) ?? 0;
    const samePart = type === this.reasoningEvent && item === this.reasoningItem && partIndex === this.reasoningPart;
    if (!samePart) {
      this.reasoningEvent = type;
      this.reasoningItem = item;
      this.reasoningPart = partIndex;
    }
    out.push({ type: 'reasoning', delta: this.reasoningSent && !samePart ? PART_SEPARATOR + delta : delta });
    this.reasoningSent = true;
  }

  private findCall(itemId: string | undefined, outputIndex: number | undefined): CallState | undefined {
    const byItem = itemId === undefined ? undefined : this.callsByItem.get(itemId);
    if (byItem !== undefined) return byItem;
    return outputIndex === undefined ? undefined : this.callsByOutput.get(outputIndex);
  }

  /** Registers a function call item and emits its opening chunk (with any arguments the item already holds). */
  private openCall(item: JsonObject, outputIndex: number | undefined, out: IRChunk[]): CallState {
    this.ensureStart(undefined, out);
    const call: CallState = { index: this.callCount++, argumentsSent: false };
    const itemId = str(item['id']);
    if (itemId !== undefined) this.callsByItem.set(itemId, call);
    if (outputIndex !== undefined) this.callsByOutput.set(outputIndex, call);
    const args = str(item['arguments']) ?? '';
    if (args !== '') call.argumentsSent = true;
    const id = str(item['call_id']);
    const name = str(item['name']);
    out.push({
      type: 'tool_call',
      index: call.index,
      ...(id !== undefined && id !== '' ? { id } : {}),
      ...(name !== undefined && name !== '' ? { name } : {}),
      argumentsDelta: args,
    });
    return call;
  }

  private itemAdded(event: JsonObject, out: IRChunk[]): void {
    const item = event['item'];
    if (!isJsonObject(item) || item['type'] !== 'function_call') return;
    this.openCall(item, int(event['output_index']), out);
  }

  private argumentsDelta(event: JsonObject, out: IRChunk[]): void {
    const delta = event['delta'];
    if (typeof delta !== 'string' || delta === '') return;
    // A delta for an item that was never announced opens a call without id or name rather than losing its text.
    const itemId = str(event['item_id']);
    const outputIndex = int(event['output_index']);
    const call = this.findCall(itemId, outputIndex) ?? this.openCall(itemId === undefined ? {} : { id: itemId }, outputIndex, out);
    call.argumentsSent = true;
    out.push({ type: 'tool_call', index: call.index, argumentsDelta: delta });
  }

  /** Whole arguments at the end of a call: sent only when no delta carried them. */
  private wholeArguments(call: CallState | undefined, args: JsonValue | undefined, out: IRChunk[]): void {
    if (call === undefined || call.argumentsSent || typeof args !== 'string' || args === '') return;
    call.argumentsSent = true;
    out.push({ type: 'tool_call', index: call.index, argumentsDelta: args });
  }

  private itemDone(event: JsonObject, out: IRChunk[]): void {
    const item = event['item'];
    if (!isJsonObject(item) || item['type'] !== 'function_call') return;
    const outputIndex = int(event['output_index']);
    const call = this.findCall(str(item['id']), outputIndex);
    // A call seen only when done (no `added` event) still reaches the client, whole.
    if (call === undefined) this.openCall(item, outputIndex, out);
    else this.wholeArguments(call, item['arguments'], out);
  }

  private usage(response: JsonObject | undefined, out: IRChunk[]): void {
    const usage = response?.['usage'];
    if (isJsonObject(usage)) out.push({ type: 'usage', usage: usageFromResponses(usage) });
  }

  private complete(response: JsonValue | undefined, out: IRChunk[]): void {
    this.ensureStart(response, out);
    this.usage(isJsonObject(response) ? response : undefined, out);
    out.push({ type: 'finish', reason: this.callCount > 0 ? 'tool_calls' : 'stop' });
    this.state = State.Done;
  }

  private incomplete(response: JsonValue | undefined, out: IRChunk[]): void {
    this.ensureStart(response, out);
    const r = isJsonObject(response) ? response : undefined;
    this.usage(r, out);
    const details = r?.['incomplete_details'];
    // `max_output_tokens` and anything unknown mean the output was cut short.
    const reason = isJsonObject(details) && details['reason'] === 'content_filter' ? 'content_filter' : 'length';
    out.push({ type: 'finish', reason });
    this.state = State.Done;
  }

  private failed(response: JsonValue | undefined, out: IRChunk[]): void {
    this.ensureStart(response, out);
    const error = isJsonObject(response) ? response['error'] : undefined;
    const e = isJsonObject(error) ? error : undefined;
    this.fail(out, nonEmpty(str(e?.['code'])) ?? 'upstream_error', nonEmpty(str(e?.['message'])) ?? 'the upstream reported that the response failed');
  }

  /**
   * The `error` event: the API reference puts `code`, `message` and `param` on
   * the event itself; recorded streams also show them nested in `error`.
   */
  private errorEvent(event: JsonObject, out: IRChunk[]): void {
    const nested = event['error'];
    const e = isJsonObject(nested) ? nested : event;
    this.fail(out, nonEmpty(str(e['code'])) ?? 'upstream_error', nonEmpty(str(e['message'])) ?? 'the upstream reported an error');
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === '' ? undefined : value;
}
