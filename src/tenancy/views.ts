/**
 * Tenants and keys as the admin API and the CLI show them: snake_case JSON,
 * times in Unix seconds (as OpenAI's API gives them), never a secret or its
 * hash. A key itself appears once, in the answer that created or rotated it.
 */
import type { BudgetStatus } from '../budgets/budget-book.js';
import type { UsageGroup } from '../metering/usage-ledger.js';
import { budgetWire, guardrailsWire, type BudgetWire, type GuardrailsWire } from './cost-controls.js';
import type { CostControls, KeyRecord, Metadata, TenantRecord } from './records.js';
import { KEY_PREFIX } from './virtual-key.js';

const seconds = (ms: number | undefined): number | null => (ms === undefined ? null : Math.floor(ms / 1000));

export interface TenantView {
  readonly object: 'tenant';
  readonly name: string;
  readonly models: readonly string[] | null;
  readonly rpm: number | null;
  readonly tpm: number | null;
  readonly metadata: Metadata;
  /** As written (snake_case), every default spelled out; empty for none. */
  readonly budgets: readonly BudgetWire[];
  readonly guardrails: GuardrailsWire | null;
  readonly source: 'config' | 'api';
  readonly created_at: number;
  readonly updated_at: number;
}

export interface KeyView {
  readonly object: 'api_key';
  readonly id: string;
  readonly tenant: string;
  readonly name: string | null;
  /** The key as people tell keys apart: prefix, id and last four characters. */
  readonly redacted_key: string;
  readonly last_four: string;
  readonly models: readonly string[] | null;
  readonly rpm: number | null;
  readonly tpm: number | null;
  readonly expires_at: number | null;
  readonly metadata: Metadata;
  /** The key's own budgets and guardrails (its tenant's apply too). */
  readonly budgets: readonly BudgetWire[];
  readonly guardrails: GuardrailsWire | null;
  readonly created_at: number;
  readonly revoked_at: number | null;
  /** After a rotation: until when the previous key still works. */
  readonly previous_key_valid_until: number | null;
  /** `active`, `expired` or `revoked`, as of the answer. */
  readonly status: 'active' | 'expired' | 'revoked';
}

function costControlsView(record: CostControls): Pick<TenantView, 'budgets' | 'guardrails'> {
  return { budgets: record.budgets.map(budgetWire), guardrails: record.guardrails === undefined ? null : guardrailsWire(record.guardrails) };
}

export function tenantView(tenant: TenantRecord): TenantView {
  return {
    object: 'tenant',
    name: tenant.name,
    models: tenant.models ?? null,
    rpm: tenant.rpm ?? null,
    tpm: tenant.tpm ?? null,
    metadata: tenant.metadata,
    ...costControlsView(tenant),
    source: tenant.source,
    created_at: seconds(tenant.createdAt)!,
    updated_at: seconds(tenant.updatedAt)!,
  };
}

export function keyView(key: KeyRecord, now = Date.now()): KeyView {
  const status = key.revokedAt !== undefined ? 'revoked' : key.expiresAt !== undefined && key.expiresAt <= now ? 'expired' : 'active';
  return {
    object: 'api_key',
    id: key.id,
    tenant: key.tenant,
    name: key.name ?? null,
    redacted_key: `${KEY_PREFIX}${key.id}_…${key.lastFour}`,
    last_four: key.lastFour,
    models: key.models ?? null,
    rpm: key.rpm ?? null,
    tpm: key.tpm ?? null,
    expires_at: seconds(key.expiresAt),
    metadata: key.metadata,
    ...costControlsView(key),
    created_at: seconds(key.createdAt)!,
    revoked_at: seconds(key.revokedAt),
    previous_key_valid_until: key.revokedAt === undefined && key.previousValidUntil !== undefined && key.previousValidUntil > now ? seconds(key.previousValidUntil) : null,
    status,
  };
}

export interface UsageView {
  readonly day?: string;
  readonly tenant?: string;
  readonly key_id?: string | null;
  readonly model?: string;
  readonly requests: number;
  readonly errors: number;
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly cached_tokens: number;
  readonly reasoning_tokens: number;
  readonly cost_usd: number;
}

/** One group of a usage report, snake_case like the rest of the API (cost rounded to a millionth of a dollar). */
export function usageView(group: UsageGroup): UsageView {
  return {
    ...(group.day === undefined ? {} : { day: group.day }),
    ...(group.tenant === undefined ? {} : { tenant: group.tenant }),
    ...(group.keyId === undefined ? {} : { key_id: group.keyId }),
    ...(group.model === undefined ? {} : { model: group.model }),
    requests: group.requests,
    errors: group.errors,
    prompt_tokens: group.promptTokens,
    completion_tokens: group.completionTokens,
    cached_tokens: group.cachedTokens,
    reasoning_tokens: group.reasoningTokens,
    cost_usd: Math.round(group.costUsd * 1e6) / 1e6,
  };
}

export interface BudgetView {
  readonly object: 'budget';
  readonly scope: 'tenant' | 'key';
  /** The tenant's name or the key's id. */
  readonly owner: string;
  /** The tenant the budget counts under (a key's tenant for a key's budget). */
  readonly tenant: string;
  /** The key's id for a key's budget; null for a tenant's. */
  readonly key_id: string | null;
  readonly period: 'day' | 'month';
  readonly timezone: string;
  /** HH:MM in `timezone`: when each period starts. */
  readonly reset_at: string;
  /** Shares of the limit at which the operator is told. */
  readonly soft: readonly number[];
  readonly limit_usd: number;
  /** Spent by calls settled in the current period. */
  readonly spent_usd: number;
  /** Held by calls in flight (their worst case). */
  readonly reserved_usd: number;
  readonly remaining_usd: number;
  readonly used_ratio: number;
  readonly period_start: number;
  readonly resets_at: number;
}

/** To a millionth of a dollar: sums of floats would show noise digits. */
const roundUsd = (usd: number): number => Math.round(usd * 1e6) / 1e6;

export function budgetView(status: BudgetStatus): BudgetView {
  const { ref } = status;
  const written = budgetWire(ref.config);
  return {
    object: 'budget',
    scope: ref.scope,
    owner: ref.owner,
    tenant: ref.tenant,
    key_id: ref.scope === 'key' ? ref.owner : null,
    period: written.period,
    timezone: written.timezone,
    reset_at: written.reset_at,
    soft: written.soft,
    limit_usd: written.limit_usd,
    spent_usd: roundUsd(status.settledUsd),
    reserved_usd: roundUsd(status.reservedUsd),
    remaining_usd: roundUsd(status.remainingUsd),
    used_ratio: Math.round(((status.settledUsd + status.reservedUsd) / status.limitUsd) * 1e4) / 1e4,
    period_start: Math.floor(status.periodStart / 1000),
    resets_at: Math.floor(status.resetsAt / 1000),
  };
}
