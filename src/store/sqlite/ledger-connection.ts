/**
 * The usage ledger's connection to its database file, and the file's watch:
 * before each write, `ready()` checks that the path still names the open
 * file (see `ledger-file.ts`). A deleted file is written back from the open
 * connection and reopened (asynchronously: `restoring`); a replaced file
 * fails the write; a connection closed by a failed write-back is reopened.
 */
import { resolve } from 'node:path';
import type { OpenSqliteOptions, SqliteDatabase } from './database.js';
import { errorCode, fileMovedError, fileState, identityOf, LedgerStoreError, openWritable, restoreDeleted, type FileIdentity } from './ledger-file.js';
import type { LedgerStatements } from './ledger-statements.js';

export interface ConnectionHooks {
  /** The file was found deleted; its write-back starts. */
  readonly onDeleted: (error: LedgerStoreError) => void;
  /** Written back and reopened at `path` (absolute). */
  readonly onRestored: (path: string) => void;
  /** The write-back failed; retry later. */
  readonly onRestoreFailed: (error: LedgerStoreError) => void;
}

export class LedgerConnection {
  /** A deleted file being written back; resolves to the error when that failed. */
  restoring: Promise<LedgerStoreError | undefined> | undefined;
  private identity: FileIdentity | undefined;
  private statements: LedgerStatements;

  /** `path`: the file to watch and reopen; undefined for a database the ledger does not own (or `:memory:`). */
  constructor(
    private database: SqliteDatabase,
    private readonly path: string | undefined,
    private readonly openOptions: OpenSqliteOptions,
    private readonly prepare: (db: SqliteDatabase) => LedgerStatements,
    private readonly hooks: ConnectionHooks,
  ) {
    this.identity = path === undefined ? undefined : identityOf(path);
    this.statements = prepare(database);
  }

  get db(): SqliteDatabase {
    return this.database;
  }

  get sql(): LedgerStatements {
    return this.statements;
  }

  /** The file's absolute path (or the database's name). */
  where(): string {
    return this.path !== undefined ? resolve(this.path) : this.database.name;
  }

  /** `missing` or `replaced` when the watched path no longer names the open file. */
  moved(): 'missing' | 'replaced' | undefined {
    if (this.path === undefined || this.identity === undefined || !this.database.open) return undefined;
    const state = fileState(this.path, this.identity);
    return state === 'same' ? undefined : state;
  }

  /**
   * True when rows can be written to the file at the path now; false while a
   * deleted file is written back. Throws while the file is replaced or
   * cannot be reopened.
   */
  ready(): boolean {
    if (this.restoring !== undefined) return false;
    if (this.path === undefined) return true;
    if (!this.database.open) {
      this.reopen(this.path);
      return true;
    }
    const moved = this.moved();
    if (moved === undefined) return true;
    if (moved === 'replaced') throw fileMovedError(this.path, 'replaced');
    this.hooks.onDeleted(fileMovedError(this.path, 'missing'));
    this.restore(this.path);
    return false;
  }

  private restore(path: string): void {
    const where = resolve(path);
    this.restoring = restoreDeleted(this.database, path)
      .then(() => this.reopen(path))
      .then(
        () => {
          this.restoring = undefined;
          this.hooks.onRestored(where);
          return undefined;
        },
        (error: unknown) => {
          this.restoring = undefined;
          const failure = new LedgerStoreError(
            where,
            errorCode(error),
            `usage ledger ${where} was deleted while open; writing it back failed (${error instanceof Error ? error.message : String(error)})`,
            error,
          );
          this.hooks.onRestoreFailed(failure);
          return failure;
        },
      );
  }

  private reopen(path: string): void {
    this.database = openWritable(path, this.openOptions);
    this.identity = identityOf(path);
    this.statements = this.prepare(this.database);
  }
}
