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
import type { KeyChanges, KeyRecord, TenancyStore, TenantChanges, TenantRecord } from '../../tenancy/records.js';
import { TenancyConflictError } from '../../tenancy/records.js';
import { assignments, keyFrom, KEY_COLUMNS, keyParams, TENANT_COLUMNS, tenantFrom, tenantParams, type KeyRow, type TenantRow } from '../tenancy-rows.js';
import { openSqlite, type SqliteDatabase } from './database.js';

/** A read as a promise: a row that cannot be read (StoredSettingsError) rejects it rather than throwing at the call. */
function settled<T>(read: () => T): Promise<T> {
  return new Promise((resolve) => resolve(read()));
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
    try {
      this.db.prepare(`INSERT INTO api_keys (${KEY_COLUMNS}) VALUES (${KEY_COLUMNS.split(',').map(() => '?').join(', ')})`).run(...keyParams(key));
    } catch (error) {
      if ((error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return Promise.reject(new TenancyConflictError(`a key with id '${key.id}' already exists`));
      throw error;
    }
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
