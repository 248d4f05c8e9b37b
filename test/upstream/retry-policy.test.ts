import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY } from '../../src/config/constants.js';
import { classifyUpstreamStatus } from '../../src/upstream/classify.js';
import { backoffDelay, decideRetry, type RetryDecision, type RetryInput } from '../../src/upstream/retry-policy.js';
import { mulberry32 } from '../../src/util/random.js';
import { FakeClock } from '../helpers/fake-clock.js';

const POLICY = DEFAULT_RETRY;
const NOW = Date.UTC(2025, 5, 1, 12, 0, 0);
const connReset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });

function decide(input: Partial<RetryInput>): RetryDecision {
  return decideRetry({ attempt: 0, policy: POLICY, random: mulberry32(1), now: NOW, ...input });
}

describe('backoffDelay (full jitter)', () => {
  it('stays within [0, min(cap, base * 2^attempt)) for every attempt', () => {
    const random = mulberry32(42);
    const ceilings = [250, 500, 1_000, 2_000, 4_000, 8_000, 8_000, 8_000];
    ceilings.forEach((ceiling, attempt) => {
      for (let i = 0; i < 2_000; i++) {
        const delay = backoffDelay(attempt, POLICY, random);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThan(ceiling);
        expect(Number.isInteger(delay)).toBe(true);
      }
    });
  });

  it('uses the extremes of the random source exactly', () => {
    expect(backoffDelay(2, POLICY, () => 0)).toBe(0);
    expect(backoffDelay(2, POLICY, () => 0.999999)).toBe(999);
    expect(backoffDelay(3, { ...POLICY, multiplier: 3 }, () => 0.5)).toBe(Math.floor(0.5 * Math.min(8_000, 250 * 27)));
  });

  it('is uniform over its range (full jitter, not equal jitter)', () => {
    const random = mulberry32(7);
    const buckets = new Array<number>(10).fill(0);
    const draws = 20_000;
    let sum = 0;
    for (let i = 0; i < draws; i++) {
      const delay = backoffDelay(3, POLICY, random); // range [0, 2000)
      sum += delay;
      const bucket = Math.floor(delay / 200);
      buckets[bucket] = (buckets[bucket] ?? 0) + 1;
    }
    for (const count of buckets) expect(Math.abs(count / draws - 0.1)).toBeLessThan(0.01);
    expect(Math.abs(sum / draws - 1_000)).toBeLessThan(25);
  });

  it('never overflows for large attempt numbers', () => {
    expect(backoffDelay(5_000, POLICY, () => 0.5)).toBe(4_000);
  });
});

