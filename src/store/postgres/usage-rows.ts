/**
 * The PostgreSQL `usage` table's rows and `UsageRecord`s: the batch insert
 * (one statement whose one parameter is the rows as a JSON array, turned
 * into rows by `json_to_recordset`), and the mapping of a selected row back
 * to a record.
 *
 * JSON rather than one array parameter per column (`unnest`): the server
 * takes both at the same speed (about 100 000 rows in 2.5 s here, with the
 * table's six indexes), but `JSON.stringify` builds the parameter in a fifth
 * of the time pg takes to write twenty array literals, and that time is the
 * event loop's, taken from the requests.
 */
import { latencyBucketSql } from '../../metering/latency-histogram.js';
import { isUsageStatus, type UsageRecord } from '../../metering/usage-record.js';
import { HOUR_MS, NO_KEY } from '../usage-rollup.js';

/** A queued row: the record and the id that makes writing it twice harmless. */
export interface LedgerEntry {
  readonly record: UsageRecord;
  readonly rowId: string;
}

/** The columns written, each with its type; `insertParam` writes the same names. */
const COLUMNS = [
  ['row_id', 'uuid'],
  ['time', 'bigint'],
  ['day', 'text'],
  ['request_id', 'text'],
  ['tenant', 'text'],
  ['key_id', 'text'],
  ['route_model', 'text'],
  ['provider', 'text'],
  ['upstream_model', 'text'],
  ['prompt_tokens', 'integer'],
  ['completion_tokens', 'integer'],
  ['cached_tokens', 'integer'],
  ['reasoning_tokens', 'integer'],
  ['cost_usd', 'double precision'],
  ['estimated', 'boolean'],
  ['status', 'text'],
  ['http_status', 'integer'],
  ['latency_ms', 'integer'],
  ['ttft_ms', 'integer'],
  ['requested_model', 'text'],
] as const;

const NAMES = COLUMNS.map(([name]) => name).join(', ');

/**
 * Any number of rows in one statement with a fixed text (prepared once per
 * connection); rows already written by an earlier attempt are skipped. With
 * an empty array it writes nothing, yet fails as a write would (a read-only
 * server, a missing table or privilege): the probe of a failing store. A
 * value the column cannot hold (a number out of range, NaN sent as null)
 * fails the statement with a data or constraint error.
 *
 * The same statement adds the rows to the hourly rollup (rollup-schema.ts):
 * only those the insert returns, so a batch sent again after a lost answer
 * counts nowhere twice, and rows and rollup commit or fail together. The
 * server sums the batch (one upsert per hour × tenant × key × model, and per
 * latency bucket) in key order, so two gateways writing at once take the
 * rollup's row locks in the same order.
 */
export const INSERT_SQL = `WITH inserted AS (
    INSERT INTO usage (${NAMES})
      SELECT ${NAMES} FROM json_to_recordset($1::json) AS r(${COLUMNS.map(([name, type]) => `${name} ${type}`).join(', ')})
      ON CONFLICT (row_id) DO NOTHING
      RETURNING time - time % ${HOUR_MS} AS hour, tenant, key_id, route_model, status, prompt_tokens, completion_tokens, cached_tokens, reasoning_tokens, cost_usd, latency_ms
  ), hourly AS (
    INSERT INTO usage_hourly AS h (hour, tenant, key_id, route_model, requests, errors, prompt_tokens, completion_tokens, cached_tokens, reasoning_tokens, cost_usd)
      SELECT hour, tenant, COALESCE(key_id, '${NO_KEY}'), route_model, COUNT(*), COUNT(*) FILTER (WHERE status NOT IN ('ok', 'cancelled')),
             SUM(prompt_tokens), SUM(completion_tokens), SUM(cached_tokens), SUM(reasoning_tokens), SUM(cost_usd)
        FROM inserted GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
      ON CONFLICT (hour, tenant, key_id, route_model) DO UPDATE SET
        requests = h.requests + EXCLUDED.requests, errors = h.errors + EXCLUDED.errors,
        prompt_tokens = h.prompt_tokens + EXCLUDED.prompt_tokens, completion_tokens = h.completion_tokens + EXCLUDED.completion_tokens,
        cached_tokens = h.cached_tokens + EXCLUDED.cached_tokens, reasoning_tokens = h.reasoning_tokens + EXCLUDED.reasoning_tokens,
        cost_usd = h.cost_usd + EXCLUDED.cost_usd
  )
  INSERT INTO usage_latency_hourly AS l (hour, tenant, route_model, bucket, count)
    SELECT hour, tenant, route_model, ${latencyBucketSql('latency_ms')} AS bucket, COUNT(*)
      FROM inserted GROUP BY 1, 2, 3, 4 ORDER BY hour, bucket, tenant, route_model
    ON CONFLICT (hour, bucket, tenant, route_model) DO UPDATE SET count = l.count + EXCLUDED.count`;

