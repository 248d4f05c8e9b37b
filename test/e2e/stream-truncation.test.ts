/**
 * A stream whose upstream body ends cleanly but early — a Chat stream with
 * neither `data: [DONE]` nor a `finish_reason`, an Ollama stream without its
 * `done: true` line, a Responses stream without its terminal event — is a
 * truncated answer, on every path: the client gets the protocol's terminal
 * error (Chat: an error event the `openai` SDK raises as an APIError, then
 * `[DONE]`; Responses: `response.failed`), and the call is recorded `error`
 * in the ledger and in `llm_requests_total`.
 *
 * A Chat stream with a `finish_reason` whose server never sends `[DONE]`
 * (older vLLM, some Ollama OpenAI endpoints) is complete: it is recorded `ok`,
 * and the client's stream still ends with `[DONE]`.
 */
import type { ServerResponse } from 'node:http';
import { Writable } from 'node:stream';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway.js';
import type { ModelConfig, ProviderConfig } from '../../src/config/types.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { validateResponsesSse } from '../../src/translators/openai-responses/index.js';
import { config, model, provider, startTestGateway } from '../helpers/gateway.js';
import { tokenCeilingPolicy } from '../helpers/policies.js';
import { startOpenAIUpstream } from '../simulators/openai-upstream.js';

const cleanups: Array<() => Promise<void>> = [];
/** The gateway's log lines, parsed (each test's gateway writes here). */
let logged: Array<Record<string, unknown>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
  logged = [];
});
const sink = new Writable({
  write(chunk: Buffer, _encoding, callback) {
    for (const line of chunk.toString().split('\n')) if (line !== '') logged.push(JSON.parse(line) as Record<string, unknown>);
    callback();
  },
});

const chatChunk = (delta: Record<string, unknown>, finish: string | null = null): string =>
  `data: ${JSON.stringify({ id: 'chatcmpl-t', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'm', choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })}\n\n`;
const usageChunk = `data: ${JSON.stringify({ id: 'chatcmpl-t', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'm', choices: [], usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } })}\n\n`;

/** A Chat stream cut after two content chunks: no finish_reason, no [DONE], the body ends cleanly. */
const CHAT_CUT = [chatChunk({ role: 'assistant', content: 'Hello' }), chatChunk({ content: ' there' })];
/** A whole Chat answer whose server does not send [DONE]. */
const CHAT_NO_DONE = [chatChunk({ role: 'assistant', content: 'Hello' }), chatChunk({ content: ' there' }), chatChunk({}, 'stop'), usageChunk];

const ollamaLine = (content: string): string => `${JSON.stringify({ model: 'm', created_at: '2024-01-01T00:00:00Z', message: { role: 'assistant', content }, done: false })}\n`;

