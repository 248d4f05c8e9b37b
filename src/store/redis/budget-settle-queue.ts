/**
 * Settles that could not reach Redis, sent again in the background in their
 * order until they land: spend is not lost to an outage (the hold they
 * release expires by itself anyway). Bounded: past its capacity the oldest
 * is dropped and reported (that spend stays in the ledger; the shared book
 * undercounts it until the next period).
 */
import { BoundedQueue } from '../bounded-queue.js';

const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 5_000;

export interface SettleRetryOptions<T> {
  readonly capacity: number;
  /** Sends one entry; rejects when the store is still unreachable. */
  readonly send: (entry: T) => Promise<void>;
  readonly onDropped: (entry: T) => void;
}

export class SettleRetryQueue<T> {
  private readonly queue: BoundedQueue<T>;
  private timer: NodeJS.Timeout | undefined;
  private delayMs = FIRST_RETRY_MS;
  private draining: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly options: SettleRetryOptions<T>) {
    this.queue = new BoundedQueue<T>(options.capacity);
  }

  get length(): number {
    return this.queue.length;
  }

  push(entry: T): void {
    const dropped = this.queue.push(entry);
    if (dropped !== undefined) this.options.onDropped(dropped);
    this.schedule();
  }

  /** Sends what is queued now (after the store answered again); resolves when the queue is empty or a send failed. */
  drain(): Promise<void> {
    this.draining ??= this.sendAll().finally(() => {
      this.draining = undefined;
    });
    return this.draining;
  }

  /** Stops retrying; what is still queued is left (its holds expire). */
  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async sendAll(): Promise<void> {
    while (this.queue.length > 0 && !this.closed) {
      const [entry] = this.queue.peek(1);
      try {
        await this.options.send(entry!);
      } catch {
        this.delayMs = Math.min(MAX_RETRY_MS, this.delayMs * 2);
        this.schedule();
        return;
      }
      this.queue.discard(1);
      this.delayMs = FIRST_RETRY_MS;
    }
  }

  private schedule(): void {
    if (this.timer !== undefined || this.closed || this.queue.length === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.drain();
    }, this.delayMs);
    this.timer.unref();
  }
}
