/**
 * The hourly rollup of the usage ledger, shared by both stores: what a batch
 * of rows adds to it (summed here for the embedded store, so a transaction
 * upserts one row per hour × tenant × key × route model rather than touching
 * it once per call; PostgreSQL sums the rows its insert returns, see
 * postgres/usage-rows.ts), and how a time series is assembled from what the
 * rollup returns.
 *
 * Two tables, both keyed by the hour's first millisecond:
 * - `usage_hourly`: sums per hour × tenant × key × route model (key `''` for
 *   calls without a key: a primary key column cannot be NULL in both stores);
 * - `usage_latency_hourly`: per hour × bucket × tenant × route model (see
 *   metering/latency-histogram.ts), the number of calls. A row per bucket
 *   rather than a column per bucket or a packed histogram per hour × tenant ×
 *   model: measured on SQLite (Node 20), upserting bucket rows costs less per
 *   call than upserting rows of ~80 bucket columns (~2.9 against ~3.3 µs when
 *   a 500-row batch fills one hour) or merging blobs in a SQL function, and a
 *   time series sums the rows by hour and bucket in primary-key order.
 *
 * The cost, measured with bench/ledger-rollup.mjs (50 tenants × 3 keys × 4
 * models): 1.3 to 3 µs of CPU more per row written, about one upsert per
 * distinct key of the batch; the fewer keys a batch holds, the less.
 */
import { latencyBucket, histogramPercentile } from '../metering/latency-histogram.js';
import { TIMESERIES_BUCKET_MS, type Timeseries, type TimeseriesPoint, type TimeseriesQuery, type TimeseriesSums, type TimeseriesGroup } from '../metering/usage-ledger.js';
import type { UsageRecord } from '../metering/usage-record.js';

export const HOUR_MS = 3_600_000;
/** The key column's value for calls without a virtual key. */
export const NO_KEY = '';

/** One `usage_hourly` row's key and what a batch adds to it. */
export interface HourlySums {
  readonly hour: number;
  readonly tenant: string;
  readonly keyId: string;
  readonly routeModel: string;
  requests: number;
  errors: number;
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  reasoningTokens: number;
  costUsd: number;
}

/** One `usage_latency_hourly` row's key and the calls a batch adds to it. */
export interface LatencyCount {
  readonly hour: number;
  readonly tenant: string;
  readonly routeModel: string;
  readonly bucket: number;
  count: number;
}

export interface RollupBatch {
  readonly hourly: readonly HourlySums[];
  readonly latency: readonly LatencyCount[];
}

/** The hour a time is in; the same expression as the migrations' SQL (`time - time % 3600000`). */
export function hourOf(time: number): number {
  return time - (time % HOUR_MS);
}

/** The usage reports' definition: a call is an error unless it ended `ok` or was cancelled by its client. */
export function isErrorStatus(status: string): boolean {
  return status !== 'ok' && status !== 'cancelled';
}

/**
 * Sums a batch of records into rollup rows, in the order their keys first
 * appear (the embedded store has one writer at a time: no lock order to
 * keep). Maps nested by hour, tenant, model, then key or latency bucket
 * rather than one map keyed by a joined string: no string is built per row.
 */
export function rollUp(records: readonly UsageRecord[]): RollupBatch {
  const hourly: HourlySums[] = [];
  const latency: LatencyCount[] = [];
  const cells = new Map<number, Map<string, Map<string, Cell>>>();
  for (const r of records) {
    const hour = hourOf(r.time);
    let tenants = cells.get(hour);
    if (tenants === undefined) cells.set(hour, (tenants = new Map<string, Map<string, Cell>>()));
    let models = tenants.get(r.tenant);
    if (models === undefined) tenants.set(r.tenant, (models = new Map<string, Cell>()));
    let cell = models.get(r.routeModel);
    if (cell === undefined) models.set(r.routeModel, (cell = { keys: new Map(), buckets: new Map() }));
    const keyId = r.keyId ?? NO_KEY;
    let sums = cell.keys.get(keyId);
    if (sums === undefined) {
      sums = { hour, tenant: r.tenant, keyId, routeModel: r.routeModel, requests: 0, errors: 0, promptTokens: 0, completionTokens: 0, cachedTokens: 0, reasoningTokens: 0, costUsd: 0 };
      cell.keys.set(keyId, sums);
      hourly.push(sums);
    }
    sums.requests++;
    if (isErrorStatus(r.status)) sums.errors++;
    sums.promptTokens += r.promptTokens;
    sums.completionTokens += r.completionTokens;
    sums.cachedTokens += r.cachedTokens;
    sums.reasoningTokens += r.reasoningTokens;
    sums.costUsd += r.costUsd;
    const bucket = latencyBucket(r.latencyMs);
    const counted = cell.buckets.get(bucket);
    if (counted !== undefined) counted.count++;
    else {
      const added = { hour, tenant: r.tenant, routeModel: r.routeModel, bucket, count: 1 };
      cell.buckets.set(bucket, added);
      latency.push(added);
    }
  }
  return { hourly, latency };
}

/** The rollup rows of one hour × tenant × route model. */
interface Cell {
  readonly keys: Map<string, HourlySums>;
  readonly buckets: Map<number, LatencyCount>;
}

