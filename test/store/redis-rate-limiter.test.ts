/**
 * The shared rate limiter against the real Redis: two limiters on two
 * connections play two replicas. They share every window exactly (no
 * request over the limit, however many arrive at once), answer with the same
 * headers and refusals as the in-process limiter, correct tokens at settle,
 * and slide their windows on the clock they are given.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RateLimitError, type GatewayError } from '../../src/errors/index.js';
import type { Admission, CallOutcome, RateLimit } from '../../src/pipeline/contracts.js';
import { openSharedState, type SharedState } from '../../src/store/redis/connection.js';
import { RedisRateLimiter } from '../../src/store/redis/rate-limiter.js';
import { RateLimiter } from '../../src/tenancy/rate-limits.js';
import { silentLog } from '../helpers/gateway.js';
import { redisConfig, removePrefix, uniquePrefix } from '../helpers/redis.js';

const prefix = uniquePrefix('rate');
let a: SharedState;
let b: SharedState;

beforeAll(async () => {
  a = await openSharedState(redisConfig(prefix), silentLog);
  b = await openSharedState(redisConfig(prefix), silentLog);
});
afterAll(async () => {
  await removePrefix(prefix);
  await Promise.all([a.close(), b.close()]);
});

/** A clock the test moves by hand, starting on a bucket boundary plus `offset`. */
function clock(offset = 0): { now: () => number; advance: (ms: number) => void } {
  let t = 1_800_000_000_000 + offset;
  return { now: () => t, advance: (ms) => (t += ms) };
}

let ids = 0;
function keyLimit(rpm: number | undefined, tpm: number | undefined): RateLimit {
  return { scope: 'key', id: `k${++ids}`, rpm, tpm };
}

function outcome(promptTokens: number, completionTokens: number): CallOutcome {
  return {
    status: 'ok',
    httpStatus: 200,
    errorCode: undefined,
    stage: 'attempt',
    endedEarly: undefined,
    deployment: undefined,
    attempts: 1,
    usage: { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens },
    output: undefined,
    durationMs: 1,
    upstreamDurationMs: 1,
    timeToFirstByteMs: 1,
  };
}

