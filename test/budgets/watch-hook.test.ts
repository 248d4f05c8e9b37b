/**
 * The watch hook on a hold in Redis: its verdict is synchronous, its growth
 * a round trip. It asks for the next step when half of the last one is used
 * (one request at a time), ends the stream once the output passes what is
 * held after a refusal, and lets the output pass what is held by at most one
 * step while an answer is still out.
 */
import type { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { GuardrailMetrics } from '../../src/budgets/guardrail-metrics.js';
import { BudgetWatchHook } from '../../src/budgets/output-hooks.js';
import type { BudgetHold, Growth } from '../../src/budgets/budget-store.js';
import { BudgetExhaustedInStreamError, BudgetStoreUnavailableError } from '../../src/errors/index.js';
import type { OutputDelta } from '../../src/pipeline/contracts.js';
import { RedisBudgetBook } from '../../src/store/redis/budget-book.js';
import { budget, client, silentLog, testPrefix } from '../store/redis-budget-helpers.js';

const scope = testPrefix();
let redis: Redis;
let book: RedisBudgetBook;
let other: RedisBudgetBook;

beforeAll(() => {
  redis = client();
  const options = { keyPrefix: scope.prefix, whenUnavailable: 'fail_closed' as const, spentSince: () => Promise.resolve(0), log: silentLog };
  book = new RedisBudgetBook({ redis, ...options });
  other = new RedisBudgetBook({ redis, ...options });
});
afterAll(async () => {
  await book.close();
  await other.close();
  await scope.cleanup(redis);
  redis.disconnect();
});

const DELTA: OutputDelta = { type: 'text', delta: ' go' };
/** Prices exact in binary: a token of output costs $0.125. */
const PRICE = 0.125;
const STEP = 8;

const metrics = (): GuardrailMetrics => new GuardrailMetrics(new Registry());

describe('BudgetWatchHook on a shared hold', () => {
  it('asks ahead at half a step, takes what is left near the limit, and ends the stream only once the output passes what is held', async () => {
    const daily = budget('tenant:watch:day', 10, { tenant: 'watch' });
    const first = await book.reserve([daily], STEP * PRICE);
    if (!first.ok || !first.reservation.remote) throw new Error('expected a shared hold');
    const hold = first.reservation;
    const hook = new BudgetWatchHook(hold, STEP, PRICE, STEP, metrics(), 'watch');
    expect(hook.onOutput(DELTA, 4)).toBe('continue');
    expect(hold.amountUsd).toBe(1);
    // Past half of the first step: the next is asked for, the output goes on meanwhile.
    expect(hook.onOutput(DELTA, 5)).toBe('continue');
    await vi.waitFor(() => expect(hold.amountUsd).toBe(2));
    // Another replica holds most of the rest: 10 − 2 − 7.5 leaves 4 tokens.
    expect((await other.reserve([daily], 7.5)).ok).toBe(true);
    expect(hook.onOutput(DELTA, 13)).toBe('continue');
    await vi.waitFor(() => expect(hold.amountUsd).toBe(2.5));
    // Nothing is left: refused, and the stream still runs to the end of what it holds (20 tokens).
    expect(hook.onOutput(DELTA, 19)).toBe('continue');
    await vi.waitFor(async () => expect((await book.status(daily)).remainingUsd).toBe(0));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(hook.onOutput(DELTA, 20)).toBe('continue');
    const verdict = hook.onOutput(DELTA, 21);
    expect(verdict).toMatchObject({ fail: expect.any(BudgetExhaustedInStreamError) as unknown });
    if (typeof verdict === 'object' && 'fail' in verdict) expect(verdict.fail.message).toMatch(/daily budget of tenant 'watch' \(\$10\.00\) ran out/);
    await hold.settle(20 * PRICE);
    expect((await book.status(daily)).settledUsd).toBe(2.5);
  });

  it('while an answer is out, lets the output pass what is held by at most one step, then ends the stream', () => {
    const asked: number[] = [];
    // A hold whose store never answers.
    const silent: BudgetHold = {
      remote: true,
      amountUsd: STEP * PRICE,
      grow: (wanted: number): Promise<Growth> => {
        asked.push(wanted);
        return new Promise<Growth>(() => undefined);
      },
      settle: () => Promise.resolve(),
    };
    const hook = new BudgetWatchHook(silent, STEP, PRICE, STEP, metrics(), 'watch');
    for (let tokens = 1; tokens <= 2 * STEP; tokens++) expect(hook.onOutput(DELTA, tokens)).toBe('continue');
    // One request in flight, however many deltas passed.
    expect(asked).toEqual([STEP]);
    expect(hook.onOutput(DELTA, 2 * STEP + 1)).toMatchObject({ fail: expect.any(BudgetStoreUnavailableError) as unknown });
  });
});