/** Throws a RangeError unless the range is non-empty and both ends are on the bucket's boundaries (UTC). */
export function assertTimeseriesQuery(query: TimeseriesQuery): void {
  if (!Object.hasOwn(TIMESERIES_BUCKET_MS, query.bucket)) throw new RangeError(`expected a bucket of hour or day, got ${JSON.stringify(query.bucket)}`);
  const width = TIMESERIES_BUCKET_MS[query.bucket];
  const aligned = (t: number): boolean => Number.isSafeInteger(t) && t % width === 0;
  if (!aligned(query.start) || !aligned(query.end) || query.end <= query.start) {
    throw new RangeError(`expected a time range start < end on ${query.bucket} boundaries (UTC), got [${query.start}, ${query.end})`);
  }
}

/** The rollup's sums of one hour, as a store's query returns them. */
export interface HourSums {
  readonly hour: number;
  /** The route model or tenant the row sums, when the query breaks the range down (`groupBy`). */
  readonly name?: string;
  readonly requests: number;
  readonly errors: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly costUsd: number;
}

/** Calls of one latency bucket within one hour. */
export interface HourLatency {
  readonly hour: number;
  readonly name?: string;
  readonly bucket: number;
  readonly count: number;
}

/** The additive part of a time span's sums (the percentiles come from a histogram). */
type RangeSums = { requests: number; errors: number; inputTokens: number; outputTokens: number; costUsd: number };

/** Adds an hour's sums to the entry of `key`, made at the first. */
function addInto<K>(entries: Map<K, RangeSums>, key: K, row: HourSums): void {
  const into = entries.get(key);
  if (into === undefined) {
    entries.set(key, { requests: row.requests, errors: row.errors, inputTokens: row.inputTokens, outputTokens: row.outputTokens, costUsd: row.costUsd });
    return;
  }
  into.requests += row.requests;
  into.errors += row.errors;
  into.inputTokens += row.inputTokens;
  into.outputTokens += row.outputTokens;
  into.costUsd += row.costUsd;
}

/**
 * Every bucket of the range, zeros where the rollup had nothing, and the
 * total with percentiles of the summed histogram. The stores return hours
 * (grouped in their primary key's order, without a sort); they are folded
 * into the query's buckets here.
 */
export function assembleTimeseries(query: TimeseriesQuery, hours: readonly HourSums[], latencies: readonly HourLatency[]): Timeseries {
  const width = TIMESERIES_BUCKET_MS[query.bucket];
  const bucketOf = (hour: number): number => hour - (hour % width);
  const sumsAt = new Map<number, RangeSums>();
  for (const row of hours) addInto(sumsAt, bucketOf(row.hour), row);
  const histograms = new Map<number, Map<number, number>>();
  const overall = new Map<number, number>();
  for (const { hour, bucket, count } of latencies) {
    const start = bucketOf(hour);
    let histogram = histograms.get(start);
    if (histogram === undefined) histograms.set(start, (histogram = new Map<number, number>()));
    histogram.set(bucket, (histogram.get(bucket) ?? 0) + count);
    overall.set(bucket, (overall.get(bucket) ?? 0) + count);
  }
  const points: TimeseriesPoint[] = [];
  const total = { requests: 0, errors: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 };
  for (let start = query.start; start < query.end; start += width) {
    const row = sumsAt.get(start);
    const histogram = histograms.get(start) ?? new Map<number, number>();
    const point: TimeseriesPoint = {
      start,
      requests: row?.requests ?? 0,
      errors: row?.errors ?? 0,
      inputTokens: row?.inputTokens ?? 0,
      outputTokens: row?.outputTokens ?? 0,
      costUsd: row?.costUsd ?? 0,
      latencyP50Ms: histogramPercentile(histogram, 0.5),
      latencyP95Ms: histogramPercentile(histogram, 0.95),
    };
    points.push(point);
    total.requests += point.requests;
    total.errors += point.errors;
    total.inputTokens += point.inputTokens;
    total.outputTokens += point.outputTokens;
    total.costUsd += point.costUsd;
  }
  const totals: TimeseriesSums = { ...total, latencyP50Ms: histogramPercentile(overall, 0.5), latencyP95Ms: histogramPercentile(overall, 0.95) };
  return query.groupBy === undefined ? { points, total: totals } : { points, total: totals, groups: groupTotals(hours, latencies) };
}

/** The whole range per name (route model or tenant), most requests first, then by name. */
function groupTotals(hours: readonly HourSums[], latencies: readonly HourLatency[]): TimeseriesGroup[] {
  const sums = new Map<string, RangeSums>();
  for (const row of hours) addInto(sums, row.name ?? '', row);
  const histograms = new Map<string, Map<number, number>>();
  for (const { name = '', bucket, count } of latencies) {
    let histogram = histograms.get(name);
    if (histogram === undefined) histograms.set(name, (histogram = new Map<number, number>()));
    histogram.set(bucket, (histogram.get(bucket) ?? 0) + count);
  }
  return [...sums]
    .map(([name, s]) => {
      const histogram = histograms.get(name) ?? new Map<number, number>();
      return { name, ...s, latencyP50Ms: histogramPercentile(histogram, 0.5), latencyP95Ms: histogramPercentile(histogram, 0.95) };
    })
    .sort((a, b) => b.requests - a.requests || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
