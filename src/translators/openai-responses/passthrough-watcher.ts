import { sseData } from '../../framing/index.js';
import type { SseEvent } from '../../framing/index.js';
import type { IRChunk, IRUsage } from '../../ir/index.js';
import { isJsonObject } from '../../protocols/json.js';
import type { JsonObject, JsonValue } from '../../protocols/json.js';
import type { PassthroughStreamWatcher, PassthroughWatchOptions } from '../types.js';
import { usageFromResponses } from './decoder.js';
import { randomId } from './ids.js';
import type { NewId } from './ids.js';
import { outcomeOf, responseEcho, usageToResponses } from './output.js';
import { keepFlat } from '../shared/flat-text.js';

/*
 * Follows a Responses API stream relayed to the client untouched, so that the
 * gateway can end it in the protocol's own terms: `response.failed`, or every
 * open item done and `response.incomplete`. What it writes continues what the
 * client already has: the same response skeleton, the next sequence numbers,
 * and `.done` events only for the items and parts the upstream left open.
 * Its IR chunks are read the way ResponsesStreamDecoder reads the same events.
 */

export interface ResponsesWatcherDeps {
  /** Id of a response the gateway has to start itself (default: random, OpenAI style). */
  readonly newId?: NewId;
  /** Clock in milliseconds, for `created_at` of such a response. */
  readonly now?: () => number;
}

/** A content part (`output_text`, `refusal`, `reasoning_text`) or a summary part, still open. */
interface OpenPart {
  readonly index: number;
  /** The part as announced; its text member is filled in when it closes. */
  readonly part: JsonObject;
  text: string;
  /** Length of `text` when it was last flattened (see keepFlat). */
  flatLength: number;
  /** Its `*.done` text event was already relayed. */
  textDone: boolean;
}

interface WatchedItem {
  readonly id: string;
  readonly type: string;
  readonly outputIndex: number;
  /** The item as `response.output_item.added` announced it. */
  readonly added: JsonObject;
  /** The finished item, the upstream's or the watcher's. */
  done: JsonObject | undefined;
  /** Per slot: the parts already done, in order, and the one still open. */
  readonly parts: Record<Slot, JsonValue[]>;
  readonly open: Record<Slot, OpenPart | undefined>;
  /** Function call arguments or custom tool call input, and whether its `.done` event was relayed. */
  payload: string;
  /** Length of `payload` when it was last flattened (see keepFlat). */
  payloadFlatLength: number;
  payloadDone: boolean;
  /** IR tool-call index (-1 for items that are not calls); whether any payload went out as IR. */
  readonly call: number;
  payloadSent: boolean;
}

/** Where a part lives in its item: `content` (text, refusal, reasoning text) or `summary`. */
type Slot = 'content' | 'summary';
type Handler = (e: JsonObject, out: IRChunk[]) => void;

/** The event that finishes a part's text, by part type; any other part is output text. */
const TEXT_DONE: ReadonlyMap<string, string> = new Map([
  ['summary_text', 'response.reasoning_summary_text.done'],
  ['refusal', 'response.refusal.done'],
  ['reasoning_text', 'response.reasoning_text.done'],
]);

/** Separates reasoning parts joined into one IR text, as ResponsesStreamDecoder does. */
const PART_SEPARATOR = '\n\n';

const str = (value: JsonValue | undefined): string | undefined => (typeof value === 'string' ? value : undefined);
const int = (value: JsonValue | undefined): number | undefined => (typeof value === 'number' && Number.isInteger(value) ? value : undefined);
const indexKey = (slot: Slot): string => `${slot}_index`;

