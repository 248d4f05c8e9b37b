/**
 * Tenants and virtual keys in the embedded SQLite store. The statements run
 * synchronously (better-sqlite3); the interface is asynchronous for the
 * networked stores. Writes are rare (the admin API); reads happen on a cache
 * miss of the authenticator only.
 *
 * Budgets and guardrails are JSON text in their written form (see
 * tenancy/cost-controls.ts), read back through the configuration's schemas: a
 * value that does not pass fails the read with an error naming the row.
 */
import { budgetsText, guardrailsText, readBudgets, readGuardrails } from '../../tenancy/cost-controls.js';
import type { KeyChanges, KeyRecord, Metadata, TenancyStore, TenantChanges, TenantRecord } from '../../tenancy/records.js';
import { TenancyConflictError } from '../../tenancy/records.js';
import { openSqlite, type SqliteDatabase } from './database.js';

interface TenantRow {
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

interface KeyRow {
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
const patternsText = (models: readonly string[] | undefined | null): string | null => (models === undefined || models === null ? null : JSON.stringify(models));

function tenantFrom(row: TenantRow): TenantRecord {
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

function keyFrom(row: KeyRow): KeyRecord {
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

function tenantParams(t: TenantRecord): unknown[] {
  return [t.name, patternsText(t.models), t.rpm ?? null, t.tpm ?? null, JSON.stringify(t.metadata), t.source, t.createdAt, t.updatedAt, budgetsText(t.budgets), guardrailsText(t.guardrails)];
}

/** A read as a promise: a row that cannot be read (StoredSettingsError) rejects it rather than throwing at the call. */
function settled<T>(read: () => T): Promise<T> {
  return new Promise((resolve) => resolve(read()));
}

const TENANT_COLUMNS = 'name, models, rpm, tpm, metadata, source, created_at, updated_at, budgets, guardrails';

/**
 * The columns a change sets, and their values: only the fields given, so a
 * change never rewrites (or needs to read) a column it does not touch; a
 * stored value that cannot be read can thus be replaced.
 */
function assignments(changes: TenantChanges | KeyChanges): Array<readonly [column: string, value: unknown]> {
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

export class SqliteTenancyStore implements TenancyStore {
  private constructor(private readonly db: SqliteDatabase) {}

  /** Opens the store at `path` (the same file as the usage ledger: one database, several tables). */
  static open(path: string): SqliteTenancyStore {
    return new SqliteTenancyStore(openSqlite(path));
  }

  listTenants(): Promise<TenantRecord[]> {
    return settled(() => this.db.prepare<[], TenantRow>('SELECT * FROM tenants ORDER BY name').all().map(tenantFrom));
  }

  getTenant(name: string): Promise<TenantRecord | undefined> {
    return settled(() => {
      const row = this.db.prepare<[string], TenantRow>('SELECT * FROM tenants WHERE name = ?').get(name);
      return row && tenantFrom(row);
    });
  }

  insertTenant(tenant: TenantRecord): Promise<void> {
    const taken = this.db.prepare<[string], number>('SELECT 1 FROM tenants WHERE name = ?').pluck().get(tenant.name);
    if (taken !== undefined) return Promise.reject(new TenancyConflictError(`a tenant named '${tenant.name}' already exists`));
    this.db.prepare(`INSERT INTO tenants (${TENANT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(...tenantParams(tenant));
    return Promise.resolve();
  }

  upsertTenant(tenant: TenantRecord): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO tenants (${TENANT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET models = excluded.models, rpm = excluded.rpm, tpm = excluded.tpm,
           metadata = excluded.metadata, source = excluded.source, updated_at = excluded.updated_at,
           budgets = excluded.budgets, guardrails = excluded.guardrails`,
      )
      .run(...tenantParams(tenant));
    return Promise.resolve();
  }

  updateTenant(name: string, changes: TenantChanges, at: number): Promise<TenantRecord | undefined> {
    const set = [...assignments(changes), ['updated_at', at] as const];
    const { changes: updated } = this.db.prepare(`UPDATE tenants SET ${set.map(([column]) => `${column} = ?`).join(', ')} WHERE name = ?`).run(...set.map(([, value]) => value), name);
    return updated === 0 ? Promise.resolve(undefined) : this.getTenant(name);
  }

  insertKey(key: KeyRecord): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO api_keys (id, tenant, name, models, rpm, tpm, expires_at, metadata, created_at, revoked_at, last_four, secret_hash, previous_secret_hash, previous_valid_until, budgets, guardrails)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
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
      );
    return Promise.resolve();
  }

  getKey(id: string): Promise<KeyRecord | undefined> {
    return settled(() => {
      const row = this.db.prepare<[string], KeyRow>('SELECT * FROM api_keys WHERE id = ?').get(id);
      return row && keyFrom(row);
    });
  }

  listKeys(filter: { readonly tenant?: string | undefined }): Promise<KeyRecord[]> {
    const rows =
      filter.tenant === undefined
        ? this.db.prepare<[], KeyRow>('SELECT * FROM api_keys ORDER BY created_at, id').all()
        : this.db.prepare<[string], KeyRow>('SELECT * FROM api_keys WHERE tenant = ? ORDER BY created_at, id').all(filter.tenant);
    return settled(() => rows.map(keyFrom));
  }

  hasKeys(): Promise<boolean> {
    return Promise.resolve(this.db.prepare<[], number>('SELECT 1 FROM api_keys LIMIT 1').pluck().get() !== undefined);
  }

  updateKey(id: string, changes: KeyChanges): Promise<KeyRecord | undefined> {
    const set = assignments(changes);
    if (set.length > 0) this.db.prepare(`UPDATE api_keys SET ${set.map(([column]) => `${column} = ?`).join(', ')} WHERE id = ?`).run(...set.map(([, value]) => value), id);
    return this.getKey(id);
  }

  revokeKey(id: string, at: number): Promise<KeyRecord | undefined> {
    this.db.prepare('UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?').run(at, id);
    return this.getKey(id);
  }

  rotateKey(id: string, secret: { readonly hash: string; readonly lastFour: string }, previousValidUntil: number): Promise<KeyRecord | undefined> {
    this.db
      .prepare('UPDATE api_keys SET previous_secret_hash = secret_hash, previous_valid_until = ?, secret_hash = ?, last_four = ? WHERE id = ? AND revoked_at IS NULL')
      .run(previousValidUntil, secret.hash, secret.lastFour, id);
    return this.getKey(id);
  }

  close(): Promise<void> {
    this.db.close();
    return Promise.resolve();
  }
}