/** The name the insert is prepared under on each connection. */
export const INSERT_NAME = 'tollgate_usage_insert';

/** The insert's parameter: the rows as a JSON array of objects keyed by column. */
export function insertParam(entries: readonly LedgerEntry[], dayOf: (time: number) => string): string {
  return JSON.stringify(
    entries.map(({ record: r, rowId }) => ({
      row_id: rowId,
      time: r.time,
      day: dayOf(r.time),
      request_id: r.requestId,
      tenant: r.tenant,
      key_id: r.keyId,
      route_model: r.routeModel,
      provider: r.provider,
      upstream_model: r.upstreamModel,
      prompt_tokens: r.promptTokens,
      completion_tokens: r.completionTokens,
      cached_tokens: r.cachedTokens,
      reasoning_tokens: r.reasoningTokens,
      cost_usd: r.costUsd,
      estimated: r.estimated,
      status: r.status,
      http_status: r.httpStatus,
      latency_ms: r.latencyMs,
      ttft_ms: r.ttftMs,
      requested_model: r.requestedModel,
    })),
  );
}

/** The columns `fromRow` reads; `time` is cast so pg returns a number, not the string of a BIGINT. */
export const SELECT_COLUMNS = `time::float8 AS time, request_id, tenant, key_id, route_model, provider, upstream_model,
  prompt_tokens, completion_tokens, cached_tokens, reasoning_tokens, cost_usd, estimated, status,
  http_status, latency_ms, ttft_ms, requested_model`;

export interface UsageRow {
  readonly time: number;
  readonly request_id: string;
  readonly tenant: string;
  readonly key_id: string | null;
  readonly route_model: string;
  readonly provider: string | null;
  readonly upstream_model: string | null;
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly cached_tokens: number;
  readonly reasoning_tokens: number;
  readonly cost_usd: number;
  readonly estimated: boolean;
  readonly status: string;
  readonly http_status: number;
  readonly latency_ms: number;
  readonly ttft_ms: number | null;
  readonly requested_model: string | null;
}

export function fromRow(row: UsageRow): UsageRecord {
  return {
    time: row.time,
    requestId: row.request_id,
    tenant: row.tenant,
    keyId: row.key_id,
    routeModel: row.route_model,
    provider: row.provider,
    upstreamModel: row.upstream_model,
    promptTokens: row.prompt_tokens,
    completionTokens: row.completion_tokens,
    cachedTokens: row.cached_tokens,
    reasoningTokens: row.reasoning_tokens,
    costUsd: row.cost_usd,
    estimated: row.estimated,
    // Written only by this code; an unknown value (a later release's) reads as an error.
    status: isUsageStatus(row.status) ? row.status : 'error',
    httpStatus: row.http_status,
    latencyMs: row.latency_ms,
    ttftMs: row.ttft_ms,
    requestedModel: row.requested_model ?? row.route_model,
  };
}
