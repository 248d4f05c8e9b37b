/**
 * Requests and tokens per minute, per key and per tenant: the admit stage
 * refuses a call that would pass any of its principal's limits (429, with
 * the headers OpenAI sends and the fields Codex shows), and counts it in all
 * of them when it is admitted.
 *
 * Tokens are counted twice over: at admission the prompt is estimated from
 * the body's length (about four characters a token), so a burst of calls
 * cannot pass the limit before any of them is over; when the call settles the
 * estimate is replaced by the usage it really had (prompt and output). The
 * windows (see rate-limit-decision.ts) live in this process; replicas sharing
 * limits use the Redis limiter (store/redis/rate-limiter.ts), which decides
 * and answers with the same code.
 */
import type { Admission, AdmissionHandle, Call, CallOutcome, RateLimit, RequestPolicy } from '../pipeline/contracts.js';
import { RollingCounts } from '../util/rolling-counts.js';
import { admittedHeaders, estimateTokens, RATE_BUCKETS, RATE_WINDOW_MS, refusalError, refusalOf, type WindowUsage } from './rate-limit-decision.js';

interface Window {
  readonly limit: RateLimit;
  /** first: requests, second: tokens. */
  readonly counts: RollingCounts;
}

function usageOf(counts: RollingCounts, now: number): WindowUsage {
  return { requests: counts.sumFirst(now), tokens: counts.sumSecond(now), resetMs: counts.msUntilOldestExpires(now) };
}

/** The tokens a settled call used beyond (or short of) its admission estimate; undefined when its usage is unknown. */
export function tokenCorrection(outcome: CallOutcome, estimate: number): number | undefined {
  const usage = outcome.usage;
  // Without usage (refused upstream, client gone early) the estimate stands: the prompt may well have been read.
  if (usage === undefined) return undefined;
  return usage.promptTokens + usage.completionTokens - estimate;
}

class Charge implements AdmissionHandle {
  constructor(
    private readonly windows: readonly Window[],
    private readonly estimate: number,
    private readonly now: () => number,
  ) {}

  settle(outcome: CallOutcome): void {
    const correction = tokenCorrection(outcome, this.estimate);
    if (correction === undefined) return;
    const at = this.now();
    for (const window of this.windows) window.counts.add(at, 0, correction);
  }
}

export interface RateLimiterOptions {
  readonly now?: () => number;
  /** Windows kept at most (one per key or tenant with limits); the least recently created go first. */
  readonly maxWindows?: number;
}

export class RateLimiter implements RequestPolicy {
  readonly name = 'rate-limits';
  private readonly windows = new Map<string, Window>();
  private readonly now: () => number;
  private readonly maxWindows: number;

  constructor(options: RateLimiterOptions = {}) {
    this.now = options.now ?? Date.now;
    this.maxWindows = options.maxWindows ?? 100_000;
  }

  admit(call: Call): Admission | undefined {
    return this.admitLimits(call.principal.rateLimits, call.client.text.length);
  }

  /** The admission of a call of `bodyChars` characters under `limits`: throws the 429, or counts it in every window. */
  admitLimits(limits: readonly RateLimit[], bodyChars: number): Admission | undefined {
    if (limits.length === 0) return undefined;
    const now = this.now();
    const estimate = estimateTokens(bodyChars);
    const windows: Window[] = [];
    for (const limit of limits) {
      const window = this.windowFor(limit);
      const usage = usageOf(window.counts, now);
      const refusal = refusalOf(limit, usage, estimate);
      if (refusal !== undefined) throw refusalError(limit, usage, refusal, estimate);
      windows.push(window);
    }
    for (const window of windows) window.counts.add(now, 1, estimate);
    const usages = windows.map((window) => usageOf(window.counts, now));
    return { handle: new Charge(windows, estimate, this.now), headers: admittedHeaders(limits, usages, now) };
  }

  private windowFor(limit: RateLimit): Window {
    const key = `${limit.scope}\u0000${limit.id}`;
    const existing = this.windows.get(key);
    // A limit changed through the admin API applies at once; the counts carry over.
    if (existing !== undefined && existing.limit.rpm === limit.rpm && existing.limit.tpm === limit.tpm) return existing;
    if (existing === undefined && this.windows.size >= this.maxWindows) {
      const oldest = this.windows.keys().next();
      if (!oldest.done) this.windows.delete(oldest.value);
    }
    const window: Window = { limit, counts: existing?.counts ?? new RollingCounts(RATE_WINDOW_MS, RATE_BUCKETS) };
    this.windows.set(key, window);
    return window;
  }
}
