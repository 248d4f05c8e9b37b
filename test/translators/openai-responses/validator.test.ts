import { describe, expect, it } from 'vitest';
import { ResponsesStreamValidator, validateResponsesSse } from '../../../src/translators/openai-responses/index.js';
import type { ResponsesEvent } from './helpers.js';
import { encodeToText, parseEvents } from './helpers.js';

/** A valid stream: a message, then a function call, completed with usage. */
function validEvents(): ResponsesEvent[] {
  return parseEvents(
    encodeToText([
      { type: 'start', id: 'x', model: 'up', created: 1 },
      { type: 'text', delta: 'Hi' },
      { type: 'tool_call', index: 0, id: 'call_1', name: 'f', argumentsDelta: '{}' },
      { type: 'finish', reason: 'tool_calls' },
      { type: 'usage', usage: { promptTokens: 1, completionTokens: 2, totalTokens: 3 } },
    ]),
  );
}

function check(events: readonly unknown[]): string[] {
  const validator = new ResponsesStreamValidator();
  for (const event of events) validator.push(event);
  validator.end();
  return validator.violations;
}

function indexOf(events: readonly ResponsesEvent[], type: string, nth = 0): number {
  let seen = 0;
  for (let i = 0; i < events.length; i++) {
    if (events[i]?.type === type && seen++ === nth) return i;
  }
  throw new Error(`no ${type} #${nth}`);
}

function without(events: readonly ResponsesEvent[], at: number): ResponsesEvent[] {
  return events.filter((_, i) => i !== at);
}

function edited(events: readonly ResponsesEvent[], at: number, change: (e: ResponsesEvent) => ResponsesEvent): ResponsesEvent[] {
  return events.map((e, i) => (i === at ? change(structuredClone(e)) : e));
}

function terminal(events: readonly ResponsesEvent[]): ResponsesEvent {
  const last = events[events.length - 1];
  if (!last) throw new Error('empty');
  return last;
}