async function refusal(admit: unknown): Promise<RateLimitError> {
  try {
    await admit;
  } catch (error) {
    if (error instanceof RateLimitError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('RedisRateLimiter', () => {
  it('two replicas share one window: of 300 concurrent admits against 100 rpm, exactly 100 pass', async () => {
    const time = clock();
    const one = new RedisRateLimiter({ shared: a, log: silentLog, now: time.now });
    const two = new RedisRateLimiter({ shared: b, log: silentLog, now: time.now });
    const limits = [keyLimit(100, undefined), { scope: 'tenant', id: `t${++ids}`, rpm: 1000, tpm: undefined } satisfies RateLimit];
    const results = await Promise.allSettled(Array.from({ length: 300 }, (_, i) => (i % 2 === 0 ? one : two).admitLimits(limits, 40)));
    const admitted = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(admitted).toHaveLength(100);
    expect(refused).toHaveLength(200);
    for (const r of refused) expect(r.reason).toBeInstanceOf(RateLimitError);
    // The tenant's window counted only the admitted calls.
    expect(await a.client.hget(`${prefix}rl:tenant:${limits[1]!.id}`, `r${Math.floor(time.now() / 5000)}`)).toBe('100');
  });

  it('tokens: the estimate at admission, the usage at settle, seen by the other replica', async () => {
    const time = clock();
    const one = new RedisRateLimiter({ shared: a, log: silentLog, now: time.now });
    const two = new RedisRateLimiter({ shared: b, log: silentLog, now: time.now });
    const limits = [keyLimit(undefined, 1_000)];
    // 400 characters: about 100 tokens.
    const first = (await one.admitLimits(limits, 400)) as Admission;
    expect(first.headers?.['x-ratelimit-remaining-tokens']).toBe('900');
    await first.handle?.settle(outcome(20, 10));
    // The call used 30 tokens, not 100: the other replica sees 30, plus its own estimate.
    const second = (await two.admitLimits(limits, 400)) as Admission;
    expect(second.headers?.['x-ratelimit-remaining-tokens']).toBe('870');
    await second.handle?.settle(outcome(300, 500));
    // 830 used now: a call of about 200 tokens does not fit.
    const refused = await refusal(one.admitLimits(limits, 800));
    expect(refused.status).toBe(429);
    expect(refused.message).toContain(`Rate limit reached for key ${limits[0]!.id}: 1000 tokens per minute (used 830, this request about 200)`);
    expect(refused.headers['x-ratelimit-remaining-tokens']).toBe('170');
    // Larger than the whole limit: said so.
    const tooLarge = await refusal(two.admitLimits(limits, 4_400));
    expect(tooLarge.message).toContain('This request (about 1100 tokens) is larger than the 1000 tokens per minute');
  });

  it('sends the token corrections of concurrent calls together: a few script calls, the same totals', async () => {
    const time = clock();
    const one = new RedisRateLimiter({ shared: a, log: silentLog, now: time.now });
    const key = keyLimit(undefined, 10_000_000);
    const tenant = { scope: 'tenant', id: `t${++ids}`, rpm: undefined, tpm: 10_000_000 } satisfies RateLimit;
    // 200 characters: an estimate of 50 tokens each.
    const admitted = await Promise.all(Array.from({ length: 300 }, () => one.admitLimits([key, tenant], 200)));
    const before = one.correctionCalls;
    // Each used 10 + i tokens: corrections of -40 + i, on both windows.
    await Promise.all(
      admitted.map(async (admission, i) => {
        await (admission as Admission).handle?.settle(outcome(5, 5 + i));
      }),
    );
    expect(one.correctionCalls - before).toBeLessThanOrEqual(3);
    const used = 300 * 10 + (299 * 300) / 2;
    const bucket = `t${Math.floor(time.now() / 5000)}`;
    expect(Number(await a.client.hget(`${prefix}rl:key:${key.id}`, bucket))).toBe(used);
    expect(Number(await a.client.hget(`${prefix}rl:tenant:${tenant.id}`, bucket))).toBe(used);
  });

  it('answers with the same headers and refusals as the in-process limiter', async () => {
    const time = clock(2_500);
    const shared = new RedisRateLimiter({ shared: a, log: silentLog, now: time.now });
    const local = new RateLimiter({ now: time.now });
    const limits = [keyLimit(5, 2_000), { scope: 'tenant', id: `t${++ids}`, rpm: 50, tpm: 120 } satisfies RateLimit];
    const outcomes: string[] = [];
    for (let i = 0; i < 6; i++) {
      const chars = 100 + i * 40;
      const [fromRedis, fromProcess] = await Promise.allSettled([shared.admitLimits(limits, chars), Promise.resolve().then(() => local.admitLimits(limits, chars))]);
      expect(fromRedis.status).toBe(fromProcess.status);
      outcomes.push(fromRedis.status);
      if (fromRedis.status === 'fulfilled' && fromProcess.status === 'fulfilled') {
        expect(fromRedis.value?.headers).toEqual(fromProcess.value?.headers);
        await Promise.all([fromRedis.value?.handle?.settle(outcome(10, i * 7)), fromProcess.value?.handle?.settle(outcome(10, i * 7))]);
      } else if (fromRedis.status === 'rejected' && fromProcess.status === 'rejected') {
        const [x, y] = [fromRedis.reason as GatewayError, fromProcess.reason as GatewayError];
        expect(x.message).toBe(y.message);
        expect(x.headers).toEqual(y.headers);
      }
      time.advance(3_100);
    }
    expect(outcomes).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'rejected']);
    const headers = (await shared.admitLimits([keyLimit(4, undefined)], 10))?.headers;
    expect(headers).toMatchObject({ 'x-ratelimit-limit-requests': '4', 'x-ratelimit-remaining-requests': '3', 'x-codex-primary-used-percent': '25.0', 'x-codex-primary-window-minutes': '1' });
  });

  it('the window slides in 5-second buckets on the clock it is given, and its key expires', async () => {
    const time = clock();
    const limiter = new RedisRateLimiter({ shared: b, log: silentLog, now: time.now });
    const limits = [keyLimit(2, undefined)];
    await limiter.admitLimits(limits, 10);
    time.advance(20_000);
    await limiter.admitLimits(limits, 10);
    time.advance(20_000);
    const refused = await refusal(limiter.admitLimits(limits, 10));
    // The first call's bucket leaves the window 60 s after it began: in 20 s.
    expect(refused.headers['retry-after']).toBe('20');
    expect(refused.headers['x-ratelimit-reset-requests']).toBe('20s');
    time.advance(19_999);
    await refusal(limiter.admitLimits(limits, 10));
    time.advance(1);
    const admitted = await limiter.admitLimits(limits, 10);
    expect(admitted?.headers?.['x-ratelimit-remaining-requests']).toBe('0');
    const key = `${prefix}rl:key:${limits[0]!.id}`;
    const ttl = await a.client.pttl(key);
    expect(ttl).toBeGreaterThan(60_000);
    expect(ttl).toBeLessThanOrEqual(65_000);
    // The bucket that left the window was deleted: two buckets remain, their requests and tokens.
    expect((await a.client.hkeys(key)).sort()).toEqual([`r${Math.floor((time.now() - 40_000) / 5000)}`, `r${Math.floor(time.now() / 5000)}`, `t${Math.floor((time.now() - 40_000) / 5000)}`, `t${Math.floor(time.now() / 5000)}`].sort());
  });
});
