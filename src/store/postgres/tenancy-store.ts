/**
 * Tenants and virtual keys in PostgreSQL: the SQLite store's semantics
 * (sqlite/tenancy-store.ts) over a pool that several replicas share. The
 * rows and their encodings are the same (../tenancy-rows.ts); integer
 * columns come back as strings (BIGINT) and are converted first.
 *
 * A name or id taken (unique violation, SQLSTATE 23505) is a
 * TenancyConflictError, whichever replica inserted first. Listings sort
 * with the "C" collation: byte order, as SQLite's, whatever the database's.
 *
 * The pool belongs to whoever opened it (store/open-store.ts): `close`
 * leaves it open.
 */
import type { KeyChanges, KeyRecord, TenancyStore, TenantChanges, TenantRecord } from '../../tenancy/records.js';
import { TenancyConflictError } from '../../tenancy/records.js';
import { assignments, keyFrom, KEY_COLUMNS, keyParams, TENANT_COLUMNS, tenantFrom, tenantParams, type KeyRow, type TenantRow } from '../tenancy-rows.js';
import { integerOf, integerOrUndefined, type PostgresPool } from './database.js';

type Integer = string | number;

/** A tenants row as pg returns it: BIGINT columns as strings. */
interface RawTenantRow extends Omit<TenantRow, 'rpm' | 'tpm' | 'created_at' | 'updated_at'> {
  rpm: Integer | null;
  tpm: Integer | null;
  created_at: Integer;
  updated_at: Integer;
}

interface RawKeyRow extends Omit<KeyRow, 'rpm' | 'tpm' | 'expires_at' | 'created_at' | 'revoked_at' | 'previous_valid_until'> {
  rpm: Integer | null;
  tpm: Integer | null;
  expires_at: Integer | null;
  created_at: Integer;
  revoked_at: Integer | null;
  previous_valid_until: Integer | null;
}

const nullable = (value: Integer | null): number | null => integerOrUndefined(value) ?? null;

function tenantRow(raw: RawTenantRow): TenantRow {
  return { ...raw, rpm: nullable(raw.rpm), tpm: nullable(raw.tpm), created_at: integerOf(raw.created_at), updated_at: integerOf(raw.updated_at) };
}

function keyRow(raw: RawKeyRow): KeyRow {
  return {
    ...raw,
    rpm: nullable(raw.rpm),
    tpm: nullable(raw.tpm),
    expires_at: nullable(raw.expires_at),
    created_at: integerOf(raw.created_at),
    revoked_at: nullable(raw.revoked_at),
    previous_valid_until: nullable(raw.previous_valid_until),
  };
}

/** `$1, $2, …, $n` */
const placeholders = (count: number, from = 1): string => Array.from({ length: count }, (_, i) => `$${from + i}`).join(', ');

const isUniqueViolation = (error: unknown): boolean => (error as { code?: unknown } | null)?.code === '23505';

const TENANT_COUNT = TENANT_COLUMNS.split(',').length;
const KEY_COUNT = KEY_COLUMNS.split(',').length;

export class PostgresTenancyStore implements TenancyStore {
  constructor(private readonly pool: PostgresPool) {}

  async listTenants(): Promise<TenantRecord[]> {
    const { rows } = await this.pool.query<RawTenantRow>(`SELECT ${TENANT_COLUMNS} FROM tenants ORDER BY name COLLATE "C"`);
    return rows.map((row) => tenantFrom(tenantRow(row)));
  }

  async getTenant(name: string): Promise<TenantRecord | undefined> {
    const { rows } = await this.pool.query<RawTenantRow>(`SELECT ${TENANT_COLUMNS} FROM tenants WHERE name = $1`, [name]);
    const row = rows[0];
    return row && tenantFrom(tenantRow(row));
  }

  async insertTenant(tenant: TenantRecord): Promise<void> {
    try {
      await this.pool.query(`INSERT INTO tenants (${TENANT_COLUMNS}) VALUES (${placeholders(TENANT_COUNT)})`, tenantParams(tenant));
    } catch (error) {
      if (isUniqueViolation(error)) throw new TenancyConflictError(`a tenant named '${tenant.name}' already exists`);
      throw error;
    }
  }

