/**
 * A pass-through Responses stream that is cut off midway (connection reset,
 * idle timeout, body ended without a terminal event) ends with a
 * `response.failed` that continues the stream the client already has: the
 * upstream's response id, the next sequence number, and no second
 * `response.created`. The same for Chat: an error event and `[DONE]`, with
 * nothing restarted.
 */
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { validateResponsesSse } from '../../src/translators/openai-responses/index.js';
import { config, model, provider, startTestGateway } from '../helpers/gateway.js';
import { startOpenAIUpstream } from '../simulators/openai-upstream.js';

const RESPONSE_ID = 'resp_upstream_cut';

function event(type: string, body: Record<string, unknown>): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...body })}\n\n`;
}

/** The opening of a real Responses stream: created, in_progress, a message item, three text deltas (sequence 0–6). */
function opening(): string[] {
  const response = { id: RESPONSE_ID, object: 'response', created_at: 1_700_000_000, status: 'in_progress', model: 'm', output: [], usage: null };
  const ref = { item_id: 'msg_cut', output_index: 0, content_index: 0 };
  return [
    event('response.created', { sequence_number: 0, response }),
    event('response.in_progress', { sequence_number: 1, response }),
    event('response.output_item.added', { sequence_number: 2, output_index: 0, item: { id: 'msg_cut', type: 'message', status: 'in_progress', role: 'assistant', content: [] } }),
    event('response.content_part.added', { sequence_number: 3, ...ref, part: { type: 'output_text', text: '', annotations: [] } }),
    event('response.output_text.delta', { sequence_number: 4, ...ref, delta: 'The answer ' }),
    event('response.output_text.delta', { sequence_number: 5, ...ref, delta: 'is being ' }),
    event('response.output_text.delta', { sequence_number: 6, ...ref, delta: 'written' }),
  ];
}

type Cut = (res: ServerResponse) => void;

const CUTS: Array<{ name: string; cut: Cut }> = [
  { name: 'connection reset', cut: (res) => setTimeout(() => res.destroy(), 20) },
  { name: 'idle timeout (the upstream goes silent)', cut: () => undefined },
  { name: 'body ended without a terminal event', cut: (res) => res.end() },
];

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function gatewayOver(handler: (res: ServerResponse) => void) {
  const upstream = await startOpenAIUpstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    handler(res);
  });
  cleanups.push(() => upstream.close());
  const timeouts = { connectMs: 1_000, firstByteMs: 1_000, idleMs: 300, totalMs: 10_000 };
  const gateway = await startTestGateway(config([provider({ name: 'oa', kind: 'openai', baseUrl: upstream.url, apiKey: 'sk-x', timeouts })], [model('m', ['oa/m'])]));
  cleanups.push(() => gateway.close());
  return { upstream, gateway };
}

describe.each(CUTS)('a pass-through Responses stream cut off: $name', ({ cut }) => {
  it('ends with one response.failed that continues the same response', async () => {
    const { upstream, gateway } = await gatewayOver((res) => {
      for (const frame of opening()) res.write(frame);
      cut(res);
    });
    const response = await fetch(`${gateway.url}/v1/responses`, { method: 'POST', body: JSON.stringify({ model: 'm', input: 'hi', stream: true }) });
    const text = await response.text();
    expect(validateResponsesSse(text)).toEqual([]);
    const events = text
      .split('\n')
      .filter((line) => line.startsWith('data: '))
      .map((line) => JSON.parse(line.slice('data: '.length)) as { type: string; sequence_number: number; response?: { id: string; status: string } });
    expect(events.filter((e) => e.type === 'response.created')).toHaveLength(1);
    expect(events.map((e) => e.sequence_number)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const last = events.at(-1)!;
    expect(last.type).toBe('response.failed');
    expect(last.response?.id).toBe(RESPONSE_ID);
    expect(last.response?.status).toBe('failed');
    // Never retried once the client had bytes.
    expect(upstream.requests).toHaveLength(1);
  });
});

describe('a pass-through Chat stream cut off', () => {
  it('ends with an error event and [DONE], nothing restarted', async () => {
    const chunk = (content: string) => `data: ${JSON.stringify({ id: 'chatcmpl-cut', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;
    const { gateway } = await gatewayOver((res) => {
      res.write(chunk('Hello'));
      res.write(chunk(' there'));
      setTimeout(() => res.destroy(), 20);
    });
    const response = await fetch(`${gateway.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }] }) });
    const data = (await response.text()).split('\n').filter((line) => line.startsWith('data: ')).map((line) => line.slice('data: '.length));
    expect(data.at(-1)).toBe('[DONE]');
    const error = JSON.parse(data.at(-2)!) as { error?: { code: string } };
    expect(error.error?.code).toBe('upstream_interrupted');
    expect(data.filter((d) => d.includes('chatcmpl-cut'))).toHaveLength(2);
  });
});
