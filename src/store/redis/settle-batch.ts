/**
 * Settles gathered into batches (budget settles, rate-limit corrections):
 * every settle asked for in one event-loop turn goes out on the next turn as
 * one script call (up to `maxBatch` each), instead of one call each. A settle is not on the answer's path, so the turn
 * it waits costs no caller anything, and the command building, encoding and
 * reply parsing of the client (most of a shared budget's CPU) are paid once
 * per batch. Each settle still gets its own reply, or the batch's error.
 */

export interface SettleBatchOptions<T, R> {
  /** The most settles one call carries (a script runs atomically: a huge one would stall the store). */
  readonly maxBatch: number;
  /** Sends the entries as one call; resolves with one reply per entry, in their order. */
  readonly send: (entries: readonly T[]) => Promise<readonly R[]>;
}

interface Waiting<T, R> {
  readonly entry: T;
  readonly resolve: (reply: R) => void;
  readonly reject: (error: unknown) => void;
}

export class SettleBatcher<T, R> {
  private pending: Waiting<T, R>[] = [];
  private scheduled: NodeJS.Immediate | undefined;

  constructor(private readonly options: SettleBatchOptions<T, R>) {}

  /** Settles waiting for the next turn. */
  get length(): number {
    return this.pending.length;
  }

  /** Queues a settle for the next batch; resolves with its own reply, or rejects with the batch's error. */
  add(entry: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ entry, resolve, reject });
      this.scheduled ??= setImmediate(() => this.flush());
    });
  }

  /** Sends what is waiting now, without waiting for the next turn. */
  flush(): void {
    if (this.scheduled !== undefined) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    const waiting = this.pending;
    this.pending = [];
    for (let start = 0; start < waiting.length; start += this.options.maxBatch) void this.sendBatch(waiting.slice(start, start + this.options.maxBatch));
  }

  private async sendBatch(batch: readonly Waiting<T, R>[]): Promise<void> {
    const entries = new Array<T>(batch.length);
    for (let i = 0; i < batch.length; i++) entries[i] = batch[i]!.entry;
    let replies: readonly R[];
    try {
      replies = await this.options.send(entries);
    } catch (error) {
      for (const waiting of batch) waiting.reject(error);
      return;
    }
    for (let i = 0; i < batch.length; i++) batch[i]!.resolve(replies[i]!);
  }
}
