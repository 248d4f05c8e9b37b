/**
 * A FIFO ring buffer with a hard capacity: pushing onto a full queue drops the
 * oldest item. Push, peek and discard are O(1) (amortised while it grows), so
 * the request path can hand rows to a writer without waiting for it.
 */
export class BoundedQueue<T> {
  private items: (T | undefined)[];
  private head = 0;
  private count = 0;

  constructor(
    readonly capacity: number,
    initialSize = 64,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.items = new Array<T | undefined>(Math.min(capacity, Math.max(1, initialSize)));
  }

  get length(): number {
    return this.count;
  }

  /** Appends `item`; returns the item dropped to make room, if any. */
  push(item: T): T | undefined {
    if (this.count === this.items.length && this.items.length < this.capacity) this.grow();
    if (this.count < this.items.length) {
      this.items[(this.head + this.count) % this.items.length] = item;
      this.count++;
      return undefined;
    }
    // Full at capacity: overwrite the oldest.
    const dropped = this.items[this.head];
    this.items[this.head] = item;
    this.head = (this.head + 1) % this.items.length;
    return dropped;
  }

  /** The oldest `max` items, oldest first, without removing them. */
  peek(max: number): T[] {
    const n = Math.min(max, this.count);
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) out[i] = this.items[(this.head + i) % this.items.length] as T;
    return out;
  }

  /** Removes the oldest `n` items (after they were written). */
  discard(n: number): void {
    const k = Math.min(n, this.count);
    for (let i = 0; i < k; i++) this.items[(this.head + i) % this.items.length] = undefined;
    this.head = (this.head + k) % this.items.length;
    this.count -= k;
  }

  private grow(): void {
    const next = new Array<T | undefined>(Math.min(this.capacity, this.items.length * 2));
    for (let i = 0; i < this.count; i++) next[i] = this.items[(this.head + i) % this.items.length];
    this.items = next;
    this.head = 0;
  }
}
