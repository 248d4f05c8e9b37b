/**
 * Two counters over a sliding time window, kept in a fixed ring of buckets:
 * O(1) per event, no allocation after construction. The window slides one
 * bucket at a time, so the oldest bucket's events drop out together (the
 * resolution is `windowMs / buckets`), as in Hystrix and Finagle.
 */
export class RollingCounts {
  private readonly bucketMs: number;
  /** Which bucket period (now / bucketMs) each slot currently holds. */
  private readonly periods: Float64Array;
  private readonly first: Float64Array;
  private readonly second: Float64Array;

  constructor(
    readonly windowMs: number,
    readonly buckets = 10,
  ) {
    if (!(windowMs > 0) || !Number.isInteger(buckets) || buckets < 1) throw new RangeError('RollingCounts needs windowMs > 0 and buckets >= 1');
    this.bucketMs = windowMs / buckets;
    this.periods = new Float64Array(buckets).fill(-1);
    this.first = new Float64Array(buckets);
    this.second = new Float64Array(buckets);
  }

  /** Adds to the first and/or second counter at time `now`. */
  add(now: number, first: number, second: number): void {
    const period = Math.floor(now / this.bucketMs);
    const slot = period % this.buckets;
    if (this.periods[slot] !== period) {
      this.periods[slot] = period;
      this.first[slot] = 0;
      this.second[slot] = 0;
    }
    this.first[slot] = (this.first[slot] ?? 0) + first;
    this.second[slot] = (this.second[slot] ?? 0) + second;
  }

  /** Sum of the first counter over the window ending at `now`. */
  sumFirst(now: number): number {
    return this.sum(now, this.first);
  }

  /** Sum of the second counter over the window ending at `now`. */
  sumSecond(now: number): number {
    return this.sum(now, this.second);
  }

  /**
   * Milliseconds until the oldest bucket that holds something leaves the
   * window ending at `now` (when the sums next fall); 0 when all are empty.
   */
  msUntilOldestExpires(now: number): number {
    const current = Math.floor(now / this.bucketMs);
    let oldest = Infinity;
    for (let slot = 0; slot < this.buckets; slot++) {
      const period = this.periods[slot] ?? -1;
      if (period >= 0 && current - period < this.buckets && ((this.first[slot] ?? 0) !== 0 || (this.second[slot] ?? 0) !== 0)) oldest = Math.min(oldest, period);
    }
    return oldest === Infinity ? 0 : (oldest + this.buckets) * this.bucketMs - now;
  }

  reset(): void {
    this.periods.fill(-1);
    this.first.fill(0);
    this.second.fill(0);
  }

  private sum(now: number, counts: Float64Array): number {
    const current = Math.floor(now / this.bucketMs);
    let total = 0;
    for (let slot = 0; slot < this.buckets; slot++) {
      const period = this.periods[slot] ?? -1;
      // A bucket counts while it is one of the last `buckets` periods (a clock that went back keeps it too).
      if (period >= 0 && current - period < this.buckets) total += counts[slot] ?? 0;
    }
    return total;
  }
}
