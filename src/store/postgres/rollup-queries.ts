/**
 * A time series from the hourly rollup in PostgreSQL (rollup-schema.ts):
 * two range scans of the tables' primary keys, summed per bucket on the
 * server, assembled into every bucket of the range by store/usage-rollup.ts.
 * Sums are cast to double precision so pg returns numbers.
 */
import type { PoolClient } from 'pg';
import { TIMESERIES_BUCKET_MS, type Timeseries, type TimeseriesQuery } from '../../metering/usage-ledger.js';
import { assembleTimeseries, type BucketLatency, type BucketSums } from '../usage-rollup.js';

/** Optional filters as bound values: NULL selects every tenant (model). */
const FILTER = '($4::text IS NULL OR tenant = $4) AND ($5::text IS NULL OR route_model = $5)';

const SUMS_SQL = `SELECT (hour - hour % $1)::float8 AS start, SUM(requests)::float8 AS requests, SUM(errors)::float8 AS errors,
    SUM(prompt_tokens)::float8 AS "inputTokens", SUM(completion_tokens)::float8 AS "outputTokens", SUM(cost_usd) AS "costUsd"
  FROM usage_hourly WHERE hour >= $2 AND hour < $3 AND ${FILTER} GROUP BY 1`;

const LATENCY_SQL = `SELECT (hour - hour % $1)::float8 AS start, bucket, SUM(count)::float8 AS count
  FROM usage_latency_hourly WHERE hour >= $2 AND hour < $3 AND ${FILTER} GROUP BY 1, 2`;

export async function timeseries(client: PoolClient, query: TimeseriesQuery): Promise<Timeseries> {
  const params = [TIMESERIES_BUCKET_MS[query.bucket], query.start, query.end, query.tenant ?? null, query.model ?? null];
  const sums = await client.query<BucketSums>(SUMS_SQL, params);
  const latencies = await client.query<BucketLatency>(LATENCY_SQL, params);
  return assembleTimeseries(query, sums.rows, latencies.rows);
}
