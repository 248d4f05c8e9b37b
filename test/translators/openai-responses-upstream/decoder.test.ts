import { describe, expect, it } from 'vitest';
import type { IRChunk } from '../../../src/ir/index.js';
import { ResponsesStreamDecoder, usageFromResponses } from '../../../src/translators/openai-responses/upstream.js';
import { decodeText, expectedIR, fixtureText } from './fixtures.js';

const CREATED = {
  type: 'response.created',
  sequence_number: 0,
  response: { id: 'resp_1', object: 'response', created_at: 1755712345, status: 'in_progress', model: 'gpt-4.1-mini', output: [], usage: null },
};
const START: IRChunk = { type: 'start', id: 'resp_1', model: 'gpt-4.1-mini', created: 1755712345 };

/** An SSE stream of these event objects, data lines only. */
function sse(...events: readonly object[]): string {
  return events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join('');
}

function completed(usage: object | null = null, extra: object = {}): object {
  return { type: 'response.completed', response: { id: 'resp_1', status: 'completed', model: 'gpt-4.1-mini', usage, ...extra } };
}

function call(id: string, callId: string, name: string, args = ''): object {
  return { id, type: 'function_call', status: 'in_progress', arguments: args, call_id: callId, name };
}

describe('ResponsesStreamDecoder: framing', () => {
  it('dispatches on the JSON type whether or not event: lines are present', () => {
    const withEvents = fixtureText('text');
    expect(withEvents).toContain('event: response.created');
    const withoutEvents = withEvents.replace(/^event: .*\n/gm, '');
    expect(withoutEvents).not.toContain('event:');
    expect(decodeText(withoutEvents)).toEqual(expectedIR('text'));
  });

  it('accepts CRLF line endings', () => {
    expect(decodeText(fixtureText('parallel-tools').replace(/\n/g, '\r\n'))).toEqual(expectedIR('parallel-tools'));
  });

  it('falls back to the event: line when the JSON has no type', () => {
    const text = `event: response.created\ndata: ${JSON.stringify({ response: CREATED.response })}\n\nevent: response.output_text.delta\ndata: {"delta":"hi"}\n\n`;
    expect(decodeText(text)).toEqual([START, { type: 'text', delta: 'hi' }, expect.objectContaining({ code: 'upstream_truncated' })]);
  });

  it('ignores comments, unknown events and data: [DONE]', () => {
    const text =
      ': keep-alive\n\n' +
      sse(CREATED, { type: 'response.web_search_call.in_progress', item_id: 'ws_1', output_index: 0 }, { type: 'response.output_text.annotation.added' }) +
      'data: [DONE]\n\n' +
      sse({ type: 'response.output_text.delta', delta: 'ok' }, completed());
    expect(decodeText(text)).toEqual([START, { type: 'text', delta: 'ok' }, { type: 'finish', reason: 'stop' }]);
  });

  it('reports invalid JSON as upstream_protocol_error and stops', () => {
    const decoder = new ResponsesStreamDecoder();
    const out = decoder.push(new TextEncoder().encode(sse(CREATED) + 'data: {"type":"response.output_text.delta",\n\n'));
    expect(out).toEqual([START, { type: 'error', code: 'upstream_protocol_error', message: expect.stringContaining('not valid JSON') as string }]);
    expect(decoder.push(new TextEncoder().encode(sse({ type: 'response.output_text.delta', delta: 'late' })))).toEqual([]);
    expect(decoder.end()).toEqual([]);
  });

  it('reports a JSON value that is not an object as upstream_protocol_error', () => {
    expect(decodeText('data: [1,2]\n\n')).toEqual([{ type: 'error', code: 'upstream_protocol_error', message: expect.stringContaining('not a JSON object') as string }]);
  });

  it('reports an event larger than the limit as upstream_protocol_error, after the events before it', () => {
    const decoder = new ResponsesStreamDecoder({ maxEventBytes: 1024 });
    const big = sse({ type: 'response.output_text.delta', delta: 'x'.repeat(2000) });
    const out = decoder.push(new TextEncoder().encode(sse(CREATED) + big));
    expect(out[0]).toEqual(START);
    expect(out[1]).toMatchObject({ type: 'error', code: 'upstream_protocol_error' });
    expect(out).toHaveLength(2);
    expect(decoder.end()).toEqual([]);
  });
});

