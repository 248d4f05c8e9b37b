/**
 * Opening the embedded SQLite store: WAL journal (readers never block the
 * writer, and a reporting command can read while the gateway writes),
 * `synchronous=NORMAL` (durable across process crashes; a power loss can lose
 * the last transactions, never corrupt the file), and the schema migrated to
 * this release's version.
 *
 * better-sqlite3 is synchronous: a statement runs on the event loop. The
 * busy timeout is therefore short (a writer waiting for another process's lock
 * blocks every request meanwhile); a write that times out fails and is retried
 * later by its caller.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS, type Migration } from './migrations.js';

export type SqliteDatabase = Database.Database;
export type SqliteStatement<Params extends unknown[], Row> = Database.Statement<Params, Row>;

export const MEMORY_PATH = ':memory:';
export const DEFAULT_BUSY_TIMEOUT_MS = 100;

export interface OpenSqliteOptions {
  /** How long a statement waits for another connection's lock before failing with SQLITE_BUSY. */
  readonly busyTimeoutMs?: number;
  /** Defaults to this release's schema. */
  readonly migrations?: readonly Migration[];
  /** Told the versions the open applied (empty: the file was up to date). */
  readonly onMigrated?: (applied: readonly number[]) => void;
}

/** Opens (creating it and its directory if needed) and migrates the database at `path`; `:memory:` for tests. */
export function openSqlite(path: string, options: OpenSqliteOptions = {}): SqliteDatabase {
  if (path !== MEMORY_PATH && path !== '') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { timeout: options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS });
  try {
    // An in-memory database has no journal file and reports `memory`.
    if (path !== MEMORY_PATH && path !== '') db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    const applied = migrate(db, options.migrations ?? MIGRATIONS);
    options.onMigrated?.(applied);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** `wal`, `delete`, `memory`, … */
export function journalMode(db: SqliteDatabase): string {
  return String(db.pragma('journal_mode', { simple: true }));
}

/** Applies the migrations this database lacks; returns the versions applied now. */
export function migrate(db: SqliteDatabase, migrations: readonly Migration[]): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL
  )`);
  const latest = migrations.reduce((max, m) => Math.max(max, m.version), 0);
  const appliedStatement = db.prepare<[], number>('SELECT version FROM schema_migrations ORDER BY version').pluck();
  const newest = appliedStatement.all().at(-1) ?? 0;
  if (newest > latest) {
    throw new Error(`the database schema is at version ${newest}, newer than this release knows (${latest}): upgrade Tollgate or use another store path`);
  }
  const record = db.prepare<[number, string, string]>('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  const appliedNow: number[] = [];
  const ordered = [...migrations].sort((a, b) => a.version - b.version);
  // IMMEDIATE takes the write lock first, so two processes starting on a new
  // file cannot both apply a migration: the second re-reads and skips it.
  const apply = db.transaction((migration: Migration) => {
    if (new Set(appliedStatement.all()).has(migration.version)) return;
    db.exec(migration.sql);
    record.run(migration.version, migration.name, new Date().toISOString());
    appliedNow.push(migration.version);
  });
  const before = new Set(appliedStatement.all());
  for (const migration of ordered) {
    if (!before.has(migration.version)) apply.immediate(migration);
  }
  return appliedNow;
}
