import { randomToken } from '../../util/ids.js';
import { NdjsonLineTooLargeError, NdjsonParser } from '../../framing/ndjson.js';
import type { IRChunk, IRFinishReason } from '../../ir/index.js';
import type { StreamDecoder } from '../types.js';
import { ThinkTagSplitter } from '../shared/think-tags.js';
import type { Hole } from '../shared/line-template.js';
import { LineTemplate, uniqueStringValue } from '../shared/line-template.js';

export interface OllamaStreamDecoderOptions {
  /** Response and tool call ids; default `chatcmpl-<random>` and `call_<random>`. */
  readonly newId?: (kind: 'response' | 'tool_call') => string;
  /** Fallback clock (ms) when a line's `created_at` cannot be read. */
  readonly now?: () => number;
  /** Largest accepted NDJSON line; default 16 MiB. */
  readonly maxLineBytes?: number;
  /** Read text lines through a learned template (see shared/line-template.ts); default true. */
  readonly templates?: boolean;
}

type Phase =
  /** No line yet: `start` not emitted. */
  | 'waiting'
  | 'streaming'
  /** The `done: true` line was handled; anything after it is ignored. */
  | 'done'
  /** An error chunk was emitted; the stream is over. */
  | 'failed';

function defaultId(kind: 'response' | 'tool_call'): string {
  const random = randomToken();
  return kind === 'response' ? `chatcmpl-${random}` : `call_${random}`;
}

// Ollama's wording when a prompt does not fit: "the prompt is longer than the
// context length currently available to the model", "the input length exceeds
// the context length", "input exceeds maximum context length ..." (server/routes.go, llm/).
const CONTEXT_LENGTH_ERROR = /context length|context window|exceeds the available context|prompt is too long|prompt is longer/i;

