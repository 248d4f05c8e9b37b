/**
 * The usage ledger: one row per finished LLM call, for billing, budgets and
 * the daily cost gauge. `append` is called on the request path and must never
 * wait for the store, so implementations buffer in memory and write in
 * batches; reads are asynchronous so a network store (PostgreSQL) can
 * implement the same interface.
 */
import type { UsageRecord } from '../metering/usage-record.js';

export interface TenantDayTotal {
  readonly tenant: string;
  readonly costUsd: number;
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly requests: number;
}

export interface LedgerStats {
  /** Records waiting to be written. */
  readonly buffered: number;
  /** Records written since start. */
  readonly written: number;
  /** Records lost: the buffer overflowed while the store failed, or they came after `close`. */
  readonly dropped: number;
  /** Records the store refused on their own (a constraint failed), written without them. */
  readonly rejected: number;
  /** Write attempts that failed (the records were kept and retried). */
  readonly failedFlushes: number;
  /** Committed write transactions. */
  readonly transactions: number;
}

export type DropReason = 'overflow' | 'rejected' | 'closed';

export interface LedgerDropEvent {
  readonly reason: DropReason;
  /** Records lost in this event. */
  readonly count: number;
  /** Records lost since start, all reasons. */
  readonly total: number;
  /** The store's error for `rejected` records, or the last write error for `closed`. */
  readonly error?: unknown;
}

/** Reporting hooks (log and count them); they must not throw. */
export interface LedgerEvents {
  /** A background write failed; `pending` records are kept and retried with backoff. */
  readonly onError?: (error: unknown, pending: number) => void;
  /** Records were lost. Overflow drops are reported in one event per write attempt, not per record. */
  readonly onDrop?: (event: LedgerDropEvent) => void;
}

export interface UsageLedger {
  /** Queues a record: O(1), no I/O, never throws. */
  append(record: UsageRecord): void;
  /** Writes everything queued so far; rejects when the store fails (the records stay queued). */
  flush(): Promise<void>;
  /** Writes everything queued and releases the store; later appends are dropped (reason `closed`). */
  close(): Promise<void>;
  /** Per-tenant totals of one UTC day (`YYYY-MM-DD`), sorted by tenant; queued records are flushed first. */
  dailyTotals(dayUtc: string): Promise<TenantDayTotal[]>;
  /** Today's (UTC) cost per tenant, to warm-start the `llm_estimated_cost_usd` gauge after a restart. */
  todayCostByTenant(): Promise<Map<string, number>>;
  /** The newest `limit` records, newest first; queued records are flushed first. */
  recent(limit: number): Promise<UsageRecord[]>;
  /** Resolves when the store answers a query (readiness). */
  check(): Promise<void>;
  stats(): LedgerStats;
}

const DAY_MS = 86_400_000;
const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

/** The UTC day of an epoch-milliseconds time, `YYYY-MM-DD`. */
export function utcDay(epochMs: number): string {
  return new Date(Math.floor(epochMs / DAY_MS) * DAY_MS).toISOString().slice(0, 10);
}

/** Throws a RangeError unless `day` is a real `YYYY-MM-DD` date. */
export function assertUtcDay(day: string): void {
  if (!DAY_PATTERN.test(day) || Number.isNaN(Date.parse(`${day}T00:00:00Z`)) || utcDay(Date.parse(`${day}T00:00:00Z`)) !== day) {
    throw new RangeError(`expected a UTC day as YYYY-MM-DD, got ${JSON.stringify(day)}`);
  }
}
