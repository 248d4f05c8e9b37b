import { describe, expect, it } from 'vitest';
import type { IRChunk } from '../../../src/ir/index.js';
import type { JsonObject } from '../../../src/protocols/json.js';
import {
  ResponsesStreamEncoder,
  mintReasoningState,
  readReasoningState,
  responsesRequestToIR,
  validateResponsesSse,
} from '../../../src/translators/openai-responses/index.js';
import type { ResponsesEvent } from './helpers.js';
import { encodeToText, parseEvents, testDeps } from './helpers.js';

const START: IRChunk = { type: 'start', id: 'chatcmpl-x', model: 'upstream-model', created: 1_750_000_000 };
const USAGE: IRChunk = { type: 'usage', usage: { promptTokens: 10, completionTokens: 5, totalTokens: 15 } };

function events(chunks: readonly IRChunk[], setup: Parameters<typeof encodeToText>[1] = {}): ResponsesEvent[] {
  const text = encodeToText(chunks, setup);
  expect(validateResponsesSse(text)).toEqual([]);
  return parseEvents(text);
}

function types(list: readonly ResponsesEvent[]): string[] {
  return list.map((e) => e.type);
}

function response(event: ResponsesEvent | undefined): JsonObject {
  return (event?.['response'] ?? {}) as JsonObject;
}

