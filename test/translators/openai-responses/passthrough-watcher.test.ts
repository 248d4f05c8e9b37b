import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SseParser, sseData } from '../../../src/framing/index.js';
import type { SseEvent } from '../../../src/framing/index.js';
import type { IRChunk, IRUsage } from '../../../src/ir/index.js';
import { ResponsesPassthroughWatcher, responsesClientCodec, validateResponsesSse } from '../../../src/translators/openai-responses/index.js';
import { FIXTURES, expectedIR, fixtureText } from '../openai-responses-upstream/fixtures.js';
import type { FixtureName } from '../openai-responses-upstream/fixtures.js';

/**
 * The watcher ends a relayed Responses stream wherever it is cut: every
 * prefix of every recorded upstream stream, ended by `failure()` or
 * `earlyEnd()`, must be a stream the validator and the official SDK accept,
 * continuing the upstream's response (same id, next sequence numbers).
 */

type Obj = Record<string, unknown>;

const OPTIONS = { requestedModel: 'client-model', includeUsage: false };
const USAGE: IRUsage = { promptTokens: 12, completionTokens: 7, totalTokens: 19 };
const TERMINAL = new Set(['response.completed', 'response.incomplete', 'response.failed', 'error']);

function frame(text: string): SseEvent[] {
  const parser = new SseParser();
  return [...parser.push(text), ...parser.end()];
}

function parsed(text: string): Obj[] {
  return frame(text).map((e) => JSON.parse(e.data) as Obj);
}

/** Events the upstream sent before its terminal event (all of them for a stream cut short). */
function upstreamEvents(name: FixtureName): { events: SseEvent[]; cut: number } {
  const events = frame(fixtureText(name));
  const terminal = events.findIndex((e) => TERMINAL.has((JSON.parse(e.data) as Obj)['type'] as string));
  return { events, cut: terminal < 0 ? events.length : terminal };
}

/** The relayed prefix of `k` events and a watcher that followed them. */
function watchPrefix(events: readonly SseEvent[], k: number): { prefix: string; watcher: ResponsesPassthroughWatcher; chunks: IRChunk[] } {
  const watcher = new ResponsesPassthroughWatcher(OPTIONS);
  let prefix = '';
  const chunks: IRChunk[] = [];
  for (const event of events.slice(0, k)) {
    prefix += sseData(event.data, event.event);
    chunks.push(...watcher.event(event));
  }
  return { prefix, watcher, chunks };
}

function textOf(chunks: readonly IRChunk[]): string {
  return chunks.map((c) => (c.type === 'text' ? c.delta : '')).join('');
}

function outputText(response: Obj): string {
  const output = response['output'] as Obj[];
  return output
    .filter((item) => item['type'] === 'message')
    .flatMap((item) => item['content'] as Obj[])
    .map((part) => (part['type'] === 'output_text' ? (part['text'] as string) : ''))
    .join('');
}

function expectIncreasing(events: readonly Obj[], where: string): void {
  const seqs = events.map((e) => e['sequence_number'] as number);
  for (let i = 1; i < seqs.length; i++) expect((seqs[i] ?? 0) > (seqs[i - 1] ?? 0), `${where}: ${seqs.join(',')}`).toBe(true);
}

interface Summary {
  text: string;
  reasoning: string;
  calls: { index: number; id?: string; name?: string; arguments: string }[];
  usage?: IRUsage;
  finish?: string;
  error?: { code: string; message: string };
}

/** What a stream of IR chunks says, independent of how its deltas were cut. */
function summarize(chunks: readonly IRChunk[]): Summary {
  const summary: Summary = { text: '', reasoning: '', calls: [] };
  for (const c of chunks) {
    if (c.type === 'text') summary.text += c.delta;
    else if (c.type === 'reasoning') summary.reasoning += c.delta;
    else if (c.type === 'usage') summary.usage = c.usage;
    else if (c.type === 'finish') summary.finish = c.reason;
    else if (c.type === 'error') summary.error = { code: c.code, message: c.message };
    else if (c.type === 'tool_call') {
      let call = summary.calls.find((x) => x.index === c.index);
      if (call === undefined) summary.calls.push((call = { index: c.index, arguments: '' }));
      if (c.id !== undefined) call.id = c.id;
      if (c.name !== undefined) call.name = c.name;
      call.arguments += c.argumentsDelta;
    }
  }
  return summary;
}

