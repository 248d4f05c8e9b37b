/**
 * The usage ledger's small reads in PostgreSQL: a day's totals, today's cost,
 * the spend of a tenant or key, the newest rows. Sums and counts are cast to
 * double precision, which pg returns as numbers (a BIGINT or NUMERIC comes
 * back as a string); integers stay exact below 2^53. Names are ordered by
 * their bytes (`COLLATE "C"`), as the embedded store orders them, whatever
 * the database's collation.
 */
import type { PoolClient } from 'pg';
import type { TenantDayTotal } from '../../metering/usage-ledger.js';
import type { UsageRecord } from '../../metering/usage-record.js';
import { fromRow, SELECT_COLUMNS, type UsageRow } from './usage-rows.js';

export async function dailyTotals(client: PoolClient, day: string): Promise<TenantDayTotal[]> {
  const result = await client.query<TenantDayTotal>(
    `SELECT tenant, SUM(cost_usd) AS "costUsd", SUM(prompt_tokens)::float8 AS "promptTokens",
            SUM(completion_tokens)::float8 AS "completionTokens", COUNT(*)::float8 AS requests
       FROM usage WHERE day = $1 GROUP BY tenant ORDER BY tenant COLLATE "C"`,
    [day],
  );
  return result.rows;
}

export async function costByTenant(client: PoolClient, day: string): Promise<Map<string, number>> {
  const result = await client.query<{ tenant: string; costUsd: number }>('SELECT tenant, SUM(cost_usd) AS "costUsd" FROM usage WHERE day = $1 GROUP BY tenant', [day]);
  return new Map(result.rows.map((row) => [row.tenant, row.costUsd]));
}

export async function spentSince(client: PoolClient, owner: { readonly tenant: string } | { readonly keyId: string }, sinceMs: number): Promise<number> {
  // Two fixed texts, not one built from the owner: each matches its index (tenant, time) or (key_id, time).
  const sql =
    'tenant' in owner
      ? 'SELECT COALESCE(SUM(cost_usd), 0) AS total FROM usage WHERE tenant = $1 AND time >= $2'
      : 'SELECT COALESCE(SUM(cost_usd), 0) AS total FROM usage WHERE key_id = $1 AND time >= $2';
  const result = await client.query<{ total: number }>(sql, ['tenant' in owner ? owner.tenant : owner.keyId, sinceMs]);
  return result.rows[0]?.total ?? 0;
}

export async function recent(client: PoolClient, limit: number): Promise<UsageRecord[]> {
  const result = await client.query<UsageRow>(`SELECT ${SELECT_COLUMNS} FROM usage ORDER BY time DESC, id DESC LIMIT $1`, [limit]);
  return result.rows.map(fromRow);
}
