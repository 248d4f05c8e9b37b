/**
 * The usage ledger's database file: opened and proven writable before the
 * gateway serves (a real write in a transaction that is rolled back), and
 * watched while it runs.
 *
 * SQLite keeps writing to a file deleted while it is open: the rows go to an
 * inode no path names and vanish when the process exits. The ledger compares
 * the identity (device and inode) of its path with the file it opened before
 * each write. A deleted file is written back from the open connection (an
 * online backup, page by page between turns of the event loop) and reopened,
 * so no row is lost; a file replaced by another one is a write failure until
 * the original returns or the gateway restarts (the replacement is never
 * touched: joining the old write-ahead log to another database corrupts it).
 */
import { mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { MEMORY_PATH, openSqlite, type OpenSqliteOptions, type SqliteDatabase } from './database.js';

/** The store cannot be opened or written; the message names the path and what to do. */
export class LedgerStoreError extends Error {
  readonly code: string;
  readonly path: string;
  constructor(path: string, code: string, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'LedgerStoreError';
    this.code = code;
    this.path = path;
  }
}

/** The SQLite or system error code of a failure (`SQLITE_READONLY`, `EACCES`, …). */
export function errorCode(error: unknown): string {
  if (error instanceof LedgerStoreError) return error.code;
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') return error.code;
  return error instanceof Error ? error.name : 'unknown';
}

function detail(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return `${errorCode(error)}: ${message}`;
}

export function isFilePath(path: string): boolean {
  return path !== MEMORY_PATH && path !== '';
}

/**
 * Opens and migrates the database at `path`, then proves that it can be
 * written; throws a LedgerStoreError naming the path otherwise.
 */
export function openWritable(path: string, options: OpenSqliteOptions = {}): SqliteDatabase {
  const where = isFilePath(path) ? resolve(path) : path;
  let db: SqliteDatabase;
  try {
    db = openSqlite(path, options);
  } catch (error) {
    throw new LedgerStoreError(
      where,
      errorCode(error),
      `usage ledger ${where} cannot be opened (${detail(error)}): make its directory exist and be writable by the gateway's user, or set store.path`,
      error,
    );
  }
  try {
    probeWrite(db);
  } catch (error) {
    db.close();
    throw new LedgerStoreError(
      where,
      errorCode(error),
      `usage ledger ${where} is not writable (${detail(error)}): fix the permissions of the file and its directory (or free disk space), or set store.path`,
      error,
    );
  }
  return db;
}

/**
 * A real write, rolled back: takes the write lock and inserts a row. A file
 * SQLite could open only for reading, or whose directory refuses the journal,
 * fails here. Another process holding the lock (SQLITE_BUSY) proves nothing
 * either way and passes: the rows wait for the lock like any other write.
 */
export function probeWrite(db: SqliteDatabase): void {
  try {
    db.exec('BEGIN IMMEDIATE');
    db.exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (-1, 'write probe', '')");
  } catch (error) {
    if (errorCode(error) !== 'SQLITE_BUSY') throw error;
  } finally {
    if (db.inTransaction) db.exec('ROLLBACK');
  }
}

export interface FileIdentity {
  readonly dev: number;
  readonly ino: number;
}

export function identityOf(path: string): FileIdentity | undefined {
  const stats = statSync(path, { throwIfNoEntry: false });
  return stats === undefined ? undefined : { dev: stats.dev, ino: stats.ino };
}

/** Whether `path` still names the file that was opened: `same`, `missing` (deleted) or `replaced`. */
export function fileState(path: string, opened: FileIdentity): 'same' | 'missing' | 'replaced' {
  const now = statSync(path, { throwIfNoEntry: false });
  if (now === undefined) return 'missing';
  return now.ino === opened.ino && now.dev === opened.dev ? 'same' : 'replaced';
}

/**
 * Writes the open database, whose file was deleted, back to `path` and
 * closes it; the caller reopens `path`. Every page is copied through the
 * open connection (its write-ahead log included), so nothing written before
 * the deletion is lost. On failure the connection stays open and usable.
 */
export async function restoreDeleted(db: SqliteDatabase, path: string): Promise<void> {
  const temp = `${path}.restoring`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    rmSync(temp, { force: true });
    await db.backup(temp);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  // The old connection no longer owns its path: closing it neither checkpoints
  // nor removes its write-ahead log, which must not meet the restored file.
  db.close();
  rmSync(`${path}-wal`, { force: true });
  rmSync(`${path}-shm`, { force: true });
  renameSync(temp, path);
}

/** A write failure of a file that no longer is the one the ledger opened. */
export function fileMovedError(path: string, state: 'missing' | 'replaced'): LedgerStoreError {
  const where = resolve(path);
  return state === 'missing'
    ? new LedgerStoreError(where, 'FILE_DELETED', `usage ledger ${where} was deleted while open and could not be written back yet`)
    : new LedgerStoreError(
        where,
        'FILE_REPLACED',
        `usage ledger ${where} was replaced by another file while open: rows are kept in memory; move the original file back, or restart the gateway to use the new one`,
      );
}
