/**
 * The hourly rollup on the embedded store (tables: migration 6; what they
 * hold: store/usage-rollup.ts). `add` runs inside the transaction that
 * inserts the rows, so the rollup and the rows never disagree; a time series
 * reads the rollup only.
 */
import type { Timeseries, TimeseriesGroupBy, TimeseriesQuery } from '../../metering/usage-ledger.js';
import type { UsageRecord } from '../../metering/usage-record.js';
import { assembleTimeseries, rollUp, type HourLatency, type HourSums } from '../usage-rollup.js';
import type { SqliteDatabase } from './database.js';

export interface SqliteRollup {
  /** Adds the records to the rollup; call it in the transaction that inserts them. */
  readonly add: (records: readonly UsageRecord[]) => void;
  readonly timeseries: (query: TimeseriesQuery) => Timeseries;
}

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
    timeseries(query) {
      const params: RangeParams = { start: query.start, end: query.end, tenant: query.tenant ?? null, model: query.model ?? null };
      const read = reads.get(query.groupBy)!;
      return assembleTimeseries(query, read.sums.all(params), read.latencies.all(params));
    },
  };
}