function parseObject(data: string): JsonObject | undefined {
  try {
    const parsed: unknown = JSON.parse(data);
    return isJsonObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function payloadField(type: string): 'arguments' | 'input' | undefined {
  if (type === 'function_call') return 'arguments';
  return type === 'custom_tool_call' ? 'input' : undefined;
}

/** A cut-short item is `incomplete`, for the item types whose status says so. */
function incomplete(item: JsonObject): JsonObject {
  return 'status' in item ? { ...item, status: 'incomplete' } : item;
}

/** A part announced by no `.added` event: the shape OpenAI gives it. */
function defaultPart(slot: Slot, itemType: string): JsonObject {
  if (slot === 'summary') return { type: 'summary_text', text: '' };
  return itemType === 'reasoning' ? { type: 'reasoning_text', text: '' } : { type: 'output_text', annotations: [], logprobs: [], text: '' };
}

export class ResponsesPassthroughWatcher implements PassthroughStreamWatcher {
  readonly holdsOutput = true;
  private readonly requestedModel: string;
  private readonly newId: NewId;
  private readonly now: () => number;
  /** The response object of the latest lifecycle event. */
  private skeleton: JsonObject | undefined;
  private created = false;
  /** A terminal event was relayed or written: nothing more is. */
  private closed = false;
  /** An IR error went out: the IR stream is over, though events are still followed. */
  private errorSent = false;
  private lastSequence = -1;
  private readonly items: WatchedItem[] = [];
  private readonly byId = new Map<string, WatchedItem>();
  private readonly byIndex = new Map<number, WatchedItem>();
  private callCount = 0;
  private reasoningKey: string | undefined;
  private out = '';

  /** Per event type; other events (hosted tool progress, for one) carry nothing the watcher needs. */
  private readonly handlers: ReadonlyMap<string, Handler> = new Map<string, Handler>([
    ['response.created', (e) => this.lifecycle(e, true)],
    ['response.in_progress', (e) => this.lifecycle(e, false)],
    ['response.queued', (e) => this.lifecycle(e, false)],
    ['response.output_item.added', (e, out) => isJsonObject(e['item']) && this.track(e['item'], e, out)],
    ['response.output_item.done', (e, out) => this.itemDone(e, out)],
    ['response.content_part.added', (e) => this.partAdded(e, 'content')],
    ['response.reasoning_summary_part.added', (e) => this.partAdded(e, 'summary')],
    ['response.content_part.done', (e) => this.partDone(e, 'content')],
    ['response.reasoning_summary_part.done', (e) => this.partDone(e, 'summary')],
    // A refusal is the model's answer; the IR has no channel of its own for it (as in the decoder).
    ['response.output_text.delta', (e, out) => this.delta(e, 'content', out, 'text')],
    ['response.refusal.delta', (e, out) => this.delta(e, 'content', out, 'text')],
    ['response.reasoning_text.delta', (e, out) => this.delta(e, 'content', out, 'reasoning')],
    ['response.reasoning_summary_text.delta', (e, out) => this.delta(e, 'summary', out, 'reasoning')],
    ['response.output_text.done', (e) => this.textDone(e, 'content', 'text')],
    ['response.reasoning_text.done', (e) => this.textDone(e, 'content', 'text')],
    ['response.refusal.done', (e) => this.textDone(e, 'content', 'refusal')],
    ['response.reasoning_summary_text.done', (e) => this.textDone(e, 'summary', 'text')],
    ['response.output_text.annotation.added', (e) => this.annotation(e)],
    ['response.function_call_arguments.delta', (e, out) => this.payloadDelta(e, out)],
    ['response.custom_tool_call_input.delta', (e, out) => this.payloadDelta(e, out)],
    ['response.function_call_arguments.done', (e, out) => this.payloadDone(e, e['arguments'], out)],
    ['response.custom_tool_call_input.done', (e, out) => this.payloadDone(e, e['input'], out)],
    ['response.completed', (e, out) => this.terminal(e, out, 'completed')],
    ['response.incomplete', (e, out) => this.terminal(e, out, 'incomplete')],
    ['response.failed', (e, out) => this.terminal(e, out, 'failed')],
    ['error', (e, out) => this.error(e, 'the upstream reported an error', out)],
  ]);

  constructor(options: PassthroughWatchOptions, deps: ResponsesWatcherDeps = {}) {
    this.requestedModel = options.requestedModel;
    this.newId = deps.newId ?? randomId;
    this.now = deps.now ?? Date.now;
  }

  event(event: SseEvent): IRChunk[] {
    if (this.closed) return [];
    const e = parseObject(event.data);
    if (e === undefined) return [];
    const seq = int(e['sequence_number']);
    if (seq !== undefined && seq > this.lastSequence) this.lastSequence = seq;
    const out: IRChunk[] = [];
    const silenced = this.errorSent;
    const type = str(e['type']) ?? event.event;
    if (type !== undefined) this.handlers.get(type)?.(e, out);
    // No type at all: a bare `{"error": {...}}` as Chat-style servers send it.
    else if (isJsonObject(e['error'])) this.error(e, 'the upstream reported an error', out);
    return silenced ? [] : out;
  }

  failure(code: string, message: string): string {
    if (this.closed) return '';
    this.closed = true;
    // Open items stay open: OpenAI ends a failed response that way.
    const base = this.ensureCreated();
    this.emit('response.failed', { response: { ...base, status: 'failed', error: { code, message }, incomplete_details: null, output: this.doneOutput(), usage: null } });
    return this.take();
  }

  closing(): string {
    // A Responses stream ends with its terminal event; there is nothing after it to add.
    return '';
  }

  earlyEnd(reason: 'length', usage: IRUsage | undefined): string {
    if (this.closed) return '';
    this.closed = true;
    const base = this.ensureCreated();
    for (const item of this.items) if (item.done === undefined) this.close(item);
    const { status, incompleteDetails } = outcomeOf(reason);
    const usageJson = usage === undefined ? null : usageToResponses(usage);
    this.emit('response.incomplete', { response: { ...base, status, error: null, incomplete_details: incompleteDetails, output: this.doneOutput(), usage: usageJson } });
    return this.take();
  }

  // ---- following the upstream

  private lifecycle(e: JsonObject, created: boolean): void {
    if (created) this.created = true;
    const response = e['response'];
    if (isJsonObject(response)) this.skeleton = response;
  }

  private find(e: JsonObject): WatchedItem | undefined {
    const id = str(e['item_id']);
    const index = int(e['output_index']);
    return (id === undefined ? undefined : this.byId.get(id)) ?? (index === undefined ? undefined : this.byIndex.get(index));
  }

  private track(item: JsonObject, e: JsonObject, out: IRChunk[]): WatchedItem {
    const type = str(item['type']) ?? '';
    const field = payloadField(type);
    const payload = (field === undefined ? undefined : str(item[field])) ?? '';
    const watched: WatchedItem = {
      id: str(item['id']) ?? '',
      type,
      outputIndex: int(e['output_index']) ?? this.items.length,
      added: item,
      done: undefined,
      parts: { content: [], summary: [] },
      open: { content: undefined, summary: undefined },
      payload,
      payloadFlatLength: 0,
      payloadDone: false,
      call: field === undefined ? -1 : this.callCount++,
      payloadSent: payload !== '',
    };
    this.items.push(watched);
    if (watched.id !== '') this.byId.set(watched.id, watched);
    this.byIndex.set(watched.outputIndex, watched);
    if (field !== undefined) {
      // The first IR chunk of a call names it; the item may already hold some of its payload.
      const id = str(item['call_id']);
      const name = str(item['name']);
      out.push({ type: 'tool_call', index: watched.call, ...(id ? { id } : {}), ...(name ? { name } : {}), argumentsDelta: payload });
    }
    return watched;
  }

  private itemDone(e: JsonObject, out: IRChunk[]): void {
    const item = e['item'];
    if (!isJsonObject(item)) return;
    const id = str(item['id']);
    const known = (id === undefined ? undefined : this.byId.get(id)) ?? this.find(e);
    // An item seen only when done (no `added`) is still part of the output, and a call still reaches the IR.
    const watched = known ?? this.track(item, e, out);
    const field = payloadField(watched.type);
    if (known !== undefined && field !== undefined) this.wholePayload(watched, item[field], out);
    watched.done = item;
  }

  private partAdded(e: JsonObject, slot: Slot): void {
    const item = this.find(e);
    const part = e['part'];
    if (item !== undefined && isJsonObject(part)) item.open[slot] = { index: int(e[indexKey(slot)]) ?? 0, part, text: '', flatLength: 0, textDone: false };
  }

  private partDone(e: JsonObject, slot: Slot): void {
    const item = this.find(e);
    const part = e['part'];
    if (item === undefined || !isJsonObject(part)) return;
    item.parts[slot].push(part);
    item.open[slot] = undefined;
  }

  /** The part an event names; text for a part never announced opens one, so that it is not lost. */
  private openPart(item: WatchedItem, e: JsonObject, slot: Slot): OpenPart {
    const open = item.open[slot] ?? { index: int(e[indexKey(slot)]) ?? 0, part: defaultPart(slot, item.type), text: '', flatLength: 0, textDone: false };
    item.open[slot] = open;
    return open;
  }

  private delta(e: JsonObject, slot: Slot, out: IRChunk[], kind: 'text' | 'reasoning'): void {
    const delta = e['delta'];
    if (typeof delta !== 'string' || delta === '') return;
    const item = this.find(e);
    if (item !== undefined) {
      const part = this.openPart(item, e, slot);
      part.text += delta;
      part.flatLength = keepFlat(part.text, part.flatLength);
    }
    if (kind === 'text') {
      out.push({ type: 'text', delta });
      return;
    }
    const key = `${slot} ${str(e['item_id']) ?? ''} ${int(e[indexKey(slot)]) ?? 0}`;
    const separate = this.reasoningKey !== undefined && key !== this.reasoningKey;
    this.reasoningKey = key;
    out.push({ type: 'reasoning', delta: separate ? PART_SEPARATOR + delta : delta });
  }

  private textDone(e: JsonObject, slot: Slot, field: string): void {
    const item = this.find(e);
    const text = e[field];
    if (item === undefined || typeof text !== 'string') return;
    const part = this.openPart(item, e, slot);
    part.text = text;
    part.textDone = true;
  }

  private annotation(e: JsonObject): void {
    const annotations = this.find(e)?.open.content?.part['annotations'];
    const annotation = e['annotation'];
    if (Array.isArray(annotations) && annotation !== undefined) annotations.push(annotation);
  }

  private payloadDelta(e: JsonObject, out: IRChunk[]): void {
    const delta = e['delta'];
    const item = this.find(e);
    if (typeof delta !== 'string' || delta === '' || item === undefined || item.call < 0) return;
    item.payload += delta;
    item.payloadFlatLength = keepFlat(item.payload, item.payloadFlatLength);
    item.payloadSent = true;
    out.push({ type: 'tool_call', index: item.call, argumentsDelta: delta });
  }

  private payloadDone(e: JsonObject, value: JsonValue | undefined, out: IRChunk[]): void {
    const item = this.find(e);
    if (item === undefined || item.call < 0) return;
    this.wholePayload(item, value, out);
    item.payloadDone = true;
  }

  /** Whole arguments or input at the end of a call: IR only when no delta carried them. */
  private wholePayload(item: WatchedItem, value: JsonValue | undefined, out: IRChunk[]): void {
    if (typeof value !== 'string') return;
    item.payload = value;
    if (item.payloadSent || value === '') return;
    item.payloadSent = true;
    out.push({ type: 'tool_call', index: item.call, argumentsDelta: value });
  }

  private terminal(e: JsonObject, out: IRChunk[], status: 'completed' | 'incomplete' | 'failed'): void {
    this.closed = true;
    const response = isJsonObject(e['response']) ? e['response'] : {};
    if (status === 'failed') {
      const error = response['error'];
      this.error(isJsonObject(error) ? error : {}, 'the upstream reported that the response failed', out);
      return;
    }
    const usage = response['usage'];
    if (isJsonObject(usage)) out.push({ type: 'usage', usage: usageFromResponses(usage) });
    const details = response['incomplete_details'];
    if (status === 'completed') out.push({ type: 'finish', reason: this.callCount > 0 ? 'tool_calls' : 'stop' });
    else out.push({ type: 'finish', reason: isJsonObject(details) && details['reason'] === 'content_filter' ? 'content_filter' : 'length' });
  }

  /** `code` and `message` sit on the `error` event itself or nested in its `error` (both are seen). */
  private error(e: JsonObject, fallback: string, out: IRChunk[]): void {
    if (this.errorSent) return;
    this.errorSent = true;
    const nested = e['error'];
    const error = isJsonObject(nested) ? nested : e;
    out.push({ type: 'error', code: str(error['code']) || 'upstream_error', message: str(error['message']) || fallback });
  }

  // ---- ending the stream

  private take(): string {
    const out = this.out;
    this.out = '';
    return out;
  }

  private emit(type: string, members: JsonObject): void {
    this.out += sseData(JSON.stringify({ type, sequence_number: ++this.lastSequence, ...members }), type);
  }

  /** The response skeleton; a stream that never started gets `response.created` and `response.in_progress` first. */
  private ensureCreated(): JsonObject {
    const base = this.skeleton ?? {
      id: this.newId('resp_'),
      object: 'response',
      created_at: Math.floor(this.now() / 1000),
      status: 'in_progress',
      error: null,
      incomplete_details: null,
      model: this.requestedModel,
      output: [],
      usage: null,
      ...responseEcho(undefined),
    };
    if (!this.created) {
      this.created = true;
      const response = { ...base, status: 'in_progress', output: [], usage: null };
      this.emit('response.created', { response });
      this.emit('response.in_progress', { response });
    }
    return base;
  }

  private doneOutput(): JsonValue[] {
    const output: JsonValue[] = [];
    for (const item of this.items) if (item.done !== undefined) output.push(item.done);
    return output;
  }

  /** Finishes an open item with the events OpenAI sends when an item ends. */
  private close(item: WatchedItem): void {
    const ref = { item_id: item.id, output_index: item.outputIndex };
    const field = payloadField(item.type);
    if (item.type === 'message' || item.type === 'reasoning') {
      this.closePart(item, ref, 'summary');
      this.closePart(item, ref, 'content');
      const { content, summary } = item.parts;
      const done: JsonObject = item.type === 'message' ? { ...item.added, content } : { ...item.added, summary };
      if (item.type === 'reasoning' && content.length > 0) done['content'] = content;
      item.done = incomplete(done);
    } else if (field !== undefined) {
      const name = str(item.added['name']);
      const members = field === 'arguments' ? { ...ref, ...(name ? { name } : {}), arguments: item.payload } : { ...ref, input: item.payload };
      // Unless the upstream relayed it already, the payload's own `.done` event comes first.
      if (!item.payloadDone) this.emit(field === 'arguments' ? 'response.function_call_arguments.done' : 'response.custom_tool_call_input.done', members);
      item.done = incomplete({ ...item.added, [field]: item.payload });
    } else {
      item.done = item.added;
    }
    this.emit('response.output_item.done', { output_index: item.outputIndex, item: item.done });
  }

  private closePart(item: WatchedItem, ref: JsonObject, slot: Slot): void {
    const open = item.open[slot];
    if (open === undefined) return;
    item.open[slot] = undefined;
    const kind = slot === 'summary' ? 'summary_text' : str(open.part['type']);
    const field = kind === 'refusal' ? 'refusal' : 'text';
    const part = { ...open.part, [field]: open.text };
    const at = { ...ref, [indexKey(slot)]: open.index };
    const textDone = TEXT_DONE.get(kind ?? '');
    if (!open.textDone) this.emit(textDone ?? 'response.output_text.done', { ...at, [field]: open.text, ...(textDone === undefined ? { logprobs: [] } : {}) });
    this.emit(slot === 'content' ? 'response.content_part.done' : 'response.reasoning_summary_part.done', { ...at, part });
    item.parts[slot].push(part);
  }
}
