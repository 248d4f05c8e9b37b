/**
 * A time series from the hourly rollup in PostgreSQL (rollup-schema.ts):
 * two range scans of the tables' primary keys, summed per hour on the
 * server, folded into the range's buckets by store/usage-rollup.ts.
 * Sums are cast to double precision so pg returns numbers.
 */
import type { PoolClient } from 'pg';
import type { Timeseries, TimeseriesGroupBy, TimeseriesQuery } from '../../metering/usage-ledger.js';
import { assembleTimeseries, type HourLatency, type HourSums } from '../usage-rollup.js';

/** Optional filters as bound values: NULL selects every tenant (model). */
const FILTER = '($3::text IS NULL OR tenant = $3) AND ($4::text IS NULL OR route_model = $4)';

const GROUP_COLUMN: Readonly<Record<TimeseriesGroupBy, string>> = { model: 'route_model', tenant: 'tenant' };

function sumsSql(by: TimeseriesGroupBy | undefined): string {
  const name = by === undefined ? '' : `, ${GROUP_COLUMN[by]} AS name`;
  return `SELECT hour::float8 AS hour${name}, SUM(requests)::float8 AS requests, SUM(errors)::float8 AS errors,
    SUM(prompt_tokens)::float8 AS "inputTokens", SUM(completion_tokens)::float8 AS "outputTokens", SUM(cost_usd)::float8 AS "costUsd"
  FROM usage_hourly WHERE hour >= $1 AND hour < $2 AND ${FILTER} GROUP BY hour${by === undefined ? '' : `, ${GROUP_COLUMN[by]}`}`;
}

function latencySql(by: TimeseriesGroupBy | undefined): string {
  const name = by === undefined ? '' : `, ${GROUP_COLUMN[by]} AS name`;
  return `SELECT hour::float8 AS hour${name}, bucket, SUM(count)::float8 AS count
  FROM usage_latency_hourly WHERE hour >= $1 AND hour < $2 AND ${FILTER} GROUP BY hour, bucket${by === undefined ? '' : `, ${GROUP_COLUMN[by]}`}`;
}

/** The statements of each breakdown, built once. */
const STATEMENTS = new Map(([undefined, 'model', 'tenant'] as const).map((by) => [by, { sums: sumsSql(by), latency: latencySql(by) }] as const));

export async function timeseries(client: PoolClient, query: TimeseriesQuery): Promise<Timeseries> {
  const params = [query.start, query.end, query.tenant ?? null, query.model ?? null];
  const statements = STATEMENTS.get(query.groupBy)!;
  const sums = await client.query<HourSums>(statements.sums, params);
  const latencies = await client.query<HourLatency>(statements.latency, params);
  return assembleTimeseries(query, sums.rows, latencies.rows);
}
