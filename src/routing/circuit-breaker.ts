/**
 * A circuit breaker per deployment. While a deployment keeps failing, requests
 * skip it (to a fallback, or fail fast) instead of each waiting for its own
 * timeout; after a cool-down one probe request tests whether it recovered.
 *
 *   closed ──(N consecutive failures, or failure rate ≥ R over the window
 *             with at least M requests)──▶ open
 *   open ──(cool-down elapsed: the next request is admitted as the probe)──▶ half_open
 *   half_open ──(probe succeeds)──▶ closed
 *   half_open ──(probe fails)──▶ open, with the cool-down doubled up to a cap
 *
 * Only upstream-side failures count (see {@link breakerOutcome}). Every
 * admitted request gets a ticket that must be settled exactly once with
 * {@link CircuitBreaker.record}; results of tickets issued before the last
 * state change are ignored, so a slow request that started while the
 * circuit was closed cannot close (or re-open) it later.
 */
import type { CircuitBreakerConfig } from '../config/types.js';
import type { FailureKind } from '../upstream/failure-class.js';
import type { Clock } from '../util/clock.js';
import { RollingCounts } from '../util/rolling-counts.js';

export type CircuitState = 'closed' | 'open' | 'half_open';

/** What an attempt's result says about the deployment's health. */
export type BreakerOutcome = 'success' | 'failure' | 'neutral';

export type CircuitChangeReason =
  | 'consecutive_failures'
  | 'failure_rate'
  /** The cool-down elapsed and a request was admitted as the probe. */
  | 'cool_down_elapsed'
  /** Every deployment of a route was open: a request was admitted as the probe before the cool-down elapsed. */
  | 'early_probe'
  | 'probe_succeeded'
  | 'probe_failed'
  /** The provider's settings changed (a configuration reload): its deployments start again with a closed circuit. */
  | 'reconfigured';

export interface CircuitStateChange {
  readonly from: CircuitState;
  readonly to: CircuitState;
  readonly reason: CircuitChangeReason;
  /** Clock time of the change. */
  readonly at: number;
  /** When the circuit opened: how long it stays open. */
  readonly coolDownMs: number | undefined;
}

export interface CircuitSnapshot {
  readonly state: CircuitState;
  readonly consecutiveFailures: number;
  /** Clock time the circuit last opened; null while closed. */
  readonly openedAt: number | null;
  /** Clock time from which a probe is admitted; null while closed. */
  readonly retryAt: number | null;
  /** The cool-down of the current (or next) opening. */
  readonly coolDownMs: number;
  /** Requests and failures counted in the rolling window. */
  readonly recentRequests: number;
  readonly recentFailures: number;
  readonly probeInFlight: boolean;
}

/** Proof of admission; settle it once with {@link CircuitBreaker.record}. */
export interface BreakerTicket {
  /** This request is the half-open probe that decides the circuit's state. */
  readonly probe: boolean;
}

class Ticket implements BreakerTicket {
  settled = false;
  constructor(
    readonly probe: boolean,
    readonly epoch: number,
  ) {}
}

/**
 * How a failure kind counts. Upstream-side failures are failures; an answer
 * that is the client's fault (400, 404, context length) proves the upstream
 * works and counts as a success; cancellations and gateway errors say
 * nothing. 429 rate limits are neutral unless `countRateLimits` is set: a
 * rate-limited deployment is healthy, and its Retry-After already steers
 * requests away; quota exhaustion always counts, since it lasts.
 */
export function breakerOutcome(kind: FailureKind, countRateLimits: boolean): BreakerOutcome {
  switch (kind) {
    case 'network':
    case 'timeout':
    case 'server':
    case 'auth':
    case 'quota':
    case 'protocol':
      return 'failure';
    case 'rate_limited':
      return countRateLimits ? 'failure' : 'neutral';
    case 'not_found':
    case 'conflict':
    case 'context_length':
    case 'client':
      return 'success';
    case 'cancelled':
    case 'gateway':
      return 'neutral';
  }
}

export type CircuitListener = (change: CircuitStateChange) => void;

export class CircuitBreaker {
  private current: CircuitState = 'closed';
  /** Incremented on every state change; tickets from an older epoch are ignored. */
  private epoch = 0;
  private consecutive = 0;
  private openedAt: number | null = null;
  private retryAt: number | null = null;
  private coolDownMs: number;
  private probeInFlight = false;
  private readonly window: RollingCounts;
  private readonly disabledTicket = new Ticket(false, -1);

