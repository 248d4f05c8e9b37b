/**
 * The usage ledger on PostgreSQL, for gateways that share one store.
 *
 * `append` pushes onto a bounded in-memory queue (no I/O). One write is in
 * flight at a time: a single `INSERT … SELECT FROM json_to_recordset($1)` of up to
 * `maxRowsPerStatement` rows, one round trip, atomic on its own. A write
 * starts `flushIntervalMs` after the first row waits, or on the next turn of
 * the event loop once `batchSize` rows wait, and right after the previous
 * write while rows keep coming: the batch is whatever arrived meanwhile.
 *
 * When PostgreSQL cannot be reached or refuses writes, rows stay queued and
 * the write is retried with exponential backoff (on new connections from the
 * pool); past `maxBufferedRows` the oldest are dropped and reported. Every
 * row carries an id (`row_id`, unique): a write whose answer is lost after
 * the server committed it is sent again and stores nothing twice. A row the
 * database refuses on its own (a constraint, a number out of range) makes
 * the batch be written row by row, the refused rows dropped and reported.
 * Every query has a time limit (`queryTimeoutMs`), so neither a write nor a
 * read waits forever on a server that stopped answering.
 *
 * Reads flush the queue first, as the embedded store's do; when PostgreSQL
 * cannot be reached they reject, naming the store and the error.
 */
import type { Pool } from 'pg';
import { BoundedQueue } from '../bounded-queue.js';
import type { BillingLine, BillingQuery, LedgerFailure, LedgerStats, TenantDayTotal, Timeseries, TimeseriesQuery, UsageGroup, UsageLedger, UsageQuery } from '../../metering/usage-ledger.js';
import type { UsageRecord } from '../../metering/usage-record.js';
import { assertUtcDay, utcDay, type LedgerDropEvent, type LedgerEvents } from '../usage-ledger.js';
import { billingLines } from './billing-lines.js';
import { costByTenant, dailyTotals, recent, spentSince } from './ledger-queries.js';
import { errorCode, errorMessage, isRowError, withClient } from './ledger-pool.js';
import { RowIds } from './ledger-row-ids.js';
import { usageReport } from './usage-report.js';
import { timeseries } from './rollup-queries.js';
import { assertTimeseriesQuery } from '../usage-rollup.js';
import { INSERT_NAME, INSERT_SQL, insertParam, type LedgerEntry } from './usage-rows.js';
import type { PoolClient } from 'pg';

export interface PostgresUsageLedgerOptions extends LedgerEvents {
  /** Where the store is, for messages: the URL with its password masked. */
  readonly location: string;
  /** Rows kept while the store fails; beyond, the oldest are dropped (default 100 000). */
  readonly maxBufferedRows?: number;
  /** Longest a row waits in memory before a write (default 50 ms). */
  readonly flushIntervalMs?: number;
  /** Queued rows that start a write on the next turn of the event loop (default 500). */
  readonly batchSize?: number;
  /** Most rows in one statement; a longer queue is written in several (default 2000). */
  readonly maxRowsPerStatement?: number;
  /** First retry delay after a failed write, doubled on each failure (default 1 s) … */
  readonly retryDelayMs?: number;
  /** … up to this (default 30 s). */
  readonly maxRetryDelayMs?: number;
  /** Longest a write or a read may take, waiting for a connection included (default 10 s). */
  readonly queryTimeoutMs?: number;
  /** Clock for `todayCostByTenant` (epoch ms). */
  readonly now?: () => number;
}

/** A read failed: the store is named, the cause kept. */
export class LedgerReadError extends Error {
  readonly code: string;
  constructor(location: string, cause: unknown) {
    super(`usage ledger ${location} cannot be read (${errorCode(cause)}: ${errorMessage(cause)})`, { cause });
    this.name = 'LedgerReadError';
    this.code = errorCode(cause);
  }
}

export class PostgresUsageLedger implements UsageLedger {
  /** A ledger writing through `pool` to its `usage` table (created by the migrations). The pool stays the caller's. */
  static open(pool: Pool, options: PostgresUsageLedgerOptions): PostgresUsageLedger {
    return new PostgresUsageLedger(pool, options);
  }

