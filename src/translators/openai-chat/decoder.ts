import { SseEventTooLargeError, SseParser } from '../../framing/index.js';
import type { SseEvent } from '../../framing/index.js';
import type { IRChunk, IRFinishReason } from '../../ir/index.js';
import { isJsonObject } from '../../protocols/json.js';
import type { JsonObject, JsonValue } from '../../protocols/json.js';
import type { StreamDecoder } from '../types.js';
import { ThinkTagSplitter } from '../shared/think-tags.js';
import type { LineTemplate } from '../shared/line-template.js';
import { learnContentTemplate } from './content-template.js';
import { usageFromChat } from './usage.js';

const enum State {
  /** Reading chunks. */
  Open,
  /** `data: [DONE]` arrived: the stream is complete, anything after it is ignored. */
  Done,
  /** An error chunk was emitted: the IR stream is over. */
  Failed,
}

/** A Chat finish reason as the IR names it; undefined for vLLM's `abort` / `error`, which are failures, not ends. */
export function chatFinishReason(value: string): IRFinishReason | undefined {
  switch (value) {
    case 'stop':
    case 'length':
    case 'tool_calls':
    case 'content_filter':
      return value;
    case 'function_call':
      return 'tool_calls';
    // vLLM reports an aborted or failed generation this way; it is not a normal end.
    case 'abort':
    case 'error':
      return undefined;
    default:
      // Servers invent their own reasons (e.g. 'eos'); the generation still ended normally.
      return 'stop';
  }
}

/**
 * Chat Completions SSE from an upstream (OpenAI, vLLM, llama.cpp, LM Studio,
 * Ollama's OpenAI endpoint) to IR chunks. Only choice 0 is read: translated
 * calls ask for one choice.
 */
export class ChatStreamDecoder implements StreamDecoder {
  private readonly parser = new SseParser();
  private state = State.Open;
  private started = false;
  private finished = false;
  private readonly think = new ThinkTagSplitter();
  /**
   * Latest usage seen on a chunk that also carried choices (vLLM's continuous
   * usage stats, llama.cpp's usage on the finish chunk). Emitted once, when
   * the stream completes, so the IR has a single usage chunk.
   */
  private pendingUsage: JsonObject | undefined;
  private usageSent = false;
  /** Per tool-call index: whether its id and name were already emitted (some servers repeat them). */
  private readonly toolCallOpened: boolean[] = [];
  private lastToolIndex = -1;
  /** The text around the content of this stream's text chunks (see shared/line-template.ts). */
  private template: LineTemplate | undefined;

  constructor(private readonly options: { readonly templates?: boolean } = {}) {}

  push(bytes: Uint8Array): IRChunk[] {
    const out: IRChunk[] = [];
    if (this.state === State.Failed) return out;
    let events: SseEvent[];
    try {
      events = this.parser.push(bytes);
    } catch (err) {
      if (!(err instanceof SseEventTooLargeError)) throw err;
      for (const event of err.events) this.event(event, out);
      if (!this.failed()) this.fail(out, 'upstream_protocol_error', `the upstream sent a stream event larger than ${err.maxEventBytes} bytes`);
      return out;
    }
    for (let i = 0; i < events.length && !this.failed(); i++) {
      const event = events[i];
      if (event) this.event(event, out);
    }
    return out;
  }

  end(): IRChunk[] {
    const out: IRChunk[] = [];
    if (this.state === State.Failed) return out;
    this.parser.end();
    // A finish_reason means the response is whole even when [DONE] never came.
    if (this.state === State.Done || this.finished) {
      this.flushUsage(out);
      this.state = State.Done;
      return out;
    }
    this.think.flush(out);
    this.fail(out, 'upstream_truncated', 'the upstream stream ended before the response was complete');
    return out;
  }

  /** A method, not a field read, because the event handlers called in between may change the state. */
  private failed(): boolean {
    return this.state === State.Failed;
  }

  private fail(out: IRChunk[], code: string, message: string): void {
    out.push({ type: 'error', message, code });
    this.state = State.Failed;
  }

  private flushUsage(out: IRChunk[]): void {
    if (this.pendingUsage && !this.usageSent) {
      out.push({ type: 'usage', usage: usageFromChat(this.pendingUsage) });
      this.usageSent = true;
    }
    this.pendingUsage = undefined;
  }

  private event(event: SseEvent, out: IRChunk[]): void {
    if (this.state !== State.Open) return;
    const data = event.data;
    if (data === '[DONE]') {
      this.flushUsage(out);
      this.state = State.Done;
      return;
    }
    if (this.template !== undefined && !this.finished) {
      const content = this.template.match(data);
      if (content !== undefined) {
        // Exactly what parsing the chunk whole would do with it.
        if (content !== '') this.think.push(content, out);
        return;
      }
    }
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
    const error = parsed['error'];
    if (error !== undefined && error !== null) {
      this.upstreamError(error, out);
      return;
    }
    this.chunk(parsed, out);
    if (this.options.templates !== false && this.state === State.Open) this.template = learnContentTemplate(data, parsed) ?? this.template;
  }

