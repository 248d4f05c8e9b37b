/**
 * Usage reports from the PostgreSQL ledger: filtered, grouped sums, the same
 * groups in the same order as the embedded store's (`sqlite/usage-report.ts`):
 * names by their bytes, a missing key (NULL) first. Built per query from a
 * fixed set of columns; what the caller sends is only ever a bound parameter.
 */
import type { PoolClient } from 'pg';
import type { UsageGroup, UsageGroupBy, UsageQuery } from '../../metering/usage-ledger.js';

const GROUP_COLUMNS: Readonly<Record<UsageGroupBy, { readonly column: string; readonly as: string }>> = {
  day: { column: 'day', as: 'day' },
  tenant: { column: 'tenant', as: 'tenant' },
  key: { column: 'key_id', as: 'keyId' },
  model: { column: 'route_model', as: 'model' },
};

/** Sums of no rows are NULL; an ungrouped report over no rows is dropped below, a group always has rows. */
const SUMS = `COUNT(*)::float8 AS requests,
  COUNT(*) FILTER (WHERE status NOT IN ('ok', 'cancelled'))::float8 AS errors,
  COALESCE(SUM(prompt_tokens), 0)::float8 AS "promptTokens", COALESCE(SUM(completion_tokens), 0)::float8 AS "completionTokens",
  COALESCE(SUM(cached_tokens), 0)::float8 AS "cachedTokens", COALESCE(SUM(reasoning_tokens), 0)::float8 AS "reasoningTokens",
  COALESCE(SUM(cost_usd), 0) AS "costUsd"`;

export async function usageReport(client: PoolClient, query: UsageQuery): Promise<UsageGroup[]> {
  const where: string[] = [];
  const params: string[] = [];
  const filter = (column: string, operator: string, value: string | undefined): void => {
    if (value === undefined) return;
    params.push(value);
    where.push(`${column} ${operator} $${params.length}`);
  };
  filter('tenant', '=', query.tenant);
  filter('key_id', '=', query.keyId);
  filter('route_model', '=', query.model);
  filter('day', '>=', query.fromDay);
  filter('day', '<=', query.toDay);
  const groups = [...new Set(query.groupBy)].map((g) => GROUP_COLUMNS[g]);
  const select = [...groups.map((g) => `${g.column} AS "${g.as}"`), SUMS].join(', ');
  const sql = [
    `SELECT ${select} FROM usage`,
    where.length > 0 ? `WHERE ${where.join(' AND ')}` : '',
    groups.length > 0 ? `GROUP BY ${groups.map((g) => g.column).join(', ')} ORDER BY ${groups.map((g) => `${g.column} COLLATE "C" NULLS FIRST`).join(', ')}` : '',
  ].join(' ');
  const result = await client.query<UsageGroup>(sql, params);
  return result.rows.filter((row) => groups.length > 0 || row.requests > 0);
}
