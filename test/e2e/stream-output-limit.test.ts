/**
 * A Responses client on a translated route gets the whole output repeated in
 * its final events, so the gateway holds it: `server.stream_output_limit`
 * bounds how much. An upstream that streams past it is stopped and the client
 * gets `response.failed` naming the limit (recorded `error`); an answer under
 * it completes; a Chat client, whose encoder holds nothing, is not limited.
 * The same holds for a pass-through Responses stream a policy watches: its
 * watcher keeps the items it follows, to end them all done.
 */
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway.js';
import { validateResponsesSse } from '../../src/translators/openai-responses/index.js';
import { config, model, provider, startTestGateway } from '../helpers/gateway.js';
import { tokenCeilingPolicy } from '../helpers/policies.js';
import { startOpenAIUpstream } from '../simulators/openai-upstream.js';
import type { OpenAIUpstream } from '../simulators/openai-upstream.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

const LIMIT = 2_000;
const chunk = (delta: Record<string, unknown>, finish: string | null = null): string =>
  `data: ${JSON.stringify({ id: 'chatcmpl-l', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'm', choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })}\n\n`;

/** `words` chunks of 10 characters each, then the finish chunk and [DONE]. */
async function setup(words: number): Promise<{ gateway: Gateway; upstream: OpenAIUpstream }> {
  const upstream = await startOpenAIUpstream((_req, res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    for (let i = 0; i < words; i++) res.write(chunk({ content: 'abcdefghi ' }));
    res.end(chunk({}, 'stop') + 'data: [DONE]\n\n');
  });
  cleanups.push(() => upstream.close());
  const gateway = await startTestGateway(config([provider({ name: 'up', kind: 'openai-compatible', baseUrl: upstream.url })], [model('m', ['up/m'])], { streamOutputLimitBytes: LIMIT }));
  cleanups.push(() => gateway.close());
  return { gateway, upstream };
}

async function responsesEvents(gateway: Gateway): Promise<{ text: string; events: Array<{ type: string; response?: { status: string; error: { message: string } | null } }> }> {
  const response = await fetch(`${gateway.url}/v1/responses`, { method: 'POST', body: JSON.stringify({ model: 'm', stream: true, input: 'hi' }) });
  const text = await response.text();
  const events = text
    .split('\n')
    .filter((line) => line.startsWith('data: '))
    .map((line) => JSON.parse(line.slice('data: '.length)) as { type: string; response?: { status: string; error: { message: string } | null } });
  return { text, events };
}

async function lastStatus(gateway: Gateway): Promise<string> {
  for (let i = 0; i < 50; i++) {
    const rows = await gateway.ledger.recent(10);
    if (rows.length > 0) return rows[0]!.status;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('no ledger row');
}

describe('server.stream_output_limit', () => {
  it('ends a Responses stream past the limit with response.failed naming it, and records an error', async () => {
    const { gateway } = await setup(1_000);
    const { text, events } = await responsesEvents(gateway);
    expect(validateResponsesSse(text)).toEqual([]);
    const last = events.at(-1)!;
    expect(last.type).toBe('response.failed');
    expect(last.response?.error?.message).toContain(`limit of ${LIMIT} characters`);
    expect(last.response?.error?.message).toContain('server.stream_output_limit');
    expect(last.response?.error?.message).toContain('[output_too_large]');
    const deltas = events.filter((e) => e.type === 'response.output_text.delta').length;
    expect(deltas * 10).toBeLessThanOrEqual(LIMIT);
    expect(await lastStatus(gateway)).toBe('error');
  });

  it('lets an answer under the limit complete', async () => {
    const { gateway } = await setup(150);
    const { events } = await responsesEvents(gateway);
    expect(events.at(-1)?.type).toBe('response.completed');
    expect(await lastStatus(gateway)).toBe('ok');
  });

  it('does not limit a Chat client (its stream holds nothing)', async () => {
    const { gateway } = await setup(1_000);
    const response = await fetch(`${gateway.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }] }) });
    const text = await response.text();
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(text).not.toContain('"error"');
    expect(await lastStatus(gateway)).toBe('ok');
  });

  it('ends a watched pass-through Responses stream past the limit with response.failed continuing its sequence', async () => {
    const event = (type: string, body: Record<string, unknown>): string => `event: ${type}\ndata: ${JSON.stringify({ type, ...body })}\n\n`;
    const response = { id: 'resp_big', object: 'response', created_at: 1_700_000_000, status: 'in_progress', model: 'm', output: [], usage: null };
    const ref = { item_id: 'msg_big', output_index: 0, content_index: 0 };
    const upstream = await startOpenAIUpstream((_req, res: ServerResponse) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(event('response.created', { sequence_number: 0, response }));
      res.write(event('response.in_progress', { sequence_number: 1, response }));
      res.write(event('response.output_item.added', { sequence_number: 2, output_index: 0, item: { id: 'msg_big', type: 'message', status: 'in_progress', role: 'assistant', content: [] } }));
      res.write(event('response.content_part.added', { sequence_number: 3, ...ref, part: { type: 'output_text', text: '', annotations: [] } }));
      for (let i = 0; i < 1_000; i++) res.write(event('response.output_text.delta', { sequence_number: 4 + i, ...ref, delta: 'abcdefghi ' }));
      res.end();
    });
    cleanups.push(() => upstream.close());
    const gateway = await startTestGateway(config([provider({ name: 'oa', kind: 'openai', baseUrl: upstream.url, apiKey: 'sk-x' })], [model('m', ['oa/m'])], { streamOutputLimitBytes: LIMIT }), {
      policies: [tokenCeilingPolicy(1_000_000)],
    });
    cleanups.push(() => gateway.close());
    const { text, events } = await responsesEvents(gateway);
    expect(validateResponsesSse(text)).toEqual([]);
    const last = events.at(-1)!;
    expect(last.type).toBe('response.failed');
    expect(last.response?.error?.message).toContain('[output_too_large]');
    const sequence = events.map((e) => (e as unknown as { sequence_number: number }).sequence_number);
    expect(sequence).toEqual(sequence.map((_, i) => i));
    expect(await lastStatus(gateway)).toBe('error');
  });
});
