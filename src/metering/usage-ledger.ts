/**
 * The usage ledger: one row per finished LLM call, for billing, budgets and
 * the daily cost gauge. `append` is called on the request path and must never
 * wait for the store, so implementations buffer in memory and write in
 * batches; reads are asynchronous so a network store (PostgreSQL) can
 * implement the same interface.
 *
 * Metering owns the contract; the stores implement it (`store/sqlite`).
 */
import type { UsageRecord } from './usage-record.js';

export interface TenantDayTotal {
  readonly tenant: string;
  readonly costUsd: number;
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly requests: number;
}

/** What a usage report is grouped by. */
export type UsageGroupBy = 'day' | 'tenant' | 'key' | 'model';
export const USAGE_GROUP_BY: readonly UsageGroupBy[] = ['day', 'tenant', 'key', 'model'];

/** A usage report's filter (each field narrows it) and grouping. Days are UTC `YYYY-MM-DD`, both ends included. */
export interface UsageQuery {
  readonly tenant?: string | undefined;
  readonly keyId?: string | undefined;
  /** The model name clients sent (the route's name). */
  readonly model?: string | undefined;
  readonly fromDay?: string | undefined;
  readonly toDay?: string | undefined;
  readonly groupBy: readonly UsageGroupBy[];
}

/** One group of a usage report: the grouped-by fields, then the sums. */
export interface UsageGroup {
  readonly day?: string;
  readonly tenant?: string;
  readonly keyId?: string | null;
  readonly model?: string;
  readonly requests: number;
  readonly errors: number;
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly cachedTokens: number;
  readonly reasoningTokens: number;
  readonly costUsd: number;
}

/** What a billing report reads: the records with `start <= time < end` (epoch ms), of every tenant or one. */
export interface BillingQuery {
  readonly start: number;
  readonly end: number;
  readonly tenant?: string | undefined;
}

/** Sums over records, by how each ended and how its tokens were counted. */
export interface BillingSums {
  readonly requests: number;
  readonly ok: number;
  /** Failed for the gateway or the upstream (`error`). */
  readonly errors: number;
  /** Refused as the client's own mistake (`client_error`). */
  readonly clientErrors: number;
  /** The client went away before the answer was over (`cancelled`). */
  readonly clientClosed: number;
  /** Ended by the gateway's shutdown. */
  readonly shutdown: number;
  /** Prompt tokens, cached ones included. */
  readonly inputTokens: number;
  readonly cachedInputTokens: number;
  /** Completion tokens, reasoning included. */
  readonly outputTokens: number;
  readonly reasoningTokens: number;
  readonly costUsd: number;
  /** The part of the above whose tokens the gateway counted itself (the upstream reported none). */
  readonly estimated: EstimatedSums;
}

export interface EstimatedSums {
  readonly requests: number;
  readonly inputTokens: number;
  readonly cachedInputTokens: number;
  readonly outputTokens: number;
  readonly reasoningTokens: number;
  readonly costUsd: number;
}

/** One line of a billing report: the sums of one tenant × key × route model × deployment that served. */
export interface BillingLine extends BillingSums {
  readonly tenant: string;
  /** Null for calls without a virtual key (anonymous). */
  readonly keyId: string | null;
  /** The model name clients sent. */
  readonly routeModel: string;
  /** Who served (or was last tried); null when no provider was reached. */
  readonly provider: string | null;
  readonly upstreamModel: string | null;
}

/** The width of a time series' buckets: UTC hours or UTC days. */
export type TimeseriesBucket = 'hour' | 'day';
export const TIMESERIES_BUCKET_MS: Readonly<Record<TimeseriesBucket, number>> = { hour: 3_600_000, day: 86_400_000 };

/** A time series over `[start, end)` (epoch ms, both on bucket boundaries), of every tenant and model or one. */
export interface TimeseriesQuery {
  readonly bucket: TimeseriesBucket;
  readonly start: number;
  readonly end: number;
  readonly tenant?: string | undefined;
  /** The route's model name. */
  readonly model?: string | undefined;
  /** Also the whole range's sums per route model or per tenant (`Timeseries.groups`). */
  readonly groupBy?: TimeseriesGroupBy | undefined;
}

/** What a time series' range may be broken down by. */
export type TimeseriesGroupBy = 'model' | 'tenant';

/** Sums over a span of time; latencies are percentiles of a log-bucketed histogram (see latency-histogram.ts), null without calls. */
export interface TimeseriesSums {
  readonly requests: number;
  /** Calls that did not end `ok` or `cancelled` (as in usage reports). */
  readonly errors: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly costUsd: number;
  readonly latencyP50Ms: number | null;
  readonly latencyP95Ms: number | null;
}

export interface TimeseriesPoint extends TimeseriesSums {
  /** The bucket's first millisecond (epoch ms). */
  readonly start: number;
}

export interface Timeseries {
  /** Every bucket of the range, in time order, empty ones included. */
  readonly points: readonly TimeseriesPoint[];
  /** The whole range; its percentiles come from the summed histogram. */
  readonly total: TimeseriesSums;
  /** With `groupBy`: the whole range per route model (or tenant), by name; absent otherwise. */
  readonly groups?: readonly TimeseriesGroup[];
}

export interface TimeseriesGroup extends TimeseriesSums {
  /** The route model's or the tenant's name. */
  readonly name: string;
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

/** Why the ledger cannot write rows now. */
export interface LedgerFailure {
  /** The store's location (a file path for SQLite). */
  readonly path: string;
  /** The store's or system's error code (`SQLITE_READONLY`, `SQLITE_FULL`, `FILE_DELETED`, …). */
  readonly code: string;
  readonly message: string;
  /** Epoch ms of the first failure of this run of failures. */
  readonly since: number;
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
  /** USD spent since `sinceMs` (epoch ms) by a tenant, or by one key; queued records are flushed first. */
  spentSince(owner: { readonly tenant: string } | { readonly keyId: string }, sinceMs: number): Promise<number>;
  /** Sums of the records the query selects, grouped as it asks, in group order; queued records are flushed first. */
  usage(query: UsageQuery): Promise<UsageGroup[]>;
  /**
   * Billing sums of the records in `[start, end)`, one line per tenant, key,
   * route model, provider and upstream model, sorted by those; queued records
   * are flushed first.
   */
  billingLines(query: BillingQuery): Promise<BillingLine[]>;
  /**
   * One point per bucket of the query's range (zeros where no call
   * finished) and the range's total, read from the hourly rollup the ledger
   * keeps with its rows; queued records are flushed first. Throws a
   * RangeError for a range that is empty or not on bucket boundaries.
   */
  timeseries(query: TimeseriesQuery): Promise<Timeseries>;
  /** The newest `limit` records, newest first; queued records are flushed first. */
  recent(limit: number): Promise<UsageRecord[]>;
  /** Resolves when the store answers a query and rows can be written (readiness); rejects saying why otherwise. */
  check(): Promise<void>;
  stats(): LedgerStats;
  /** Most rows kept in memory while the store cannot be written. */
  readonly capacity: number;
  /** Rows waiting to be written: O(1), for the request path. */
  pending(): number;
  /** Why rows cannot be written now; undefined while the store accepts them. */
  failure(): LedgerFailure | undefined;
}