describe('ResponsesStreamEncoder', () => {
  it('streams a text answer in the order OpenAI sends it', () => {
    const list = events([START, { type: 'text', delta: 'Hel' }, { type: 'text', delta: 'lo' }, { type: 'finish', reason: 'stop' }, USAGE]);
    expect(types(list)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(list[4]).toEqual({ type: 'response.output_text.delta', sequence_number: 4, item_id: 'msg_2', output_index: 0, content_index: 0, delta: 'Hel', logprobs: [] });
    expect(response(list[9])).toMatchObject({
      id: 'resp_1',
      object: 'response',
      created_at: 1_750_000_000,
      status: 'completed',
      model: 'client-model',
      output: [{ type: 'message', id: 'msg_2', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'Hello', annotations: [], logprobs: [] }] }],
      usage: { input_tokens: 10, input_tokens_details: { cached_tokens: 0 }, output_tokens: 5, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 15 },
    });
  });

  it('names the model the client asked for and echoes its request fields', () => {
    const clientBody: JsonObject = {
      model: 'gpt-oss:20b',
      input: 'hi',
      tools: [{ type: 'function', name: 'f' }],
      tool_choice: 'auto',
      parallel_tool_calls: true,
      reasoning: { effort: 'low' },
      store: true,
      temperature: 0.5,
    };
    const list = events([START, { type: 'text', delta: 'x' }, { type: 'finish', reason: 'stop' }], { clientBody, requestedModel: 'gpt-oss:20b' });
    for (const event of [list[0], list[1], list[list.length - 1]]) {
      expect(response(event)).toMatchObject({
        model: 'gpt-oss:20b',
        tools: [{ type: 'function', name: 'f' }],
        tool_choice: 'auto',
        parallel_tool_calls: true,
        reasoning: { effort: 'low' },
        temperature: 0.5,
        store: false,
        previous_response_id: null,
        top_p: 1,
      });
    }
    expect(response(list[0])).toMatchObject({ status: 'in_progress', output: [], usage: null });
  });

  it('completes when usage arrives, whichever of usage and finish comes first', () => {
    const usageFirst = encodeToText([START, { type: 'text', delta: 'a' }, USAGE, { type: 'finish', reason: 'stop' }]);
    const finishFirst = encodeToText([START, { type: 'text', delta: 'a' }, { type: 'finish', reason: 'stop' }, USAGE]);
    expect(usageFirst).toBe(finishFirst);

    const encoder = new ResponsesStreamEncoder({ requestedModel: 'm', includeUsage: false }, testDeps());
    encoder.push(START);
    encoder.push({ type: 'text', delta: 'a' });
    expect(encoder.push({ type: 'finish', reason: 'stop' })).not.toContain('response.completed');
    const terminal = encoder.push(USAGE);
    expect(types(parseEvents(terminal))).toEqual(['response.completed']);
    expect(encoder.end()).toBe('');
    expect(encoder.push({ type: 'text', delta: 'late' })).toBe('');
  });

  it('completes at end() with zero usage when the upstream reported none, as integers', () => {
    const list = events([START, { type: 'text', delta: 'a' }, { type: 'finish', reason: 'stop' }]);
    expect(response(list[list.length - 1])['usage']).toEqual({
      input_tokens: 0,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: 0,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 0,
    });
    const odd = events([START, { type: 'finish', reason: 'stop' }, { type: 'usage', usage: { promptTokens: 3.4, completionTokens: 2, totalTokens: 5.4, cachedPromptTokens: 1, reasoningTokens: 1 } }]);
    expect(response(odd[odd.length - 1])['usage']).toEqual({
      input_tokens: 3,
      input_tokens_details: { cached_tokens: 1 },
      output_tokens: 2,
      output_tokens_details: { reasoning_tokens: 1 },
      total_tokens: 5,
    });
  });

  it('ends a length or content_filter finish with response.incomplete', () => {
    const length = events([START, { type: 'text', delta: 'a' }, { type: 'finish', reason: 'length' }, USAGE]);
    expect(length[length.length - 1]).toMatchObject({ type: 'response.incomplete', response: { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } } });
    expect(response(length[length.length - 1])['output']).toMatchObject([{ type: 'message', status: 'incomplete' }]);
    const filtered = events([START, { type: 'text', delta: 'a' }, { type: 'finish', reason: 'content_filter' }]);
    expect(filtered[filtered.length - 1]).toMatchObject({ type: 'response.incomplete', response: { incomplete_details: { reason: 'content_filter' } } });
  });

  it('fails with the IR code as given, leaves open items open and sends nothing after', () => {
    const encoder = new ResponsesStreamEncoder({ requestedModel: 'm', includeUsage: true }, testDeps());
    let text = encoder.push(START) + encoder.push({ type: 'text', delta: 'partial' });
    text += encoder.push({ type: 'error', message: 'You exceeded your current quota.', code: 'insufficient_quota' });
    expect(encoder.push({ type: 'text', delta: 'late' })).toBe('');
    expect(encoder.push({ type: 'finish', reason: 'stop' })).toBe('');
    expect(encoder.heartbeat()).toBe('');
    expect(encoder.end()).toBe('');
    const list = parseEvents(text);
    expect(validateResponsesSse(text)).toEqual([]);
    expect(list[list.length - 1]).toMatchObject({
      type: 'response.failed',
      response: { id: 'resp_1', status: 'failed', error: { code: 'insufficient_quota', message: 'You exceeded your current quota.' }, output: [] },
    });
    expect(types(list)).not.toContain('response.output_item.done');
  });

  it('still produces a well-formed stream for an error before anything else', () => {
    const list = events([{ type: 'error', message: 'context too long', code: 'context_length_exceeded' }]);
    expect(types(list)).toEqual(['response.created', 'response.in_progress', 'response.failed']);
    expect(response(list[2])['error']).toEqual({ code: 'context_length_exceeded', message: 'context too long' });
  });

  it('fails a stream that ended without a finish instead of completing it', () => {
    const list = events([START, { type: 'text', delta: 'cut' }]);
    expect(list[list.length - 1]).toMatchObject({ type: 'response.failed', response: { error: { code: 'upstream_truncated' } } });
  });

  it('keeps the items when a heartbeat replaces the snapshot, and heartbeats stop after the end', () => {
    const encoder = new ResponsesStreamEncoder({ requestedModel: 'm', includeUsage: true }, testDeps());
    let text = encoder.heartbeat();
    expect(types(parseEvents(text))).toEqual(['response.created', 'response.in_progress']);
    text += encoder.push(START);
    text += encoder.push({ type: 'reasoning', delta: 'think' });
    text += encoder.push({ type: 'text', delta: 'Hi' });
    text += encoder.push({ type: 'tool_call', index: 0, id: 'c1', name: 'f', argumentsDelta: '{"a"' });
    const beat = encoder.heartbeat();
    text += beat;
    text += encoder.push({ type: 'tool_call', index: 0, argumentsDelta: ':1}' });
    text += encoder.push({ type: 'finish', reason: 'tool_calls' });
    text += encoder.heartbeat();
    text += encoder.end();
    expect(encoder.heartbeat()).toBe('');
    expect(validateResponsesSse(text)).toEqual([]);
    const [snapshot] = parseEvents(beat);
    expect(snapshot).toMatchObject({ type: 'response.in_progress', response: { status: 'in_progress' } });
    expect(response(snapshot)['output']).toEqual([
      expect.objectContaining({ type: 'reasoning', id: 'rs_2', summary: [{ type: 'summary_text', text: 'think' }] }),
      expect.objectContaining({ type: 'message', id: 'msg_3', status: 'completed' }),
      { type: 'function_call', id: 'fc_4', status: 'in_progress', call_id: 'c1', name: 'f', arguments: '{"a"' },
    ]);
  });

  it('gives every item its own output index and closes reasoning and text when something else starts', () => {
    const list = events([
      START,
      { type: 'reasoning', delta: 'r1' },
      { type: 'text', delta: 't1' },
      { type: 'reasoning', delta: 'r2' },
      { type: 'tool_call', index: 0, id: 'a', name: 'f', argumentsDelta: '' },
      { type: 'text', delta: 't2' },
      { type: 'finish', reason: 'tool_calls' },
    ]);
    const added = list.filter((e) => e.type === 'response.output_item.added').map((e) => [e['output_index'], (e['item'] as JsonObject)['type']]);
    expect(added).toEqual([
      [0, 'reasoning'],
      [1, 'message'],
      [2, 'reasoning'],
      [3, 'function_call'],
      [4, 'message'],
    ]);
    const done = list.filter((e) => e.type === 'response.output_item.done').map((e) => e['output_index']);
    expect(done).toEqual([0, 1, 2, 3, 4]);
  });

  it('attaches interleaved parallel call deltas to their own items and fills in missing call ids', () => {
    const list = events([
      START,
      { type: 'tool_call', index: 0, id: 'a', name: 'f', argumentsDelta: '{"x":' },
      { type: 'tool_call', index: 1, name: 'g', argumentsDelta: '{"y":' },
      { type: 'tool_call', index: 0, argumentsDelta: '1}' },
      { type: 'tool_call', index: 1, argumentsDelta: '2}' },
      { type: 'finish', reason: 'tool_calls' },
    ]);
    const deltas = list.filter((e) => e.type === 'response.function_call_arguments.delta').map((e) => [e['item_id'], e['delta']]);
    expect(deltas).toEqual([
      ['fc_2', '{"x":'],
      ['fc_3', '{"y":'],
      ['fc_2', '1}'],
      ['fc_3', '2}'],
    ]);
    const items = response(list[list.length - 1])['output'] as JsonObject[];
    expect(items).toEqual([
      { type: 'function_call', id: 'fc_2', status: 'completed', call_id: 'a', name: 'f', arguments: '{"x":1}' },
      { type: 'function_call', id: 'fc_3', status: 'completed', call_id: 'call_4', name: 'g', arguments: '{"y":2}' },
    ]);
    const argsDone = list.filter((e) => e.type === 'response.function_call_arguments.done').map((e) => [e['name'], e['arguments']]);
    expect(argsDone).toEqual([
      ['f', '{"x":1}'],
      ['g', '{"y":2}'],
    ]);
  });

  it('gives calls back in the client terms: namespace functions and custom tools', () => {
    const request = responsesRequestToIR({
      model: 'm',
      input: 'x',
      tools: [
        { type: 'namespace', name: 'multi_agent_v1', tools: [{ type: 'function', name: 'close_agent' }] },
        { type: 'custom', name: 'apply_patch' },
      ],
    });
    const list = events(
      [
        START,
        { type: 'tool_call', index: 0, id: 'n', name: 'multi_agent_v1__close_agent', argumentsDelta: '{"target":"a1"}' },
        { type: 'tool_call', index: 1, id: 'p', name: 'apply_patch', argumentsDelta: '{"input":"*** Begin' },
        { type: 'tool_call', index: 1, argumentsDelta: ' Patch\\n"}' },
        { type: 'tool_call', index: 2, id: 'q', name: 'apply_patch', argumentsDelta: 'not json' },
        { type: 'finish', reason: 'tool_calls' },
      ],
      { request },
    );
    const items = response(list[list.length - 1])['output'] as JsonObject[];
    expect(items).toEqual([
      { type: 'function_call', id: 'fc_2', status: 'completed', call_id: 'n', name: 'close_agent', namespace: 'multi_agent_v1', arguments: '{"target":"a1"}' },
      { type: 'custom_tool_call', id: 'ctc_3', status: 'completed', call_id: 'p', name: 'apply_patch', input: '*** Begin Patch\n' },
      { type: 'custom_tool_call', id: 'ctc_4', status: 'completed', call_id: 'q', name: 'apply_patch', input: 'not json' },
    ]);
    expect(list.filter((e) => e.type.startsWith('response.custom_tool_call_input')).map((e) => [e.type, e['item_id'], e['delta'] ?? e['input']])).toEqual([
      ['response.custom_tool_call_input.delta', 'ctc_3', '*** Begin Patch\n'],
      ['response.custom_tool_call_input.done', 'ctc_3', '*** Begin Patch\n'],
      ['response.custom_tool_call_input.delta', 'ctc_4', 'not json'],
      ['response.custom_tool_call_input.done', 'ctc_4', 'not json'],
    ]);
    expect(list.some((e) => e.type === 'response.function_call_arguments.delta' && e['item_id'] !== 'fc_2')).toBe(false);
  });

  it('mints the reasoning into encrypted_content so it can be read back', () => {
    const list = events([START, { type: 'reasoning', delta: 'Ünïcode 🤔' }, { type: 'finish', reason: 'stop' }]);
    const item = list.find((e) => e.type === 'response.output_item.done')?.['item'] as JsonObject;
    expect(item).toMatchObject({ type: 'reasoning', summary: [{ type: 'summary_text', text: 'Ünïcode 🤔' }], content: [{ type: 'reasoning_text', text: 'Ünïcode 🤔' }] });
    expect(readReasoningState(item['encrypted_content'])).toBe('Ünïcode 🤔');
    expect(readReasoningState(mintReasoningState(''))).toBe('');
    expect(readReasoningState('gAAAAABopaque')).toBeUndefined();
    expect(readReasoningState('tollgate.v1.!!!')).toBeUndefined();
    expect(readReasoningState(`tollgate.v1.${Buffer.from('[1]').toString('base64url')}`)).toBeUndefined();
    expect(readReasoningState(null)).toBeUndefined();
  });

  it('sends nothing for empty deltas and ignores content after the finish', () => {
    const encoder = new ResponsesStreamEncoder({ requestedModel: 'm', includeUsage: true }, testDeps());
    encoder.push(START);
    expect(encoder.push({ type: 'text', delta: '' })).toBe('');
    expect(encoder.push({ type: 'reasoning', delta: '' })).toBe('');
    expect(encoder.push({ type: 'finish', reason: 'stop' })).toBe('');
    expect(encoder.push({ type: 'text', delta: 'x' })).toBe('');
    expect(encoder.push({ type: 'finish', reason: 'length' })).toBe('');
    expect(types(parseEvents(encoder.end()))).toEqual(['response.completed']);
  });

  it('uses random OpenAI-style ids by default', () => {
    const encoder = new ResponsesStreamEncoder({ requestedModel: 'm', includeUsage: true });
    const list = parseEvents(encoder.push(START) + encoder.push({ type: 'text', delta: 'x' }) + encoder.push({ type: 'tool_call', index: 0, name: 'f', argumentsDelta: '' }));
    expect(response(list[0])['id']).toMatch(/^resp_[0-9a-f]{32}$/);
    expect((list[2]?.['item'] as JsonObject)['id']).toMatch(/^msg_[0-9a-f]{32}$/);
    const call = list.find((e) => e.type === 'response.output_item.added' && (e['item'] as JsonObject)['type'] === 'function_call');
    expect((call?.['item'] as JsonObject)['call_id']).toMatch(/^call_[0-9a-f]{32}$/);
  });
});
