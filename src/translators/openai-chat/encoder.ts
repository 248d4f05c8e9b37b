import type { IRChunk, IRFinishReason, IRUsage } from '../../ir/index.js';
import type { ClientEncodeOptions, StreamEncoder } from '../types.js';
import { newId } from './ids.js';
import { usageToChat } from './usage.js';

const DONE = 'data: [DONE]\n\n';

/**
 * IR chunks to Chat Completions SSE, frame for frame as OpenAI sends them:
 * a first delta with the role, content / reasoning_content / tool_calls
 * deltas, a finish_reason frame, then (when the client asked for it with
 * stream_options.include_usage) a usage frame with `choices: []`, and
 * `data: [DONE]` from `end()`. An IR error becomes the `{"error": {...}}`
 * event OpenAI and vLLM send mid-stream; nothing follows it but `[DONE]`.
 *
 * The parts of a frame that never change within a response are serialised
 * once, at `start`; per chunk only the delta itself is stringified.
 */
export class ChatStreamEncoder implements StreamEncoder {
  private readonly includeUsage: boolean;
  private readonly requestedModel: string;
  /** `data: {"id":…,"object":…,"created":…,"model":…,` */
  private head = '';
  /** head + `"choices":[{"index":0,"delta":` */
  private deltaOpen = '';
  /** What closes a delta frame that has no finish_reason. */
  private readonly deltaClose: string;
  private readonly usageNull: string;
  private started = false;
  private finished = false;
  private closed = false;
  private ended = false;
  private pendingUsage: IRUsage | undefined;
  /** Per tool-call index: whether its opening delta (id, type, name) was sent. */
  private readonly toolCallOpened: boolean[] = [];

  constructor(options: ClientEncodeOptions) {
    this.includeUsage = options.includeUsage;
    this.requestedModel = options.requestedModel;
    // With include_usage, OpenAI sends `"usage":null` on every chunk but the last.
    this.usageNull = options.includeUsage ? ',"usage":null' : '';
    this.deltaClose = `,"logprobs":null,"finish_reason":null}]${this.usageNull}}\n\n`;
  }

  push(chunk: IRChunk): string {
    if (this.closed) return '';
    switch (chunk.type) {
      case 'start':
        if (this.started) return '';
        // An upstream that named neither still yields a well-formed response.
        return this.start(chunk.id ? chunk.id : newId('chatcmpl-'), chunk.model ? chunk.model : this.requestedModel, chunk.created);
      case 'text':
        if (chunk.delta === '') return '';
        return this.ensureStarted() + this.deltaOpen + '{"content":' + JSON.stringify(chunk.delta) + '}' + this.deltaClose;
      case 'reasoning':
        if (chunk.delta === '') return '';
        return this.ensureStarted() + this.deltaOpen + '{"reasoning_content":' + JSON.stringify(chunk.delta) + '}' + this.deltaClose;
      case 'tool_call':
        return this.toolCall(chunk);
      case 'finish':
        return this.finish(chunk.reason);
      case 'usage':
        if (!this.includeUsage) return '';
        if (!this.finished) {
          this.pendingUsage = chunk.usage;
          return '';
        }
        return this.usageFrame(chunk.usage);
      case 'error':
        this.closed = true;
        return `data: ${JSON.stringify({ error: { message: chunk.message, type: chunk.errorType ?? 'upstream_error', param: null, code: chunk.code } })}\n\n`;
    }
  }

  end(): string {
    if (this.ended) return '';
    this.ended = true;
    this.closed = true;
    return DONE;
  }

  private start(id: string, model: string, created: number): string {
    this.started = true;
    this.head = `data: {"id":${JSON.stringify(id)},"object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(model)},`;
    this.deltaOpen = `${this.head}"choices":[{"index":0,"delta":`;
    return `${this.deltaOpen}{"role":"assistant","content":""}${this.deltaClose}`;
  }

  /** A chunk before `start` (not expected from a decoder) still gets a well-formed response. */
  private ensureStarted(): string {
    if (this.started) return '';
    return this.start(newId('chatcmpl-'), this.requestedModel, Math.floor(Date.now() / 1000));
  }

  private toolCall(chunk: Extract<IRChunk, { type: 'tool_call' }>): string {
    const index = chunk.index;
    let delta: string;
    if (this.toolCallOpened[index] === true) {
      if (chunk.argumentsDelta === '') return '';
      delta = JSON.stringify({ tool_calls: [{ index, function: { arguments: chunk.argumentsDelta } }] });
    } else {
      this.toolCallOpened[index] = true;
      delta = JSON.stringify({
        tool_calls: [
          {
            index,
            id: chunk.id ?? newId('call_'),
            type: 'function',
            function: { name: chunk.name ?? '', arguments: chunk.argumentsDelta },
          },
        ],
      });
    }
    return this.ensureStarted() + this.deltaOpen + delta + this.deltaClose;
  }

  private finish(reason: IRFinishReason): string {
    if (this.finished) return '';
    this.finished = true;
    let frame = `${this.ensureStarted()}${this.deltaOpen}{},"logprobs":null,"finish_reason":"${reason}"}]${this.usageNull}}\n\n`;
    if (this.pendingUsage) {
      frame += this.usageFrame(this.pendingUsage);
      this.pendingUsage = undefined;
    }
    return frame;
  }

  private usageFrame(usage: IRUsage): string {
    return `${this.head}"choices":[],"usage":${JSON.stringify(usageToChat(usage))}}\n\n`;
  }
}
