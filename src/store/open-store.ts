/**
 * The store a process uses, chosen by `store.kind`: what the gateway and the
 * CLI open through it (tenants and keys, the notification outbox, the usage
 * ledger), without knowing which kind it is.
 *
 * - `sqlite`: nothing is opened up front; each part opens the file itself
 *   when asked (as the gateway always did: a part that fails names the path).
 * - `postgres`: one pool, opened and migrated by `openStore` (safe when
 *   several replicas start at once), shared by every part. The parts never
 *   close it: `Store.close` does, after them.
 */
import { resolve as resolvePath } from 'node:path';
import type { PostgresStoreConfig, StoreConfig } from '../config/types.js';
import { storeLocation } from '../config/store-schema.js';
import { postgresStoreFailure, storeFailure } from '../errors/index.js';
import type { UsageLedger } from '../metering/usage-ledger.js';
import type { NotificationStore } from '../notifications/store.js';
import type { TenancyStore } from '../tenancy/records.js';
import { migrate, openPostgresPool, pingPostgres, type PostgresPool } from './postgres/database.js';
import { POSTGRES_SCHEMA_VERSION } from './postgres/migrations.js';
import { PostgresNotificationStore } from './postgres/notification-store.js';
import { PostgresTenancyStore } from './postgres/tenancy-store.js';
import { PostgresUsageLedger } from './postgres/usage-ledger.js';
import { MEMORY_PATH, openSqlite } from './sqlite/database.js';
import { MIGRATIONS } from './sqlite/migrations.js';
import { SqliteNotificationStore } from './sqlite/notification-store.js';
import { SqliteTenancyStore } from './sqlite/tenancy-store.js';
import { SqliteUsageLedger } from './sqlite/usage-ledger.js';
import type { LedgerEvents } from './usage-ledger.js';

/** What every kind's usage ledger is opened with. */
export interface LedgerOpenOptions extends LedgerEvents {
  /** Rows kept in memory while the store cannot be written. */
  readonly maxBufferedRows?: number;
}

export interface PostgresLedgerOptions extends LedgerOpenOptions {
  /** The database, for messages: the URL with its password masked. */
  readonly location: string;
}

/** Opens the PostgreSQL usage ledger on the store's pool (which it must not close). */
export type PostgresLedgerFactory = (pool: PostgresPool, options: PostgresLedgerOptions) => UsageLedger;

export interface OpenStoreOptions {
  /** The PostgreSQL usage ledger (store/postgres/usage-ledger.ts); without it, `openLedger` of a postgres store throws. */
  readonly postgresLedger?: PostgresLedgerFactory;
  /** An idle PostgreSQL connection failed (the pool replaces it): log it. Must not throw. */
  readonly onConnectionError?: (error: Error) => void;
}

export interface Store {
  readonly kind: StoreConfig['kind'];
  /** For messages: the file path, or the URL with its password masked. */
  readonly location: string;
  /** Throws a StartupError, naming the store, when it cannot be opened. */
  openTenancy(): TenancyStore;
  openNotifications(): NotificationStore;
  /** Throws a StartupError, naming the store, when it cannot be opened or written. */
  openLedger(options: LedgerOpenOptions): UsageLedger;
  /** Readiness of the database itself (the ledger has its own check): rejects saying why. */
  check(signal: AbortSignal): Promise<void>;
  /** Releases what the parts share (the pool); close the parts first. */
  close(): Promise<void>;
}

/** /readyz allows 2 s for all its checks; the ping answers well within. */
const PING_TIMEOUT_MS = 1_500;

/** Opens the configured store; for PostgreSQL, connects and migrates it (a StartupError when it cannot). */
export async function openStore(config: StoreConfig, options: OpenStoreOptions = {}): Promise<Store> {
  return config.kind === 'sqlite' ? sqliteStore(config.path) : await postgresStore(config, options);
}

function sqliteStore(path: string): Store {
  const where = path === MEMORY_PATH ? path : resolvePath(path);
  const named = <T>(open: () => T): T => {
    try {
      return open();
    } catch (error) {
      throw storeFailure(where, error);
    }
  };
  return {
    kind: 'sqlite',
    location: path,
    openTenancy: () => named(() => SqliteTenancyStore.open(path)),
    openNotifications: () => SqliteNotificationStore.open(path),
    openLedger: (options) => named(() => SqliteUsageLedger.open(path, options)),
    check: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}

async function postgresStore(config: PostgresStoreConfig, options: OpenStoreOptions): Promise<Store> {
  const location = storeLocation(config);
  const pool = openPostgresPool(config, { onIdleError: options.onConnectionError });
  try {
    await migrate(pool);
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw postgresStoreFailure(location, error);
  }
  let ended: Promise<void> | undefined;
  return {
    kind: 'postgres',
    location,
    openTenancy: () => new PostgresTenancyStore(pool),
    openNotifications: () => new PostgresNotificationStore(pool),
    openLedger: (ledgerOptions) => {
      const open = options.postgresLedger ?? ((shared, ledger) => PostgresUsageLedger.open(shared, ledger));
      return open(pool, { ...ledgerOptions, location });
    },
    check: (signal) => pingPostgres(pool, PING_TIMEOUT_MS, signal),
    close: () => (ended ??= pool.end()),
  };
}

export interface MigrationResult {
  readonly location: string;
  /** Versions applied now, in order; empty when the store was up to date. */
  readonly applied: readonly number[];
  /** The schema version the store is at now. */
  readonly version: number;
}

/** `tollgate migrate`: brings the configured store to this release's schema. */
export async function migrateStore(config: StoreConfig): Promise<MigrationResult> {
  if (config.kind === 'sqlite') {
    const version = MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0);
    try {
      let applied: readonly number[] = [];
      openSqlite(config.path, { onMigrated: (versions) => (applied = versions) }).close();
      return { location: config.path, applied, version };
    } catch (error) {
      throw storeFailure(config.path === MEMORY_PATH ? config.path : resolvePath(config.path), error);
    }
  }
  const location = storeLocation(config);
  const pool = openPostgresPool(config);
  try {
    return { location, applied: await migrate(pool), version: POSTGRES_SCHEMA_VERSION };
  } catch (error) {
    throw postgresStoreFailure(location, error);
  } finally {
    await pool.end().catch(() => undefined);
  }
}