  async upsertTenant(tenant: TenantRecord): Promise<void> {
    await this.pool.query(
      `INSERT INTO tenants (${TENANT_COLUMNS}) VALUES (${placeholders(TENANT_COUNT)})
       ON CONFLICT (name) DO UPDATE SET models = excluded.models, rpm = excluded.rpm, tpm = excluded.tpm,
         metadata = excluded.metadata, source = excluded.source, updated_at = excluded.updated_at,
         budgets = excluded.budgets, guardrails = excluded.guardrails`,
      tenantParams(tenant),
    );
  }

  async updateTenant(name: string, changes: TenantChanges, at: number): Promise<TenantRecord | undefined> {
    const set = [...assignments(changes), ['updated_at', at] as const];
    const { rows } = await this.pool.query<RawTenantRow>(
      `UPDATE tenants SET ${set.map(([column], i) => `${column} = $${i + 1}`).join(', ')} WHERE name = $${set.length + 1} RETURNING ${TENANT_COLUMNS}`,
      [...set.map(([, value]) => value), name],
    );
    const row = rows[0];
    return row && tenantFrom(tenantRow(row));
  }

  async insertKey(key: KeyRecord): Promise<void> {
    try {
      await this.pool.query(`INSERT INTO api_keys (${KEY_COLUMNS}) VALUES (${placeholders(KEY_COUNT)})`, keyParams(key));
    } catch (error) {
      if (isUniqueViolation(error)) throw new TenancyConflictError(`a key with id '${key.id}' already exists`);
      throw error;
    }
  }

  async getKey(id: string): Promise<KeyRecord | undefined> {
    const { rows } = await this.pool.query<RawKeyRow>(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE id = $1`, [id]);
    const row = rows[0];
    return row && keyFrom(keyRow(row));
  }

  async listKeys(filter: { readonly tenant?: string | undefined }): Promise<KeyRecord[]> {
    const { rows } =
      filter.tenant === undefined
        ? await this.pool.query<RawKeyRow>(`SELECT ${KEY_COLUMNS} FROM api_keys ORDER BY created_at, id COLLATE "C"`)
        : await this.pool.query<RawKeyRow>(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE tenant = $1 ORDER BY created_at, id COLLATE "C"`, [filter.tenant]);
    return rows.map((row) => keyFrom(keyRow(row)));
  }

  async hasKeys(): Promise<boolean> {
    const { rowCount } = await this.pool.query('SELECT 1 FROM api_keys LIMIT 1');
    return (rowCount ?? 0) > 0;
  }

  async updateKey(id: string, changes: KeyChanges): Promise<KeyRecord | undefined> {
    const set = assignments(changes);
    if (set.length === 0) return this.getKey(id);
    const { rows } = await this.pool.query<RawKeyRow>(
      `UPDATE api_keys SET ${set.map(([column], i) => `${column} = $${i + 1}`).join(', ')} WHERE id = $${set.length + 1} RETURNING ${KEY_COLUMNS}`,
      [...set.map(([, value]) => value), id],
    );
    const row = rows[0];
    return row && keyFrom(keyRow(row));
  }

  async revokeKey(id: string, at: number): Promise<KeyRecord | undefined> {
    // COALESCE: a second revocation keeps the first time.
    const { rows } = await this.pool.query<RawKeyRow>(`UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2 RETURNING ${KEY_COLUMNS}`, [at, id]);
    const row = rows[0];
    return row && keyFrom(keyRow(row));
  }

  async rotateKey(id: string, secret: { readonly hash: string; readonly lastFour: string }, previousValidUntil: number): Promise<KeyRecord | undefined> {
    await this.pool.query(
      'UPDATE api_keys SET previous_secret_hash = secret_hash, previous_valid_until = $1, secret_hash = $2, last_four = $3 WHERE id = $4 AND revoked_at IS NULL',
      [previousValidUntil, secret.hash, secret.lastFour, id],
    );
    // A revoked key is not rotated but still returned, as it stands.
    return this.getKey(id);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