describe('ResponsesStreamDecoder: end of stream', () => {
  it('reports a stream that ends before its terminal event as upstream_truncated', () => {
    expect(decodeText(sse(CREATED, { type: 'response.output_text.delta', delta: 'Hel' }))).toEqual([
      START,
      { type: 'text', delta: 'Hel' },
      { type: 'error', code: 'upstream_truncated', message: 'the upstream stream ended before the response was complete' },
    ]);
  });

  it('reports an empty body as upstream_truncated, without a start', () => {
    expect(decodeText('')).toEqual([{ type: 'error', code: 'upstream_truncated', message: expect.any(String) as string }]);
  });

  it('ignores everything after the terminal event, and end() adds nothing', () => {
    const decoder = new ResponsesStreamDecoder();
    const enc = new TextEncoder();
    expect(decoder.push(enc.encode(sse(CREATED, completed())))).toEqual([START, { type: 'finish', reason: 'stop' }]);
    expect(decoder.push(enc.encode(sse({ type: 'response.output_text.delta', delta: 'late' }, { type: 'error', message: 'x' })))).toEqual([]);
    expect(decoder.push(enc.encode('data: not json\n\n'))).toEqual([]);
    expect(decoder.end()).toEqual([]);
  });

  it('synthesizes a start from the clock when content comes before response.created', () => {
    const decoder = new ResponsesStreamDecoder({ now: () => 1_700_000_000_999 });
    const out = decoder.push(new TextEncoder().encode(sse({ type: 'response.output_text.delta', delta: 'hi' })));
    expect(out).toEqual([{ type: 'start', id: '', model: '', created: 1_700_000_000 }, { type: 'text', delta: 'hi' }]);
  });

  it('emits the start once, from response.created, not again for in_progress', () => {
    const inProgress = { ...CREATED, type: 'response.in_progress', response: { ...CREATED.response, id: 'resp_other' } };
    expect(decodeText(sse(CREATED, inProgress, completed()))).toEqual([START, { type: 'finish', reason: 'stop' }]);
  });
});

describe('ResponsesStreamDecoder: content', () => {
  it('maps reasoning_text deltas (open-weight models) to reasoning', () => {
    const text = sse(
      CREATED,
      { type: 'response.output_item.added', output_index: 0, item: { id: 'rs_1', type: 'reasoning', summary: [] } },
      { type: 'response.reasoning_text.delta', item_id: 'rs_1', output_index: 0, content_index: 0, delta: 'Think' },
      { type: 'response.reasoning_text.delta', item_id: 'rs_1', output_index: 0, content_index: 0, delta: 'ing.' },
      { type: 'response.reasoning_text.done', item_id: 'rs_1', output_index: 0, content_index: 0, text: 'Thinking.' },
      { type: 'response.output_text.delta', item_id: 'msg_1', output_index: 1, content_index: 0, delta: 'Done.' },
      { type: 'response.output_text.done', item_id: 'msg_1', output_index: 1, content_index: 0, text: 'Done.' },
      completed(),
    );
    expect(decodeText(text)).toEqual([
      START,
      { type: 'reasoning', delta: 'Think' },
      { type: 'reasoning', delta: 'ing.' },
      { type: 'text', delta: 'Done.' },
      { type: 'finish', reason: 'stop' },
    ]);
  });

  it('separates reasoning parts of different items and summary indexes with a blank line', () => {
    const text = sse(
      CREATED,
      { type: 'response.reasoning_summary_text.delta', item_id: 'rs_1', output_index: 0, summary_index: 0, delta: 'A' },
      { type: 'response.reasoning_summary_text.delta', item_id: 'rs_1', output_index: 0, summary_index: 0, delta: 'a' },
      { type: 'response.reasoning_summary_text.delta', item_id: 'rs_1', output_index: 0, summary_index: 1, delta: 'B' },
      { type: 'response.reasoning_summary_text.delta', item_id: 'rs_2', output_index: 2, summary_index: 0, delta: 'C' },
      completed(),
    );
    const reasoning = decodeText(text).filter((c) => c.type === 'reasoning');
    expect(reasoning).toEqual([
      { type: 'reasoning', delta: 'A' },
      { type: 'reasoning', delta: 'a' },
      { type: 'reasoning', delta: '\n\nB' },
      { type: 'reasoning', delta: '\n\nC' },
    ]);
  });

  it('passes a refusal on as text, and skips empty deltas', () => {
    const text = sse(
      CREATED,
      { type: 'response.output_text.delta', delta: '' },
      { type: 'response.refusal.delta', item_id: 'msg_1', output_index: 0, content_index: 0, delta: "I'm sorry, I can't help with that." },
      { type: 'response.refusal.done', item_id: 'msg_1', output_index: 0, content_index: 0, refusal: "I'm sorry, I can't help with that." },
      completed(),
    );
    expect(decodeText(text)).toEqual([START, { type: 'text', delta: "I'm sorry, I can't help with that." }, { type: 'finish', reason: 'stop' }]);
  });
});

