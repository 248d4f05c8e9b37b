/**
 * The PostgreSQL `usage` table's rows and `UsageRecord`s: the batch insert
 * (one statement, one array per column, `unnest` turning them into rows),
 * and the mapping of a selected row back to a record.
 */
import type { UsageRecord, UsageStatus } from '../../metering/usage-record.js';

/** A queued row: the record and the id that makes writing it twice harmless. */
export interface LedgerEntry {
  readonly record: UsageRecord;
  readonly rowId: string;
}

/** The columns written, each with the array type its parameter is sent as. */
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

/**
 * Any number of rows in one statement with a fixed text (prepared once per
 * connection, whatever the batch size); rows already written by an earlier
 * attempt are skipped. With empty arrays it writes nothing, yet fails as a
 * write would (a read-only server, a missing table or privilege): the probe
 * of a failing store.
 */
export const INSERT_SQL = `INSERT INTO usage (${COLUMNS.map(([name]) => name).join(', ')})
  SELECT * FROM unnest(${COLUMNS.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ')})
  ON CONFLICT (row_id) DO NOTHING`;

/** The name the insert is prepared under on each connection. */
export const INSERT_NAME = 'tollgate_usage_insert';

type Value = string | number | boolean | null;

/** The insert's parameters: one array per column, in `COLUMNS` order. */
export function insertParams(entries: readonly LedgerEntry[], dayOf: (time: number) => string): Value[][] {
  const columns: Value[][] = COLUMNS.map(() => new Array<Value>(entries.length));
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    const r = entry.record;
    const values: readonly Value[] = [
      entry.rowId,
      r.time,
      dayOf(r.time),
      r.requestId,
      r.tenant,
      r.keyId,
      r.routeModel,
      r.provider,
      r.upstreamModel,
      r.promptTokens,
      r.completionTokens,
      r.cachedTokens,
      r.reasoningTokens,
      r.costUsd,
      r.estimated,
      r.status,
      r.httpStatus,
      r.latencyMs,
      r.ttftMs,
      r.requestedModel,
    ];
    for (let c = 0; c < values.length; c++) columns[c]![i] = values[c]!;
  }
  return columns;
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

const STATUSES: ReadonlySet<string> = new Set<UsageStatus>(['ok', 'error', 'client_error', 'cancelled', 'shutdown']);

function isStatus(value: string): value is UsageStatus {
  return STATUSES.has(value);
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
    status: isStatus(row.status) ? row.status : 'error',
    httpStatus: row.http_status,
    latencyMs: row.latency_ms,
    ttftMs: row.ttft_ms,
    requestedModel: row.requested_model ?? row.route_model,
  };
}
