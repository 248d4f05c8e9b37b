/**
 * A manual clock for tests: time moves only when the test calls `advance`.
 * Sleeps resolve in due order as time passes them, and abort at once when
 * their signal does, exactly like the real clock's.
 */
import type { Clock } from '../../src/util/clock.js';

interface Sleeper {
  readonly due: number;
  readonly seq: number;
  readonly resolve: () => void;
}

export class FakeClock implements Clock {
  private time: number;
  private seq = 0;
  private readonly sleepers = new Set<Sleeper>();

  constructor(startMs = Date.UTC(2025, 0, 1)) {
    this.time = startMs;
  }

  now(): number {
    return this.time;
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const aborted = await new Promise<boolean>((resolve) => {
      const onAbort = (): void => {
        this.sleepers.delete(sleeper);
        resolve(true);
      };
      const sleeper: Sleeper = {
        due: this.time + Math.max(0, ms),
        seq: this.seq++,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(false);
        },
      };
      this.sleepers.add(sleeper);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    // Like the real clock: reject with exactly `signal.reason`.
    if (aborted) signal?.throwIfAborted();
  }

  /** Sleeps not yet resolved or aborted. */
  get pendingSleeps(): number {
    return this.sleepers.size;
  }

  /**
   * Moves time forward by `ms`, waking each sleeper at its due time (in due
   * order) and letting the code it wakes run before time moves on, so a
   * sleep started by a woken task is honoured within the same advance.
   */
  async advance(ms: number): Promise<void> {
    const target = this.time + ms;
    for (;;) {
      let next: Sleeper | undefined;
      for (const sleeper of this.sleepers) {
        if (sleeper.due <= target && (next === undefined || sleeper.due < next.due || (sleeper.due === next.due && sleeper.seq < next.seq))) next = sleeper;
      }
      if (next === undefined) break;
      this.sleepers.delete(next);
      this.time = Math.max(this.time, next.due);
      next.resolve();
      await flushMicrotasks();
    }
    this.time = target;
    await flushMicrotasks();
  }

  /** Sets the time without waking anyone (for tests of code that only reads `now`). */
  set(ms: number): void {
    this.time = ms;
  }
}

/** Lets promise chains settle: a macrotask turn runs every queued microtask first. */
function flushMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
