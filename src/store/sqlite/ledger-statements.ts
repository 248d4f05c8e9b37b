/**
 * The prepared statements of the usage ledger on one connection (prepared
 * again when the ledger reopens its file). Every insert also adds its rows to
 * the hourly rollup, in the same transaction.
 */
import type { TenantDayTotal } from '../../metering/usage-ledger.js';
import type { UsageRecord } from '../../metering/usage-record.js';
import type { SqliteDatabase, SqliteStatement } from './database.js';
import { prepareRollup, type SqliteRollup } from './usage-rollup.js';
import { COLUMNS, toParams, type InsertParams, type UsageRow } from './usage-rows.js';

export interface RowError {
  readonly record: UsageRecord;
  readonly error: unknown;
}

export interface LedgerStatements {
  /** Inserts the rows in one transaction; throws (and writes nothing) when one fails. */
  readonly insertBatch: (rows: readonly UsageRecord[]) => void;
  /** Inserts the rows in one transaction, skipping (and returning) those the database refuses on their own. */
  readonly insertEach: (rows: readonly UsageRecord[]) => RowError[];
  readonly totals: SqliteStatement<[string], TenantDayTotal>;
  readonly cost: SqliteStatement<[string], { tenant: string; costUsd: number }>;
  readonly recent: SqliteStatement<[number], UsageRow>;
  readonly rollup: SqliteRollup;
}

export function prepareStatements(db: SqliteDatabase, dayOf: (time: number) => string, isRowError: (error: unknown) => boolean): LedgerStatements {
  const insert = db.prepare<InsertParams>(`INSERT INTO usage (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`);
  const rollup = prepareRollup(db);
  return {
    insertBatch: db.transaction((rows: readonly UsageRecord[]) => {
      for (const record of rows) insert.run(...toParams(record, dayOf(record.time)));
      rollup.add(rows);
    }),
    insertEach: db.transaction((rows: readonly UsageRecord[]) => {
      const refused: RowError[] = [];
      const inserted: UsageRecord[] = [];
      for (const record of rows) {
        try {
          insert.run(...toParams(record, dayOf(record.time)));
          inserted.push(record);
        } catch (error) {
          // A failed statement is undone on its own; the transaction goes on with the next row.
          if (!isRowError(error)) throw error;
          refused.push({ record, error });
        }
      }
      rollup.add(inserted);
      return refused;
    }),
    totals: db.prepare<[string], TenantDayTotal>(
      `SELECT tenant, SUM(cost_usd) AS costUsd, SUM(prompt_tokens) AS promptTokens,
              SUM(completion_tokens) AS completionTokens, COUNT(*) AS requests
         FROM usage WHERE day = ? GROUP BY tenant ORDER BY tenant`,
    ),
    cost: db.prepare<[string], { tenant: string; costUsd: number }>('SELECT tenant, SUM(cost_usd) AS costUsd FROM usage WHERE day = ? GROUP BY tenant'),
    recent: db.prepare<[number], UsageRow>(`SELECT ${COLUMNS.join(', ')} FROM usage ORDER BY time DESC, id DESC LIMIT ?`),
    rollup,
  };
}