describe('ResponsesStreamValidator', () => {
  const base = validEvents();

  it('accepts a valid stream, also without sequence numbers', () => {
    expect(check(base)).toEqual([]);
    expect(check(base.map(({ sequence_number: _s, ...rest }) => rest))).toEqual([]);
  });

  it('requires objects with a string type', () => {
    expect(check([base[0], 'text', ...base.slice(1)])).toEqual(['event 1 is not an object with a string type']);
    expect(check([base[0], { type: 7 }, ...base.slice(1)])[0]).toMatch(/not an object with a string type/);
  });

  it('requires response.created first, once, with a response', () => {
    expect(check(base.slice(1))[0]).toMatch(/comes before response.created/);
    const created = base[0];
    expect(check([created, { ...created, sequence_number: undefined }, ...base.slice(1)])).toEqual(['event 1 (response.created) is a second response.created']);
    expect(check([{ type: 'response.created' }, ...base.slice(1)])[0]).toMatch(/has no response object/);
  });

  it('requires items to be added, at the next output index, before anything names them', () => {
    const added = indexOf(base, 'response.output_item.added');
    expect(check(without(base, added)).join('\n')).toMatch(/names (item "msg_2"|output_index 0), which no response.output_item.added announced/);
    expect(check(edited(base, added, (e) => ({ ...e, output_index: 3 })))[0]).toMatch(/output_index 3 is not the next index \(0\)/);
    const second = indexOf(base, 'response.output_item.added', 1);
    expect(check(edited(base, second, (e) => ({ ...e, item: { ...(e['item'] as object), id: 'msg_2' }, output_index: 1 })))[0]).toMatch(/already added/);
    expect(check(edited(base, added, (e) => ({ ...e, item: { type: 'message' } })))[0]).toMatch(/item.id must be a non-empty string/);
  });

  it('rejects an event whose item_id and output_index name different items', () => {
    const delta = indexOf(base, 'response.function_call_arguments.delta');
    expect(check(edited(base, delta, (e) => ({ ...e, output_index: 0 })))[0]).toMatch(/name different items/);
  });

  it('allows deltas only for open items', () => {
    const done = indexOf(base, 'response.output_item.done');
    const late = { ...base[indexOf(base, 'response.output_text.delta')], sequence_number: undefined };
    const events: unknown[] = [...base.slice(0, done + 1), late, ...base.slice(done + 1)];
    expect(check(events)).toEqual([`event ${done + 1} (response.output_text.delta) names item msg_2, which is already done`]);
  });

  it('requires exactly one output_item.done per item, before a completed end', () => {
    const done = indexOf(base, 'response.output_item.done');
    expect(check(without(base, done))).toEqual([
      `event ${base.length - 2} (response.completed): item msg_2 (output_index 0) was added but never done`,
    ]);
    const twice: unknown[] = [...base.slice(0, done + 1), { ...base[done], sequence_number: undefined }, ...base.slice(done + 1)];
    expect(check(twice)[0]).toMatch(/done a second time/);
  });

  it('requires the done item to be of the type that was added', () => {
    const done = indexOf(base, 'response.output_item.done');
    expect(check(edited(base, done, (e) => ({ ...e, item: { ...(e['item'] as object), type: 'reasoning' } })))).toEqual([
      `event ${done} (response.output_item.done): item msg_2 was added as message but is done as "reasoning"`,
    ]);
  });

  it('lets a failed response leave items open', () => {
    const cut = base.slice(0, indexOf(base, 'response.output_text.delta') + 1);
    const failed = { type: 'response.failed', sequence_number: 99, response: { id: 'r', status: 'failed', error: { code: 'upstream_error', message: 'x' } } };
    expect(check([...cut, failed])).toEqual([]);
  });

  it('requires exactly one terminal event, with nothing after it', () => {
    expect(check(base.slice(0, -1))).toEqual(['the stream ended without a terminal event (response.completed, response.incomplete or response.failed)']);
    expect(check([...base, { ...terminal(base), sequence_number: 1000 }])[0]).toMatch(/comes after the terminal event response.completed/);
    expect(check([...base, { type: 'response.in_progress', sequence_number: 1000, response: {} }])[0]).toMatch(/comes after the terminal event/);
    expect(check([])).toEqual(['the stream has no events']);
  });

  it('requires strictly increasing integer sequence numbers', () => {
    expect(check(edited(base, 3, (e) => ({ ...e, sequence_number: 2 })))[0]).toMatch(/sequence_number 2 does not increase \(previous 2\)/);
    expect(check(edited(base, 3, (e) => ({ ...e, sequence_number: 'x' })))[0]).toMatch(/sequence_number must be an integer/);
  });

  it('requires response.completed to carry an id and integer usage with both details', () => {
    const last = base.length - 1;
    const response = (e: ResponsesEvent): Record<string, unknown> => e['response'] as Record<string, unknown>;
    expect(check(edited(base, last, (e) => ({ ...e, response: { ...response(e), id: '' } }))).join()).toMatch(/response.id must be a non-empty string/);
    expect(check(edited(base, last, (e) => ({ ...e, response: { ...response(e), usage: null } })))).toEqual([
      `event ${last} (response.completed): response.usage is missing`,
    ]);
    const usage = { input_tokens: 1.5, input_tokens_details: {}, output_tokens: 2, total_tokens: 3 };
    expect(check(edited(base, last, (e) => ({ ...e, response: { ...response(e), usage } })))).toEqual([
      `event ${last} (response.completed): usage.input_tokens must be a non-negative integer`,
      `event ${last} (response.completed): usage.input_tokens_details.cached_tokens must be a non-negative integer`,
      `event ${last} (response.completed): usage.output_tokens_details.reasoning_tokens must be a non-negative integer`,
    ]);
    expect(check(edited(base, last, (e) => ({ ...e, response: 'x' })))[0]).toMatch(/has no response object/);
  });

  it('requires function calls to be done with a call_id and string arguments', () => {
    const done = indexOf(base, 'response.output_item.done', 1);
    const item = (e: ResponsesEvent): Record<string, unknown> => e['item'] as Record<string, unknown>;
    expect(check(edited(base, done, (e) => ({ ...e, item: { ...item(e), call_id: undefined } })))).toEqual([
      `event ${done} (response.output_item.done): the function_call item has no call_id`,
    ]);
    expect(check(edited(base, done, (e) => ({ ...e, item: { ...item(e), arguments: {} } })))).toEqual([
      `event ${done} (response.output_item.done): the function_call item's arguments must be a string`,
    ]);
  });

  it('validates SSE text: JSON data, event names matching the type', () => {
    const text = encodeToText([{ type: 'start', id: 'x', model: 'up', created: 1 }, { type: 'text', delta: 'Hi' }, { type: 'finish', reason: 'stop' }]);
    expect(validateResponsesSse(text)).toEqual([]);
    expect(validateResponsesSse(`${text}data: [DONE]\n\n`)).toEqual([expect.stringMatching(/data is not JSON/)]);
    expect(validateResponsesSse(text.replace('event: response.in_progress', 'event: response.progress'))).toEqual([expect.stringMatching(/event field response.progress differs/)]);
    expect(validateResponsesSse(text.slice(0, text.indexOf('event: response.completed')))).toEqual([
      'the stream ended without a terminal event (response.completed, response.incomplete or response.failed)',
    ]);
  });

  it('keeps at most 100 violations', () => {
    const validator = new ResponsesStreamValidator();
    for (let i = 0; i < 500; i++) validator.push(null);
    expect(validator.violations).toHaveLength(100);
  });
});
