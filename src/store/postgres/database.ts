/**
 * Opening the PostgreSQL store: one `pg` pool per process, shared by its
 * stores, and the schema migrated to this release's version.
 *
 * Several replicas may start at once on a new database: the migrations run
 * in one transaction that first takes a transaction-scoped advisory lock, so
 * the others wait, then find the steps recorded and apply nothing.
 *
 * `pg` returns BIGINT (our epoch-ms columns, COUNT) as strings so as not to
 * lose precision; the stores convert them with `integerOf`, which refuses a
 * value past Number.MAX_SAFE_INTEGER instead of rounding it.
 */
import pg from 'pg';
import type { PostgresStoreConfig } from '../../config/types.js';
import type { PostgresMigration } from './migration.js';
import { POSTGRES_MIGRATIONS } from './migrations.js';

export type PostgresPool = pg.Pool;

/** `pg_advisory_xact_lock` key of the migrations: any constant, the same in every release ("tollgate" in ASCII). */
export const MIGRATION_LOCK_KEY = '8390876526716445541';
/** How long a replica waits for another one's migrations before giving up. */
const MIGRATION_LOCK_TIMEOUT = '120s';
const IDLE_TIMEOUT_MS = 30_000;

export interface OpenPostgresOptions {
  /** An idle connection failed (the server restarted, the network dropped it); the pool replaces it. Must not throw. */
  readonly onIdleError?: (error: Error) => void;
}

/** A pool for the store; no connection is made until the first query. */
export function openPostgresPool(config: PostgresStoreConfig, options: OpenPostgresOptions = {}): PostgresPool {
  const pool = new pg.Pool({
    connectionString: config.url,
    max: config.poolSize,
    // A parameter given in the URL wins over these (pg merges the URL's over the options).
    application_name: 'tollgate',
    statement_timeout: config.statementTimeoutMs,
    connectionTimeoutMillis: config.connectTimeoutMs,
    idleTimeoutMillis: IDLE_TIMEOUT_MS,
    keepAlive: true,
  });
  // Without a listener, an idle connection's error would be thrown as an uncaught exception.
  pool.on('error', (error) => options.onIdleError?.(error));
  return pool;
}

/** A BIGINT (or COUNT) value as a number; pg hands them over as strings. */
export function integerOf(value: string | number): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`expected an integer within ±2^53 from the database, got ${String(value)}`);
  return n;
}

export function integerOrUndefined(value: string | number | null): number | undefined {
  return value === null ? undefined : integerOf(value);
}

/**
 * Applies the migrations this database lacks, in order, in one transaction
 * under the advisory lock; returns the versions applied now (empty: up to
 * date). Refuses a database that a newer release has migrated.
 */
export async function migrate(pool: PostgresPool, migrations: readonly PostgresMigration[] = POSTGRES_MIGRATIONS): Promise<number[]> {
  const latest = migrations.reduce((max, m) => Math.max(max, m.version), 0);
  const ordered = [...migrations].sort((a, b) => a.version - b.version);
  const client = await pool.connect();
  let failed: unknown;
  try {
    await client.query('BEGIN');
    // A step (an index on a large table) may take longer than a request's statement; a lock held too long is an error.
    await client.query(`SET LOCAL statement_timeout = 0; SET LOCAL lock_timeout = '${MIGRATION_LOCK_TIMEOUT}'`);
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    // Under the lock: two replicas creating this table at once would collide on the catalog.
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version    INTEGER PRIMARY KEY,
      name       TEXT NOT NULL,
      applied_at TEXT NOT NULL
    )`);
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    const done = new Set(rows.map((r) => r.version));
    const newest = rows.at(-1)?.version ?? 0;
    if (newest > latest) {
      throw new Error(`the database schema is at version ${newest}, newer than this release knows (${latest}): upgrade Tollgate or use another database`);
    }
    const applied: number[] = [];
    for (const migration of ordered) {
      if (done.has(migration.version)) continue;
      await client.query(migration.sql);
      await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [migration.version, migration.name, new Date().toISOString()]);
      applied.push(migration.version);
    }
    await client.query('COMMIT');
    return applied;
  } catch (error) {
    failed = error;
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    // A connection whose rollback may have failed is not given back to the pool.
    client.release(failed instanceof Error ? failed : undefined);
  }
}

/**
 * Readiness: resolves when the database answers `SELECT 1` within
 * `timeoutMs`; rejects with `postgres unreachable: <reason>` otherwise.
 */
export async function pingPostgres(pool: PostgresPool, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const deadline = AbortSignal.timeout(timeoutMs);
  const stop = signal === undefined ? deadline : AbortSignal.any([signal, deadline]);
  const query = pool.query('SELECT 1');
  // The query runs on after a timeout; its late failure must not become an unhandled rejection.
  query.catch(() => undefined);
  try {
    await new Promise<void>((resolve, reject) => {
      if (stop.aborted) {
        reject(new Error(`no answer within ${timeoutMs} ms`));
        return;
      }
      const onAbort = (): void => reject(new Error(`no answer within ${timeoutMs} ms`));
      stop.addEventListener('abort', onAbort, { once: true });
      query.then(
        () => {
          stop.removeEventListener('abort', onAbort);
          resolve();
        },
        (error: unknown) => {
          stop.removeEventListener('abort', onAbort);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  } catch (error) {
    const reason = error instanceof Error && error.message !== '' ? error.message : String((error as { code?: unknown }).code ?? error);
    throw new Error(`postgres unreachable: ${reason}`, { cause: error });
  }
}
