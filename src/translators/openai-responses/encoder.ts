import type { IRChunk, IRFinishReason, IRUsage } from '../../ir/index.js';
import type { ClientEncodeOptions, StreamEncoder } from '../types.js';
import type { NewId } from './ids.js';
import { randomId } from './ids.js';
import type { OutputItem, OutputSink } from './output.js';
import { OutputTracker, outcomeOf, responseEcho, toolOrigins, usageToResponses } from './output.js';

export interface ResponsesEncoderDeps {
  /** Ids of the response and its items (default: random, OpenAI style). */
  readonly newId?: NewId;
  /** Clock in milliseconds, for `created_at` when no start chunk gave one. */
  readonly now?: () => number;
}

const enum State {
  /** Nothing sent yet. */
  Idle,
  /** `response.created` sent; items may open and close. */
  Open,
  /** The response finished; the terminal event waits for usage (or `end`). */
  Finished,
  /** The terminal event was sent: nothing more is. */
  Closed,
}

/**
 * IR chunks to Responses API server-sent events, in the order OpenAI sends
 * them and Codex CLI and the `openai` SDK parse them: `response.created`,
 * `response.in_progress`, per output item `response.output_item.added`, its
 * deltas and `.done` events and `response.output_item.done`, then exactly
 * one terminal event (`response.completed`, `response.incomplete` or
 * `response.failed`). Every event carries `type` and an increasing
 * `sequence_number`; there is no `[DONE]`.
 *
 * Reasoning streams as a reasoning summary (`response.reasoning_summary_*`):
 * Codex shows summaries by default, raw reasoning text only with
 * `show_raw_agent_reasoning`. The finished item also carries the text as
 * `content` and, minted by the gateway, as `encrypted_content`, which
 * clients echo back so the reasoning reaches the upstream again.
 *
 * Per delta only the delta itself is stringified; the members naming an item
 * are built once when it opens, and the request fields a response object
 * repeats are serialized once.
 */
export class ResponsesStreamEncoder implements StreamEncoder, OutputSink {
  private readonly newId: NewId;
  private readonly now: () => number;
  private readonly model: string;
  /** `,"instructions":…,"tools":…` — the echoed request fields as JSON members. */
  private readonly echo: string;
  private readonly tracker: OutputTracker;
  private state = State.Idle;
  private seq = 0;
  private responseId = '';
  private createdAt = 0;
  private out = '';
  private finishReason: IRFinishReason | undefined;
  private usage: IRUsage | undefined;
  readonly holdsOutput = true;

  constructor(options: ClientEncodeOptions, deps: ResponsesEncoderDeps = {}) {
    this.newId = deps.newId ?? randomId;
    this.now = deps.now ?? Date.now;
    this.model = JSON.stringify(options.requestedModel);
    this.echo = `,${JSON.stringify(responseEcho(options.clientBody)).slice(1, -1)}`;
    this.tracker = new OutputTracker(this.newId, toolOrigins(options.request), this);
  }

  push(chunk: IRChunk): string {
    if (this.state === State.Closed) return '';
    switch (chunk.type) {
      case 'start':
        if (this.state === State.Idle) this.start(chunk.created);
        break;
      case 'text':
        if (this.state === State.Finished || chunk.delta === '') return '';
        this.ensureStarted();
        this.tracker.text(chunk.delta);
        break;
      case 'reasoning':
        if (this.state === State.Finished || chunk.delta === '') return '';
        this.ensureStarted();
        this.tracker.reasoningDelta(chunk.delta);
        break;
      case 'tool_call':
        if (this.state === State.Finished) return '';
        this.ensureStarted();
        this.tracker.toolCall(chunk);
        break;
      case 'usage':
        this.usage = chunk.usage;
        if (this.state === State.Finished) this.terminal();
        break;
      case 'finish':
        if (this.state === State.Finished) return '';
        this.ensureStarted();
        this.finishReason = chunk.reason;
        this.tracker.closeAll(outcomeOf(chunk.reason).status);
        this.state = State.Finished;
        // Usage that came first (Ollama sends it with the last line) completes the response now.
        if (this.usage !== undefined) this.terminal();
        break;
      case 'error':
        this.ensureStarted();
        this.failed(chunk.code, chunk.message);
        break;
    }
    return this.take();
  }

  /** The terminal event when none was sent: the held completion, or a failure for a stream that never finished. */
  end(): string {
    if (this.state === State.Closed) return '';
    if (this.state === State.Finished) this.terminal();
    else {
      this.ensureStarted();
      this.failed('upstream_truncated', 'the upstream stream ended before the response was complete');
    }
    return this.take();
  }

  /**
   * `response.in_progress` with the response as it stands, so that a client
   * rebuilding the response from events (the `openai` SDK replaces its
   * snapshot with this one) keeps the items streamed so far. Before the
   * response started it starts it; after the terminal event it is ''.
   */
  heartbeat(): string {
    if (this.state === State.Closed) return '';
    if (this.state === State.Idle) {
      this.ensureStarted();
      return this.take();
    }
    let output = '';
    for (const item of this.tracker.items) {
      const json = item.done ? item.json : JSON.stringify(this.tracker.partial(item));
      output = output === '' ? json : `${output},${json}`;
    }
    this.event('response.in_progress', `,"response":${this.response('in_progress', 'null', 'null', output, 'null')}`);
    return this.take();
  }

