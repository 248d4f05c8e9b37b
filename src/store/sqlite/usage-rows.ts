/**
 * The `usage` table's columns and the mapping between its rows and
 * `UsageRecord`s.
 */
import { isUsageStatus, type UsageRecord } from '../../metering/usage-record.js';

/** Insert order; `toParams` returns values in the same order. */
export const COLUMNS = [
  'time',
  'day',
  'request_id',
  'tenant',
  'key_id',
  'route_model',
  'provider',
  'upstream_model',
  'prompt_tokens',
  'completion_tokens',
  'cached_tokens',
  'reasoning_tokens',
  'cost_usd',
  'estimated',
  'status',
  'http_status',
  'latency_ms',
  'ttft_ms',
  'requested_model',
] as const;

export type InsertParams = [
  time: number,
  day: string,
  requestId: string,
  tenant: string,
  keyId: string | null,
  routeModel: string,
  provider: string | null,
  upstreamModel: string | null,
  promptTokens: number,
  completionTokens: number,
  cachedTokens: number,
  reasoningTokens: number,
  costUsd: number,
  estimated: 0 | 1,
  status: string,
  httpStatus: number,
  latencyMs: number,
  ttftMs: number | null,
  requestedModel: string,
];

export interface UsageRow {
  readonly time: number;
  readonly day: string;
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
  readonly estimated: number;
  readonly status: string;
  readonly http_status: number;
  readonly latency_ms: number;
  readonly ttft_ms: number | null;
  /** NULL in rows written before the column existed: the route model. */
  readonly requested_model: string | null;
}

export function toParams(record: UsageRecord, day: string): InsertParams {
  return [
    record.time,
    day,
    record.requestId,
    record.tenant,
    record.keyId,
    record.routeModel,
    record.provider,
    record.upstreamModel,
    record.promptTokens,
    record.completionTokens,
    record.cachedTokens,
    record.reasoningTokens,
    record.costUsd,
    record.estimated ? 1 : 0,
    record.status,
    record.httpStatus,
    record.latencyMs,
    record.ttftMs,
    record.requestedModel,
  ];
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
    estimated: row.estimated === 1,
    // Written only by this code; an unknown value (a later release's) reads as an error.
    status: isUsageStatus(row.status) ? row.status : 'error',
    httpStatus: row.http_status,
    latencyMs: row.latency_ms,
    ttftMs: row.ttft_ms,
    requestedModel: row.requested_model ?? row.route_model,
  };
}