/** Classifies the text of an Ollama `{"error": ...}` into a stable code. */
export function ollamaErrorCode(message: string): 'context_length_exceeded' | 'upstream_error' {
  return CONTEXT_LENGTH_ERROR.test(message) ? 'context_length_exceeded' : 'upstream_error';
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Which field of a text-only line carries its text. */
type TextField = 'content' | 'thinking';

/**
 * A template (see shared/line-template.ts) from a line that was parsed whole
 * and carries only text or only thinking: not done, no error, a message whose
 * other fields are the role, empty strings or null. `created_at`, a new
 * timestamp on every line and read only from the first, is an ignored hole.
 */
function learnLineTemplate(line: string, value: Json): { template: LineTemplate; field: TextField } | undefined {
  if (value.done !== false || (value.error !== undefined && value.error !== null)) return undefined;
  const message = value.message;
  if (!isObject(message)) return undefined;
  let field: TextField | undefined;
  for (const [key, entry] of Object.entries(message)) {
    if (key === 'role' || entry === null || entry === '') continue;
    if ((key !== 'content' && key !== 'thinking') || typeof entry !== 'string' || field !== undefined) return undefined;
    field = key;
  }
  if (field === undefined) return undefined;
  const open = uniqueStringValue(line, field);
  if (open < 0) return undefined;
  const holes: Hole[] = [{ open, keep: true }];
  const createdAt = uniqueStringValue(line, 'created_at');
  if (createdAt >= 0) holes.push({ open: createdAt, keep: false });
  const template = LineTemplate.learn(line, holes, message[field] as string);
  return template === undefined ? undefined : { template, field };
}

/**
 * Ollama `/api/chat` NDJSON stream -> IR chunks.
 *
 *   first line           -> start
 *   message.thinking     -> reasoning
 *   message.content      -> text (a leading `<think>…</think>` block -> reasoning)
 *   message.tool_calls   -> one complete tool_call chunk per call (arguments are objects upstream)
 *   done: true           -> usage, finish
 *   {"error": "..."}     -> error (context_length_exceeded | upstream_error)
 *
 * An error before the first line is reported without a `start`, so the caller
 * can still fall back to another upstream before anything reached the client.
 */
export class OllamaStreamDecoder implements StreamDecoder {
  private readonly parser: NdjsonParser;
  private readonly newId: (kind: 'response' | 'tool_call') => string;
  private readonly now: () => number;
  private readonly tags = new ThinkTagSplitter();
  private phase: Phase = 'waiting';
  private template: { readonly template: LineTemplate; readonly field: TextField } | undefined;
  private readonly templates: boolean;
  private nextToolIndex = 0;

  constructor(options: OllamaStreamDecoderOptions = {}) {
    this.parser = new NdjsonParser(options.maxLineBytes === undefined ? {} : { maxLineBytes: options.maxLineBytes });
    this.newId = options.newId ?? defaultId;
    this.now = options.now ?? Date.now;
    this.templates = options.templates !== false;
  }

  push(bytes: Uint8Array): IRChunk[] {
    const out: IRChunk[] = [];
    if (this.phase === 'done' || this.phase === 'failed') return out;
    let lines: string[];
    try {
      lines = this.parser.push(bytes);
    } catch (err) {
      if (!(err instanceof NdjsonLineTooLargeError)) throw err;
      this.handleLines(err.lines, out, false);
      this.fail(out, 'upstream_protocol_error', `Ollama sent a stream line larger than ${err.maxLineBytes} bytes.`);
      return out;
    }
    this.handleLines(lines, out, false);
    return out;
  }

  end(): IRChunk[] {
    const out: IRChunk[] = [];
    if (this.phase === 'done' || this.phase === 'failed') return out;
    // A last line without its newline is accepted when it is complete JSON.
    this.handleLines(this.parser.end(), out, true);
    if (this.phase === 'waiting' || this.phase === 'streaming') {
      this.tags.flush(out);
      this.fail(out, 'upstream_truncated', 'The Ollama stream ended before its final line (done: true); the reply is incomplete.');
    }
    return out;
  }

  private handleLines(lines: readonly string[], out: IRChunk[], atEnd: boolean): void {
    for (let i = 0; i < lines.length; i++) {
      if (this.phase === 'done' || this.phase === 'failed') return;
      const line = lines[i];
      if (line !== undefined) this.handleLine(line, out, atEnd && i === lines.length - 1);
    }
  }

  private handleLine(line: string, out: IRChunk[], unterminated: boolean): void {
    if (this.template !== undefined && this.phase === 'streaming') {
      const text = this.template.template.match(line);
      if (text !== undefined) {
        // Exactly what parsing the line whole would do with it.
        if (text !== '') {
          if (this.template.field === 'content') this.tags.push(text, out);
          else out.push({ type: 'reasoning', delta: text });
        }
        return;
      }
    }
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      if (unterminated) {
        this.tags.flush(out);
        this.fail(out, 'upstream_truncated', 'The Ollama stream was cut off in the middle of a line; the reply is incomplete.');
      } else {
        this.fail(out, 'upstream_protocol_error', 'Ollama sent a stream line that is not valid JSON.');
      }
      return;
    }
    if (!isObject(value)) {
      this.fail(out, 'upstream_protocol_error', 'Ollama sent a stream line that is not a JSON object.');
      return;
    }
    if (value.error !== undefined) {
      const message = typeof value.error === 'string' ? value.error : JSON.stringify(value.error);
      this.tags.flush(out);
      this.fail(out, ollamaErrorCode(message), message);
      return;
    }
    if (this.phase === 'waiting') {
      out.push({ type: 'start', id: this.newId('response'), model: typeof value.model === 'string' ? value.model : '', created: this.created(value.created_at) });
      this.phase = 'streaming';
    }
    const message = value.message;
    if (message !== undefined && message !== null) {
      if (!isObject(message)) {
        this.fail(out, 'upstream_protocol_error', 'Ollama sent a stream line whose message is not an object.');
        return;
      }
      if (!this.handleMessage(message, out)) return;
    }
    if (value.done === true) this.finish(value, out);
    else if (this.templates && this.phase === 'streaming') this.template = learnLineTemplate(line, value) ?? this.template;
  }

  /** Returns false when the message was malformed (an error was emitted). */
  private handleMessage(message: Json, out: IRChunk[]): boolean {
    const thinking = message.thinking;
    if (typeof thinking === 'string' && thinking !== '') out.push({ type: 'reasoning', delta: thinking });
    const content = message.content;
    if (typeof content === 'string' && content !== '') this.tags.push(content, out);
    const calls = message.tool_calls;
    if (calls === undefined || calls === null) return true;
    if (!Array.isArray(calls)) {
      this.fail(out, 'upstream_protocol_error', 'Ollama sent tool_calls that are not an array.');
      return false;
    }
    if (calls.length > 0) this.tags.flush(out);
    for (const call of calls) {
      const fn: unknown = isObject(call) ? call.function : undefined;
      if (!isObject(fn) || typeof fn.name !== 'string' || fn.name === '') {
        this.fail(out, 'upstream_protocol_error', 'Ollama sent a tool call without a function name.');
        return false;
      }
      const args = fn.arguments;
      const upstreamId = isObject(call) ? call.id : undefined;
      out.push({
        type: 'tool_call',
        index: this.nextToolIndex++,
        id: typeof upstreamId === 'string' && upstreamId !== '' ? upstreamId : this.newId('tool_call'),
        name: fn.name,
        argumentsDelta: typeof args === 'string' ? args : JSON.stringify(args ?? {}),
      });
    }
    return true;
  }

  private finish(line: Json, out: IRChunk[]): void {
    this.tags.flush(out);
    const promptTokens = tokenCount(line.prompt_eval_count);
    const completionTokens = tokenCount(line.eval_count);
    out.push({ type: 'usage', usage: { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens } });
    let reason: IRFinishReason = 'stop';
    if (line.done_reason === 'length') reason = 'length';
    else if (this.nextToolIndex > 0) reason = 'tool_calls';
    out.push({ type: 'finish', reason });
    this.phase = 'done';
  }

  private fail(out: IRChunk[], code: string, message: string): void {
    out.push({ type: 'error', code, message });
    this.phase = 'failed';
  }

  private created(createdAt: unknown): number {
    const ms = typeof createdAt === 'string' ? Date.parse(createdAt) : Number.NaN;
    return Math.floor((Number.isNaN(ms) ? this.now() : ms) / 1000);
  }
}

/** Ollama omits counts that are zero. */
function tokenCount(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}