  readonly capacity: number;
  private readonly queue: BoundedQueue<LedgerEntry>;
  private readonly location: string;
  private readonly flushIntervalMs: number;
  private readonly batchSize: number;
  private readonly maxRowsPerStatement: number;
  private readonly retryDelayMs: number;
  private readonly maxRetryDelayMs: number;
  private readonly queryTimeoutMs: number;
  private readonly now: () => number;
  private readonly events: LedgerEvents;
  private readonly rowIds = new RowIds();

  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  /** The end of the chain of writes: each waits for the one before. */
  private writes: Promise<unknown> = Promise.resolve();
  /** A background write is queued or running (it schedules the next when done). */
  private background = false;
  /** Rows of the write in flight, and how many of them (its oldest) an overflow evicted from the queue meanwhile. */
  private inFlight = 0;
  private evictedInFlight = 0;
  /** Rows ever appended, and rows that ever left the queue (written, refused or evicted): the queue is FIFO. */
  private appended = 0;
  private left = 0;
  private failures = 0;
  /** Set from the first failed write to the next successful one. */
  private failing: LedgerFailure | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;
  private unreportedOverflow = 0;
  private lastDayNumber = Number.NaN;
  private lastDay = '';
  private counters = { written: 0, dropped: 0, rejected: 0, failedFlushes: 0, transactions: 0 };

  constructor(
    private readonly pool: Pool,
    options: PostgresUsageLedgerOptions,
  ) {
    this.location = options.location;
    this.capacity = positive(options.maxBufferedRows, 100_000);
    this.queue = new BoundedQueue(this.capacity);
    this.flushIntervalMs = positive(options.flushIntervalMs, 50);
    // A small buffer is never left half full by the timer alone: it would look full to the admit stage.
    this.batchSize = Math.min(positive(options.batchSize, 500), Math.max(1, Math.floor(this.capacity / 2)));
    this.maxRowsPerStatement = positive(options.maxRowsPerStatement, 2_000);
    this.retryDelayMs = positive(options.retryDelayMs, 1_000);
    this.maxRetryDelayMs = Math.max(this.retryDelayMs, positive(options.maxRetryDelayMs, 30_000));
    this.queryTimeoutMs = positive(options.queryTimeoutMs, 10_000);
    this.now = options.now ?? Date.now;
    this.events = options;
  }

  append(record: UsageRecord): void {
    if (this.closed) {
      this.counters.dropped++;
      this.events.onDrop?.({ reason: 'closed', count: 1, total: this.counters.dropped });
      return;
    }
    this.appended++;
    if (this.queue.push({ record, rowId: this.rowIds.take() }) !== undefined) {
      this.left++;
      // The oldest rows may be the ones being written: lost only if that write fails.
      if (this.evictedInFlight < this.inFlight) this.evictedInFlight++;
      else {
        this.counters.dropped++;
        this.unreportedOverflow++;
      }
    }
    this.schedule();
  }

  async flush(): Promise<void> {
    const target = this.appended;
    while (!this.closed && this.left < target && this.queue.length > 0) await this.serialized(() => this.writeBatch());
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  async dailyTotals(dayUtc: string): Promise<TenantDayTotal[]> {
    assertUtcDay(dayUtc);
    return this.read((client) => dailyTotals(client, dayUtc));
  }

  async todayCostByTenant(): Promise<Map<string, number>> {
    return this.read((client) => costByTenant(client, utcDay(this.now())));
  }

  async spentSince(owner: { readonly tenant: string } | { readonly keyId: string }, sinceMs: number): Promise<number> {
    // Nothing is at or after NaN (SQLite compares with NULL).
    if (Number.isNaN(sinceMs)) return 0;
    return this.read((client) => spentSince(client, owner, wholeMs(sinceMs)));
  }

  async usage(query: UsageQuery): Promise<UsageGroup[]> {
    if (query.fromDay !== undefined) assertUtcDay(query.fromDay);
    if (query.toDay !== undefined) assertUtcDay(query.toDay);
    return this.read((client) => usageReport(client, query));
  }

  async billingLines(query: BillingQuery): Promise<BillingLine[]> {
    if (!Number.isFinite(query.start) || !Number.isFinite(query.end) || query.end < query.start) throw new RangeError(`expected a time range start <= end, got [${query.start}, ${query.end})`);
    // Times are whole milliseconds: `time >= s` is `time >= ceil(s)`, `time < e` is `time < ceil(e)`.
    return this.read((client) => billingLines(client, { ...query, start: wholeMs(query.start), end: wholeMs(query.end) }));
  }

  async timeseries(query: TimeseriesQuery): Promise<Timeseries> {
    assertTimeseriesQuery(query);
    return this.read((client) => timeseries(client, query));
  }

  async recent(limit: number): Promise<UsageRecord[]> {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`expected a positive integer limit, got ${limit}`);
    return this.read((client) => recent(client, limit));
  }

