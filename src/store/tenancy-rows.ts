/**
 * Tenants and keys as table rows, shared by the SQLite and PostgreSQL
 * tenancy stores: the same columns, the same JSON text encodings (patterns,
 * metadata, and the budgets and guardrails of tenancy/cost-controls.ts), so
 * both stores read and write the same values. A store hands in rows whose
 * integer columns are already numbers.
 */
import { budgetsText, guardrailsText, readBudgets, readGuardrails } from '../tenancy/cost-controls.js';
import type { KeyChanges, KeyRecord, Metadata, TenantChanges, TenantRecord } from '../tenancy/records.js';

export interface TenantRow {
  name: string;
  models: string | null;
  rpm: number | null;
  tpm: number | null;
  metadata: string;
  source: 'config' | 'api';
  created_at: number;
  updated_at: number;
  budgets: string | null;
  guardrails: string | null;
}

export interface KeyRow {
  id: string;
  tenant: string;
  name: string | null;
  models: string | null;
  rpm: number | null;
  tpm: number | null;
  expires_at: number | null;
  metadata: string;
  created_at: number;
  revoked_at: number | null;
  last_four: string;
  secret_hash: string;
  previous_secret_hash: string | null;
  previous_valid_until: number | null;
  budgets: string | null;
  guardrails: string | null;
}

const orUndefined = <T>(value: T | null): T | undefined => (value === null ? undefined : value);
const patterns = (text: string | null): readonly string[] | undefined => (text === null ? undefined : (JSON.parse(text) as string[]));
export const patternsText = (models: readonly string[] | undefined | null): string | null => (models === undefined || models === null ? null : JSON.stringify(models));

export function tenantFrom(row: TenantRow): TenantRecord {
  return {
    name: row.name,
    models: patterns(row.models),
    rpm: orUndefined(row.rpm),
    tpm: orUndefined(row.tpm),
    metadata: JSON.parse(row.metadata) as Metadata,
    source: row.source,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    budgets: readBudgets(row.budgets, { table: 'tenants', id: row.name }),
    guardrails: readGuardrails(row.guardrails, { table: 'tenants', id: row.name }),
  };
}

export function keyFrom(row: KeyRow): KeyRecord {
  return {
    id: row.id,
    tenant: row.tenant,
    name: orUndefined(row.name),
    models: patterns(row.models),
    rpm: orUndefined(row.rpm),
    tpm: orUndefined(row.tpm),
    expiresAt: orUndefined(row.expires_at),
    metadata: JSON.parse(row.metadata) as Metadata,
    createdAt: row.created_at,
    revokedAt: orUndefined(row.revoked_at),
    lastFour: row.last_four,
    secretHash: row.secret_hash,
    previousSecretHash: orUndefined(row.previous_secret_hash),
    previousValidUntil: orUndefined(row.previous_valid_until),
    budgets: readBudgets(row.budgets, { table: 'api_keys', id: row.id }),
    guardrails: readGuardrails(row.guardrails, { table: 'api_keys', id: row.id }),
  };
}

export function tenantParams(t: TenantRecord): unknown[] {
  return [t.name, patternsText(t.models), t.rpm ?? null, t.tpm ?? null, JSON.stringify(t.metadata), t.source, t.createdAt, t.updatedAt, budgetsText(t.budgets), guardrailsText(t.guardrails)];
}

export const KEY_COLUMNS =
  'id, tenant, name, models, rpm, tpm, expires_at, metadata, created_at, revoked_at, last_four, secret_hash, previous_secret_hash, previous_valid_until, budgets, guardrails';

/** The values of KEY_COLUMNS, in order. */
export function keyParams(key: KeyRecord): unknown[] {
  return [
    key.id,
    key.tenant,
    key.name ?? null,
    patternsText(key.models),
    key.rpm ?? null,
    key.tpm ?? null,
    key.expiresAt ?? null,
    JSON.stringify(key.metadata),
    key.createdAt,
    key.revokedAt ?? null,
    key.lastFour,
    key.secretHash,
    key.previousSecretHash ?? null,
    key.previousValidUntil ?? null,
    budgetsText(key.budgets),
    guardrailsText(key.guardrails),
  ];
}

export const TENANT_COLUMNS = 'name, models, rpm, tpm, metadata, source, created_at, updated_at, budgets, guardrails';

/**
 * The columns a change sets, and their values: only the fields given, so a
 * change never rewrites (or needs to read) a column it does not touch; a
 * stored value that cannot be read can thus be replaced.
 */
export function assignments(changes: TenantChanges | KeyChanges): Array<readonly [column: string, value: unknown]> {
  const set: Array<readonly [string, unknown]> = [];
  if ('name' in changes && changes.name !== undefined) set.push(['name', changes.name]);
  if (changes.models !== undefined) set.push(['models', patternsText(changes.models)]);
  if (changes.rpm !== undefined) set.push(['rpm', changes.rpm]);
  if (changes.tpm !== undefined) set.push(['tpm', changes.tpm]);
  if ('expiresAt' in changes && changes.expiresAt !== undefined) set.push(['expires_at', changes.expiresAt]);
  if (changes.metadata !== undefined) set.push(['metadata', JSON.stringify(changes.metadata)]);
  if (changes.budgets !== undefined) set.push(['budgets', budgetsText(changes.budgets ?? [])]);
  if (changes.guardrails !== undefined) set.push(['guardrails', guardrailsText(changes.guardrails ?? undefined)]);
  return set;
}
