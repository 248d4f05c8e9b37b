/**
 * One row of the usage ledger: who called which model, what it cost, how it
 * went. Built once per finished call, off the response path.
 */
import type { IRUsage } from '../ir/index.js';

/** The `status` label of `llm_requests_total`. */
/**
 * `lost`: the replica serving the call died before it ended (found by another
 * replica's sweep of the call journal); its cost is unknown and booked as 0.
 */
export const USAGE_STATUSES = ['ok', 'error', 'client_error', 'cancelled', 'shutdown', 'lost'] as const;
export type UsageStatus = (typeof USAGE_STATUSES)[number];

const STATUS_SET: ReadonlySet<string> = new Set(USAGE_STATUSES);

/** Whether a stored status is one this release writes (a later release's reads as an error). */
export function isUsageStatus(value: string): value is UsageStatus {
  return STATUS_SET.has(value);
}

export interface UsageRecord {
  /** When the call finished (its cost is booked then), epoch milliseconds. */
  readonly time: number;
  readonly requestId: string;
  /** Configured tenant; `default` for anonymous traffic. */
  readonly tenant: string;
  /** The virtual key's id (never the key itself); null without keys. */
  readonly keyId: string | null;
  /** The configured route (model name) that served the call. */
  readonly routeModel: string;
  /** The model name the client sent (differs from the route when a downgrade served another model, or through an alias). */
  readonly requestedModel: string;
  /** The provider that served the call, or was last tried; null when none was reached. */
  readonly provider: string | null;
  readonly upstreamModel: string | null;
  /** Includes cached prompt tokens. */
  readonly promptTokens: number;
  /** Includes reasoning tokens. */
  readonly completionTokens: number;
  readonly cachedTokens: number;
  readonly reasoningTokens: number;
  /** 0 when the model has no price. */
  readonly costUsd: number;
  /** Whether the tokens were counted by the gateway because the upstream reported none. */
  readonly estimated: boolean;
  readonly status: UsageStatus;
  /** HTTP status the client got (499 when it went away first). */
  readonly httpStatus: number;
  /** Arrival to the last byte. */
  readonly latencyMs: number;
  /** Arrival to the first byte sent to the client; null when nothing was sent. */
  readonly ttftMs: number | null;
}

/** What the caller knows when a call ends (a superset of the pipeline's outcome, without its types). */
export interface UsageRecordInput {
  readonly requestId: string;
  readonly tenant: string;
  readonly keyId?: string | undefined;
  readonly routeModel: string;
  /** The model name the client sent; the route model when absent. */
  readonly requestedModel?: string;
  readonly deployment?: { readonly provider: string; readonly upstreamModel: string } | undefined;
  /** Arrival of the request, epoch milliseconds. */
  readonly startedAt: number;
  readonly durationMs: number;
  readonly timeToFirstByteMs?: number | undefined;
  /**
   * The pipeline's call status (`ok`, `error`, `client_closed`) or a metric
   * status when the caller already knows it (`client_error`, `cancelled`).
   */
  readonly status: UsageStatus | 'client_closed';
  readonly httpStatus: number;
  readonly usage: IRUsage | undefined;
  readonly estimated: boolean;
  /** USD; undefined when the model has no price. */
  readonly costUsd: number | undefined;
}

/**
 * The metric status of a finished call, the same rule as the metrics
 * observer's: a client that went away is `cancelled`; an error answered with
 * a 4xx status is the client's (`client_error`: bad request, context too
 * long), except 429, an upstream's limit; any other error is the gateway's or
 * the upstream's.
 */
export function usageStatus(status: UsageStatus | 'client_closed', httpStatus: number): UsageStatus {
  if (status === 'client_closed') return 'cancelled';
  if (status === 'error' && httpStatus >= 400 && httpStatus < 500 && httpStatus !== 429) return 'client_error';
  return status;
}

/** A non-negative integer count; anything else (NaN, negative, undefined) is 0. */
function tokens(value: number | undefined): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? Math.round(value) : 0;
}

/** A non-negative finite number; anything else is 0. */
function amount(value: number | undefined): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : 0;
}

export function buildUsageRecord(input: UsageRecordInput): UsageRecord {
  const usage = input.usage;
  const latencyMs = amount(input.durationMs);
  const ttft = input.timeToFirstByteMs;
  return {
    time: Math.round(input.startedAt + latencyMs),
    requestId: input.requestId,
    tenant: input.tenant,
    keyId: input.keyId ?? null,
    routeModel: input.routeModel,
    requestedModel: input.requestedModel ?? input.routeModel,
    provider: input.deployment?.provider ?? null,
    upstreamModel: input.deployment?.upstreamModel ?? null,
    promptTokens: tokens(usage?.promptTokens),
    completionTokens: tokens(usage?.completionTokens),
    cachedTokens: tokens(usage?.cachedPromptTokens),
    reasoningTokens: tokens(usage?.reasoningTokens),
    costUsd: amount(input.costUsd),
    estimated: input.estimated,
    status: usageStatus(input.status, input.httpStatus),
    httpStatus: input.httpStatus,
    latencyMs: Math.round(latencyMs),
    ttftMs: ttft !== undefined && Number.isFinite(ttft) && ttft >= 0 ? Math.round(ttft) : null,
  };
}
