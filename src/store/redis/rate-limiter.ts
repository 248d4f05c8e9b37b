/**
 * Rate limits shared by every replica through Redis: the same limits,
 * refusals and headers as the in-process limiter (tenancy/rate-limits.ts,
 * whose decision code this one reuses), with the windows in Redis. An admit
 * costs one round trip (ADMIT_LUA: check every limit and record the call);
 * a settle whose usage differs from the estimate one more (SETTLE_LUA).
 *
 * While Redis cannot be reached (the connection is down, or a command fails
 * or times out): with `fail_closed` a call with limits is refused with 503;
 * with `fail_open` it is counted by this replica's in-process limiter, each
 * replica then allowing the whole limit on its own. Back to the shared
 * windows as soon as a command succeeds again.
 */
import type { Redis, Result } from 'ioredis';
import type { Logger } from 'pino';
import { RateLimitStoreUnavailableError } from '../../errors/index.js';
import type { Admission, AdmissionHandle, Call, CallOutcome, RateLimit, RequestPolicy } from '../../pipeline/contracts.js';
import { admittedHeaders, estimateTokens, RATE_BUCKET_MS, RATE_BUCKETS, RATE_WINDOW_MS, refusalError, type Refusal, type WindowUsage } from '../../tenancy/rate-limit-decision.js';
import { RateLimiter, tokenCorrection } from '../../tenancy/rate-limits.js';
import type { SharedState } from './connection.js';
import { ADMIT_LUA, SETTLE_LUA } from './rate-limit-scripts.js';
import { SettleBatcher } from './settle-batch.js';

/** A settled call's token correction, waiting for its batch. */
interface Correction {
  readonly keys: readonly string[];
  /** When the call settled: the correction goes into that bucket. */
  readonly at: number;
  readonly correction: number;
}

/** The most corrections one script call carries (each touches a few windows). */
const MAX_CORRECTIONS_PER_CALL = 256;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    tollgateRateAdmit(...args: Array<string | number>): Result<number[], Context>;
    tollgateRateSettle(...args: Array<string | number>): Result<number, Context>;
  }
}

/** A window's key outlives its newest bucket by a little, for replicas whose clocks differ. */
const TTL_MS = RATE_WINDOW_MS + RATE_BUCKET_MS;

/** Loads the scripts on a connection (EVALSHA, and EVAL once when Redis does not know the script yet). */
export function defineRateLimitScripts(client: Redis): void {
  client.defineCommand('tollgateRateAdmit', { lua: ADMIT_LUA });
  client.defineCommand('tollgateRateSettle', { lua: SETTLE_LUA });
}

class SharedCharge implements AdmissionHandle {
  constructor(
    private readonly limiter: RedisRateLimiter,
    private readonly keys: readonly string[],
    private readonly estimate: number,
  ) {}

  async settle(outcome: CallOutcome): Promise<void> {
    const correction = tokenCorrection(outcome, this.estimate);
    if (correction === undefined || correction === 0) return;
    await this.limiter.correct(this.keys, Math.round(correction));
  }
}

export interface RedisRateLimiterOptions {
  readonly shared: SharedState;
  readonly log: Logger;
  readonly now?: () => number;
}

export class RedisRateLimiter implements RequestPolicy {
  readonly name = 'rate-limits';
  private readonly client: Redis;
  private readonly keyPrefix: string;
  private readonly now: () => number;
  /** fail_open: this replica's own windows while Redis is unavailable. */
  private readonly local: RateLimiter;
  /** Whether the current outage was logged (once per outage). */
  private outage = false;
  private readonly corrections = new SettleBatcher<Correction, undefined>({ maxBatch: MAX_CORRECTIONS_PER_CALL, send: (entries) => this.sendCorrections(entries) });
  private sentCorrections = 0;

  constructor(private readonly options: RedisRateLimiterOptions) {
    this.client = options.shared.client;
    this.keyPrefix = `${options.shared.prefix}rl:`;
    this.now = options.now ?? Date.now;
    this.local = new RateLimiter({ now: this.now });
    defineRateLimitScripts(this.client);
  }

  admit(call: Call): Promise<Admission | undefined> | undefined {
    const limits = call.principal.rateLimits;
    if (limits.length === 0) return undefined;
    return this.admitLimits(limits, call.client.text.length);
  }

