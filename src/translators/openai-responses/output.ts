import type { IRChunk, IRFinishReason, IRRequest, IRToolOrigin, IRUsage } from '../../ir/index.js';
import type { JsonObject } from '../../protocols/json.js';
import type { NewId } from './ids.js';
import { mintReasoningState } from './reasoning-state.js';
import { keepFlat } from '../shared/flat-text.js';

/**
 * The output items of one response, shared by the stream encoder and the
 * accumulator so both cut the IR chunks into the same items: reasoning, then
 * a message, then one item per tool call (parallel calls may be open at the
 * same time). A new kind of content closes the reasoning or message item
 * before it; tool calls stay open until the response finishes.
 */

export type ItemKind = 'message' | 'reasoning' | 'function_call' | 'custom_tool_call';
export type ItemStatus = 'completed' | 'incomplete';

export interface OutputItem {
  readonly kind: ItemKind;
  readonly id: string;
  readonly index: number;
  /** Text, reasoning or argument text received so far. */
  text: string;
  /** Length of `text` when it was last flattened (see keepFlat). */
  flatLength: number;
  /** Tool calls: the client's name, namespace and call id. */
  name: string;
  namespace: string | undefined;
  callId: string;
  /** Custom tool calls: the raw input, known once the arguments are complete. */
  input: string;
  /** The finished item, once closed. */
  done: JsonObject | undefined;
  /** For the stream encoder: the `,"item_id":…,"output_index":…` members and the done item as JSON. */
  ref: string;
  json: string;
}

/** Told about every step, in order; the stream encoder turns the steps into events. */
export interface OutputSink {
  opened(item: OutputItem): void;
  delta(item: OutputItem, delta: string): void;
  closed(item: OutputItem): void;
}

/** The client's own name for every tool whose IR name was rewritten (namespaces, custom tools). */
export function toolOrigins(request: IRRequest | undefined): ReadonlyMap<string, IRToolOrigin> {
  const origins = new Map<string, IRToolOrigin>();
  for (const tool of request?.tools ?? []) if (tool.origin) origins.set(tool.name, tool.origin);
  return origins;
}

/** The `input` of a custom tool's arguments (`{"input": "..."}`), or the raw text when the model wrote something else. */
export function customToolInput(args: string): string {
  try {
    const parsed: unknown = JSON.parse(args);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      const input = (parsed as { input?: unknown }).input;
      if (typeof input === 'string') return input;
    }
  } catch {
    // Not JSON: the model wrote the input itself.
  }
  return args;
}

/** Appends a delta to an item's text, keeping it compact (see keepFlat). */
function append(item: OutputItem, delta: string): void {
  item.text += delta;
  item.flatLength = keepFlat(item.text, item.flatLength);
}

const ID_PREFIX: Record<ItemKind, string> = { message: 'msg_', reasoning: 'rs_', function_call: 'fc_', custom_tool_call: 'ctc_' };

export class OutputTracker {
  readonly items: OutputItem[] = [];
  private message: OutputItem | undefined;
  private reasoning: OutputItem | undefined;
  /** Open tool calls by IR index. */
  private readonly calls = new Map<number, OutputItem>();

  constructor(
    private readonly newId: NewId,
    private readonly origins: ReadonlyMap<string, IRToolOrigin>,
    private readonly sink: OutputSink | undefined,
  ) {}

  text(delta: string): void {
    if (delta === '') return;
    let item = this.message;
    if (item === undefined) {
      this.closeReasoning();
      item = this.message = this.open('message');
    }
    append(item, delta);
    this.sink?.delta(item, delta);
  }

  reasoningDelta(delta: string): void {
    if (delta === '') return;
    let item = this.reasoning;
    if (item === undefined) {
      this.closeMessage();
      item = this.reasoning = this.open('reasoning');
    }
    append(item, delta);
    this.sink?.delta(item, delta);
  }

  toolCall(chunk: Extract<IRChunk, { type: 'tool_call' }>): void {
    let item = this.calls.get(chunk.index);
    if (item === undefined) {
      this.closeMessage();
      this.closeReasoning();
      const origin = chunk.name === undefined ? undefined : this.origins.get(chunk.name);
      item = this.open(origin?.kind === 'custom' ? 'custom_tool_call' : 'function_call');
      item.name = origin ? origin.name : (chunk.name ?? '');
      item.namespace = origin?.namespace;
      item.callId = chunk.id !== undefined && chunk.id !== '' ? chunk.id : this.newId('call_');
      this.calls.set(chunk.index, item);
      this.sink?.opened(item);
    } else if (item.name === '' && chunk.name !== undefined) {
      item.name = this.origins.get(chunk.name)?.name ?? chunk.name;
    }
    if (chunk.argumentsDelta === '') return;
    append(item, chunk.argumentsDelta);
    // A custom tool's input is known only when its JSON arguments are complete.
    if (item.kind === 'function_call') this.sink?.delta(item, chunk.argumentsDelta);
  }

  /** Closes every open item, in output order. */
  closeAll(status: ItemStatus): void {
    for (const item of this.items) if (item.done === undefined) this.close(item, status);
    this.message = undefined;
    this.reasoning = undefined;
    this.calls.clear();
  }

  /** The finished items, in output order. */
  doneItems(): JsonObject[] {
    const out: JsonObject[] = [];
    for (const item of this.items) if (item.done) out.push(item.done);
    return out;
  }