// ---- a loopback server the official SDK reads from

let server: Server;
let client: OpenAI;
let body = '';

beforeAll(async () => {
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
    // Two writes, so the SDK reassembles events across reads.
    const cut = Math.floor(body.length / 2);
    res.write(body.slice(0, cut));
    res.end(body.slice(cut));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'test-key', maxRetries: 0 });
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function sdkFinal(text: string): Promise<OpenAI.Responses.Response> {
  body = text;
  return client.responses.stream({ model: 'client-model', input: 'x' }).finalResponse();
}

describe('ResponsesPassthroughWatcher, every prefix of every fixture', () => {
  for (const name of FIXTURES) {
    it(`${name}: failure() continues the response with one response.failed`, async () => {
      const { events, cut } = upstreamEvents(name);
      const upstreamId = ((JSON.parse(events[0]?.data ?? '{}') as Obj)['response'] as Obj)['id'];
      for (let k = 1; k <= cut; k++) {
        const { prefix, watcher } = watchPrefix(events, k);
        const ending = watcher.failure('upstream_truncated', 'the upstream stream ended before the response was complete');
        const where = `${name}, cut after event ${k}`;
        expect(validateResponsesSse(prefix + ending), where).toEqual([]);
        const all = parsed(prefix + ending);
        expect(all.filter((e) => e['type'] === 'response.created'), where).toHaveLength(1);
        const tail = parsed(ending);
        expect(tail.map((e) => e['type']), where).toEqual(['response.failed']);
        const response = tail[0]?.['response'] as Obj;
        expect(response, where).toMatchObject({ id: upstreamId, status: 'failed', error: { code: 'upstream_truncated' }, usage: null });
        expectIncreasing(all, where);
        const final = await sdkFinal(prefix + ending);
        expect(final.id, where).toBe(upstreamId);
        expect(final.status, where).toBe('failed');
        expect(final.error?.code, where).toBe('upstream_truncated');
        expect(watcher.failure('again', 'x'), where).toBe('');
      }
    });

    it(`${name}: earlyEnd() closes every open item and ends with response.incomplete`, async () => {
      const { events, cut } = upstreamEvents(name);
      for (let k = 1; k <= cut; k++) {
        const { prefix, watcher, chunks } = watchPrefix(events, k);
        const ending = watcher.earlyEnd('length', USAGE);
        const where = `${name}, cut after event ${k}`;
        expect(validateResponsesSse(prefix + ending), where).toEqual([]);
        const all = parsed(prefix + ending);
        expectIncreasing(all, where);
        const last = all.at(-1) ?? {};
        expect(last['type'], where).toBe('response.incomplete');
        const response = last['response'] as Obj;
        expect(response['incomplete_details'], where).toEqual({ reason: 'max_output_tokens' });
        expect(response['usage'], where).toEqual({ input_tokens: 12, input_tokens_details: { cached_tokens: 0 }, output_tokens: 7, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 19 });
        expect(outputText(response), where).toBe(textOf(chunks));
        const final = await sdkFinal(prefix + ending);
        expect(final.status, where).toBe('incomplete');
        expect(final.output_text, where).toBe(textOf(chunks));
        expect(watcher.earlyEnd('length', USAGE) + watcher.failure('x', 'y'), where).toBe('');
      }
    });

    it(`${name}: event() carries what the decoder reads from the same stream`, () => {
      const watcher = new ResponsesPassthroughWatcher(OPTIONS);
      const chunks = frame(fixtureText(name)).flatMap((e) => watcher.event(e));
      // The decoder's own end() reports a cut stream; the watcher has no end of its own.
      const expected = expectedIR(name).filter((c) => !(c.type === 'error' && c.code === 'upstream_truncated'));
      expect(summarize(chunks)).toEqual(summarize(expected));
    });
  }
});