  /** The admission of a call of `bodyChars` characters under `limits` (see RateLimiter.admitLimits). */
  async admitLimits(limits: readonly RateLimit[], bodyChars: number): Promise<Admission | undefined> {
    if (limits.length === 0) return undefined;
    const estimate = estimateTokens(bodyChars);
    const now = this.now();
    const keys: string[] = new Array<string>(limits.length);
    const args: Array<string | number> = new Array<string | number>(1 + limits.length * 3 + 5);
    args[0] = limits.length;
    const base = 1 + limits.length;
    args[base] = now;
    args[base + 1] = estimate;
    args[base + 2] = RATE_BUCKET_MS;
    args[base + 3] = RATE_BUCKETS;
    args[base + 4] = TTL_MS;
    for (let i = 0; i < limits.length; i++) {
      const limit = limits[i]!;
      const key = `${this.keyPrefix}${limit.scope}:${limit.id}`;
      keys[i] = key;
      args[1 + i] = key;
      args[base + 5 + 2 * i] = limit.rpm ?? -1;
      args[base + 6 + 2 * i] = limit.tpm ?? -1;
    }
    let reply: number[];
    try {
      if (!this.options.shared.health.up) throw new Error(`Redis is ${this.options.shared.health.describe()}`);
      reply = await this.client.tollgateRateAdmit(...args);
    } catch (error) {
      return this.unavailable(limits, bodyChars, error);
    }
    if (this.outage) {
      this.outage = false;
      this.options.log.info('Redis answers again: rate limits are shared again');
    }
    const refused = reply[0] ?? 0;
    if (refused !== 0) {
      const usage: WindowUsage = { requests: reply[2] ?? 0, tokens: reply[3] ?? 0, resetMs: reply[4] ?? 0 };
      throw refusalError(limits[refused - 1]!, usage, (reply[1] ?? 0) as Refusal, estimate);
    }
    const usages: WindowUsage[] = new Array<WindowUsage>(limits.length);
    for (let i = 0; i < limits.length; i++) usages[i] = { requests: reply[2 + 3 * i] ?? 0, tokens: reply[3 + 3 * i] ?? 0, resetMs: reply[4 + 3 * i] ?? 0 };
    return { handle: new SharedCharge(this, keys, estimate), headers: admittedHeaders(limits, usages, now) };
  }

  /**
   * Adds a settled call's token correction to its windows; lost (logged at
   * debug) while Redis is unavailable. Corrections are not on any answer's
   * path: those of one event-loop turn go out together on the next, as one
   * script call.
   */
  async correct(keys: readonly string[], correction: number): Promise<void> {
    try {
      await this.corrections.add({ keys, at: this.now(), correction });
    } catch (error) {
      this.options.log.debug({ err: error }, 'a token correction was not counted: Redis is unavailable');
    }
  }

  /** Script calls that carried corrections since start (for tests and metrics). */
  get correctionCalls(): number {
    return this.sentCorrections;
  }

  private async sendCorrections(entries: readonly Correction[]): Promise<readonly undefined[]> {
    const keys: string[] = [];
    const args: (string | number)[] = [RATE_BUCKET_MS, TTL_MS];
    for (const entry of entries) {
      for (const key of entry.keys) keys.push(key);
      args.push(entry.keys.length, entry.at, entry.correction);
    }
    this.sentCorrections++;
    await this.client.tollgateRateSettle(keys.length, ...keys, ...args);
    return new Array<undefined>(entries.length);
  }

  private unavailable(limits: readonly RateLimit[], bodyChars: number, cause: unknown): Admission | undefined {
    const { shared, log } = this.options;
    if (shared.whenUnavailable === 'fail_closed') {
      if (!this.outage) {
        this.outage = true;
        log.error({ err: cause }, 'Redis is unavailable: calls with rate limits are refused (503) until it answers (redis.when_unavailable: fail_closed)');
      }
      throw new RateLimitStoreUnavailableError(cause);
    }
    if (!this.outage) {
      this.outage = true;
      log.warn({ err: cause }, 'Redis is unavailable: rate limits are counted by each replica on its own until it answers (redis.when_unavailable: fail_open)');
    }
    return this.local.admitLimits(limits, bodyChars);
  }
}
