import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/util/clock.js';
import { RollingCounts } from '../../src/util/rolling-counts.js';
import { FakeClock } from '../helpers/fake-clock.js';

describe('systemClock', () => {
  it('reads epoch milliseconds and never goes backwards', () => {
    const a = systemClock.now();
    const b = systemClock.now();
    expect(Math.abs(a - Date.now())).toBeLessThan(1_000);
    expect(b).toBeGreaterThanOrEqual(a);
  });

  it('sleeps, and stops sleeping when aborted', async () => {
    await systemClock.sleep(1);
    const reason = new Error('stop');
    await expect(systemClock.sleep(60_000, AbortSignal.abort(reason))).rejects.toBe(reason);
  });
});

describe('FakeClock', () => {
  it('wakes sleepers in due order as time advances, including sleeps started by woken code', async () => {
    const clock = new FakeClock(1_000);
    const woke: string[] = [];
    void clock.sleep(300).then(() => woke.push(`b@${clock.now()}`));
    void clock.sleep(100).then(async () => {
      woke.push(`a@${clock.now()}`);
      await clock.sleep(100);
      woke.push(`c@${clock.now()}`);
    });
    await clock.advance(250);
    expect(woke).toEqual(['a@1100', 'c@1200']);
    expect(clock.now()).toBe(1_250);
    await clock.advance(50);
    expect(woke).toEqual(['a@1100', 'c@1200', 'b@1300']);
    expect(clock.pendingSleeps).toBe(0);
  });

  it('rejects an aborted sleep at once with the reason', async () => {
    const clock = new FakeClock();
    const controller = new AbortController();
    const sleeping = clock.sleep(1_000, controller.signal);
    controller.abort(new Error('gone'));
    await expect(sleeping).rejects.toThrow('gone');
    expect(clock.pendingSleeps).toBe(0);
  });
});

describe('RollingCounts', () => {
  it('sums both counters over the window and drops whole buckets as it slides', () => {
    const counts = new RollingCounts(1_000, 10);
    counts.add(0, 1, 0);
    counts.add(50, 1, 1);
    counts.add(950, 2, 2);
    expect([counts.sumFirst(999), counts.sumSecond(999)]).toEqual([4, 3]);
    // At 1000 the first bucket [0, 100) has left the window.
    expect([counts.sumFirst(1_000), counts.sumSecond(1_000)]).toEqual([2, 2]);
    expect(counts.sumFirst(2_000)).toBe(0);
  });

  it('reuses a slot for a new period instead of adding to stale counts', () => {
    const counts = new RollingCounts(1_000, 10);
    counts.add(10, 5, 5);
    counts.add(1_010, 1, 0);
    expect(counts.sumFirst(1_010)).toBe(1);
    counts.reset();
    expect(counts.sumFirst(1_010)).toBe(0);
  });

  it('rejects a window it cannot bucket', () => {
    expect(() => new RollingCounts(0)).toThrow(RangeError);
    expect(() => new RollingCounts(1_000, 0)).toThrow(RangeError);
  });
});
