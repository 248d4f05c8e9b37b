/**
 * The cost guardrails over the real HTTP interface, against the mock model
 * server (a real HTTP upstream that can ignore the output ceiling it is sent):
 *
 * - cut-off: a tenant's `max_output_tokens` goes upstream as the ceiling and
 *   is enforced on the live output when the upstream ignores it, on
 *   pass-through and translated routes, streamed or not;
 * - clamp: a ceiling the budget cannot pay for is lowered to what it can;
 * - downgrade: a nearly spent budget serves a cheaper model;
 * - a stream whose budget runs out ends with `insufficient_quota`;
 * - a prompt over its ceiling, an unpriced model, a 402 for Chat clients.
 *
 * What clients receive is read by the official `openai` SDK and, for
 * Responses streams, checked by the validator.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BudgetConfig, GatewayConfig, GuardrailsConfig, ModelConfig, TenantConfig } from '../../src/config/types.js';
import type { Gateway } from '../../src/gateway.js';
import { startMockUpstream, type MockUpstream } from '../../src/providers/mock/simulator.js';
import { validateResponsesSse } from '../../src/translators/openai-responses/index.js';
import { config, provider, startTestGateway } from '../helpers/gateway.js';
import { replySse, startOpenAIUpstream, type OpenAIUpstream } from '../simulators/openai-upstream.js';

const CUT = 8;
/** 300 words at 200 a second from an upstream that ignores the ceiling it is sent. */
const LONG_IGNORING = 'tell me everything [mock:words=300] [mock:tps=200] [mock:ignore_max_tokens]';

function route(name: string, upstreamModel: string, api?: 'chat' | 'responses'): ModelConfig {
  return { name, aliases: [], balancing: 'weighted', route: [{ provider: 'up', model: upstreamModel, weight: 1, priority: 1, ...(api === undefined ? {} : { api }) }] };
}

const day = (limitUsd: number): BudgetConfig => ({ period: 'day', limitUsd, soft: [], timeZone: 'UTC', reset: { hour: 0, minute: 0 } });
const tenant = (name: string, budgets: BudgetConfig[], guardrails?: GuardrailsConfig): TenantConfig => ({
  name,
  models: undefined,
  rpm: undefined,
  tpm: undefined,
  metadata: {},
  budgets,
  ...(guardrails === undefined ? {} : { guardrails }),
});

let upstream: MockUpstream;
/** A Chat upstream that records what it is sent (answers "ok"). */
let recorder: OpenAIUpstream;
let gateway: Gateway;
const keys = new Map<string, string>();

/** Prices per million tokens: `m` input 1 / output 10,000 (a token of output costs $0.01), `cheap` 1 / 1,000. */
const OUTPUT_PRICE = 10_000;