  /** Readiness: PostgreSQL answers and the last write (or probe) succeeded. */
  async check(): Promise<void> {
    if (this.closed) throw new Error(`usage ledger ${this.location} is closed`);
    const failure = this.failing;
    if (failure !== undefined) {
      throw new Error(
        `usage ledger ${failure.path} cannot be written since ${new Date(failure.since).toISOString()} (${failure.code}: ${failure.message}); ` +
          `${this.queue.length} row(s) kept in memory (at most ${this.capacity}) and retried`,
      );
    }
    try {
      await withClient(this.pool, this.queryTimeoutMs, (client) => client.query('SELECT 1'));
    } catch (error) {
      throw new LedgerReadError(this.location, error);
    }
  }

  stats(): LedgerStats {
    return { buffered: this.queue.length, ...this.counters };
  }

  pending(): number {
    return this.queue.length;
  }

  failure(): LedgerFailure | undefined {
    return this.failing;
  }

  // ---------------------------------------------------------------- writing

  private schedule(): void {
    // While failing, the retry timer decides when to try again; a running write schedules the next.
    if (this.failures > 0 || this.background) return;
    if (this.queue.length >= this.batchSize) {
      this.immediate ??= setImmediate(this.onImmediate).unref();
    } else {
      this.timer ??= setTimeout(this.onTimer, this.flushIntervalMs).unref();
    }
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.writeInBackground();
  };

  private readonly onImmediate = (): void => {
    this.immediate = undefined;
    this.writeInBackground();
  };

  private writeInBackground(): void {
    if (this.closed || this.background) return;
    // While failing, a retry with nothing to write probes the store, so recovery is seen.
    if (this.queue.length === 0 && this.failing === undefined) return;
    this.background = true;
    const attempt = this.queue.length > 0 ? this.serialized(() => this.writeBatch()) : this.serialized(() => this.probe());
    attempt.then(
      () => {
        this.background = false;
        // The next batch is whatever arrived during this write.
        if (this.queue.length > 0 && !this.closed && this.failures === 0) this.immediate ??= setImmediate(this.onImmediate).unref();
      },
      () => {
        // Reported, and a retry is scheduled.
        this.background = false;
      },
    );
  }

  /** Runs `write` after every write started before it: one write in flight at a time. */
  private serialized<T>(write: () => Promise<T>): Promise<T> {
    const run = this.writes.then(write);
    this.writes = run.catch(() => undefined);
    return run;
  }

  /**
   * Writes the oldest queued rows in one statement and removes them from the
   * queue; on failure they stay queued (those an overflow evicted meanwhile
   * are lost then). Rejects, after reporting, when the store fails.
   */
  private async writeBatch(): Promise<void> {
    // A background write queued behind the last one of `close`.
    if (this.closed) return;
    this.reportOverflow();
    const entries = this.queue.peek(this.maxRowsPerStatement);
    if (entries.length === 0) return;
    this.inFlight = entries.length;
    this.evictedInFlight = 0;
    const progress = { done: 0, refused: [] as unknown[] };
    try {
      try {
        await withClient(this.pool, this.queryTimeoutMs, (client) => this.insert(client, entries));
        progress.done = entries.length;
        this.counters.written += entries.length;
        this.counters.transactions++;
      } catch (error) {
        if (!isRowError(error)) throw error;
        await withClient(this.pool, this.queryTimeoutMs, (client) => this.insertEach(client, entries, progress));
      }
    } catch (error) {
      this.settle(progress.done);
      this.reportRefused(progress.refused);
      this.writeFailed(error);
      this.retryLater();
      throw error;
    }
    this.settle(progress.done);
    this.reportRefused(progress.refused);
    this.recovered();
  }

  private async insert(client: PoolClient, entries: readonly LedgerEntry[]): Promise<void> {
    await client.query({ name: INSERT_NAME, text: INSERT_SQL, values: [insertParam(entries, (time) => this.dayOf(time))] });
  }

  /** Each row in its own statement, in order; `progress` says how far it got when the store fails midway. */
  private async insertEach(client: PoolClient, entries: readonly LedgerEntry[], progress: { done: number; refused: unknown[] }): Promise<void> {
    for (const entry of entries) {
      try {
        await this.insert(client, [entry]);
        this.counters.written++;
        this.counters.transactions++;
      } catch (error) {
        if (!isRowError(error)) throw error;
        progress.refused.push(error);
        this.counters.rejected++;
        this.counters.dropped++;
      }
      progress.done++;
    }
  }

