/**
 * Billing lines from the PostgreSQL ledger: the sums of a time range, grouped
 * by tenant, key, route model and the deployment that served, in one query
 * over the `time` index. Unlike the embedded store (`sqlite/billing-lines.ts`)
 * nothing is read in chunks: the server aggregates while the event loop
 * serves requests. Sorted as the embedded store sorts: NULL first, names by
 * their bytes. The range is on `time`, not on the UTC `day`: a report follows
 * the calendar of its own time zone.
 */
import type { PoolClient } from 'pg';
import type { BillingLine, BillingQuery } from '../../metering/usage-ledger.js';
import { billingLineOf, type BillingRow } from '../billing-row.js';

/** One result row, flat. */
/** Counts and integer sums as double precision: pg returns those as numbers (BIGINT and NUMERIC as strings). */
const SELECT = `SELECT tenant, key_id AS "keyId", route_model AS "routeModel", provider, upstream_model AS "upstreamModel",
  COUNT(*)::float8 AS requests,
  COUNT(*) FILTER (WHERE status = 'ok')::float8 AS ok,
  COUNT(*) FILTER (WHERE status NOT IN ('ok', 'client_error', 'cancelled', 'shutdown'))::float8 AS errors,
  COUNT(*) FILTER (WHERE status = 'client_error')::float8 AS "clientErrors",
  COUNT(*) FILTER (WHERE status = 'cancelled')::float8 AS "clientClosed",
  COUNT(*) FILTER (WHERE status = 'shutdown')::float8 AS shutdown,
  SUM(prompt_tokens)::float8 AS "inputTokens", SUM(cached_tokens)::float8 AS "cachedInputTokens",
  SUM(completion_tokens)::float8 AS "outputTokens", SUM(reasoning_tokens)::float8 AS "reasoningTokens",
  SUM(cost_usd) AS "costUsd",
  COUNT(*) FILTER (WHERE estimated)::float8 AS "estRequests",
  COALESCE(SUM(prompt_tokens) FILTER (WHERE estimated), 0)::float8 AS "estInputTokens",
  COALESCE(SUM(cached_tokens) FILTER (WHERE estimated), 0)::float8 AS "estCachedInputTokens",
  COALESCE(SUM(completion_tokens) FILTER (WHERE estimated), 0)::float8 AS "estOutputTokens",
  COALESCE(SUM(reasoning_tokens) FILTER (WHERE estimated), 0)::float8 AS "estReasoningTokens",
  COALESCE(SUM(cost_usd) FILTER (WHERE estimated), 0) AS "estCostUsd"
FROM usage`;
const GROUP = `GROUP BY tenant, key_id, route_model, provider, upstream_model
  ORDER BY tenant COLLATE "C" NULLS FIRST, key_id COLLATE "C" NULLS FIRST, route_model COLLATE "C" NULLS FIRST,
           provider COLLATE "C" NULLS FIRST, upstream_model COLLATE "C" NULLS FIRST`;

const ALL_TENANTS = `${SELECT} WHERE time >= $1 AND time < $2 ${GROUP}`;
const ONE_TENANT = `${SELECT} WHERE time >= $1 AND time < $2 AND tenant = $3 ${GROUP}`;

/** The billing lines of `query` (its bounds already whole milliseconds). */
export async function billingLines(client: PoolClient, query: BillingQuery): Promise<BillingLine[]> {
  const result =
    query.tenant === undefined
      ? await client.query<BillingRow>(ALL_TENANTS, [query.start, query.end])
      : await client.query<BillingRow>(ONE_TENANT, [query.start, query.end, query.tenant]);
  return result.rows.map(billingLineOf);
}

