/**
 * One billing line as both stores' queries select it (the same column
 * aliases), and the line the reports read. The stores differ in their SQL
 * only.
 */
import type { BillingLine } from '../metering/usage-ledger.js';

export interface BillingRow {
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

export function billingLineOf(row: BillingRow): BillingLine {
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
