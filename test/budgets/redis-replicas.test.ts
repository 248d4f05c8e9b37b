/**
 * Two gateways (two replicas) sharing one tenant's daily budget through
 * Redis, over the real HTTP interface: calls with a ceiling, and streams
 * without one (watched: their holds grow through Redis as the output goes).
 * The shared spend never passes the limit (streams: by at most a token
 * each), equals the sum of both ledgers, and nothing is held afterwards.
 */
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BudgetConfig, GatewayConfig } from '../../src/config/types.js';
import type { Gateway } from '../../src/gateway.js';
import { RedisBudgetBook } from '../../src/store/redis/budget-book.js';
import { config, provider, startTestGateway } from '../helpers/gateway.js';
import { startOpenAIUpstream, type OpenAIUpstream } from '../simulators/openai-upstream.js';
import { budgetHashes, client, testPrefix } from '../store/redis-budget-helpers.js';

const WORDS = 300;
/** A token of output costs $0.01. */
const OUTPUT_PRICE = 10_000;
const scope = testPrefix();
let redis: Redis;
let words: OpenAIUpstream;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  redis = client();
  // A Chat server streaming WORDS one-token words, 2 ms apart, then its usage; non-streamed: WORDS at once.
  words = await startOpenAIUpstream((req, res) => {
    const body = req.body as { stream?: boolean; max_tokens?: number };
    const count = Math.min(WORDS, body.max_tokens ?? WORDS);
    const frame = (payload: Record<string, unknown>) => `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'w', ...payload })}\n\n`;
    const usage = { prompt_tokens: 10, completion_tokens: count, total_tokens: count + 10 };
    if (body.stream !== true) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 'c', object: 'chat.completion', created: 1, model: 'w', choices: [{ index: 0, message: { role: 'assistant', content: ' go'.repeat(count) }, finish_reason: 'stop' }], usage }));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(frame({ choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] }));
    let sent = 0;
    const timer = setInterval(() => {
      if (res.destroyed) return clearInterval(timer);
      for (let i = 0; i < 5 && sent < count; i++, sent++) res.write(frame({ choices: [{ index: 0, delta: { content: ' go' }, finish_reason: null }] }));
      if (sent < count) return;
      clearInterval(timer);
      res.write(frame({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }));
      res.write(frame({ choices: [], usage }));
      res.end('data: [DONE]\n\n');
    }, 2);
  });
});
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});
afterAll(async () => {
  await words.close();
  await scope.cleanup(redis);
  redis.disconnect();
});

const day = (limitUsd: number): BudgetConfig => ({ period: 'day', limitUsd, soft: [], timeZone: 'UTC', reset: { hour: 0, minute: 0 } });

/** Two replicas of one configuration, each on its own Redis connection and its own ledger. */
async function replicas(tenant: string, limitUsd: number): Promise<[Gateway, Gateway]> {
  const cfg: GatewayConfig = {
    ...config([provider({ name: 'w', kind: 'openai-compatible', baseUrl: words.url })], [{ name: 'w', aliases: [], balancing: 'weighted', route: [{ provider: 'w', model: 'w', weight: 1, priority: 1 }] }]),
    pricing: { useDefaults: false, models: [{ provider: 'w', model: 'w', input: 1, output: OUTPUT_PRICE }] },
    tenants: [{ name: tenant, models: undefined, rpm: undefined, tpm: undefined, metadata: {}, budgets: [day(limitUsd)] }],
    auth: { adminToken: undefined, anonymousTenant: tenant, trustedProxy: undefined },
  };
  const start = async (): Promise<Gateway> => {
    const connection = client();
    const gateway = await startTestGateway(cfg, {
      sharedBudgets: (deps) => new RedisBudgetBook({ redis: connection, keyPrefix: scope.prefix, whenUnavailable: 'fail_closed', ...deps }),
    });
    cleanups.push(async () => {
      await gateway.close();
      connection.disconnect();
    });
    return gateway;
  };
  return [await start(), await start()];
}

async function call(gateway: Gateway, stream: boolean, maxTokens?: number): Promise<number> {
  const response = await fetch(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'w', stream, messages: [{ role: 'user', content: 'go' }], ...(maxTokens === undefined ? {} : { max_tokens: maxTokens }) }),
  });
  await response.text();
  return response.status;
}

async function ledgerSum(gateways: readonly Gateway[], rows: number): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const all = (await Promise.all(gateways.map((g) => g.ledger.recent(1_000)))).flat();
    if (all.length >= rows) return all.reduce((sum, row) => sum + row.costUsd, 0);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('the ledgers did not get every row');
}

async function sharedNumbers(tenant: string): Promise<{ settled: number; reserved: number; holds: number }> {
  const hashes = [...(await budgetHashes(redis, scope.prefix)).entries()].filter(([key]) => key.includes(`{${tenant}}`));
  expect(hashes).toHaveLength(1);
  const hash = hashes[0]![1];
  return { settled: Number(hash.settled), reserved: Number(hash.reserved ?? 0), holds: Object.keys(hash).filter((f) => f.startsWith('h:')).length };
}

describe('a budget shared by two replicas through Redis', () => {
  it('200 simultaneous calls with a ceiling across both: never past the limit, the ledgers’ sum is the shared spend, nothing held', async () => {
    const gateways = await replicas('pair', 20);
    // Each call's worst case: 10 prompt tokens (bounded high) + 100 output tokens at $0.01 ≈ $1; about 20 fit.
    const statuses = await Promise.all(Array.from({ length: 200 }, (_, i) => call(gateways[i % 2]!, i % 4 < 2, 100)));
    const served = statuses.filter((s) => s === 200).length;
    expect(served).toBeGreaterThan(10);
    expect(statuses.filter((s) => s !== 200).every((s) => s === 429)).toBe(true);
    const spent = await ledgerSum(gateways, 200);
    const shared = await sharedNumbers('pair');
    expect(shared.settled).toBeLessThanOrEqual(20);
    expect(shared.settled).toBeCloseTo(spent, 6);
    expect(shared).toMatchObject({ reserved: 0, holds: 0 });
    // Both replicas answer with the shared numbers.
    for (const gateway of gateways) {
      const ref = gateway.budgets.book.statuses()[0]!.ref;
      expect((await gateway.budgets.status(ref)).settledUsd).toBeCloseTo(shared.settled, 9);
    }
  });

  it('100 simultaneous streams without a ceiling across both: at most a token per stream past the limit, ledgers and Redis agree', async () => {
    const limitUsd = 30;
    const gateways = await replicas('streams', limitUsd);
    const statuses = await Promise.all(Array.from({ length: 100 }, (_, i) => call(gateways[i % 2]!, true)));
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(0);
    const spent = await ledgerSum(gateways, 100);
    const shared = await sharedNumbers('streams');
    expect(shared.settled).toBeCloseTo(spent, 6);
    expect(shared.settled).toBeLessThanOrEqual(limitUsd + 100 * 0.01);
    expect(shared.settled).toBeGreaterThan(limitUsd * 0.5);
    expect(shared).toMatchObject({ reserved: 0, holds: 0 });
  });
});
