/**
 * Usage reports from the PostgreSQL ledger's hourly rollup: filtered, grouped sums, the same
 * groups in the same order as the embedded store's (`sqlite/usage-report.ts`):
 * names by their bytes, a missing key (NULL) first. Built per query from a
 * fixed set of columns; what the caller sends is only ever a bound parameter.
 */
import type { PoolClient } from 'pg';
import type { UsageGroup, UsageGroupBy, UsageQuery } from '../../metering/usage-ledger.js';

const GROUP_COLUMNS: Readonly<Record<UsageGroupBy, { readonly expression: string; readonly as: string }>> = {
  day: { expression: `to_char(to_timestamp(hour / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD')`, as: 'day' },
  tenant: { expression: 'tenant', as: 'tenant' },
  // The rollup stores a call without a key under '': the report's NULL.
  key: { expression: `NULLIF(key_id, '')`, as: 'keyId' },
  model: { expression: 'route_model', as: 'model' },
};

/** Sums of no rows are NULL; an ungrouped report over no rows is dropped below, a group always has rows. */
const SUMS = `COALESCE(SUM(requests), 0)::float8 AS requests, COALESCE(SUM(errors), 0)::float8 AS errors,
  COALESCE(SUM(prompt_tokens), 0)::float8 AS "promptTokens", COALESCE(SUM(completion_tokens), 0)::float8 AS "completionTokens",
  COALESCE(SUM(cached_tokens), 0)::float8 AS "cachedTokens", COALESCE(SUM(reasoning_tokens), 0)::float8 AS "reasoningTokens",
  COALESCE(SUM(cost_usd), 0)::float8 AS "costUsd"`;

/**
 * Read from the hourly rollup (`usage_hourly`, kept in the rows' own
 * transaction), not the rows: a month of a busy gateway is a few hundred
 * thousand rollup rows against millions of calls. Days are UTC, and hours
 * never straddle a UTC day, so the sums are the rows' sums exactly.
 */
export async function usageReport(client: PoolClient, query: UsageQuery): Promise<UsageGroup[]> {
  const where: string[] = [];
  const params: Array<string | number> = [];
  const filter = (column: string, operator: string, value: string | number | undefined): void => {
    if (value === undefined) return;
    params.push(value);
    where.push(`${column} ${operator} $${params.length}`);
  };
  filter('tenant', '=', query.tenant);
  filter('key_id', '=', query.keyId);
  filter('route_model', '=', query.model);
  filter('hour', '>=', query.fromDay === undefined ? undefined : Date.parse(`${query.fromDay}T00:00:00Z`));
  filter('hour', '<', query.toDay === undefined ? undefined : Date.parse(`${query.toDay}T00:00:00Z`) + 86_400_000);
  const groups = [...new Set(query.groupBy)].map((g) => GROUP_COLUMNS[g]);
  const select = [...groups.map((g) => `${g.expression} AS "${g.as}"`), SUMS].join(', ');
  const sql = [
    `SELECT ${select} FROM usage_hourly`,
    where.length > 0 ? `WHERE ${where.join(' AND ')}` : '',
    groups.length > 0 ? `GROUP BY ${groups.map((g) => g.expression).join(', ')} ORDER BY ${groups.map((g) => `${g.expression} COLLATE "C" NULLS FIRST`).join(', ')}` : '',
  ].join(' ');
  const result = await client.query<UsageGroup>(sql, params);
  return result.rows.filter((row) => groups.length > 0 || row.requests > 0);
}