  /** The first `done` rows of the write in flight are written or refused: they leave the queue. */
  private settle(done: number): void {
    const evicted = this.evictedInFlight;
    const discard = Math.max(0, done - evicted);
    this.queue.discard(discard);
    this.left += discard;
    // Evicted while being written, and not written: lost to the overflow after all.
    const lost = Math.max(0, evicted - done);
    this.counters.dropped += lost;
    this.unreportedOverflow += lost;
    this.inFlight = 0;
    this.evictedInFlight = 0;
  }

  /** An empty write: fails as a write would while the store cannot take rows. */
  private async probe(): Promise<void> {
    if (this.closed) return;
    this.reportOverflow();
    try {
      await withClient(this.pool, this.queryTimeoutMs, (client) => this.insert(client, []));
    } catch (error) {
      this.writeFailed(error);
      this.retryLater();
      throw error;
    }
    this.recovered();
  }

  // ---------------------------------------------------------------- failures

  private writeFailed(error: unknown): void {
    this.counters.failedFlushes++;
    const first = this.failing === undefined;
    this.failing = { path: this.location, code: errorCode(error), message: errorMessage(error), since: this.failing?.since ?? Date.now() };
    this.events.onError?.(error, this.queue.length);
    if (first) this.events.onUnwritable?.(this.failing, this.queue.length);
  }

  /** After a failure, a write succeeded: drop the backoff so new rows wait only the normal interval. */
  private recovered(): void {
    if (this.failures === 0 && this.failing === undefined) return;
    this.failures = 0;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const failure = this.failing;
    this.failing = undefined;
    if (failure !== undefined) this.events.onWritable?.(failure, this.queue.length);
  }

  private retryLater(): void {
    this.failures++;
    if (this.closed) return;
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.immediate = undefined;
    if (this.timer !== undefined) clearTimeout(this.timer);
    const delay = Math.min(this.maxRetryDelayMs, this.retryDelayMs * 2 ** Math.min(this.failures - 1, 30));
    this.timer = setTimeout(this.onTimer, delay).unref();
  }

  private reportOverflow(): void {
    if (this.unreportedOverflow === 0) return;
    const count = this.unreportedOverflow;
    this.unreportedOverflow = 0;
    this.report({ reason: 'overflow', count, total: this.counters.dropped });
  }

  private reportRefused(errors: readonly unknown[]): void {
    if (errors.length > 0) this.report({ reason: 'rejected', count: errors.length, total: this.counters.dropped, error: errors[0] });
  }

  private report(event: LedgerDropEvent): void {
    if (event.count > 0) this.events.onDrop?.(event);
  }

  private dayOf(time: number): string {
    const dayNumber = Math.floor(time / 86_400_000);
    if (dayNumber !== this.lastDayNumber) {
      this.lastDayNumber = dayNumber;
      this.lastDay = utcDay(time);
    }
    return this.lastDay;
  }

  // ---------------------------------------------------------------- reading and closing

  /**
   * Flushes the queue (a failure is already reported; the read then answers
   * with what the store has), then reads; rejects naming the store when it
   * cannot be read. Both are bounded by the query time limit.
   */
  private async read<T>(query: (client: PoolClient) => Promise<T>): Promise<T> {
    try {
      await this.flush();
    } catch {
      // Reported by the write that failed.
    }
    try {
      return await withClient(this.pool, this.queryTimeoutMs, query);
    } catch (error) {
      throw new LedgerReadError(this.location, error);
    }
  }

  private async shutdown(): Promise<void> {
    this.clearTimers();
    let failure: unknown;
    try {
      // Everything, including rows appended while earlier batches were written.
      while (this.queue.length > 0) await this.serialized(() => this.writeBatch());
    } catch (error) {
      failure = error;
    }
    this.closed = true;
    this.clearTimers();
    // A background write or probe still running ends before the ledger says it is closed.
    await this.writes;
    const lost = this.queue.length;
    if (lost > 0) {
      this.queue.discard(lost);
      this.left += lost;
      this.counters.dropped += lost;
      this.report({ reason: 'closed', count: lost, total: this.counters.dropped, error: failure });
    }
    if (failure !== undefined) throw new Error(`usage ledger closed with ${lost} record(s) unwritten`, { cause: failure });
  }

  private clearTimers(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
  }
}

function positive(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? Math.floor(value) : fallback;
}

/** A time bound as whole milliseconds (rows' times are integers), within BIGINT. */
function wholeMs(value: number): number {
  return Math.min(Number.MAX_SAFE_INTEGER, Math.max(Number.MIN_SAFE_INTEGER, Math.ceil(value)));
}
