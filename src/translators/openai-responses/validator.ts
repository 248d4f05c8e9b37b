import { SseParser } from '../../framing/index.js';

/**
 * Checks a Responses API event stream against the rules its clients depend
 * on (Codex CLI and the `openai` SDK's stream accumulator): `response.created`
 * first; items announced by `response.output_item.added` at the next output
 * index before anything names them; deltas only for open items; one
 * `response.output_item.done` per item, before a completed or incomplete
 * end; exactly one terminal event, last; increasing sequence numbers; a
 * completed response with an id and integer usage; tool calls done with a
 * `call_id` and string arguments or input.
 *
 * Pure and cheap (a few fields per item, nothing per delta beyond lookups),
 * so it can run on live traffic behind a debug flag.
 */

const TERMINAL: ReadonlySet<string> = new Set(['response.completed', 'response.incomplete', 'response.failed']);
/** Lifecycle events: they carry a response object, not an item reference. */
const LIFECYCLE: ReadonlySet<string> = new Set([...TERMINAL, 'response.created', 'response.in_progress', 'response.queued']);
/** Violations kept at most; a broken stream tends to repeat the same one. */
const MAX_VIOLATIONS = 100;

type Obj = Record<string, unknown>;

function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

interface ItemState {
  readonly id: string;
  readonly index: number;
  readonly type: string;
  done: boolean;
}

export class ResponsesStreamValidator {
  readonly violations: string[] = [];
  private count = 0;
  private created = false;
  private terminal: string | undefined;
  private lastSequence = -1;
  private readonly byId = new Map<string, ItemState>();
  private readonly byIndex: ItemState[] = [];
  private ended = false;

  push(event: unknown): void {
    const n = this.count++;
    if (!isObject(event) || typeof event['type'] !== 'string') {
      this.violate(`event ${n} is not an object with a string type`);
      return;
    }
    const type = event['type'];
    const where = `event ${n} (${type})`;
    if (this.terminal !== undefined) {
      this.violate(`${where} comes after the terminal event ${this.terminal}`);
      return;
    }
    this.sequence(event, where);
    if (!this.created) {
      if (type !== 'response.created') this.violate(`${where} comes before response.created, which must be the first event`);
      else if (!isObject(event['response'])) this.violate(`${where} has no response object`);
      this.created = true;
      if (type === 'response.created') return;
    } else if (type === 'response.created') {
      this.violate(`${where} is a second response.created`);
      return;
    }
    if (type === 'response.output_item.added') this.added(event, where);
    else if (type === 'response.output_item.done') this.itemDone(event, where);
    else if (TERMINAL.has(type)) this.terminalEvent(event, type, where);
    else if (!LIFECYCLE.has(type)) this.reference(event, where);
  }

  /** The stream is over: it must have ended with a terminal event. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.count === 0) this.violate('the stream has no events');
    else if (this.terminal === undefined) this.violate('the stream ended without a terminal event (response.completed, response.incomplete or response.failed)');
  }

  private terminalEvent(event: Obj, type: string, where: string): void {
    this.terminal = type;
    const response = event['response'];
    if (!isObject(response)) {
      this.violate(`${where} has no response object`);
      return;
    }
    if (type !== 'response.failed') {
      for (const item of this.byIndex) {
        if (!item.done) this.violate(`${where}: item ${item.id} (output_index ${item.index}) was added but never done`);
      }
    }
    if (type === 'response.completed') {
      if (typeof response['id'] !== 'string' || response['id'] === '') this.violate(`${where}: response.id must be a non-empty string`);
      this.usage(response['usage'], where, true);
    } else if (type === 'response.incomplete') {
      this.usage(response['usage'], where, false);
    }
  }

  private violate(message: string): void {
    if (this.violations.length < MAX_VIOLATIONS) this.violations.push(message);
  }

  private sequence(event: Obj, where: string): void {
    const seq = event['sequence_number'];
    if (seq === undefined) return;
    if (typeof seq !== 'number' || !Number.isInteger(seq)) {
      this.violate(`${where}: sequence_number must be an integer`);
      return;
    }
    if (seq <= this.lastSequence) this.violate(`${where}: sequence_number ${seq} does not increase (previous ${this.lastSequence})`);
    this.lastSequence = seq;
  }

  private added(event: Obj, where: string): void {
    const index = event['output_index'];
    const item = event['item'];
    if (!isObject(item) || typeof item['type'] !== 'string') {
      this.violate(`${where} has no item with a type`);
      return;
    }
    const id = item['id'];
    if (typeof id !== 'string' || id === '') {
      this.violate(`${where}: item.id must be a non-empty string`);
      return;
    }
    if (index !== this.byIndex.length) {
      this.violate(`${where}: output_index ${JSON.stringify(index ?? null)} is not the next index (${this.byIndex.length})`);
      return;
    }
    if (this.byId.has(id)) {
      this.violate(`${where}: item ${id} was already added`);
      return;
    }
    const state: ItemState = { id, index, type: item['type'], done: false };
    this.byId.set(id, state);
    this.byIndex.push(state);
  }

  private itemDone(event: Obj, where: string): void {
    const item = event['item'];
    if (!isObject(item)) {
      this.violate(`${where} has no item`);
      return;
    }
    const state = this.lookup(event['output_index'], item['id'], where);
    if (state === undefined) return;
    if (state.done) {
      this.violate(`${where}: item ${state.id} is done a second time`);
      return;
    }
    state.done = true;
    const type = item['type'];
    if (type !== state.type) this.violate(`${where}: item ${state.id} was added as ${state.type} but is done as ${JSON.stringify(type ?? null)}`);
    if (type === 'function_call' || type === 'custom_tool_call') {
      if (typeof item['call_id'] !== 'string' || item['call_id'] === '') this.violate(`${where}: the ${type} item has no call_id`);
      const payload = type === 'function_call' ? 'arguments' : 'input';
      if (typeof item[payload] !== 'string') this.violate(`${where}: the ${type} item's ${payload} must be a string`);
      if (typeof item['name'] !== 'string' || item['name'] === '') this.violate(`${where}: the ${type} item has no name`);
    }
  }

  /** Any other event naming an item: the item must be open. */
  private reference(event: Obj, where: string): void {
    const itemId = event['item_id'];
    const index = event['output_index'];
    if (itemId === undefined && index === undefined) return;
    const state = this.lookup(index, itemId, where);
    if (state !== undefined && state.done) this.violate(`${where} names item ${state.id}, which is already done`);
  }