  // ---- OutputSink: the tracker reports item steps, which become events.

  opened(item: OutputItem): void {
    item.ref = `,"item_id":${JSON.stringify(item.id)},"output_index":${item.index}`;
    this.event('response.output_item.added', `,"output_index":${item.index},"item":${JSON.stringify(this.tracker.added(item))}`);
    if (item.kind === 'message') {
      this.event('response.content_part.added', `${item.ref},"content_index":0,"part":{"type":"output_text","text":"","annotations":[],"logprobs":[]}`);
    } else if (item.kind === 'reasoning') {
      this.event('response.reasoning_summary_part.added', `${item.ref},"summary_index":0,"part":{"type":"summary_text","text":""}`);
    }
  }

  delta(item: OutputItem, delta: string): void {
    const text = JSON.stringify(delta);
    switch (item.kind) {
      case 'message':
        this.event('response.output_text.delta', `${item.ref},"content_index":0,"delta":${text},"logprobs":[]`);
        return;
      case 'reasoning':
        this.event('response.reasoning_summary_text.delta', `${item.ref},"summary_index":0,"delta":${text}`);
        return;
      case 'function_call':
        this.event('response.function_call_arguments.delta', `${item.ref},"delta":${text}`);
        return;
      case 'custom_tool_call':
        return;
    }
  }

  closed(item: OutputItem): void {
    switch (item.kind) {
      case 'message': {
        const text = JSON.stringify(item.text);
        this.event('response.output_text.done', `${item.ref},"content_index":0,"text":${text},"logprobs":[]`);
        this.event('response.content_part.done', `${item.ref},"content_index":0,"part":{"type":"output_text","text":${text},"annotations":[],"logprobs":[]}`);
        break;
      }
      case 'reasoning': {
        const text = JSON.stringify(item.text);
        this.event('response.reasoning_summary_text.done', `${item.ref},"summary_index":0,"text":${text}`);
        this.event('response.reasoning_summary_part.done', `${item.ref},"summary_index":0,"part":{"type":"summary_text","text":${text}}`);
        break;
      }
      case 'function_call':
        this.event('response.function_call_arguments.done', `${item.ref},"name":${JSON.stringify(item.name)},"arguments":${JSON.stringify(item.text)}`);
        break;
      case 'custom_tool_call': {
        const input = JSON.stringify(item.input);
        if (item.input !== '') this.event('response.custom_tool_call_input.delta', `${item.ref},"delta":${input}`);
        this.event('response.custom_tool_call_input.done', `${item.ref},"input":${input}`);
        break;
      }
    }
    item.json = JSON.stringify(item.done);
    this.event('response.output_item.done', `,"output_index":${item.index},"item":${item.json}`);
  }

  // ---- events

  private take(): string {
    const out = this.out;
    this.out = '';
    return out;
  }

  private event(type: string, members: string): void {
    this.out += `event: ${type}\ndata: {"type":"${type}","sequence_number":${this.seq++}${members}}\n\n`;
  }

  private start(created: number | undefined): void {
    this.state = State.Open;
    this.responseId = JSON.stringify(this.newId('resp_'));
    this.createdAt = created !== undefined && Number.isFinite(created) ? Math.floor(created) : Math.floor(this.now() / 1000);
    const initial = `,"response":${this.response('in_progress', 'null', 'null', '', 'null')}`;
    this.event('response.created', initial);
    this.event('response.in_progress', initial);
  }

  /** A chunk before `start` (or an error with none) still yields a well-formed stream. */
  private ensureStarted(): void {
    if (this.state === State.Idle) this.start(undefined);
  }

  private response(status: string, error: string, incomplete: string, output: string, usage: string): string {
    return `{"id":${this.responseId},"object":"response","created_at":${this.createdAt},"status":"${status}","error":${error},"incomplete_details":${incomplete},"model":${this.model},"output":[${output}],"usage":${usage}${this.echo}}`;
  }

  private doneOutput(): string {
    let output = '';
    for (const item of this.tracker.items) {
      if (item.done) output = output === '' ? item.json : `${output},${item.json}`;
    }
    return output;
  }

  private terminal(): void {
    const outcome = outcomeOf(this.finishReason);
    const usage = JSON.stringify(usageToResponses(this.usage));
    const incomplete = outcome.incompleteDetails === null ? 'null' : JSON.stringify(outcome.incompleteDetails);
    const type = outcome.status === 'completed' ? 'response.completed' : 'response.incomplete';
    this.event(type, `,"response":${this.response(outcome.status, 'null', incomplete, this.doneOutput(), usage)}`);
    this.state = State.Closed;
  }

  /** Open items stay open: the response ends here, as OpenAI ends a failed one. */
  private failed(code: string, message: string): void {
    const error = JSON.stringify({ code, message });
    const usage = this.usage === undefined ? 'null' : JSON.stringify(usageToResponses(this.usage));
    this.event('response.failed', `,"response":${this.response('failed', error, 'null', this.doneOutput(), usage)}`);
    this.state = State.Closed;
  }
}
