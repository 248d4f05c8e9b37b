/**
 * Usage reports from the ledger's table: filtered, grouped sums. Built per
 * query from a fixed set of columns (nothing the caller sends becomes SQL
 * text: values are bound parameters), for the admin API and the CLI.
 */
import type { UsageGroup, UsageGroupBy, UsageQuery } from '../../metering/usage-ledger.js';
import type { SqliteDatabase } from './database.js';

const GROUP_COLUMNS: Readonly<Record<UsageGroupBy, { readonly column: string; readonly as: string }>> = {
  day: { column: 'day', as: 'day' },
  tenant: { column: 'tenant', as: 'tenant' },
  key: { column: 'key_id', as: 'keyId' },
  model: { column: 'route_model', as: 'model' },
};

const SUMS = `COUNT(*) AS requests,
  SUM(CASE WHEN status IN ('ok', 'cancelled') THEN 0 ELSE 1 END) AS errors,
  SUM(prompt_tokens) AS promptTokens, SUM(completion_tokens) AS completionTokens,
  SUM(cached_tokens) AS cachedTokens, SUM(reasoning_tokens) AS reasoningTokens,
  SUM(cost_usd) AS costUsd`;

export function usageReport(db: SqliteDatabase, query: UsageQuery): UsageGroup[] {
  const where: string[] = [];
  const params: string[] = [];
  const filter = (sql: string, value: string | undefined): void => {
    if (value === undefined) return;
    where.push(sql);
    params.push(value);
  };
  filter('tenant = ?', query.tenant);
  filter('key_id = ?', query.keyId);
  filter('route_model = ?', query.model);
  filter('day >= ?', query.fromDay);
  filter('day <= ?', query.toDay);
  const groups = [...new Set(query.groupBy)].map((g) => GROUP_COLUMNS[g]);
  const select = [...groups.map((g) => `${g.column} AS ${g.as}`), SUMS].join(', ');
  const sql = [
    `SELECT ${select} FROM usage`,
    where.length > 0 ? `WHERE ${where.join(' AND ')}` : '',
    groups.length > 0 ? `GROUP BY ${groups.map((g) => g.column).join(', ')} ORDER BY ${groups.map((g) => g.column).join(', ')}` : '',
  ].join(' ');
  const rows = db.prepare<string[], UsageGroup>(sql).all(...params);
  // An ungrouped report over no rows is one row of NULL sums: report zeros.
  return rows
    .filter((row) => groups.length > 0 || row.requests > 0)
    .map((row) => ({ ...row, errors: row.errors ?? 0, promptTokens: row.promptTokens ?? 0, completionTokens: row.completionTokens ?? 0, cachedTokens: row.cachedTokens ?? 0, reasoningTokens: row.reasoningTokens ?? 0, costUsd: row.costUsd ?? 0 }));
}
