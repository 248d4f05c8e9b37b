import type { Clock } from '../../src/util/clock.js';

/**
 * A clock for end-to-end tests of waiting: every sleep is recorded and
 * returns at once (after a macrotask, so sockets make progress), and time
 * jumps forward by the slept amount. Backoff delays are asserted exactly
 * without a test ever waiting for them.
 */
export class RecordingClock implements Clock {
  readonly sleeps: number[] = [];
  private offset = 0;

  now(): number {
    return Date.now() + this.offset;
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    this.sleeps.push(ms);
    this.offset += ms;
    await new Promise((resolve) => setImmediate(resolve));
    signal?.throwIfAborted();
  }
}
