/**
 * How fast the PostgreSQL ledger writes: 100 000 rows appended, then written
 * (a flush), for several statement sizes, and the same rows appended as a
 * busy gateway would (1 000 a turn of the event loop) with the background
 * writer keeping up on its own. A measurement printed for the record, not a
 * timed assertion (the server is shared); every row is checked to be stored.
 */
import type { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresUsageLedger } from '../../src/store/postgres/usage-ledger.js';
import { randomRows, seeded } from '../reports/support/ledger-rows.js';
import { createLedgerSchema, type LedgerSchema } from './support/postgres-ledger.js';

const ROWS = 100_000;
const rows = randomRows(ROWS, Date.UTC(2026, 0, 1), Date.UTC(2026, 1, 1), seeded(11));

let schema: LedgerSchema;
let pool: Pool;
beforeAll(async () => {
  schema = await createLedgerSchema();
  pool = schema.pool({ max: 2 });
});
afterAll(async () => {
  await schema.drop();
});

async function stored(): Promise<number> {
  return Number((await pool.query<{ n: string }>('SELECT COUNT(*) AS n FROM usage')).rows[0]?.n ?? -1);
}

const perSecond = (count: number, ms: number): string => `${Math.round((count / ms) * 1000).toLocaleString('en-US')} rows/s`;

describe('PostgresUsageLedger throughput', () => {
  it.each([500, 2_000, 5_000])('writes 100k queued rows in statements of %i', async (maxRowsPerStatement) => {
    await schema.truncate();
    const ledger = PostgresUsageLedger.open(pool, { location: 'test', flushIntervalMs: 60_000, batchSize: ROWS, maxBufferedRows: ROWS, maxRowsPerStatement });
    const appendStart = performance.now();
    for (const row of rows) ledger.append(row);
    const appendMs = performance.now() - appendStart;
    const start = performance.now();
    await ledger.flush();
    const ms = performance.now() - start;
    await ledger.close();
    expect(await stored()).toBe(ROWS);
    expect(ledger.stats()).toMatchObject({ written: ROWS, dropped: 0, transactions: Math.ceil(ROWS / maxRowsPerStatement) });
    console.log(`postgres ledger, statements of ${maxRowsPerStatement}: ${perSecond(ROWS, ms)} (${ms.toFixed(0)} ms); append ${((appendMs * 1000) / ROWS).toFixed(2)} µs a row`);
  }, 120_000);

  it('keeps up with rows appended 1 000 a turn, writing in the background', async () => {
    await schema.truncate();
    const ledger = PostgresUsageLedger.open(pool, { location: 'test' });
    const start = performance.now();
    for (let i = 0; i < ROWS; i += 1_000) {
      for (let j = i; j < i + 1_000; j++) ledger.append(rows[j]!);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const appended = performance.now() - start;
    const maxPending = ledger.pending();
    while (ledger.pending() > 0) await new Promise<void>((resolve) => setTimeout(resolve, 1));
    const ms = performance.now() - start;
    await ledger.close();
    expect(await stored()).toBe(ROWS);
    console.log(
      `postgres ledger, background: ${perSecond(ROWS, ms)} (${ms.toFixed(0)} ms, appends done at ${appended.toFixed(0)} ms with ${maxPending} waiting); ` +
        `${ledger.stats().transactions} statements, ${(ROWS / ledger.stats().transactions).toFixed(0)} rows each on average`,
    );
  }, 120_000);
});