function responsesEvent(type: string, body: Record<string, unknown>): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...body })}\n\n`;
}
/** A Responses stream cut after its first text deltas: no terminal event. */
function responsesCut(): string[] {
  const response = { id: 'resp_cut', object: 'response', created_at: 1_700_000_000, status: 'in_progress', model: 'm', output: [], usage: null };
  const ref = { item_id: 'msg_cut', output_index: 0, content_index: 0 };
  return [
    responsesEvent('response.created', { sequence_number: 0, response }),
    responsesEvent('response.in_progress', { sequence_number: 1, response }),
    responsesEvent('response.output_item.added', { sequence_number: 2, output_index: 0, item: { id: 'msg_cut', type: 'message', status: 'in_progress', role: 'assistant', content: [] } }),
    responsesEvent('response.content_part.added', { sequence_number: 3, ...ref, part: { type: 'output_text', text: '', annotations: [] } }),
    responsesEvent('response.output_text.delta', { sequence_number: 4, ...ref, delta: 'Hello' }),
  ];
}

async function gatewayOver(
  frames: readonly string[],
  upstreamProvider: (url: string) => ProviderConfig,
  models: ModelConfig[] = [model('m', ['up/m'])],
  watched = false,
): Promise<Gateway> {
  const upstream = await startOpenAIUpstream((_req, res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    for (const frame of frames) res.write(frame);
    // A clean end of the body: no reset, no timeout.
    res.end();
  });
  cleanups.push(() => upstream.close());
  const log = createLogger({ level: 'info' }, sink);
  const gateway = await startTestGateway(config([upstreamProvider(upstream.url)], models), watched ? { log, policies: [tokenCeilingPolicy(1_000_000)] } : { log });
  cleanups.push(() => gateway.close());
  return gateway;
}

const compatible = (url: string): ProviderConfig => provider({ name: 'up', kind: 'openai-compatible', baseUrl: url });
const ollama = (url: string): ProviderConfig => provider({ name: 'up', kind: 'ollama', baseUrl: url.replace(/\/v1$/, '') });
const openai = (url: string): ProviderConfig => provider({ name: 'up', kind: 'openai', baseUrl: url, apiKey: 'sk-x' });
const responsesOnly: ModelConfig[] = [{ ...model('m', ['up/m']), route: model('m', ['up/m']).route.map((d) => ({ ...d, api: 'responses' as const })) }];

async function chatStream(gateway: Gateway): Promise<string[]> {
  const response = await fetch(`${gateway.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }] }) });
  expect(response.status).toBe(200);
  return (await response.text()).split('\n').filter((line) => line.startsWith('data: ')).map((line) => line.slice('data: '.length));
}

