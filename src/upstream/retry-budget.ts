/**
 * A retry budget per deployment, after Finagle's RetryBudget and Envoy's
 * retry_budget: retries may add at most `ratio` of the recent requests (plus a
 * small reserve so low-traffic deployments can still retry at all). When an
 * upstream is broken for everybody, per-request retry limits multiply the
 * load by `maxAttempts` (and Codex CLI multiplies again: up to 5 turns of 5
 * requests per failure); a budget caps the extra load at a fixed share, so
 * the gateway fails fast instead of amplifying an outage.
 *
 * The window slides over time from an injectable Clock, so a budget
 * exhausted during an incident recovers by itself as old retries age out.
 */
import type { RetryBudgetConfig } from '../config/types.js';
import type { Clock } from '../util/clock.js';
import { RollingCounts } from '../util/rolling-counts.js';

export interface RetryBudgetSnapshot {
  /** First attempts in the window. */
  readonly requests: number;
  /** Retries in the window. */
  readonly retries: number;
  /** Retries the window allows in total: reserve + ratio × requests. */
  readonly allowed: number;
}

export class RetryBudget {
  private readonly counts: RollingCounts;
  /** Retries allowed per window regardless of traffic. */
  private readonly reserve: number;

  constructor(
    private readonly config: RetryBudgetConfig,
    private readonly clock: Clock,
  ) {
    this.counts = new RollingCounts(config.windowMs, 10);
    this.reserve = (config.minPerSecond * config.windowMs) / 1000;
  }

  /** Record a request's first attempt (retries are taken with {@link tryAcquire}, not here). */
  onRequest(): void {
    this.counts.add(this.clock.now(), 1, 0);
  }

  /**
   * Takes one retry from the budget if it fits, in one step: the check and
   * the record cannot be separated. Checking first and recording after the
   * backoff wait let every request that failed together see the same room
   * and take it (100 concurrent failures made ~145 retries against 50).
   * A retry taken and then not made (the client left during the wait) stays
   * counted: the budget errs towards fewer retries.
   */
  tryAcquire(): boolean {
    const now = this.clock.now();
    if (this.counts.sumSecond(now) + 1 > this.allowedAt(now)) return false;
    this.counts.add(now, 0, 1);
    return true;
  }

  snapshot(): RetryBudgetSnapshot {
    const now = this.clock.now();
    return { requests: this.counts.sumFirst(now), retries: this.counts.sumSecond(now), allowed: this.allowedAt(now) };
  }

  private allowedAt(now: number): number {
    return this.reserve + this.config.ratio * this.counts.sumFirst(now);
  }
}
