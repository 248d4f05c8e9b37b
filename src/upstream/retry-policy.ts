/**
 * The retry policy: one pure decision per failed attempt, composed of the
 * failure classification, the attempt limit, `Retry-After`, an optional
 * deadline and an optional retry budget. A decision to retry has already
 * taken its retry from the budget. The caller owns the loop: it waits
 * `delayMs` on its Clock (abortable) and tries again, or falls back / fails when the decision says no.
 *
 * Backoff is exponential with FULL jitter (AWS Architecture Blog,
 * "Exponential Backoff and Jitter"): delay = random() * min(cap, base * multiplier^attempt).
 * Full jitter spreads the retries of many clients that failed together,
 * which is what keeps a recovering upstream from being knocked over again.
 */
import type { RetryConfig } from '../config/types.js';
import { GatewayError } from '../errors/index.js';
import type { RandomSource } from '../util/random.js';
import { classifyFailure, type FailureClass, type FailureInput } from './failure-class.js';
import { retryAfterMs, type HeaderBag } from './retry-after.js';

// The classification is part of the policy; re-exported so callers need one import.
export { classifyFailure, shouldFallback, type FailureClass, type FailureKind, type FallbackContext } from './failure-class.js';

export type RetryPolicy = Pick<RetryConfig, 'maxAttempts' | 'baseDelayMs' | 'maxDelayMs' | 'multiplier' | 'maxRetryAfterMs'>;

export type NoRetryReason =
  /** The failure is not transient (4xx, auth, quota, cancelled, …). */
  | 'not_retryable'
  /** `maxAttempts` attempts were made on this deployment. */
  | 'attempts_exhausted'
  /** The upstream asked to wait longer than `maxRetryAfterMs`: move on to a fallback, or fail now. */
  | 'retry_after_too_long'
  /** The wait would end after the exchange's deadline. */
  | 'deadline_exceeded'
  /** Retries to this deployment are above their share of recent requests. */
  | 'budget_exhausted';

export type RetryDecision =
  | {
      readonly retry: true;
      readonly delayMs: number;
      /** Where the delay came from. */
      readonly basis: 'backoff' | 'retry_after';
      readonly failure: FailureClass;
    }
  | {
      readonly retry: false;
      readonly reason: NoRetryReason;
      readonly failure: FailureClass;
      /** The upstream's Retry-After, when it sent one: worth passing on to the client. */
      readonly retryAfterMs: number | undefined;
    };

export interface RetryInput extends FailureInput {
  /** 0-based index of the attempt that just failed on this deployment (0 = the first try). */
  readonly attempt: number;
  /**
   * Upstream response headers, for `Retry-After` / `retry-after-ms`. When
   * absent, the headers of a GatewayError `error` are used (classify.ts
   * copies `retry-after` there).
   */
  readonly headers?: HeaderBag | undefined;
  readonly policy: RetryPolicy;
  readonly random: RandomSource;
  /** Current time in ms since the epoch, for a `Retry-After` HTTP-date (default `Date.now()`). */
  readonly now?: number;
  /** Milliseconds left before the exchange's deadline (e.g. `timeouts.total`); unlimited when absent. */
  readonly remainingMs?: number | undefined;
  /** Consulted last, only when everything else allows a retry; a retry decided is taken from it then. */
  readonly budget?: { tryAcquire(): boolean } | undefined;
  /** The failure's class when the caller already classified it (it is classified once per attempt). */
  readonly failure?: FailureClass | undefined;
}

/** The jittered backoff before retry number `attempt + 1`: uniform in [0, min(cap, base * multiplier^attempt)). */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: RandomSource): number {
  // multiplier ** attempt may overflow to Infinity; min() with the cap keeps it finite.
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * policy.multiplier ** Math.max(0, attempt));
  return Math.floor(random() * ceiling);
}

export function decideRetry(input: RetryInput): RetryDecision {
  const failure = input.failure ?? classifyFailure(input);
  const headers = input.headers ?? (input.error instanceof GatewayError ? input.error.headers : undefined);
  const retryAfter = retryAfterMs(headers, input.now ?? Date.now());
  const no = (reason: NoRetryReason): RetryDecision => ({ retry: false, reason, failure, retryAfterMs: retryAfter });

  if (!failure.retryable) return no('not_retryable');
  if (input.attempt + 1 >= input.policy.maxAttempts) return no('attempts_exhausted');
  if (retryAfter !== undefined && retryAfter > input.policy.maxRetryAfterMs) return no('retry_after_too_long');

  const basis = retryAfter === undefined ? 'backoff' : 'retry_after';
  const delayMs = retryAfter ?? backoffDelay(input.attempt, input.policy, input.random);
  if (input.remainingMs !== undefined && delayMs >= input.remainingMs) return no('deadline_exceeded');
  if (input.budget !== undefined && !input.budget.tryAcquire()) return no('budget_exhausted');
  return { retry: true, delayMs, basis, failure };
}