  constructor(
    private readonly policy: CircuitBreakerConfig,
    private readonly clock: Clock,
    /** Called after every state change (metrics, logs); it must not throw. */
    private readonly onStateChange?: CircuitListener,
  ) {
    this.coolDownMs = policy.coolDownMs;
    this.window = new RollingCounts(policy.windowMs, 10);
  }

  get state(): CircuitState {
    return this.current;
  }

  /** Whether {@link acquire} would admit a request now (without `force`). */
  isAvailable(): boolean {
    switch (this.current) {
      case 'closed':
        return true;
      case 'open':
        return this.clock.now() >= (this.retryAt ?? 0);
      case 'half_open':
        return !this.probeInFlight;
    }
  }

  /** Clock time from which an open circuit admits a probe; null while closed. */
  get nextAttemptAt(): number | null {
    return this.retryAt;
  }

  /**
   * Admits a request, or returns undefined when the circuit is open (or
   * half-open with its probe in flight). `force` admits the probe of an open
   * circuit before its cool-down ends; it is for a route whose deployments
   * are all open, so that a client gets a real attempt. Even forced, there
   * is never more than one probe in flight.
   */
  acquire(options: { readonly force?: boolean } = {}): BreakerTicket | undefined {
    if (!this.policy.enabled) return this.disabledTicket;
    switch (this.current) {
      case 'closed':
        return new Ticket(false, this.epoch);
      case 'open': {
        const elapsed = this.clock.now() >= (this.retryAt ?? 0);
        if (!elapsed && options.force !== true) return undefined;
        this.transition('half_open', elapsed ? 'cool_down_elapsed' : 'early_probe');
        this.probeInFlight = true;
        return new Ticket(true, this.epoch);
      }
      case 'half_open':
        if (this.probeInFlight) return undefined;
        this.probeInFlight = true;
        return new Ticket(true, this.epoch);
    }
  }

  /** Settles a ticket from {@link acquire}. A second call for the same ticket is ignored. */
  record(ticket: BreakerTicket, outcome: BreakerOutcome): void {
    if (!(ticket instanceof Ticket) || ticket.settled) return;
    ticket.settled = true;
    if (!this.policy.enabled || ticket.epoch !== this.epoch) return;
    if (this.current === 'half_open') {
      if (outcome === 'success') {
        this.close();
      } else if (outcome === 'failure') {
        this.consecutive++;
        this.open('probe_failed', Math.min(this.policy.maxCoolDownMs, this.coolDownMs * 2));
      } else {
        // Neutral: the probe said nothing; the next request becomes the probe.
        this.probeInFlight = false;
      }
      return;
    }
    if (this.current !== 'closed' || outcome === 'neutral') return;
    const now = this.clock.now();
    if (outcome === 'success') {
      this.consecutive = 0;
      this.window.add(now, 1, 0);
      return;
    }
    this.consecutive++;
    this.window.add(now, 1, 1);
    if (this.consecutive >= this.policy.consecutiveFailures) {
      this.open('consecutive_failures', this.policy.coolDownMs);
      return;
    }
    const requests = this.window.sumFirst(now);
    if (requests >= this.policy.minRequests && this.window.sumSecond(now) / requests >= this.policy.failureRate) {
      this.open('failure_rate', this.policy.coolDownMs);
    }
  }

  snapshot(): CircuitSnapshot {
    const now = this.clock.now();
    return {
      state: this.current,
      consecutiveFailures: this.consecutive,
      openedAt: this.openedAt,
      retryAt: this.retryAt,
      coolDownMs: this.coolDownMs,
      recentRequests: this.window.sumFirst(now),
      recentFailures: this.window.sumSecond(now),
      probeInFlight: this.probeInFlight,
    };
  }

  private open(reason: CircuitChangeReason, coolDownMs: number): void {
    const now = this.clock.now();
    this.coolDownMs = coolDownMs;
    this.openedAt = now;
    this.retryAt = now + coolDownMs;
    this.probeInFlight = false;
    this.transition('open', reason);
  }

  private close(): void {
    this.consecutive = 0;
    this.window.reset();
    this.coolDownMs = this.policy.coolDownMs;
    this.openedAt = null;
    this.retryAt = null;
    this.probeInFlight = false;
    this.transition('closed', 'probe_succeeded');
  }

  private transition(to: CircuitState, reason: CircuitChangeReason): void {
    const from = this.current;
    this.current = to;
    this.epoch++;
    this.onStateChange?.({ from, to, reason, at: this.clock.now(), coolDownMs: to === 'open' ? this.coolDownMs : undefined });
  }
}