async function lastStatus(gateway: Gateway): Promise<string> {
  // The ledger row is written when the call settles, just after the client's stream ends.
  for (let i = 0; i < 50; i++) {
    const rows = await gateway.ledger.recent(10);
    if (rows.length > 0) return rows[0]!.status;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('no ledger row');
}

async function requestsTotal(gateway: Gateway, status: string): Promise<number> {
  const text = await (await fetch(`${gateway.url}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('llm_requests_total{') && line.includes(`status="${status}"`))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

async function expectChatTruncated(gateway: Gateway): Promise<void> {
  const data = await chatStream(gateway);
  expect(data.at(-1)).toBe('[DONE]');
  const error = JSON.parse(data.at(-2)!) as { error?: { code: string; message: string; type: string } };
  expect(error.error?.code).toBe('upstream_truncated');
  expect(error.error?.message).toMatch(/ended the stream before/);
  // The content already relayed is not repeated, and nothing was restarted.
  expect(data.filter((d) => d.includes('Hello'))).toHaveLength(1);
  expect(await lastStatus(gateway)).toBe('error');
  expect(await requestsTotal(gateway, 'error')).toBe(1);
  expect(await requestsTotal(gateway, 'ok')).toBe(0);
  // The operator sees it too: one warning with the code, the provider and what happened.
  const warnings = logged.filter((entry) => entry['code'] === 'upstream_truncated');
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toMatchObject({ level: 'warn', provider: 'up' });
  expect(String(warnings[0]!['msg'])).toMatch(/ended the stream before the response was complete/);
}

describe('a Chat stream that ends without [DONE] or finish_reason', () => {
  it('pass-through: an error event and [DONE], recorded error', async () => {
    await expectChatTruncated(await gatewayOver(CHAT_CUT, compatible));
  });

  it('pass-through, read by the openai SDK: the stream raises an APIError', async () => {
    const gateway = await gatewayOver(CHAT_CUT, compatible);
    const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    const seen: string[] = [];
    const reading = (async () => {
      for await (const chunk of stream) seen.push(chunk.choices[0]?.delta.content ?? '');
    })();
    await expect(reading).rejects.toMatchObject({ constructor: OpenAI.APIError, code: 'upstream_truncated' });
    expect(seen.join('')).toBe('Hello there');
  });

  it('pass-through watched by a stream hook: an error event and [DONE], recorded error', async () => {
    await expectChatTruncated(await gatewayOver(CHAT_CUT, compatible, undefined, true));
  });

  it('translated from Ollama (no done line): an error event and [DONE], recorded error', async () => {
    await expectChatTruncated(await gatewayOver([ollamaLine('Hello'), ollamaLine(' there')], ollama));
  });

  it('translated from a Responses upstream (no terminal event): an error event and [DONE], recorded error', async () => {
    await expectChatTruncated(await gatewayOver(responsesCut(), openai, responsesOnly));
  });

  it('translated to a Responses client: response.failed, recorded error', async () => {
    const gateway = await gatewayOver(CHAT_CUT, compatible);
    const response = await fetch(`${gateway.url}/v1/responses`, { method: 'POST', body: JSON.stringify({ model: 'm', stream: true, input: 'hi' }) });
    const text = await response.text();
    expect(validateResponsesSse(text)).toEqual([]);
    const last = JSON.parse(text.trim().split('\n').at(-1)!.slice('data: '.length)) as { type: string; response: { error: { code: string; message: string } } };
    expect(last.type).toBe('response.failed');
    // The code Codex does not retry on its own (see error-codes.ts); the message names the gateway's code.
    expect(last.response.error.code).toBe('invalid_prompt');
    expect(last.response.error.message).toMatch(/ended the stream before the response was complete .*\[upstream_truncated\]$/);
    expect(await lastStatus(gateway)).toBe('error');
    expect(await requestsTotal(gateway, 'error')).toBe(1);
  });
});

describe('a Chat stream with a finish_reason but no [DONE]', () => {
  it('pass-through: complete, recorded ok, and the client still gets [DONE]', async () => {
    const gateway = await gatewayOver(CHAT_NO_DONE, compatible);
    const data = await chatStream(gateway);
    expect(data.at(-1)).toBe('[DONE]');
    expect(data.some((d) => d.includes('"error"'))).toBe(false);
    expect(await lastStatus(gateway)).toBe('ok');
    expect(await requestsTotal(gateway, 'error')).toBe(0);
  });

  it('pass-through watched by a stream hook: complete, recorded ok', async () => {
    const gateway = await gatewayOver(CHAT_NO_DONE, compatible, undefined, true);
    const data = await chatStream(gateway);
    expect(data.at(-1)).toBe('[DONE]');
    expect(data.some((d) => d.includes('"error"'))).toBe(false);
    expect(await lastStatus(gateway)).toBe('ok');
  });

  it('translated to a Responses client: response.completed, recorded ok', async () => {
    const gateway = await gatewayOver(CHAT_NO_DONE, compatible);
    const response = await fetch(`${gateway.url}/v1/responses`, { method: 'POST', body: JSON.stringify({ model: 'm', stream: true, input: 'hi' }) });
    const text = await response.text();
    expect(validateResponsesSse(text)).toEqual([]);
    expect(text).toContain('"type":"response.completed"');
    expect(await lastStatus(gateway)).toBe('ok');
  });
});

describe('a long pass-through Responses stream cut before its terminal event', () => {
  it('ends with response.failed continuing the upstream response and its sequence, from the head and tail the relay kept', async () => {
    const ref = { item_id: 'msg_cut', output_index: 0, content_index: 0 };
    const frames = responsesCut();
    // About 1.5 MB of deltas: far more than the head and tail the relay keeps.
    for (let i = 0; i < 6_000; i++) frames.push(responsesEvent('response.output_text.delta', { sequence_number: 5 + i, ...ref, delta: 'lorem ipsum '.repeat(16) }));
    const gateway = await gatewayOver(frames, openai);
    const response = await fetch(`${gateway.url}/v1/responses`, { method: 'POST', body: JSON.stringify({ model: 'm', stream: true, input: 'hi' }) });
    const text = await response.text();
    expect(validateResponsesSse(text)).toEqual([]);
    const last = JSON.parse(text.trim().split('\n').at(-1)!.slice('data: '.length)) as { type: string; sequence_number: number; response: { id: string; error: { message: string } } };
    expect(last.type).toBe('response.failed');
    expect(last.sequence_number).toBe(5 + 6_000);
    expect(last.response.id).toBe('resp_cut');
    expect(last.response.error.message).toContain('[upstream_truncated]');
    expect(await lastStatus(gateway)).toBe('error');
  });
});