describe('decideRetry', () => {
  it('retries a retryable failure after a jittered backoff', () => {
    const decision = decide({ error: connReset });
    expect(decision).toMatchObject({ retry: true, basis: 'backoff' });
    expect(decision.retry && decision.delayMs).toBe(backoffDelay(0, POLICY, mulberry32(1)));
  });

  it('counts the first attempt: max_attempts 3 allows two retries', () => {
    expect(decide({ error: connReset, attempt: 0 }).retry).toBe(true);
    expect(decide({ error: connReset, attempt: 1 }).retry).toBe(true);
    expect(decide({ error: connReset, attempt: 2 })).toMatchObject({ retry: false, reason: 'attempts_exhausted' });
    expect(decide({ error: connReset, attempt: 0, policy: { ...POLICY, maxAttempts: 1 } })).toMatchObject({ retry: false, reason: 'attempts_exhausted' });
  });

  it('does not retry what is not transient', () => {
    for (const status of [400, 401, 403, 404, 413, 422]) {
      expect(decide({ status }), String(status)).toMatchObject({ retry: false, reason: 'not_retryable' });
    }
    for (const status of [408, 409, 429, 500, 502, 503, 504]) {
      expect(decide({ status }), String(status)).toMatchObject({ retry: true });
    }
  });

  it('waits exactly the Retry-After of a 429 when it is within the cap', () => {
    const decision = decide({ status: 429, headers: { 'retry-after': '3' } });
    expect(decision).toEqual({ retry: true, delayMs: 3_000, basis: 'retry_after', failure: expect.objectContaining({ kind: 'rate_limited' }) as unknown });
  });

  it('reads Retry-After as an HTTP-date', () => {
    expect(decide({ status: 503, headers: { 'retry-after': 'Sun, 01 Jun 2025 12:00:12 GMT' } })).toMatchObject({ retry: true, delayMs: 12_000 });
  });

  it('reads retry-after-ms', () => {
    expect(decide({ status: 429, headers: { 'retry-after-ms': '150' } })).toMatchObject({ retry: true, delayMs: 150, basis: 'retry_after' });
  });

  it('finds Retry-After on the UpstreamError that classify.ts built', () => {
    const error = classifyUpstreamStatus('openai', 'gpt-4.1', 429, { 'retry-after': '2' }, '{"error":{"message":"slow down","code":"rate_limit_exceeded"}}');
    expect(decide({ error })).toMatchObject({ retry: true, delayMs: 2_000, basis: 'retry_after' });
  });

  it('does not wait for a Retry-After beyond the cap: move on or fail now, and pass the value on', () => {
    const decision = decide({ status: 429, headers: { 'retry-after': '21' } });
    expect(decision).toMatchObject({ retry: false, reason: 'retry_after_too_long', retryAfterMs: 21_000 });
    expect(decide({ status: 429, headers: { 'retry-after': '20' } })).toMatchObject({ retry: true, delayMs: 20_000 });
  });

  it('ignores x-ratelimit-reset-* and backs off instead', () => {
    const decision = decide({ status: 429, headers: { 'x-ratelimit-reset-requests': '6m0s', 'x-ratelimit-reset-tokens': '1s' } });
    expect(decision).toMatchObject({ retry: true, basis: 'backoff' });
    expect(decision.retry && decision.delayMs).toBeLessThan(250);
  });

  it('reports the Retry-After even when it refuses for another reason', () => {
    expect(decide({ status: 429, attempt: 2, headers: { 'retry-after': '1' } })).toMatchObject({ reason: 'attempts_exhausted', retryAfterMs: 1_000 });
  });

  it('does not retry when the wait would outlast the deadline', () => {
    expect(decide({ status: 503, headers: { 'retry-after': '5' }, remainingMs: 4_000 })).toMatchObject({ retry: false, reason: 'deadline_exceeded' });
    expect(decide({ status: 503, headers: { 'retry-after': '5' }, remainingMs: 6_000 })).toMatchObject({ retry: true });
  });

  it('consults the budget last', () => {
    let asked = 0;
    const empty = {
      tryAcquire: () => {
        asked++;
        return false;
      },
    };
    expect(decide({ status: 400, budget: empty })).toMatchObject({ reason: 'not_retryable' });
    expect(asked).toBe(0);
    expect(decide({ status: 503, budget: empty })).toMatchObject({ retry: false, reason: 'budget_exhausted' });
    expect(asked).toBe(1);
    expect(decide({ status: 503, budget: { tryAcquire: () => true } })).toMatchObject({ retry: true });
  });
});

describe('a retry loop on the fake clock', () => {
  it('waits the decided delays and gives up after max_attempts', async () => {
    const clock = new FakeClock(NOW);
    const random = mulberry32(9);
    const attemptsAt: number[] = [];
    const run = (async () => {
      for (let attempt = 0; ; attempt++) {
        attemptsAt.push(clock.now());
        const decision = decideRetry({ attempt, status: 503, policy: POLICY, random, now: clock.now() });
        if (!decision.retry) return decision.reason;
        await clock.sleep(decision.delayMs);
      }
    })();
    await clock.advance(10_000);
    await expect(run).resolves.toBe('attempts_exhausted');
    expect(attemptsAt).toHaveLength(3);
    const check = mulberry32(9);
    expect((attemptsAt[1] ?? 0) - (attemptsAt[0] ?? 0)).toBe(backoffDelay(0, POLICY, check));
    expect((attemptsAt[2] ?? 0) - (attemptsAt[1] ?? 0)).toBe(backoffDelay(1, POLICY, check));
  });

  it('stops waiting the moment the client aborts', async () => {
    const clock = new FakeClock(NOW);
    const controller = new AbortController();
    const decision = decide({ status: 429, headers: { 'retry-after': '10' } });
    expect(decision.retry).toBe(true);
    const waiting = clock.sleep(decision.retry ? decision.delayMs : 0, controller.signal);
    await clock.advance(1_000);
    controller.abort(new Error('client closed'));
    await expect(waiting).rejects.toThrow('client closed');
    expect(clock.pendingSleeps).toBe(0);
  });
});
