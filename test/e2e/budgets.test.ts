/**
 * Budgets that hold under concurrency, over the real HTTP interface: 200
 * simultaneous calls (Chat and Responses, streamed and not) from one tenant
 * against a daily budget that holds about 50 worst cases. Each call reserves
 * its worst-case cost first, so the settled spend never passes the limit;
 * every call has exactly one ledger row; no reservation is left behind, also
 * when clients go away mid-stream. A refusal is a 429 each kind of client
 * understands.
 */
import { mkdtempSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayConfig } from '../../src/config/types.js';
import type { Gateway } from '../../src/gateway.js';
import { config, model, provider, startTestGateway } from '../helpers/gateway.js';
import { replyJson, startOpenAIUpstream, type RecordedRequest } from '../simulators/openai-upstream.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

/** USD per million tokens: input 1, output 2. */
const PRICE = { provider: 'up', model: 'priced', input: 1, output: 2 };
const MAX_TOKENS = 1_000;
/** What the upstream reports for every call: output at the ceiling, a prompt smaller than the tokenizer's count. */
const USAGE = { prompt_tokens: 5, completion_tokens: MAX_TOKENS, total_tokens: MAX_TOKENS + 5 };
const CALL_COST = (USAGE.prompt_tokens * PRICE.input + USAGE.completion_tokens * PRICE.output) / 1e6;

