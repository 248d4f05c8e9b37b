/**
 * Billing lines from the ledger's table: the sums of a time range, grouped by
 * tenant, key, route model and the deployment that served, aggregated by
 * SQLite in one pass over the `time` index (a report never walks rows in
 * JavaScript). The range is on `time`, not on the UTC `day` column: a report
 * follows the calendar of its own time zone.
 */
import type { BillingLine, BillingQuery } from '../../metering/usage-ledger.js';
import type { SqliteDatabase } from './database.js';

/** One result row, flat: SQLite returns columns, not nested objects. */
interface BillingRow {
  readonly tenant: string;
  readonly keyId: string | null;
  readonly routeModel: string;
  readonly provider: string | null;
  readonly upstreamModel: string | null;
  readonly requests: number;
  readonly ok: number;
  readonly errors: number;
  readonly clientErrors: number;
  readonly clientClosed: number;
  readonly shutdown: number;
  readonly inputTokens: number;
  readonly cachedInputTokens: number;
  readonly outputTokens: number;
  readonly reasoningTokens: number;
  readonly costUsd: number;
  readonly estRequests: number;
  readonly estInputTokens: number;
  readonly estCachedInputTokens: number;
  readonly estOutputTokens: number;
  readonly estReasoningTokens: number;
  readonly estCostUsd: number;
}

/** `estimated` is 0 or 1 (a CHECK constraint), so multiplying by it keeps the estimated part only. */
const SELECT = `SELECT tenant, key_id AS keyId, route_model AS routeModel, provider, upstream_model AS upstreamModel,
  COUNT(*) AS requests,
  SUM(status = 'ok') AS ok,
  SUM(status NOT IN ('ok', 'client_error', 'cancelled', 'shutdown')) AS errors,
  SUM(status = 'client_error') AS clientErrors,
  SUM(status = 'cancelled') AS clientClosed,
  SUM(status = 'shutdown') AS shutdown,
  SUM(prompt_tokens) AS inputTokens, SUM(cached_tokens) AS cachedInputTokens,
  SUM(completion_tokens) AS outputTokens, SUM(reasoning_tokens) AS reasoningTokens,
  SUM(cost_usd) AS costUsd,
  SUM(estimated) AS estRequests,
  SUM(estimated * prompt_tokens) AS estInputTokens, SUM(estimated * cached_tokens) AS estCachedInputTokens,
  SUM(estimated * completion_tokens) AS estOutputTokens, SUM(estimated * reasoning_tokens) AS estReasoningTokens,
  SUM(estimated * cost_usd) AS estCostUsd
FROM usage`;
const GROUP = 'GROUP BY tenant, key_id, route_model, provider, upstream_model ORDER BY tenant, key_id, route_model, provider, upstream_model';

const ALL_TENANTS = `${SELECT} WHERE time >= ? AND time < ? ${GROUP}`;
const ONE_TENANT = `${SELECT} WHERE time >= ? AND time < ? AND tenant = ? ${GROUP}`;

export function billingLines(db: SqliteDatabase, query: BillingQuery): BillingLine[] {
  const rows =
    query.tenant === undefined
      ? db.prepare<[number, number], BillingRow>(ALL_TENANTS).all(query.start, query.end)
      : db.prepare<[number, number, string], BillingRow>(ONE_TENANT).all(query.start, query.end, query.tenant);
  return rows.map(toLine);
}

function toLine(row: BillingRow): BillingLine {
  return {
    tenant: row.tenant,
    keyId: row.keyId,
    routeModel: row.routeModel,
    provider: row.provider,
    upstreamModel: row.upstreamModel,
    requests: row.requests,
    ok: row.ok,
    errors: row.errors,
    clientErrors: row.clientErrors,
    clientClosed: row.clientClosed,
    shutdown: row.shutdown,
    inputTokens: row.inputTokens,
    cachedInputTokens: row.cachedInputTokens,
    outputTokens: row.outputTokens,
    reasoningTokens: row.reasoningTokens,
    costUsd: row.costUsd,
    estimated: {
      requests: row.estRequests,
      inputTokens: row.estInputTokens,
      cachedInputTokens: row.estCachedInputTokens,
      outputTokens: row.estOutputTokens,
      reasoningTokens: row.estReasoningTokens,
      costUsd: row.estCostUsd,
    },
  };
}
