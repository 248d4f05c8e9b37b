/**
 * One step of the PostgreSQL schema. The list of steps (migrations.ts) is
 * append-only: a release adds a step and never edits a shipped one, and a
 * database records the versions it has applied.
 */
export interface PostgresMigration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}