/** Builds an upstream stream event by event, numbered as OpenAI numbers them. */
function upstream(): { add(type: string, members: Obj): SseEvent; all: SseEvent[] } {
  const all: SseEvent[] = [];
  return {
    all,
    add(type, members) {
      const event = { event: type, data: JSON.stringify({ type, sequence_number: all.length, ...members }), id: undefined };
      all.push(event);
      return event;
    },
  };
}

const RESPONSE = { id: 'resp_up', object: 'response', created_at: 1_760_000_000, status: 'in_progress', model: 'up-model', output: [], usage: null };

describe('ResponsesPassthroughWatcher, items the fixtures do not open', () => {
  it('closes reasoning text, a custom tool call and a hosted tool item in order', async () => {
    const up = upstream();
    up.add('response.created', { response: RESPONSE });
    up.add('response.output_item.added', { output_index: 0, item: { id: 'rs_1', type: 'reasoning', summary: [] } });
    up.add('response.content_part.added', { item_id: 'rs_1', output_index: 0, content_index: 0, part: { type: 'reasoning_text', text: '' } });
    up.add('response.reasoning_text.delta', { item_id: 'rs_1', output_index: 0, content_index: 0, delta: 'think' });
    up.add('response.output_item.added', { output_index: 1, item: { id: 'ws_1', type: 'web_search_call', status: 'in_progress' } });
    up.add('response.output_item.added', { output_index: 2, item: { id: 'ctc_1', type: 'custom_tool_call', status: 'in_progress', call_id: 'call_1', name: 'apply_patch', input: '' } });
    up.add('response.custom_tool_call_input.delta', { item_id: 'ctc_1', output_index: 2, delta: '*** Begin' });
    up.add('response.custom_tool_call_input.delta', { item_id: 'ctc_1', output_index: 2, delta: ' Patch' });
    const { prefix, watcher, chunks } = watchPrefix(up.all, up.all.length);
    expect(summarize(chunks)).toMatchObject({ reasoning: 'think', calls: [{ index: 0, id: 'call_1', name: 'apply_patch', arguments: '*** Begin Patch' }] });

    const ending = watcher.earlyEnd('length', undefined);
    expect(validateResponsesSse(prefix + ending)).toEqual([]);
    const tail = parsed(ending);
    expect(tail.map((e) => e['type'])).toEqual([
      'response.reasoning_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.output_item.done',
      'response.custom_tool_call_input.done',
      'response.output_item.done',
      'response.incomplete',
    ]);
    expect(tail.map((e) => e['sequence_number'])).toEqual([8, 9, 10, 11, 12, 13, 14]);
    expect(tail[0]).toMatchObject({ item_id: 'rs_1', output_index: 0, content_index: 0, text: 'think' });
    expect(tail[2]?.['item']).toEqual({ id: 'rs_1', type: 'reasoning', summary: [], content: [{ type: 'reasoning_text', text: 'think' }] });
    expect(tail[3]?.['item']).toEqual({ id: 'ws_1', type: 'web_search_call', status: 'in_progress' });
    expect(tail[4]).toMatchObject({ item_id: 'ctc_1', output_index: 2, input: '*** Begin Patch' });
    expect(tail[5]?.['item']).toEqual({ id: 'ctc_1', type: 'custom_tool_call', status: 'incomplete', call_id: 'call_1', name: 'apply_patch', input: '*** Begin Patch' });
    expect((tail[6]?.['response'] as Obj)['usage']).toBeNull();

    const final = await sdkFinal(prefix + ending);
    expect(final.output.map((item) => item.type)).toEqual(['reasoning', 'web_search_call', 'custom_tool_call']);
    expect(final.output[2]).toMatchObject({ input: '*** Begin Patch', status: 'incomplete' });
  });

  it('closes the parts the upstream left open with the events OpenAI sends', () => {
    const text = watchPrefix(upstreamEvents('text').events, 6);
    const textEnd = parsed(text.watcher.earlyEnd('length', USAGE));
    expect(textEnd.map((e) => e['type'])).toEqual(['response.output_text.done', 'response.content_part.done', 'response.output_item.done', 'response.incomplete']);
    expect(textEnd.map((e) => e['sequence_number'])).toEqual([6, 7, 8, 9]);
    expect(textEnd[0]).toMatchObject({ output_index: 0, content_index: 0, text: 'Bonjour!', logprobs: [] });
    expect(textEnd[2]?.['item']).toMatchObject({ type: 'message', status: 'incomplete', content: [{ type: 'output_text', text: 'Bonjour!', annotations: [] }] });

    // Cut inside the second summary part of a reasoning item: the first part is done already.
    const reasoning = watchPrefix(upstreamEvents('reasoning-summary').events, 28);
    const reasoningEnd = parsed(reasoning.watcher.earlyEnd('length', USAGE));
    expect(reasoningEnd.map((e) => e['type'])).toEqual(['response.reasoning_summary_text.done', 'response.reasoning_summary_part.done', 'response.output_item.done', 'response.incomplete']);
    expect(reasoningEnd[0]).toMatchObject({ summary_index: 1, text: '**Drafting the' });
    const summary = (reasoningEnd[2]?.['item'] as Obj)['summary'] as Obj[];
    expect(summary.map((part) => part['text'])).toEqual(['**Checking the loop**\n\nThe user asks why the loop never ends. The index is never incremented.', '**Drafting the']);
    expect(summarize(reasoning.chunks).reasoning).toBe('**Checking the loop**\n\nThe user asks why the loop never ends. The index is never incremented.\n\n**Drafting the');

    // Two calls: the first done upstream, the second cut in its arguments.
    const tools = watchPrefix(upstreamEvents('parallel-tools').events, 17);
    const toolsEnd = parsed(tools.watcher.earlyEnd('length', USAGE));
    expect(toolsEnd.map((e) => e['type'])).toEqual(['response.function_call_arguments.done', 'response.output_item.done', 'response.incomplete']);
    expect(toolsEnd[0]).toMatchObject({ output_index: 1, name: 'get_weather', arguments: '{"city' });
    const output = (toolsEnd[2]?.['response'] as Obj)['output'] as Obj[];
    expect(output.map((item) => [item['status'], item['arguments']])).toEqual([
      ['completed', '{"city":"Paris","unit":"celsius"}'],
      ['incomplete', '{"city'],
    ]);
  });

  it('does not repeat a text .done event the upstream already sent', () => {
    const up = upstream();
    up.add('response.created', { response: RESPONSE });
    up.add('response.output_item.added', { output_index: 0, item: { id: 'msg_1', type: 'message', status: 'in_progress', role: 'assistant', content: [] } });
    up.add('response.content_part.added', { item_id: 'msg_1', output_index: 0, content_index: 0, part: { type: 'output_text', annotations: [], text: '' } });
    up.add('response.output_text.delta', { item_id: 'msg_1', output_index: 0, content_index: 0, delta: 'Hi' });
    up.add('response.output_text.done', { item_id: 'msg_1', output_index: 0, content_index: 0, text: 'Hi' });
    const { prefix, watcher } = watchPrefix(up.all, up.all.length);
    const ending = watcher.earlyEnd('length', USAGE);
    expect(validateResponsesSse(prefix + ending)).toEqual([]);
    expect(parsed(ending).map((e) => e['type'])).toEqual(['response.content_part.done', 'response.output_item.done', 'response.incomplete']);
    expect(parsed(ending)[1]?.['item']).toEqual({
      id: 'msg_1',
      type: 'message',
      status: 'incomplete',
      role: 'assistant',
      content: [{ type: 'output_text', annotations: [], text: 'Hi' }],
    });
  });

  it('starts a response of its own when the upstream never created one', async () => {
    const watcher = new ResponsesPassthroughWatcher(OPTIONS, { newId: (prefix) => `${prefix}gw`, now: () => 1_700_000_000_000 });
    const ending = watcher.failure('upstream_timeout', 'no answer');
    expect(validateResponsesSse(ending)).toEqual([]);
    const events = parsed(ending);
    expect(events.map((e) => [e['type'], e['sequence_number']])).toEqual([
      ['response.created', 0],
      ['response.in_progress', 1],
      ['response.failed', 2],
    ]);
    expect(events[2]?.['response']).toMatchObject({ id: 'resp_gw', created_at: 1_700_000_000, model: 'client-model', status: 'failed', error: { code: 'upstream_timeout', message: 'no answer' }, output: [] });
    const final = await sdkFinal(ending);
    expect(final).toMatchObject({ id: 'resp_gw', status: 'failed', error: { code: 'upstream_timeout' } });

    const early = new ResponsesPassthroughWatcher(OPTIONS).earlyEnd('length', USAGE);
    expect(validateResponsesSse(early)).toEqual([]);
    expect(parsed(early).map((e) => e['type'])).toEqual(['response.created', 'response.in_progress', 'response.incomplete']);
  });

  it('writes nothing after the upstream ended the response itself', () => {
    for (const name of ['text', 'incomplete', 'failed'] as const) {
      const events = frame(fixtureText(name));
      const { watcher } = watchPrefix(events, events.length);
      expect(watcher.failure('x', 'y'), name).toBe('');
      expect(watcher.earlyEnd('length', USAGE), name).toBe('');
      expect(watcher.event(events[0] ?? { event: undefined, data: '{}', id: undefined }), name).toEqual([]);
    }
  });

  it('after an error event, reports one error and still ends the stream with response.failed', () => {
    const events = frame(fixtureText('error-event'));
    const { prefix, watcher, chunks } = watchPrefix(events, events.length);
    expect(chunks).toEqual([{ type: 'error', code: 'rate_limit_exceeded', message: expect.stringContaining('Rate limit reached') as unknown }]);
    // OpenAI follows an error event with response.failed: the IR error is not repeated.
    expect(watcher.event({ event: 'response.failed', data: JSON.stringify({ type: 'response.failed', sequence_number: 3, response: { error: { code: 'x', message: 'y' } } }), id: undefined })).toEqual([]);
    const other = watchPrefix(events, events.length).watcher;
    const ending = other.failure('upstream_error', 'ended');
    expect(validateResponsesSse(prefix + ending)).toEqual([]);
    expect(parsed(ending)[0]).toMatchObject({ type: 'response.failed', sequence_number: 3 });
  });

  it('returns [] for data that is not a JSON object, and never throws', () => {
    const watcher = new ResponsesPassthroughWatcher(OPTIONS);
    const bad = ['not json', '[DONE]', '[1,2]', 'null', '"text"', '{"type":"response.output_text.delta"}', '{"type":"response.output_item.added","item":null}',
      '{"type":"response.function_call_arguments.delta","item_id":"nope","delta":"x"}', '{"type":"__proto__"}', '{"type":"constructor"}', '{"type":"response.output_text.done","item_id":7}',
      '{"type":"response.content_part.added","output_index":"0","part":[]}', '{"type":"response.completed","response":"no"}'];
    for (const data of bad.slice(0, -1)) expect(watcher.event({ event: undefined, data, id: undefined }), data).toEqual([]);
    // A terminal event without a response object still ends the response.
    expect(watcher.event({ event: undefined, data: bad.at(-1) ?? '', id: undefined })).toEqual([{ type: 'finish', reason: 'stop' }]);
  });

  it('is what the Responses client codec creates', () => {
    expect(responsesClientCodec.createPassthroughWatcher(OPTIONS)).toBeInstanceOf(ResponsesPassthroughWatcher);
  });
});