describe('ResponsesStreamDecoder: function calls', () => {
  it('numbers calls by arrival, not by output_index, and maps deltas by item_id', () => {
    const text = sse(
      CREATED,
      { type: 'response.output_item.added', output_index: 0, item: { id: 'rs_1', type: 'reasoning', summary: [] } },
      { type: 'response.output_item.added', output_index: 1, item: call('fc_a', 'call_a', 'read_file') },
      { type: 'response.output_item.added', output_index: 2, item: call('fc_b', 'call_b', 'list_dir') },
      { type: 'response.function_call_arguments.delta', item_id: 'fc_b', output_index: 2, delta: '{"path":"."}' },
      { type: 'response.function_call_arguments.delta', item_id: 'fc_a', output_index: 1, delta: '{"path":"a.ts"}' },
      completed(),
    );
    expect(decodeText(text)).toEqual([
      START,
      { type: 'tool_call', index: 0, id: 'call_a', name: 'read_file', argumentsDelta: '' },
      { type: 'tool_call', index: 1, id: 'call_b', name: 'list_dir', argumentsDelta: '' },
      { type: 'tool_call', index: 1, argumentsDelta: '{"path":"."}' },
      { type: 'tool_call', index: 0, argumentsDelta: '{"path":"a.ts"}' },
      { type: 'finish', reason: 'tool_calls' },
    ]);
  });

  it('falls back to output_index when deltas carry no item_id', () => {
    const text = sse(
      CREATED,
      { type: 'response.output_item.added', output_index: 3, item: call('fc_a', 'call_a', 'f') },
      { type: 'response.function_call_arguments.delta', output_index: 3, delta: '{}' },
      completed(),
    );
    expect(decodeText(text)).toContainEqual({ type: 'tool_call', index: 0, argumentsDelta: '{}' });
  });

  it('sends the arguments of output_item.done when no delta carried them', () => {
    const done = { ...call('fc_a', 'call_a', 'f', '{"x":1}'), status: 'completed' };
    const text = sse(CREATED, { type: 'response.output_item.added', output_index: 0, item: call('fc_a', 'call_a', 'f') }, { type: 'response.output_item.done', output_index: 0, item: done }, completed());
    expect(decodeText(text)).toEqual([
      START,
      { type: 'tool_call', index: 0, id: 'call_a', name: 'f', argumentsDelta: '' },
      { type: 'tool_call', index: 0, argumentsDelta: '{"x":1}' },
      { type: 'finish', reason: 'tool_calls' },
    ]);
  });

  it('sends the arguments of function_call_arguments.done when no delta carried them, and not again on output_item.done', () => {
    const done = { ...call('fc_a', 'call_a', 'f', '{"x":1}'), status: 'completed' };
    const text = sse(
      CREATED,
      { type: 'response.output_item.added', output_index: 0, item: call('fc_a', 'call_a', 'f') },
      { type: 'response.function_call_arguments.done', item_id: 'fc_a', output_index: 0, name: 'f', arguments: '{"x":1}' },
      { type: 'response.output_item.done', output_index: 0, item: done },
      completed(),
    );
    expect(decodeText(text).filter((c) => c.type === 'tool_call')).toEqual([
      { type: 'tool_call', index: 0, id: 'call_a', name: 'f', argumentsDelta: '' },
      { type: 'tool_call', index: 0, argumentsDelta: '{"x":1}' },
    ]);
  });

  it('does not repeat streamed arguments from the .done events', () => {
    const done = { ...call('fc_a', 'call_a', 'f', '{"x":1}'), status: 'completed' };
    const text = sse(
      CREATED,
      { type: 'response.output_item.added', output_index: 0, item: call('fc_a', 'call_a', 'f') },
      { type: 'response.function_call_arguments.delta', item_id: 'fc_a', output_index: 0, delta: '{"x":1}' },
      { type: 'response.function_call_arguments.done', item_id: 'fc_a', output_index: 0, arguments: '{"x":1}' },
      { type: 'response.output_item.done', output_index: 0, item: done },
      completed(),
    );
    expect(decodeText(text).filter((c) => c.type === 'tool_call')).toHaveLength(2);
  });

  it('takes whole arguments on the added item as the first delta', () => {
    const text = sse(
      CREATED,
      { type: 'response.output_item.added', output_index: 0, item: call('fc_a', 'call_a', 'f', '{"x":1}') },
      { type: 'response.output_item.done', output_index: 0, item: call('fc_a', 'call_a', 'f', '{"x":1}') },
      completed(),
    );
    expect(decodeText(text).filter((c) => c.type === 'tool_call')).toEqual([{ type: 'tool_call', index: 0, id: 'call_a', name: 'f', argumentsDelta: '{"x":1}' }]);
  });

  it('opens a call first seen in output_item.done, with everything it holds', () => {
    const text = sse(CREATED, { type: 'response.output_item.done', output_index: 0, item: call('fc_a', 'call_a', 'f', '{}') }, completed());
    expect(decodeText(text)).toEqual([START, { type: 'tool_call', index: 0, id: 'call_a', name: 'f', argumentsDelta: '{}' }, { type: 'finish', reason: 'tool_calls' }]);
  });

  it('keeps the text of a delta for an item never announced', () => {
    const text = sse(CREATED, { type: 'response.function_call_arguments.delta', item_id: 'fc_x', output_index: 0, delta: '{"a"' }, { type: 'response.function_call_arguments.delta', item_id: 'fc_x', output_index: 0, delta: ':1}' }, completed());
    expect(decodeText(text).filter((c) => c.type === 'tool_call')).toEqual([
      { type: 'tool_call', index: 0, argumentsDelta: '' },
      { type: 'tool_call', index: 0, argumentsDelta: '{"a"' },
      { type: 'tool_call', index: 0, argumentsDelta: ':1}' },
    ]);
  });

  it('ignores output items that are not function calls (hosted tools, custom tools)', () => {
    const text = sse(
      CREATED,
      { type: 'response.output_item.added', output_index: 0, item: { id: 'ws_1', type: 'web_search_call', status: 'in_progress' } },
      { type: 'response.output_item.done', output_index: 0, item: { id: 'ws_1', type: 'web_search_call', status: 'completed', action: { type: 'search', query: 'x' } } },
      completed(),
    );
    expect(decodeText(text)).toEqual([START, { type: 'finish', reason: 'stop' }]);
  });
});

