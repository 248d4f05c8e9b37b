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

/** Days read per statement: a day of a busy rollup groups in a few milliseconds (see `usageReport`). */
const CHUNK_MS = 86_400_000;

type Sums = Omit<UsageGroup, 'day' | 'tenant' | 'keyId' | 'model'>;
const SUM_FIELDS = ['requests', 'errors', 'promptTokens', 'completionTokens', 'cachedTokens', 'reasoningTokens', 'costUsd'] as const;

/** SQLite's order of the group columns (BINARY: by bytes, NULL first). */
function compareGroups(a: UsageGroup, b: UsageGroup, columns: readonly (keyof UsageGroup)[]): number {
  for (const column of columns) {
    const x = a[column] as string | null | undefined;
    const y = b[column] as string | null | undefined;
    if (x === y) continue;
    if (x === null || x === undefined) return -1;
    if (y === null || y === undefined) return 1;
    const order = Buffer.compare(Buffer.from(x), Buffer.from(y));
    if (order !== 0) return order;
  }
  return 0;
}

/**
 * Read from the hourly rollup (`usage_hourly`, kept in the rows' own
 * transaction), not the rows: a month of a busy gateway is a few hundred
 * thousand rollup rows against millions of calls. Days are UTC, and hours
 * never straddle a UTC day, so the sums are the rows' sums exactly.
 *
 * better-sqlite3 answers on the event loop, and thirty days of 50 tenants'
 * rollup grouped by key take SQLite ~175 ms that every proxied call would
 * wait out: the range is read a day at a time, the event loop free between
 * days, and the days' groups are added up here. `database` is asked anew for
 * each day, as for billing lines.
 */
export async function usageReport(database: () => SqliteDatabase, query: UsageQuery): Promise<UsageGroup[]> {
  const where: string[] = ['hour >= ?', 'hour < ?'];
  const filters: string[] = [];
  const filter = (sql: string, value: string | undefined): void => {
    if (value === undefined) return;
    where.push(sql);
    filters.push(value);
  };
  filter('tenant = ?', query.tenant);
  filter('key_id = ?', query.keyId);
  filter('route_model = ?', query.model);
  const groups = [...new Set(query.groupBy)].map((g) => GROUP_COLUMNS[g]);
  const select = [...groups.map((g) => `${g.expression} AS ${g.as}`), SUMS].join(', ');
  const sql = [`SELECT ${select} FROM usage_hourly WHERE ${where.join(' AND ')}`, groups.length > 0 ? `GROUP BY ${groups.map((g) => g.as).join(', ')}` : ''].join(' ');
  // The range to walk: the days asked for, else the hours the rollup holds (both ends of its primary key).
  const held = database().prepare<[], { first: number | null; last: number | null }>('SELECT MIN(hour) AS first, MAX(hour) AS last FROM usage_hourly').get();
  if (held?.first === null || held?.first === undefined || held.last === null) return [];
  const from = query.fromDay === undefined ? held.first - (held.first % CHUNK_MS) : dayStartMs(query.fromDay);
  const to = query.toDay === undefined ? held.last + 1 : dayStartMs(query.toDay) + CHUNK_MS;
  const merged = new Map<string, UsageGroup & Sums>();
  for (let start = from; start < to; start += CHUNK_MS) {
    if (start > from) await new Promise<void>((resolve) => setImmediate(resolve));
    // Prepared for each day (microseconds): the ledger may have reopened its file in between.
    const statement = database().prepare<Array<string | number>, UsageGroup>(sql);
    for (const row of statement.all(start, Math.min(to, start + CHUNK_MS), ...filters)) {
      if (row.requests === null || row.requests === 0) continue;
      const key = JSON.stringify(groups.map((g) => row[g.as as keyof UsageGroup] ?? null));
      const into = merged.get(key);
      if (into === undefined) {
        merged.set(key, { ...row });
        continue;
      }
      const sums = into as Record<(typeof SUM_FIELDS)[number], number>;
      for (const field of SUM_FIELDS) sums[field] += row[field] ?? 0;
    }
  }
  const columns = groups.map((g) => g.as as keyof UsageGroup);
  return [...merged.values()].sort((a, b) => compareGroups(a, b, columns));
}
