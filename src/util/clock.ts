/**
 * Time as the resilience strategies see it. Everything that waits or measures
 * an interval takes a `Clock`, so tests drive time by hand instead of sleeping.
 */
import { abortableSleep } from './abortable-sleep.js';

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Resolves after `ms`; rejects with `signal.reason` as soon as the signal aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * The real clock. `now()` is epoch-anchored but monotonic
 * (`performance.timeOrigin + performance.now()`), so a system clock step
 * (NTP, a laptop waking up) cannot shorten or stretch a cool-down.
 */
export const systemClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
  sleep: abortableSleep,
};
