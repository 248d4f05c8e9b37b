/**
 * The admit stage's typed edits reach the upstream on every path: an
 * output-token ceiling lands in the field each format's upstream reads (and
 * a client's lower ceiling stands), a model edit routes the call to another
 * model. The request is turned into the IR once per call, however many
 * attempts and observers read it. Providers pass their request options to
 * their codec.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ModelConfig } from '../../src/config/types.js';
import type { Admission, RequestEdit, RequestPolicy } from '../../src/pipeline/contracts.js';
import { matchesModelPattern } from '../../src/pipeline/principal.js';
import { responsesClientCodec } from '../../src/translators/openai-responses/index.js';
import { config, provider, startTestGateway } from '../helpers/gateway.js';
import { replyJson, replySse, startOpenAIUpstream } from '../simulators/openai-upstream.js';
import type { RecordedRequest } from '../simulators/openai-upstream.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  vi.restoreAllMocks();
  while (cleanups.length > 0) await cleanups.pop()!();
});

function editing(edit: RequestEdit): RequestPolicy {
  return { name: 'edit', admit: (): Admission => ({ edit }) };
}

function route(name: string, providerName: string, upstreamModel: string, api?: 'chat' | 'responses'): ModelConfig {
  return { name, aliases: [], balancing: 'weighted', route: [{ provider: providerName, model: upstreamModel, weight: 1, priority: 1, ...(api === undefined ? {} : { api }) }] };
}

const chatReply = { id: 'chatcmpl-1', object: 'chat.completion', created: 1, model: 'x', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } };
const chatFrames = [
  `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'x', choices: [{ index: 0, delta: { role: 'assistant', content: 'ok' }, finish_reason: null }] })}\n\n`,
  `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'x', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`,
  `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'x', choices: [], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } })}\n\n`,
  'data: [DONE]\n\n',
];

/** An upstream answering Chat (JSON or SSE) whatever it is asked, recording each request. */
async function chatUpstream(status = 200) {
  const upstream = await startOpenAIUpstream((req: RecordedRequest, res) => {
    if (status !== 200) return replyJson(res, status, { error: { message: 'down', type: 'server_error', code: null } });
    if ((req.body as { stream?: boolean }).stream === true) return replySse(res, chatFrames);
    return replyJson(res, 200, chatReply);
  });
  cleanups.push(() => upstream.close());
  return upstream;
}

async function gateway(models: ModelConfig[], upstreamUrl: string, policies: RequestPolicy[], kind: 'openai' | 'openai-compatible' = 'openai-compatible', extra: Record<string, unknown> = {}) {
  const gw = await startTestGateway(config([provider({ name: 'up', kind, baseUrl: upstreamUrl, apiKey: 'sk-x', ...extra })], models), { policies });
  cleanups.push(() => gw.close());
  return gw;
}

const post = (url: string, path: string, body: unknown) => fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('an output-token ceiling set by a policy', () => {
  it('pass-through Chat: written to the field the upstream reads when the client set none, lowering max_tokens when it did', async () => {
    const upstream = await chatUpstream();
    const gw = await gateway([route('m', 'up', 'up-model')], upstream.url, [editing({ maxOutputTokens: 50 })], 'openai');
    await (await post(gw.url, '/v1/chat/completions', { model: 'm', messages: [{ role: 'user', content: 'hi' }] })).json();
    await (await post(gw.url, '/v1/chat/completions', { model: 'm', max_tokens: 500, messages: [{ role: 'user', content: 'hi' }] })).json();
    await (await post(gw.url, '/v1/chat/completions', { model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] })).json();
    const bodies = upstream.requests.map((r) => r.body as Record<string, unknown>);
    expect(bodies[0]).toMatchObject({ model: 'up-model', max_completion_tokens: 50 });
    expect(bodies[1]).toMatchObject({ max_tokens: 50 });
    expect(bodies[1]).not.toHaveProperty('max_completion_tokens');
    // The client's lower ceiling stands, and its body is sent as it was.
    expect(bodies[2]).toMatchObject({ max_tokens: 10 });
    expect(upstream.requests[2]!.text).toContain('"max_tokens":10');
  });

  it('pass-through Chat to an OpenAI-compatible server: a ceiling the client did not set goes in max_tokens (the field such servers read)', async () => {
    const upstream = await chatUpstream();
    const gw = await gateway([route('m', 'up', 'up-model')], upstream.url, [editing({ maxOutputTokens: 50 })]);
    await (await post(gw.url, '/v1/chat/completions', { model: 'm', messages: [{ role: 'user', content: 'hi' }] })).json();
    await (await post(gw.url, '/v1/chat/completions', { model: 'm', max_completion_tokens: 500, messages: [{ role: 'user', content: 'hi' }] })).json();
    const bodies = upstream.requests.map((r) => r.body as Record<string, unknown>);
    expect(bodies[0]).toMatchObject({ model: 'up-model', max_tokens: 50 });
    expect(bodies[0]).not.toHaveProperty('max_completion_tokens');
    // The client's own field stands.
    expect(bodies[1]).toMatchObject({ max_completion_tokens: 50 });
    expect(bodies[1]).not.toHaveProperty('max_tokens');
  });

  it('translated (Responses client, Chat upstream): the IR carries the ceiling into the provider’s field', async () => {
    const upstream = await chatUpstream();
    const gw = await gateway([route('m', 'up', 'up-model')], upstream.url, [editing({ maxOutputTokens: 40 })], 'openai-compatible', { maxTokensField: 'max_completion_tokens' });
    const response = await post(gw.url, '/v1/responses', { model: 'm', input: 'hi', max_output_tokens: 900 });
    expect(response.status).toBe(200);
    await response.json();
    const body = upstream.requests[0]!.body as Record<string, unknown>;
    expect(body['max_completion_tokens']).toBe(40);
    expect(body).not.toHaveProperty('max_tokens');
  });
});

