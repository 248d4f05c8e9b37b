/**
 * When a failed delivery is tried again: exponential backoff with full jitter
 * (a random wait between 0 and the doubled delay, capped), so receivers that
 * come back after an outage are not hit by every gateway at the same instant.
 * The outbox gives up when the next attempt would fall past `maxAgeMs` after
 * the notification was stored, or after `maxAttempts` attempts: an alert a
 * day late is no longer worth sending.
 */
import type { RandomSource } from '../util/random.js';

export interface RetrySchedule {
  /** The first delay's ceiling … */
  readonly baseDelayMs: number;
  /** … doubled after each failure, up to this. */
  readonly maxDelayMs: number;
  /** No attempt later than this after the notification was stored. */
  readonly maxAgeMs: number;
  readonly maxAttempts: number;
}

/** 2 s doubling to 10 min; given up after a day (about 150 attempts at the cap) or 200 attempts. */
export const DEFAULT_RETRY_SCHEDULE: RetrySchedule = { baseDelayMs: 2_000, maxDelayMs: 600_000, maxAgeMs: 86_400_000, maxAttempts: 200 };

/** The ceiling of the wait after `failures` failed attempts (1 for the first). */
export function delayCeiling(failures: number, schedule: RetrySchedule): number {
  return Math.min(schedule.maxDelayMs, schedule.baseDelayMs * 2 ** Math.min(Math.max(failures - 1, 0), 30));
}

/**
 * Epoch ms of the next attempt after `failures` failed attempts of a
 * notification stored at `storedAt`; undefined when the outbox gives up.
 */
export function nextAttemptAt(failures: number, storedAt: number, now: number, schedule: RetrySchedule, random: RandomSource): number | undefined {
  if (failures >= schedule.maxAttempts) return undefined;
  const next = now + Math.floor(random() * delayCeiling(failures, schedule));
  return next - storedAt > schedule.maxAgeMs ? undefined : next;
}