beforeAll(async () => {
  upstream = await startMockUpstream({ latencyMs: 0, tokensPerSecond: 0, scripts: {} });
  // A watched call goes upstream streamed (the gateway reads the output as it comes): answer as a Chat server does.
  recorder = await startOpenAIUpstream((_req, res) => {
    const chunk = (delta: Record<string, unknown>, finish: string | null) =>
      `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'r', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    void replySse(res, [chunk({ role: 'assistant', content: 'ok' }, null), chunk({}, 'stop'), 'data: [DONE]\n\n']);
  });
  const base = config(
    [provider({ name: 'up', kind: 'openai', baseUrl: upstream.url, apiKey: 'sk-test' }), provider({ name: 'rec', kind: 'openai-compatible', baseUrl: recorder.url })],
    [{ ...route('rec', 'r'), route: [{ provider: 'rec', model: 'r', weight: 1, priority: 1 }] }, route('pt', 'm'), route('tr-to-chat', 'm', 'chat'), route('tr-to-responses', 'm', 'responses'), route('cheap', 'cheap'), route('free', 'unpriced-model')],
  );
  const cfg: GatewayConfig = {
    ...base,
    pricing: {
      useDefaults: false,
      models: [
        { provider: 'up', model: 'm', input: 1, output: OUTPUT_PRICE },
        { provider: 'up', model: 'cheap', input: 1, output: 1_000 },
      ],
    },
    tenants: [
      tenant('cut', [], { maxOutputTokens: CUT }),
      // $3 pays for about 300 output tokens: a ceiling of 1,000 does not fit, 256 or more does.
      tenant('clamp', [day(3)], { clamp: { minOutputTokens: 256 } }),
      tenant('down', [day(100)], { downgrade: [{ whenRemainingBelow: 0.5, from: 'pt', to: 'cheap' }] }),
      tenant('clamp-r', [day(3)], { clamp: { minOutputTokens: 256 } }),
      // Any spend at all puts the remaining share under 99 %: every call after the first is downgraded.
      tenant('down-r', [day(10)], { downgrade: [{ whenRemainingBelow: 0.99, budget: 'day', from: 'p*', to: 'cheap' }] }),
      tenant('runout', [day(0.5)]),
      tenant('prompt', [], { maxPromptTokens: 50 }),
      tenant('unpriced', [day(100)]),
      tenant('pay', [day(0.01)], { chatRefusalStatus: 402 }),
    ],
  };
  gateway = await startTestGateway(cfg, { validateStreams: true });
  for (const t of cfg.tenants) keys.set(t.name, (await gateway.tenancy.createKey({ tenant: t.name })).key);
});

afterAll(async () => {
  await gateway?.close();
  await upstream?.close();
  await recorder?.close();
});

function sdk(tenantName: string): OpenAI {
  return new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: keys.get(tenantName)!, maxRetries: 0 });
}

function post(tenantName: string, path: 'chat/completions' | 'responses', body: Record<string, unknown>): Promise<Response> {
  return fetch(`${gateway.url}/v1/${path}`, { method: 'POST', headers: { authorization: `Bearer ${keys.get(tenantName)!}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

async function upstreamAborted(count: number): Promise<void> {
  const end = Date.now() + 3_000;
  while (upstream.stats.aborted < count) {
    if (Date.now() > end) throw new Error(`the upstream was not aborted (aborted: ${upstream.stats.aborted})`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const words = (text: string): number => text.split(/\s+/).filter(Boolean).length;

async function metric(name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${gateway.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

async function rows(): Promise<Awaited<ReturnType<Gateway['ledger']['recent']>>> {
  return gateway.ledger.recent(1_000);
}

describe.each([
  { path: 'pass-through', chatModel: 'pt', responsesModel: 'pt' },
  { path: 'translated', chatModel: 'tr-to-responses', responsesModel: 'tr-to-chat' },
])('the cut-off ($path)', ({ chatModel, responsesModel }) => {
  it('Chat, streamed, upstream ignoring the ceiling: ended at the ceiling with finish_reason length, upstream aborted', async () => {
    const aborted = upstream.stats.aborted;
    const before = await metric('tollgate_output_cutoffs_total', 'reason="max_output_tokens"');
    const stream = await sdk('cut').chat.completions.create({ model: chatModel, stream: true, messages: [{ role: 'user', content: LONG_IGNORING }] });
    let text = '';
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content) text += chunk.choices[0].delta.content;
      if (chunk.choices[0]?.finish_reason) finish = chunk.choices[0].finish_reason;
    }
    expect(finish).toBe('length');
    expect(words(text)).toBeGreaterThan(0);
    expect(words(text)).toBeLessThanOrEqual(CUT + 1);
    await upstreamAborted(aborted + 1);
    expect(await metric('tollgate_output_cutoffs_total', 'reason="max_output_tokens"')).toBe(before + 1);
  });

  it('Chat, not streamed: a completion ended at the ceiling', async () => {
    const completion = await sdk('cut').chat.completions.create({ model: chatModel, messages: [{ role: 'user', content: LONG_IGNORING }] });
    expect(completion.choices[0]?.finish_reason).toBe('length');
    expect(words(completion.choices[0]?.message.content ?? '')).toBeLessThanOrEqual(CUT + 1);
  });

  it('Responses, streamed: response.incomplete (max_output_tokens), validator-clean; the SDK reads it', async () => {
    const response = await post('cut', 'responses', { model: responsesModel, stream: true, input: LONG_IGNORING });
    const body = await response.text();
    expect(validateResponsesSse(body)).toEqual([]);
    const last = JSON.parse(body.trim().split('\n').at(-1)!.slice('data: '.length)) as { type: string; response: { incomplete_details: { reason: string } } };
    expect(last.type).toBe('response.incomplete');
    expect(last.response.incomplete_details.reason).toBe('max_output_tokens');
    const final = await sdk('cut').responses.stream({ model: responsesModel, input: LONG_IGNORING }).finalResponse();
    expect(final.status).toBe('incomplete');
    expect(words(final.output_text)).toBeLessThanOrEqual(CUT + 1);
  });

  it('Responses, not streamed: an incomplete response', async () => {
    const response = await sdk('cut').responses.create({ model: responsesModel, input: LONG_IGNORING });
    expect(response.status).toBe('incomplete');
    expect(response.incomplete_details?.reason).toBe('max_output_tokens');
  });

});

describe('the cut-off ceiling goes upstream', () => {
  it('as the request\'s own ceiling, in the field the upstream reads; a client\'s lower ceiling stands', async () => {
    await sdk('cut').chat.completions.create({ model: 'rec', messages: [{ role: 'user', content: 'hi' }] });
    await sdk('cut').chat.completions.create({ model: 'rec', max_tokens: 3, messages: [{ role: 'user', content: 'hi' }] });
    await sdk('cut').chat.completions.create({ model: 'rec', max_tokens: 300, messages: [{ role: 'user', content: 'hi' }] });
    const sent = recorder.requests.slice(-3).map((r) => r.body as { max_tokens?: number });
    expect(sent.map((b) => b.max_tokens)).toEqual([CUT, 3, CUT]);
  });
});

describe('the clamp', () => {
  it('lowers a ceiling the budget cannot pay for to what it can, says so, and the spend stays within the limit', async () => {
    const before = await metric('tollgate_clamped_requests_total', 'tenant="clamp"');
    const response = await post('clamp', 'chat/completions', { model: 'pt', max_tokens: 1_000, messages: [{ role: 'user', content: 'hi [mock:words=1000] [mock:ignore_max_tokens]' }] });
    expect(response.status).toBe(200);
    const clamped = Number(response.headers.get('x-tollgate-clamped-max-tokens'));
    // $3 less the prompt's bound pays for just under 300 output tokens at $0.01 each.
    expect(clamped).toBeGreaterThanOrEqual(256);
    expect(clamped).toBeLessThan(300);
    const body = (await response.json()) as { choices: Array<{ finish_reason: string }>; usage: { completion_tokens: number } };
    // The upstream ignored the ceiling; the gateway ended the output at it.
    expect(body.choices[0]!.finish_reason).toBe('length');
    expect(body.usage.completion_tokens).toBeLessThanOrEqual(clamped + 2);
    expect(await metric('tollgate_clamped_requests_total', 'tenant="clamp"')).toBe(before + 1);
    const [status] = gateway.budgets.book.statuses().filter((s) => s.ref.owner === 'clamp');
    expect(status!.reservedUsd).toBeCloseTo(0, 9);
    expect(status!.settledUsd).toBeLessThanOrEqual(3 + 2 * 0.01);
  });

  it('refuses when not even the floor fits', async () => {
    // What is left of $3 now pays for fewer than 256 tokens.
    const response = await post('clamp', 'chat/completions', { model: 'pt', max_tokens: 1_000, messages: [{ role: 'user', content: 'hi' }] });
    expect(response.status).toBe(429);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('insufficient_quota');
  });
});

describe('the downgrade', () => {
  it('serves the substitute once the remaining share is under the threshold: headers, metric and ledger', async () => {
    const first = await post('down', 'chat/completions', { model: 'pt', max_tokens: 100, messages: [{ role: 'user', content: 'hi [mock:words=40]' }] });
    expect(first.status).toBe(200);
    expect(first.headers.get('x-tollgate-model')).toBe('m');
    expect(first.headers.get('x-tollgate-downgraded-from')).toBeNull();
    await first.text();
    // Spend more than half of the $100: 4,500 words (the mock bills 6,000 tokens) at $0.01 a token = $60.
    // (Calls name their ceiling: without one a non-streamed call reserves the most the model can produce, which $100 cannot hold at these prices.)
    const big = await post('down', 'chat/completions', { model: 'pt', max_tokens: 7_000, messages: [{ role: 'user', content: 'hi [mock:words=4500]' }] });
    expect(big.status).toBe(200);
    await big.text();
    const status = gateway.budgets.book.statuses().find((s) => s.ref.owner === 'down')!;
    expect(status.settledUsd).toBeGreaterThan(50);
    const downgraded = await post('down', 'chat/completions', { model: 'pt', max_tokens: 100, messages: [{ role: 'user', content: 'hi [mock:words=5]' }] });
    expect(downgraded.status).toBe(200);
    expect(downgraded.headers.get('x-tollgate-model')).toBe('cheap');
    expect(downgraded.headers.get('x-tollgate-downgraded-from')).toBe('pt');
    await downgraded.text();
    expect(await metric('llm_downgrades_total', 'tenant="down",from="pt",to="cheap"')).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const row = (await rows()).find((r) => r.requestId === downgraded.headers.get('x-request-id'));
    expect(row).toMatchObject({ requestedModel: 'pt', routeModel: 'cheap', upstreamModel: 'cheap' });
  });
});

describe('the clamp and the downgrade for Responses streams (the SDK and the validator)', () => {
  it('clamp: the ceiling is lowered, the stream ends with response.incomplete at it', async () => {
    const response = await post('clamp-r', 'responses', { model: 'pt', stream: true, max_output_tokens: 1_000, input: 'hi [mock:words=1000] [mock:ignore_max_tokens]' });
    expect(response.status).toBe(200);
    const clamped = Number(response.headers.get('x-tollgate-clamped-max-tokens'));
    expect(clamped).toBeGreaterThanOrEqual(256);
    expect(clamped).toBeLessThan(300);
    const body = await response.text();
    expect(validateResponsesSse(body)).toEqual([]);
    const last = JSON.parse(body.trim().split('\n').at(-1)!.slice('data: '.length)) as { type: string; response: { incomplete_details: { reason: string }; usage: { output_tokens: number } } };
    expect(last.type).toBe('response.incomplete');
    expect(last.response.incomplete_details.reason).toBe('max_output_tokens');
    expect(last.response.usage.output_tokens).toBeLessThanOrEqual(clamped + 2);
  });

  it('downgrade: the substitute serves the stream; the SDK reads it to its end', async () => {
    const first = await post('down-r', 'responses', { model: 'pt', stream: true, max_output_tokens: 100, input: 'hi [mock:words=20]' });
    expect(first.headers.get('x-tollgate-downgraded-from')).toBeNull();
    expect(validateResponsesSse(await first.text())).toEqual([]);
    const stream = sdk('down-r').responses.stream({ model: 'pt', max_output_tokens: 50, input: 'hi [mock:words=5]' });
    const final = await stream.finalResponse();
    expect(final.status).toBe('completed');
    expect(words(final.output_text)).toBeGreaterThan(0);
    const response = await post('down-r', 'responses', { model: 'pt', stream: true, max_output_tokens: 50, input: 'hi [mock:words=5]' });
    expect(response.headers.get('x-tollgate-model')).toBe('cheap');
    expect(response.headers.get('x-tollgate-downgraded-from')).toBe('pt');
    expect(validateResponsesSse(await response.text())).toEqual([]);
  });
});

describe('a budget that runs out mid-stream', () => {
  it('Responses: the stream ends with response.failed insufficient_quota, validator-clean; spend within a delta of the limit', async () => {
    const response = await post('runout', 'responses', { model: 'pt', stream: true, input: 'go on [mock:words=300] [mock:tps=500]' });
    expect(response.status).toBe(200);
    const body = await response.text();
    expect(validateResponsesSse(body)).toEqual([]);
    const last = JSON.parse(body.trim().split('\n').at(-1)!.slice('data: '.length)) as { type: string; response: { error: { code: string; message: string } } };
    expect(last.type).toBe('response.failed');
    expect(last.response.error.code).toBe('insufficient_quota');
    expect(last.response.error.message).toMatch(/The daily budget of tenant 'runout' \(\$0\.5000\) ran out during this response/);
    expect(body).toContain('response.output_text.delta');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const status = gateway.budgets.book.statuses().find((s) => s.ref.owner === 'runout')!;
    expect(status.reservedUsd).toBeCloseTo(0, 9);
    // At most the delta that crossed the limit (a word: a token or two at $0.01).
    expect(status.settledUsd).toBeLessThanOrEqual(0.5 + 0.03);
    expect(status.settledUsd).toBeGreaterThan(0.4);
  });

  it('Chat (the SDK): the stream ends with an insufficient_quota error', async () => {
    const error = await (async () => {
      const stream = await sdk('runout').chat.completions.create({ model: 'pt', stream: true, messages: [{ role: 'user', content: 'go on [mock:words=300]' }] });
      for await (const chunk of stream) void chunk;
    })().catch((e: unknown) => e);
    // Nothing is left: refused before the stream, or ended in it; either way the SDK reports insufficient_quota.
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(JSON.stringify(error)).toContain('insufficient_quota');
  });
});

describe('refusals before any upstream call', () => {
  it('a prompt over max_prompt_tokens: 400 with the numbers (Chat and Responses)', async () => {
    const long = 'word '.repeat(200);
    const chat = await sdk('prompt').chat.completions.create({ model: 'pt', messages: [{ role: 'user', content: long }] }).catch((e: unknown) => e);
    expect(chat).toBeInstanceOf(OpenAI.BadRequestError);
    expect((chat as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('prompt_over_limit');
    expect((chat as Error).message).toMatch(/The prompt has 2\d\d tokens, more than the 50 allowed per request\. Send a shorter prompt/);
    const responses = await post('prompt', 'responses', { model: 'pt', input: long });
    expect(responses.status).toBe(400);
    // A short prompt passes: the byte bound over the ceiling is checked with the tokenizer.
    const short = await sdk('prompt').chat.completions.create({ model: 'pt', messages: [{ role: 'user', content: 'a short question' }] });
    expect(short.choices[0]?.finish_reason).toBe('stop');
  });

  it('an unpriced model for a caller with a budget: 400 model_not_priced naming the fix', async () => {
    const error = await sdk('unpriced').chat.completions.create({ model: 'free', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('model_not_priced');
    expect((error as Error).message).toContain('pricing.models');
    // A caller without a budget uses it as before.
    const served = await sdk('cut').chat.completions.create({ model: 'free', messages: [{ role: 'user', content: 'hi' }] });
    expect(served.choices[0]?.message.content).toBeTruthy();
  });

  it('chat_refusal_status 402: Chat clients get 402 insufficient_quota, Responses clients still 429 usage_limit_reached', async () => {
    const chat = await post('pay', 'chat/completions', { model: 'pt', max_tokens: 1_000, messages: [{ role: 'user', content: 'hi' }] });
    expect(chat.status).toBe(402);
    expect(((await chat.json()) as { error: { code: string } }).error.code).toBe('insufficient_quota');
    const responses = await post('pay', 'responses', { model: 'pt', max_output_tokens: 1_000, input: 'hi' });
    expect(responses.status).toBe(429);
    expect(((await responses.json()) as { error: { type: string } }).error.type).toBe('usage_limit_reached');
  });
});

describe('100 simultaneous streams without a ceiling against a budget that holds about 20 of them', () => {
  const WORDS = 300;
  /** A Chat server streaming WORDS one-token words, 2 ms apart, and its usage at the end (as OpenAI-compatible servers do). */
  async function wordServer(): Promise<OpenAIUpstream> {
    return startOpenAIUpstream((req, res) => {
      const body = req.body as { stream?: boolean };
      const frame = (payload: Record<string, unknown>) => `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'w', ...payload })}\n\n`;
      if (body.stream !== true) {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end('{"error":{"message":"stream only","type":"invalid_request_error"}}');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(frame({ choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] }));
      let sent = 0;
      const timer = setInterval(() => {
        if (res.destroyed) return clearInterval(timer);
        for (let i = 0; i < 5 && sent < WORDS; i++, sent++) res.write(frame({ choices: [{ index: 0, delta: { content: ' go' }, finish_reason: null }] }));
        if (sent < WORDS) return;
        clearInterval(timer);
        res.write(frame({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }));
        res.write(frame({ choices: [], usage: { prompt_tokens: 10, completion_tokens: WORDS, total_tokens: WORDS + 10 } }));
        res.end('data: [DONE]\n\n');
      }, 2);
    });
  }

  it.each([{ disconnects: false }, { disconnects: true }])('settles within a delta per stream of the limit, one row each, nothing held after (clients leaving: $disconnects)', async ({ disconnects }) => {
    const words = await wordServer();
    const limitUsd = 60;
    const cfg: GatewayConfig = {
      ...config([provider({ name: 'w', kind: 'openai-compatible', baseUrl: words.url })], [{ name: 'w', aliases: [], balancing: 'weighted', route: [{ provider: 'w', model: 'w', weight: 1, priority: 1 }] }]),
      pricing: { useDefaults: false, models: [{ provider: 'w', model: 'w', input: 1, output: OUTPUT_PRICE }] },
      tenants: [tenant('many', [day(limitUsd)])],
    };
    const gw = await startTestGateway(cfg);
    try {
      const { key } = await gw.tenancy.createKey({ tenant: 'many' });
      const statuses = await Promise.all(
        Array.from({ length: 100 }, async (_, i) => {
          const controller = new AbortController();
          if (disconnects && i % 3 === 0) setTimeout(() => controller.abort(), 100);
          const responses = i % 2 === 1;
          try {
            const response = await fetch(`${gw.url}/v1/${responses ? 'responses' : 'chat/completions'}`, {
              method: 'POST',
              headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
              body: JSON.stringify(responses ? { model: 'w', stream: true, input: 'go' } : { model: 'w', stream: true, messages: [{ role: 'user', content: 'go' }] }),
              signal: controller.signal,
            });
            const text = await response.text();
            if (responses && response.status === 200) expect(validateResponsesSse(text)).toEqual([]);
            return response.status;
          } catch {
            return 499;
          }
        }),
      );
      expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(0);
      let rowsNow = await gw.ledger.recent(1_000);
      for (let i = 0; i < 100 && rowsNow.length < 100; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        rowsNow = await gw.ledger.recent(1_000);
      }
      expect(rowsNow).toHaveLength(100);
      const status = gw.budgets.book.statuses().find((s) => s.ref.owner === 'many')!;
      expect(status.reservedUsd).toBeCloseTo(0, 9);
      // The ledger and the budget agree; the limit is passed by at most the delta that crossed it, per stream (a token: $0.01).
      expect(rowsNow.reduce((sum, row) => sum + row.costUsd, 0)).toBeCloseTo(status.settledUsd, 6);
      expect(status.settledUsd).toBeLessThanOrEqual(limitUsd + 100 * 0.01);
      // Calls arriving while the room is held are refused: most of the budget, not all of it, is spent by this burst.
      if (!disconnects) expect(status.settledUsd).toBeGreaterThan(limitUsd * 0.6);
    } finally {
      await gw.close();
      await words.close();
    }
  });
});
