import { describe, expect, it } from 'vitest';
import { RetryBudget } from '../../src/upstream/retry-budget.js';
import { FakeClock } from '../helpers/fake-clock.js';

function spend(budget: RetryBudget): number {
  let retries = 0;
  while (budget.tryAcquire()) {
    retries++;
    if (retries > 10_000) throw new Error('budget never ran out');
  }
  return retries;
}

describe('RetryBudget', () => {
  it('allows ratio × recent requests, plus nothing else when there is no reserve', () => {
    const clock = new FakeClock();
    const budget = new RetryBudget({ ratio: 0.2, windowMs: 10_000, minPerSecond: 0 }, clock);
    expect(budget.tryAcquire()).toBe(false);
    for (let i = 0; i < 4; i++) budget.onRequest();
    // 0.2 × 4 = 0.8: not a whole retry yet.
    expect(budget.tryAcquire()).toBe(false);
    budget.onRequest();
    expect(spend(budget)).toBe(1);
    for (let i = 0; i < 95; i++) budget.onRequest();
    expect(budget.snapshot()).toEqual({ requests: 100, retries: 1, allowed: 20 });
    expect(spend(budget)).toBe(19);
    expect(budget.tryAcquire()).toBe(false);
  });

  it('keeps a reserve of min_per_second × window for quiet deployments', () => {
    const clock = new FakeClock();
    const budget = new RetryBudget({ ratio: 0.2, windowMs: 10_000, minPerSecond: 3 }, clock);
    expect(spend(budget)).toBe(30);
    budget.onRequest();
    budget.onRequest();
    budget.onRequest();
    budget.onRequest();
    budget.onRequest();
    expect(spend(budget)).toBe(1);
  });

  it('fails fast under a sustained outage: retries stay at the configured share', async () => {
    const clock = new FakeClock();
    const budget = new RetryBudget({ ratio: 0.2, windowMs: 10_000, minPerSecond: 0 }, clock);
    let requests = 0;
    let retries = 0;
    // 50 requests per second for a minute, each wanting 2 retries (max_attempts 3).
    for (let second = 0; second < 60; second++) {
      for (let i = 0; i < 50; i++) {
        budget.onRequest();
        requests++;
        for (let r = 0; r < 2 && budget.tryAcquire(); r++) retries++;
      }
      await clock.advance(1_000);
    }
    expect(retries / requests).toBeLessThanOrEqual(0.2);
    expect(retries / requests).toBeGreaterThan(0.15);
  });

  it('recovers as old retries slide out of the window', async () => {
    const clock = new FakeClock();
    const budget = new RetryBudget({ ratio: 0, windowMs: 10_000, minPerSecond: 1 }, clock);
    expect(spend(budget)).toBe(10);
    await clock.advance(5_000);
    expect(budget.tryAcquire()).toBe(false);
    await clock.advance(4_999);
    expect(budget.tryAcquire()).toBe(false);
    await clock.advance(1);
    // The whole first bucket (all ten retries) has aged out.
    expect(spend(budget)).toBe(10);
  });

  it('forgets requests too: after a quiet period only the reserve is left', async () => {
    const clock = new FakeClock();
    const budget = new RetryBudget({ ratio: 0.5, windowMs: 2_000, minPerSecond: 0 }, clock);
    for (let i = 0; i < 10; i++) budget.onRequest();
    expect(budget.snapshot().allowed).toBe(5);
    await clock.advance(2_000);
    expect(budget.snapshot()).toEqual({ requests: 0, retries: 0, allowed: 0 });
    expect(budget.tryAcquire()).toBe(false);
  });

  it('a retry that does not fit takes nothing: a refusal is not recorded', () => {
    const clock = new FakeClock();
    const budget = new RetryBudget({ ratio: 0, windowMs: 10_000, minPerSecond: 0.2 }, clock);
    expect(budget.tryAcquire()).toBe(true);
    expect(budget.tryAcquire()).toBe(true);
    for (let i = 0; i < 5; i++) expect(budget.tryAcquire()).toBe(false);
    expect(budget.snapshot()).toEqual({ requests: 0, retries: 2, allowed: 2 });
  });
});