  /** `{"error": {...}}` mid-stream, as OpenAI, vLLM and llama.cpp send it. */
  private upstreamError(error: JsonValue, out: IRChunk[]): void {
    this.think.flush(out);
    let message = 'the upstream reported an error';
    let code = 'upstream_error';
    if (typeof error === 'string' && error !== '') message = error;
    else if (isJsonObject(error)) {
      if (typeof error['message'] === 'string' && error['message'] !== '') message = error['message'];
      // vLLM puts the HTTP status (a number) in `code`; only a string code is a stable error code.
      if (typeof error['code'] === 'string' && error['code'] !== '') code = error['code'];
    }
    this.fail(out, code, message);
  }

  private chunk(chunk: JsonObject, out: IRChunk[]): void {
    if (!this.started) {
      this.started = true;
      const id = chunk['id'];
      const model = chunk['model'];
      const created = chunk['created'];
      out.push({
        type: 'start',
        id: typeof id === 'string' ? id : '',
        model: typeof model === 'string' ? model : '',
        created: typeof created === 'number' ? created : Math.floor(Date.now() / 1000),
      });
    }

    const choices = chunk['choices'];
    const usage = chunk['usage'];
    if (Array.isArray(choices) && choices.length > 0) {
      if (isJsonObject(usage)) this.pendingUsage = usage;
      for (let i = 0; i < choices.length; i++) {
        const choice = choices[i];
        if (isJsonObject(choice) && (choice['index'] ?? 0) === 0) {
          this.choice(choice, out);
          break;
        }
      }
    } else if (isJsonObject(usage)) {
      // The usage chunk of stream_options.include_usage: choices is [].
      this.pendingUsage = usage;
      this.flushUsage(out);
    }
  }

  private choice(choice: JsonObject, out: IRChunk[]): void {
    if (this.finished) return;
    const delta = choice['delta'];
    if (isJsonObject(delta)) {
      // vLLM renamed reasoning_content to reasoning; a server sending both means the same text.
      const reasoningContent = delta['reasoning_content'];
      const reasoning = typeof reasoningContent === 'string' && reasoningContent !== '' ? reasoningContent : delta['reasoning'];
      if (typeof reasoning === 'string' && reasoning !== '') {
        this.think.plainText();
        out.push({ type: 'reasoning', delta: reasoning });
      }
      const content = delta['content'];
      if (typeof content === 'string' && content !== '') this.think.push(content, out);
      const calls = delta['tool_calls'];
      if (Array.isArray(calls)) {
        for (let i = 0; i < calls.length; i++) {
          const call = calls[i];
          if (isJsonObject(call)) this.toolCall(call, out);
        }
      }
    }
    const reason = choice['finish_reason'];
    if (typeof reason === 'string') {
      this.think.flush(out);
      const mapped = chatFinishReason(reason);
      if (mapped === undefined) {
        this.fail(out, 'upstream_error', `the upstream stopped generating (finish_reason '${reason}')`);
        return;
      }
      out.push({ type: 'finish', reason: mapped });
      this.finished = true;
    }
  }

  private toolCall(call: JsonObject, out: IRChunk[]): void {
    const rawIndex = call['index'];
    const rawId = call['id'];
    const id = typeof rawId === 'string' && rawId !== '' ? rawId : undefined;
    let index: number;
    if (typeof rawIndex === 'number' && Number.isInteger(rawIndex) && rawIndex >= 0) index = rawIndex;
    // Without an index, a delta with an id opens the next call and one without continues the last.
    else if (id !== undefined || this.lastToolIndex < 0) index = this.lastToolIndex + 1;
    else index = this.lastToolIndex;
    if (index > this.lastToolIndex) this.lastToolIndex = index;

    const fn = call['function'];
    let name: string | undefined;
    let args = '';
    if (isJsonObject(fn)) {
      if (typeof fn['name'] === 'string' && fn['name'] !== '') name = fn['name'];
      const rawArgs = fn['arguments'];
      if (typeof rawArgs === 'string') args = rawArgs;
      else if (isJsonObject(rawArgs)) args = JSON.stringify(rawArgs);
    }

    if (this.toolCallOpened[index] === true) {
      if (args !== '') out.push({ type: 'tool_call', index, argumentsDelta: args });
      return;
    }
    if (id === undefined && name === undefined && args === '') return;
    this.toolCallOpened[index] = true;
    out.push({
      type: 'tool_call',
      index,
      ...(id !== undefined ? { id } : {}),
      ...(name !== undefined ? { name } : {}),
      argumentsDelta: args,
    });
  }
}