describe('ResponsesStreamDecoder: terminal events', () => {
  it('maps response.incomplete for content_filter to finish content_filter', () => {
    const text = sse(CREATED, { type: 'response.incomplete', response: { id: 'resp_1', status: 'incomplete', incomplete_details: { reason: 'content_filter' }, usage: null } });
    expect(decodeText(text)).toEqual([START, { type: 'finish', reason: 'content_filter' }]);
  });

  it('maps response.incomplete without a known reason to finish length', () => {
    const text = sse(CREATED, { type: 'response.incomplete', response: { id: 'resp_1', status: 'incomplete', incomplete_details: null } });
    expect(decodeText(text)).toEqual([START, { type: 'finish', reason: 'length' }]);
  });

  it('reports response.failed without an error object with a generic code', () => {
    const text = sse(CREATED, { type: 'response.failed', response: { id: 'resp_1', status: 'failed', error: null } });
    expect(decodeText(text)).toEqual([START, { type: 'error', code: 'upstream_error', message: 'the upstream reported that the response failed' }]);
  });

  it('emits the start from the response of a response.failed that comes first', () => {
    const text = sse({ type: 'response.failed', response: { ...CREATED.response, status: 'failed', error: { code: 'server_error', message: 'boom' } } });
    expect(decodeText(text)).toEqual([START, { type: 'error', code: 'server_error', message: 'boom' }]);
  });

  it('reads an error event with the error nested, as recorded streams show it', () => {
    const text = sse(CREATED, { type: 'error', sequence_number: 2, error: { type: 'invalid_request_error', code: 'context_length_exceeded', message: 'Too long.', param: 'input' } });
    expect(decodeText(text)).toEqual([START, { type: 'error', code: 'context_length_exceeded', message: 'Too long.' }]);
  });

  it('reads an error event with a null code as upstream_error, and ignores the response.failed after it', () => {
    const text = sse(CREATED, { type: 'error', code: null, message: 'The server had an error.', param: null }, { type: 'response.failed', response: { error: { code: 'server_error', message: 'x' } } });
    expect(decodeText(text)).toEqual([START, { type: 'error', code: 'upstream_error', message: 'The server had an error.' }]);
  });

  it('reads a bare {"error": ...} object without a type', () => {
    expect(decodeText(sse({ error: { message: 'model not loaded', type: 'server_error', code: null } }))).toEqual([
      { type: 'error', code: 'upstream_error', message: 'model not loaded' },
    ]);
  });

  it('emits no usage chunk when the response has none', () => {
    expect(decodeText(sse(CREATED, completed(null)))).toEqual([START, { type: 'finish', reason: 'stop' }]);
  });
});

describe('usageFromResponses', () => {
  it('maps the counts and their details', () => {
    expect(
      usageFromResponses({
        input_tokens: 1290,
        input_tokens_details: { cached_tokens: 1024 },
        output_tokens: 29,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: 1319,
      }),
    ).toEqual({ promptTokens: 1290, completionTokens: 29, totalTokens: 1319, cachedPromptTokens: 1024, reasoningTokens: 0 });
  });

  it('treats missing counts as 0 and a missing total as the sum, without details it was not given', () => {
    expect(usageFromResponses({ input_tokens: 10, output_tokens: 5 })).toEqual({ promptTokens: 10, completionTokens: 5, totalTokens: 15 });
    expect(usageFromResponses({ output_tokens: 5 })).toEqual({ promptTokens: 0, completionTokens: 5, totalTokens: 5 });
  });
});
