/**
 * The hourly rollup on the embedded store (tables: migration 6; what they
 * hold: store/usage-rollup.ts). `add` runs inside the transaction that
 * inserts the rows, so the rollup and the rows never disagree; a time series
 * reads the rollup only, a day at a time (`readTimeseries`).
 */
import type { Timeseries, TimeseriesGroupBy, TimeseriesQuery } from '../../metering/usage-ledger.js';
import type { UsageRecord } from '../../metering/usage-record.js';
import { assembleTimeseries, HOUR_MS, rollUp, type HourLatency, type HourSums } from '../usage-rollup.js';
import type { SqliteDatabase } from './database.js';

export interface SqliteRollup {
  /** Adds the records to the rollup; call it in the transaction that inserts them. */
  readonly add: (records: readonly UsageRecord[]) => void;
  /** The rollup's rows of `[start, end)` (hours of `query`'s range), as a time series sums them. */
  readonly readHours: (query: TimeseriesQuery, start: number, end: number) => { readonly sums: HourSums[]; readonly latencies: HourLatency[] };
}

/**
 * Hours read per statement. better-sqlite3 answers on the event loop: thirty
 * days of a gateway with 50 tenants × 3 keys × 3 models (300k rollup rows)
 * grouped by model take SQLite ~350 ms, which every proxied call would wait
 * out. A day at a time is ~10 ms, and the hours of different chunks never
 * overlap, so their rows are simply concatenated.
 */
const CHUNK_HOURS = 24;

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

type SumsParams = [hour: number, tenant: string, keyId: string, routeModel: string, requests: number, errors: number, prompt: number, completion: number, cached: number, reasoning: number, cost: number];
type LatencyParams = [hour: number, tenant: string, routeModel: string, bucket: number, count: number];
interface RangeParams {
  readonly start: number;
  readonly end: number;
  readonly tenant: string | null;
  readonly model: string | null;
}

const GROUP_COLUMN: Readonly<Record<TimeseriesGroupBy, string>> = { model: 'route_model', tenant: 'tenant' };

/** Optional filters as bound values: NULL selects every tenant (model). */
const FILTER = '(@tenant IS NULL OR tenant = @tenant) AND (@model IS NULL OR route_model = @model)';

export function prepareRollup(db: SqliteDatabase): SqliteRollup {
  const addSums = db.prepare<SumsParams>(
    `INSERT INTO usage_hourly (hour, tenant, key_id, route_model, requests, errors, prompt_tokens, completion_tokens, cached_tokens, reasoning_tokens, cost_usd)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (hour, tenant, key_id, route_model) DO UPDATE SET
       requests = requests + excluded.requests, errors = errors + excluded.errors,
       prompt_tokens = prompt_tokens + excluded.prompt_tokens, completion_tokens = completion_tokens + excluded.completion_tokens,
       cached_tokens = cached_tokens + excluded.cached_tokens, reasoning_tokens = reasoning_tokens + excluded.reasoning_tokens,
       cost_usd = cost_usd + excluded.cost_usd`,
  );
  const addLatency = db.prepare<LatencyParams>(
    `INSERT INTO usage_latency_hourly (hour, tenant, route_model, bucket, count) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (hour, bucket, tenant, route_model) DO UPDATE SET count = count + excluded.count`,
  );
  // Grouped in the primary keys' order (hour first, then bucket), so SQLite aggregates as it scans, without sorting;
  // broken down by a name too when the query asks (`groupBy`), one statement each way.
  const reads = new Map(
    ([undefined, 'model', 'tenant'] as const).map((by) => {
      const name = by === undefined ? '' : `, ${GROUP_COLUMN[by]} AS name`;
      const also = by === undefined ? '' : `, ${GROUP_COLUMN[by]}`;
      const sums = db.prepare<[RangeParams], HourSums>(
        `SELECT hour${name}, SUM(requests) AS requests, SUM(errors) AS errors,
                SUM(prompt_tokens) AS inputTokens, SUM(completion_tokens) AS outputTokens, SUM(cost_usd) AS costUsd
           FROM usage_hourly WHERE hour >= @start AND hour < @end AND ${FILTER} GROUP BY hour${also}`,
      );
      const latencies = db.prepare<[RangeParams], HourLatency>(
        `SELECT hour${name}, bucket, SUM(count) AS count
           FROM usage_latency_hourly WHERE hour >= @start AND hour < @end AND ${FILTER} GROUP BY hour, bucket${also}`,
      );
      return [by, { sums, latencies }] as const;
    }),
  );
  return {
    add(records) {
      const batch = rollUp(records);
      for (const s of batch.hourly) addSums.run(s.hour, s.tenant, s.keyId, s.routeModel, s.requests, s.errors, s.promptTokens, s.completionTokens, s.cachedTokens, s.reasoningTokens, s.costUsd);
      for (const l of batch.latency) addLatency.run(l.hour, l.tenant, l.routeModel, l.bucket, l.count);
    },
    readHours(query, start, end) {
      const read = reads.get(query.groupBy)!;
      const params: RangeParams = { start, end, tenant: query.tenant ?? null, model: query.model ?? null };
      return { sums: read.sums.all(params), latencies: read.latencies.all(params) };
    },
  };
}

/**
 * A time series read a day at a time, the event loop free between days (see
 * CHUNK_HOURS). `rollup` is asked anew for each day: the ledger may have
 * reopened its file, with new statements, in between.
 */
export async function readTimeseries(rollup: () => SqliteRollup, query: TimeseriesQuery): Promise<Timeseries> {
  const sums: HourSums[] = [];
  const latencies: HourLatency[] = [];
  for (let start = query.start; start < query.end; start += CHUNK_HOURS * HOUR_MS) {
    if (start > query.start) await nextTurn();
    const chunk = rollup().readHours(query, start, Math.min(query.end, start + CHUNK_HOURS * HOUR_MS));
    for (const row of chunk.sums) sums.push(row);
    for (const row of chunk.latencies) latencies.push(row);
  }
  return assembleTimeseries(query, sums, latencies);
}