describe('a model edit (downgrade)', () => {
  it('routes the call to the model the policy named', async () => {
    const upstream = await chatUpstream();
    const gw = await gateway([route('big', 'up', 'big-upstream'), route('small', 'up', 'small-upstream')], upstream.url, [editing({ model: 'small' })]);
    const response = await post(gw.url, '/v1/chat/completions', { model: 'big', messages: [{ role: 'user', content: 'hi' }] });
    expect(response.headers.get('x-tollgate-model')).toBe('small-upstream');
    await response.json();
    expect((upstream.requests[0]!.body as { model: string }).model).toBe('small-upstream');
  });
});

describe('the IR, built once per call', () => {
  it('is parsed once for a translated call retried on its deployment, read by a policy and metered after', async () => {
    // The first attempt fails, the second streams an answer without usage: the gateway estimates it from the IR.
    let calls = 0;
    const upstream = await startOpenAIUpstream((_req, res) => {
      if (calls++ === 0) return replyJson(res, 503, { error: { message: 'busy', type: 'server_error', code: null } });
      return replySse(res, [chatFrames[0]!, chatFrames[1]!, chatFrames[3]!]);
    });
    cleanups.push(() => upstream.close());
    const parse = vi.spyOn(responsesClientCodec, 'parseRequest');
    const gw = await gateway([route('m', 'up', 'up-model')], upstream.url, [{ name: 'reads-ir', admit: (call) => (call.ir(), undefined) }]);
    const response = await fetch(`${gw.url}/v1/responses`, { method: 'POST', headers: { 'x-request-id': 'ir-once' }, body: JSON.stringify({ model: 'm', input: 'hi', stream: true }) });
    expect(response.status).toBe(200);
    await response.text();
    expect(upstream.requests).toHaveLength(2);
    const row = (await gw.ledger.recent(10)).find((r) => r.requestId === 'ir-once');
    expect(row?.estimated).toBe(true);
    expect(parse).toHaveBeenCalledTimes(1);
  });
});

describe('provider request options', () => {
  it('an openai provider gets translated requests with max_completion_tokens (its reasoning models reject max_tokens)', async () => {
    const upstream = await chatUpstream();
    const gw = await gateway([route('m', 'up', 'o4-mini', 'chat')], upstream.url, [], 'openai');
    await (await post(gw.url, '/v1/responses', { model: 'm', input: 'hi', max_output_tokens: 300 })).json();
    const body = upstream.requests[0]!.body as Record<string, unknown>;
    expect(body['max_completion_tokens']).toBe(300);
    expect(body).not.toHaveProperty('max_tokens');
  });

  it('send_reasoning sends earlier reasoning back to an openai-compatible server', async () => {
    const upstream = await chatUpstream();
    const input = [
      { type: 'message', role: 'user', content: 'first' },
      { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: 'I thought about it.' }] },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'answer' }] },
      { type: 'message', role: 'user', content: 'second' },
    ];
    const plain = await gateway([route('m', 'up', 'up-model')], upstream.url, []);
    await (await post(plain.url, '/v1/responses', { model: 'm', input })).json();
    const sending = await gateway([route('m', 'up', 'up-model')], upstream.url, [], 'openai-compatible', { sendReasoning: true });
    await (await post(sending.url, '/v1/responses', { model: 'm', input })).json();
    const [without, withReasoning] = upstream.requests.map((r) => JSON.stringify(r.body));
    expect(without).not.toContain('I thought about it.');
    expect(withReasoning).toContain('I thought about it.');
  });
});

describe('model patterns', () => {
  it('match with * anywhere', () => {
    expect(matchesModelPattern('gpt-*', 'gpt-4.1')).toBe(true);
    expect(matchesModelPattern('gpt-*', 'gpt-')).toBe(true);
    expect(matchesModelPattern('*-mini', 'gpt-4.1-mini')).toBe(true);
    expect(matchesModelPattern('ollama/*:20b', 'ollama/gpt-oss:20b')).toBe(true);
    expect(matchesModelPattern('ollama/*:20b', 'ollama/gpt-oss:120b-x')).toBe(false);
    expect(matchesModelPattern('a*b*c', 'abc')).toBe(true);
    expect(matchesModelPattern('a*b*c', 'acb')).toBe(false);
    expect(matchesModelPattern('exact', 'exact')).toBe(true);
    expect(matchesModelPattern('exact', 'exactly')).toBe(false);
  });
});
