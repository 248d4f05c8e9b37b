/**
 * Usage reports from the ledger's hourly rollup: filtered, grouped sums. Built per
 * query from a fixed set of columns (nothing the caller sends becomes SQL
 * text: values are bound parameters), for the admin API and the CLI.
 */
import type { UsageGroup, UsageGroupBy, UsageQuery } from '../../metering/usage-ledger.js';
import type { SqliteDatabase } from './database.js';

/** A UTC day (`YYYY-MM-DD`) as the epoch ms of its first hour. */
export function dayStartMs(day: string): number {
  return Date.parse(`${day}T00:00:00Z`);
}

const GROUP_COLUMNS: Readonly<Record<UsageGroupBy, { readonly expression: string; readonly as: string }>> = {
  day: { expression: `strftime('%Y-%m-%d', hour / 1000, 'unixepoch')`, as: 'day' },
  tenant: { expression: 'tenant', as: 'tenant' },
  // The rollup stores a call without a key under '': the report's null.
  key: { expression: `NULLIF(key_id, '')`, as: 'keyId' },
  model: { expression: 'route_model', as: 'model' },
};

const SUMS = `SUM(requests) AS requests, SUM(errors) AS errors,
  SUM(prompt_tokens) AS promptTokens, SUM(completion_tokens) AS completionTokens,
  SUM(cached_tokens) AS cachedTokens, SUM(reasoning_tokens) AS reasoningTokens,
  SUM(cost_usd) AS costUsd`;

/**
 * Read from the hourly rollup (`usage_hourly`, kept in the rows' own
 * transaction), not the rows: a month of a busy gateway is a few hundred
 * thousand rollup rows against millions of calls. Days are UTC, and hours
 * never straddle a UTC day, so the sums are the rows' sums exactly.
 */
export function usageReport(db: SqliteDatabase, query: UsageQuery): UsageGroup[] {
  const where: string[] = [];
  const params: Array<string | number> = [];
  const filter = (sql: string, value: string | number | undefined): void => {
    if (value === undefined) return;
    where.push(sql);
    params.push(value);
  };
  filter('tenant = ?', query.tenant);
  filter('key_id = ?', query.keyId);
  filter('route_model = ?', query.model);
  filter('hour >= ?', query.fromDay === undefined ? undefined : dayStartMs(query.fromDay));
  filter('hour < ?', query.toDay === undefined ? undefined : dayStartMs(query.toDay) + 86_400_000);
  const groups = [...new Set(query.groupBy)].map((g) => GROUP_COLUMNS[g]);
  const select = [...groups.map((g) => `${g.expression} AS ${g.as}`), SUMS].join(', ');
  const sql = [
    `SELECT ${select} FROM usage_hourly`,
    where.length > 0 ? `WHERE ${where.join(' AND ')}` : '',
    groups.length > 0 ? `GROUP BY ${groups.map((g) => g.as).join(', ')} ORDER BY ${groups.map((g) => g.as).join(', ')}` : '',
  ].join(' ');
  const rows = db.prepare<Array<string | number>, UsageGroup>(sql).all(...params);
  // An ungrouped report over no rows is one row of NULL sums: report zeros.
  return rows
    .filter((row) => groups.length > 0 || row.requests > 0)
    .map((row) => ({ ...row, errors: row.errors ?? 0, promptTokens: row.promptTokens ?? 0, completionTokens: row.completionTokens ?? 0, cachedTokens: row.cachedTokens ?? 0, reasoningTokens: row.reasoningTokens ?? 0, costUsd: row.costUsd ?? 0 }));
}