function chunk(delta: Record<string, unknown>, finish: string | null = null): string {
  return `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'priced', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
}

/** A Chat upstream answering after `delayMs`, streamed or not, always reporting USAGE. */
function answer(req: RecordedRequest, res: ServerResponse, delayMs: number): void {
  const body = req.body as { stream?: boolean };
  setTimeout(() => {
    if (res.destroyed) return;
    if (body.stream !== true) {
      replyJson(res, 200, { id: 'c', object: 'chat.completion', created: 1, model: 'priced', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'length' }], usage: USAGE });
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(chunk({ role: 'assistant', content: '' }));
    res.write(chunk({ content: 'ok' }));
    res.write(chunk({}, 'length'));
    res.write(`data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'priced', choices: [], usage: USAGE })}\n\n`);
    res.end('data: [DONE]\n\n');
  }, delayMs);
}

async function budgetGateway(limitUsd: number, delayMs = 50, storePath?: string): Promise<Gateway> {
  const upstream = await startOpenAIUpstream((req, res) => answer(req, res, delayMs));
  cleanups.push(() => upstream.close());
  const base = config([provider({ name: 'up', kind: 'openai-compatible', baseUrl: upstream.url })], [model('priced', ['up/priced'])]);
  const cfg: GatewayConfig = {
    ...base,
    ...(storePath === undefined ? {} : { store: { kind: 'sqlite' as const, path: storePath } }),
    pricing: { useDefaults: false, models: [PRICE] },
    tenants: [{ name: 'team', models: undefined, rpm: undefined, tpm: undefined, metadata: {}, budgets: [{ period: 'day', limitUsd, soft: [], timeZone: 'UTC', reset: { hour: 0, minute: 0 } }] }],
  };
  const gateway = await startTestGateway({ ...cfg, auth: { ...cfg.auth, adminToken: ADMIN_TOKEN } });
  cleanups.push(() => gateway.close());
  return gateway;
}

const ADMIN_TOKEN = 'admin-token-0123456789abcdef';

type Shape = { readonly format: 'chat' | 'responses'; readonly stream: boolean };
const SHAPES: readonly Shape[] = [
  { format: 'chat', stream: false },
  { format: 'chat', stream: true },
  { format: 'responses', stream: false },
  { format: 'responses', stream: true },
];

function send(gateway: Gateway, key: string, shape: Shape, signal?: AbortSignal): Promise<Response> {
  const body =
    shape.format === 'chat'
      ? { model: 'priced', stream: shape.stream, max_tokens: MAX_TOKENS, messages: [{ role: 'user', content: 'hi' }], ...(shape.stream ? { stream_options: { include_usage: true } } : {}) }
      : { model: 'priced', stream: shape.stream, max_output_tokens: MAX_TOKENS, input: 'hi' };
  return fetch(`${gateway.url}/v1/${shape.format === 'chat' ? 'chat/completions' : 'responses'}`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: JSON.stringify(body), signal });
}

async function settledRows(gateway: Gateway, expected: number): Promise<Awaited<ReturnType<Gateway['ledger']['recent']>>> {
  for (let i = 0; i < 100; i++) {
    const rows = await gateway.ledger.recent(1_000);
    if (rows.length >= expected) return rows;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return gateway.ledger.recent(1_000);
}

describe('a budget under 200 simultaneous calls', () => {
  it('admits what its reservations hold, never settles past the limit, one row per call, no reservation left', async () => {
    // The worst case of one call: the tokenizer's prompt count × $1/M + 1,000 output tokens × $2/M ≈ $0.00201.
    const limitUsd = 0.1;
    const gateway = await budgetGateway(limitUsd);
    const { key } = await gateway.tenancy.createKey({ tenant: 'team' });
    const results = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const response = await send(gateway, key, SHAPES[i % SHAPES.length]!);
        return { status: response.status, text: await response.text() };
      }),
    );
    const served = results.filter((r) => r.status === 200).length;
    const refused = results.filter((r) => r.status === 429);
    expect(served + refused.length).toBe(200);
    // About 50 worst cases fit; none more.
    expect(served).toBeGreaterThan(40);
    expect(served).toBeLessThanOrEqual(50);
    const [status] = gateway.budgets.book.statuses();
    expect(status!.reservedUsd).toBeCloseTo(0, 12);
    expect(status!.settledUsd).toBeCloseTo(served * CALL_COST, 9);
    expect(status!.settledUsd).toBeLessThanOrEqual(limitUsd);
    const rows = await settledRows(gateway, 200);
    expect(rows).toHaveLength(200);
    expect(rows.filter((row) => row.status === 'ok')).toHaveLength(served);
    // The ledger and the budget agree on what was spent.
    expect(rows.reduce((sum, row) => sum + row.costUsd, 0)).toBeCloseTo(status!.settledUsd, 9);
  });

  it('leaves no reservation when clients go away mid-stream; an abandoned stream costs what was estimated', async () => {
    const gateway = await budgetGateway(1, 300);
    const { key } = await gateway.tenancy.createKey({ tenant: 'team' });
    await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const controller = new AbortController();
        const pending = send(gateway, key, SHAPES[i % SHAPES.length]!, controller.signal).catch(() => undefined);
        setTimeout(() => controller.abort(), 100);
        await pending;
      }),
    );
    const rows = await settledRows(gateway, 40);
    expect(rows).toHaveLength(40);
    const [status] = gateway.budgets.book.statuses();
    expect(status!.reservedUsd).toBeCloseTo(0, 12);
    expect(status!.settledUsd).toBeCloseTo(rows.reduce((sum, row) => sum + row.costUsd, 0), 9);
  });
});

describe('a budget refusal', () => {
  it('Chat clients (the openai SDK): 429 insufficient_quota, with the numbers and when it resets', async () => {
    const gateway = await budgetGateway(0.001);
    const { key } = await gateway.tenancy.createKey({ tenant: 'team' });
    const client = new OpenAI({ apiKey: key, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
    const error = await client.chat.completions.create({ model: 'priced', max_tokens: MAX_TOKENS, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    const apiError = error as InstanceType<typeof OpenAI.RateLimitError>;
    expect(apiError.code).toBe('insufficient_quota');
    expect(apiError.message).toMatch(/could cost up to \$0\.00\d+, more than is left of the daily budget of tenant 'team' \(\$0\.0010; \$0\.0000 spent or held by calls in flight\)\. It resets at \d{4}-\d\d-\d\d 00:00 UTC/);
  });

  it('Responses clients: 429 usage_limit_reached with resets_at and the message Codex shows', async () => {
    const gateway = await budgetGateway(0.001);
    const { key } = await gateway.tenancy.createKey({ tenant: 'team' });
    const response = await send(gateway, key, { format: 'responses', stream: true });
    expect(response.status).toBe(429);
    const body = (await response.json()) as { error: { type: string; code: string; resets_at: number } };
    expect(body.error).toMatchObject({ type: 'usage_limit_reached', code: 'budget_exceeded' });
    const tomorrow = new Date();
    tomorrow.setUTCHours(24, 0, 0, 0);
    expect(body.error.resets_at).toBe(tomorrow.getTime() / 1000);
    expect(response.headers.get('x-codex-promo-message')).toBe("The daily budget of tenant 'team' ($0.0010) is used up (ask your gateway administrator to raise it)");
  });

  it('an admitted call tells Codex where the budget stands', async () => {
    const gateway = await budgetGateway(1);
    const { key } = await gateway.tenancy.createKey({ tenant: 'team' });
    const first = await send(gateway, key, { format: 'responses', stream: false });
    await first.text();
    expect(first.headers.get('x-codex-secondary-window-minutes')).toBe('1440');
    await new Promise((resolve) => setTimeout(resolve, 20));
    const second = await send(gateway, key, { format: 'responses', stream: false });
    await second.text();
    // The first call's cost ($0.002005 of $1) plus the second's reservation.
    expect(Number(second.headers.get('x-codex-secondary-used-percent'))).toBeCloseTo(0.4, 1);
  });
});

describe('a restart', () => {
  it('does not forget what was spent in the current period: it is read back from the ledger', async () => {
    const storePath = join(mkdtempSync(join(tmpdir(), 'tollgate-budget-')), 'store.sqlite');
    const first = await budgetGateway(1, 0, storePath);
    const { key } = await first.tenancy.createKey({ tenant: 'team' });
    for (const shape of SHAPES) await (await send(first, key, shape)).text();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const spent = first.budgets.book.statuses()[0]!.settledUsd;
    expect(spent).toBeCloseTo(4 * CALL_COST, 9);
    const ref = first.budgets.book.statuses()[0]!.ref;
    await first.close();
    const second = await budgetGateway(1, 0, storePath);
    // Read from the ledger the first time the budget is seen (here: asked about).
    expect((await second.budgets.status(ref)).settledUsd).toBeCloseTo(spent, 9);
    // A call after the restart reserves against what was spent before it.
    await (await send(second, key, { format: 'chat', stream: false })).text();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await second.budgets.status(ref)).settledUsd).toBeCloseTo(spent + CALL_COST, 9);
  });
});

describe('the admin view of budgets', () => {
  it('shows each budget: limit, spent, reserved, remaining and when it resets', async () => {
    const gateway = await budgetGateway(1);
    const { key } = await gateway.tenancy.createKey({ tenant: 'team' });
    await (await send(gateway, key, { format: 'chat', stream: false })).text();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const response = await fetch(`${gateway.url}/admin/v1/budgets?tenant=team`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(response.status).toBe(200);
    const tomorrow = new Date();
    tomorrow.setUTCHours(24, 0, 0, 0);
    const body = (await response.json()) as { data: unknown[] };
    expect(body.data).toEqual([
      {
        object: 'budget',
        scope: 'tenant',
        owner: 'team',
        tenant: 'team',
        key_id: null,
        period: 'day',
        timezone: 'UTC',
        reset_at: '00:00',
        soft: [],
        limit_usd: 1,
        spent_usd: CALL_COST,
        reserved_usd: 0,
        remaining_usd: 1 - CALL_COST,
        used_ratio: Math.round(CALL_COST * 1e4) / 1e4,
        period_start: tomorrow.getTime() / 1000 - 86_400,
        resets_at: tomorrow.getTime() / 1000,
      },
    ]);
    const other = await fetch(`${gateway.url}/admin/v1/budgets?tenant=nobody`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(((await other.json()) as { data: unknown[] }).data).toEqual([]);
  });
});