  /** An open item as it stands (for a snapshot of a response in progress). */
  partial(item: OutputItem): JsonObject {
    switch (item.kind) {
      case 'message':
        return { type: 'message', id: item.id, status: 'in_progress', role: 'assistant', content: [outputText(item.text)] };
      case 'reasoning':
        return { type: 'reasoning', id: item.id, summary: [{ type: 'summary_text', text: item.text }] };
      case 'function_call':
        return this.call(item, 'in_progress', item.text);
      case 'custom_tool_call':
        return this.call(item, 'in_progress', '');
    }
  }

  /** An item as `response.output_item.added` announces it. */
  added(item: OutputItem): JsonObject {
    switch (item.kind) {
      case 'message':
        return { type: 'message', id: item.id, status: 'in_progress', role: 'assistant', content: [] };
      case 'reasoning':
        return { type: 'reasoning', id: item.id, summary: [] };
      case 'function_call':
      case 'custom_tool_call':
        return this.call(item, 'in_progress', '');
    }
  }

  private call(item: OutputItem, status: 'in_progress' | ItemStatus, payload: string): JsonObject {
    const out: JsonObject = { type: item.kind, id: item.id, status, call_id: item.callId, name: item.name };
    if (item.namespace !== undefined) out['namespace'] = item.namespace;
    if (item.kind === 'function_call') out['arguments'] = payload;
    else out['input'] = payload;
    return out;
  }

  private open(kind: ItemKind): OutputItem {
    const item: OutputItem = {
      kind,
      id: this.newId(ID_PREFIX[kind]),
      index: this.items.length,
      text: '',
      flatLength: 0,
      name: '',
      namespace: undefined,
      callId: '',
      input: '',
      done: undefined,
      ref: '',
      json: '',
    };
    this.items.push(item);
    // Tool calls announce themselves once their name and call id are set.
    if (kind === 'message' || kind === 'reasoning') this.sink?.opened(item);
    return item;
  }

  private closeMessage(): void {
    if (this.message === undefined) return;
    this.close(this.message, 'completed');
    this.message = undefined;
  }

  private closeReasoning(): void {
    if (this.reasoning === undefined) return;
    this.close(this.reasoning, 'completed');
    this.reasoning = undefined;
  }

  private close(item: OutputItem, status: ItemStatus): void {
    switch (item.kind) {
      case 'message':
        item.done = { type: 'message', id: item.id, status, role: 'assistant', content: [outputText(item.text)] };
        break;
      case 'reasoning':
        // Shown by Codex as the summary; kept raw as content; minted into
        // encrypted_content so it comes back on the next request.
        item.done = {
          type: 'reasoning',
          id: item.id,
          summary: [{ type: 'summary_text', text: item.text }],
          content: [{ type: 'reasoning_text', text: item.text }],
          encrypted_content: mintReasoningState(item.text),
        };
        break;
      case 'function_call':
        item.done = this.call(item, status, item.text);
        break;
      case 'custom_tool_call':
        item.input = customToolInput(item.text);
        item.done = this.call(item, status, item.input);
        break;
    }
    this.sink?.closed(item);
  }
}

function outputText(text: string): JsonObject {
  return { type: 'output_text', text, annotations: [], logprobs: [] };
}

function count(value: number | undefined): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? Math.round(value) : 0;
}

/** Usage as Codex parses it: every count an integer, both details objects present. */
export function usageToResponses(usage: IRUsage | undefined): JsonObject {
  const input = count(usage?.promptTokens);
  const output = count(usage?.completionTokens);
  const total = usage?.totalTokens !== undefined && Number.isFinite(usage.totalTokens) ? count(usage.totalTokens) : input + output;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: count(usage?.cachedPromptTokens) },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: count(usage?.reasoningTokens) },
    total_tokens: total,
  };
}

export interface Outcome {
  readonly status: 'completed' | 'incomplete';
  readonly incompleteDetails: JsonObject | null;
}

/** A token ceiling and a content filter end a response as incomplete; anything else completes it. */
export function outcomeOf(reason: IRFinishReason | undefined): Outcome {
  if (reason === 'length') return { status: 'incomplete', incompleteDetails: { reason: 'max_output_tokens' } };
  if (reason === 'content_filter') return { status: 'incomplete', incompleteDetails: { reason: 'content_filter' } };
  return { status: 'completed', incompleteDetails: null };
}

/**
 * The request fields a response object repeats, from the client's body, with
 * the API's defaults for those it left out. `store` is false whatever was
 * asked: translated routes keep nothing.
 */
export function responseEcho(body: Readonly<JsonObject> | undefined): JsonObject {
  const pick = (key: string, fallback: JsonObject[string]): JsonObject[string] => {
    const value = body?.[key];
    return value === undefined ? fallback : value;
  };
  return {
    instructions: pick('instructions', null),
    max_output_tokens: pick('max_output_tokens', null),
    metadata: pick('metadata', {}),
    parallel_tool_calls: pick('parallel_tool_calls', true),
    previous_response_id: null,
    reasoning: pick('reasoning', { effort: null, summary: null }),
    store: false,
    temperature: pick('temperature', 1),
    text: pick('text', { format: { type: 'text' } }),
    tool_choice: pick('tool_choice', 'auto'),
    tools: pick('tools', []),
    top_p: pick('top_p', 1),
    truncation: pick('truncation', 'disabled'),
  };
}