  /** The item an event names by output_index and/or id; both must agree when both are given. */
  private lookup(index: unknown, id: unknown, where: string): ItemState | undefined {
    let state: ItemState | undefined;
    if (index !== undefined) {
      state = typeof index === 'number' ? this.byIndex[index] : undefined;
      if (state === undefined) {
        this.violate(`${where} names output_index ${JSON.stringify(index)}, which no response.output_item.added announced`);
        return undefined;
      }
    }
    if (id !== undefined) {
      const byId = typeof id === 'string' ? this.byId.get(id) : undefined;
      if (byId === undefined) {
        this.violate(`${where} names item ${JSON.stringify(id)}, which no response.output_item.added announced`);
        return undefined;
      }
      if (state !== undefined && state !== byId) {
        this.violate(`${where}: item_id ${byId.id} and output_index ${state.index} name different items`);
        return undefined;
      }
      state = byId;
    }
    return state;
  }

  private usage(usage: unknown, where: string, required: boolean): void {
    if (usage === undefined || usage === null) {
      if (required) this.violate(`${where}: response.usage is missing`);
      return;
    }
    if (!isObject(usage)) {
      this.violate(`${where}: response.usage must be an object`);
      return;
    }
    for (const key of ['input_tokens', 'output_tokens', 'total_tokens']) {
      if (!isCount(usage[key])) this.violate(`${where}: usage.${key} must be a non-negative integer`);
    }
    const input = usage['input_tokens_details'];
    if (!isObject(input) || !isCount(input['cached_tokens'])) this.violate(`${where}: usage.input_tokens_details.cached_tokens must be a non-negative integer`);
    const output = usage['output_tokens_details'];
    if (!isObject(output) || !isCount(output['reasoning_tokens'])) this.violate(`${where}: usage.output_tokens_details.reasoning_tokens must be a non-negative integer`);
  }
}

/**
 * Validates a whole Responses SSE body. Besides the event rules, every data
 * line must be JSON, and an `event:` field, when present, must match the
 * data's `type`.
 */
export function validateResponsesSse(text: string): string[] {
  const parser = new SseParser();
  const validator = new ResponsesStreamValidator();
  const framing: string[] = [];
  const events = parser.push(text);
  for (const e of parser.end()) events.push(e);
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    if (e === undefined) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(e.data);
    } catch {
      framing.push(`event ${i}: data is not JSON (${e.data.slice(0, 40)})`);
      continue;
    }
    if (e.event !== undefined && isObject(parsed) && parsed['type'] !== e.event) {
      framing.push(`event ${i}: the event field ${e.event} differs from the data's type ${JSON.stringify(parsed['type'] ?? null)}`);
    }
    validator.push(parsed);
  }
  validator.end();
  return [...framing, ...validator.violations];
}
