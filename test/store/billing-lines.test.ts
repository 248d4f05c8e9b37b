/**
 * Billing lines read in chunks (so a month of a busy gateway does not hold
 * the event loop) add up to the lines read in one go, however the chunks
 * fall, many rows sharing one millisecond included.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UsageRecord } from '../../src/metering/usage-record.js';
import { billingLines } from '../../src/store/sqlite/billing-lines.js';
import { openSqlite, type SqliteDatabase } from '../../src/store/sqlite/database.js';
import { fileLedger, randomRows, seeded, usageRow } from '../reports/support/ledger-rows.js';

const START = Date.UTC(2026, 0, 1);
const END = Date.UTC(2026, 0, 3);
let db: SqliteDatabase;
let dispose: () => Promise<void>;
let rows: UsageRecord[];

beforeAll(async () => {
  const opened = fileLedger();
  dispose = opened.dispose;
  // 40 rows at one millisecond: a chunk cannot split them.
  rows = [...randomRows(1_000, START - 3_600_000, END + 3_600_000, seeded(3)), ...Array.from({ length: 40 }, () => usageRow({ time: START + 5_000, tenant: 'team-a' }))];
  for (const row of rows) opened.ledger.append(row);
  await opened.ledger.flush();
  db = openSqlite(opened.path);
});
afterAll(async () => {
  db.close();
  await dispose();
});

describe('billing lines in chunks', () => {
  it('add up to the lines of one pass, for every chunk size', async () => {
    const whole = await billingLines(() => db, { start: START, end: END }, 1e9);
    expect(whole.reduce((n, l) => n + l.requests, 0)).toBe(rows.filter((r) => r.time >= START && r.time < END).length);
    for (const size of [1, 7, 100, 999]) {
      const chunked = await billingLines(() => db, { start: START, end: END }, size);
      expect(chunked.map((l) => ({ ...l, costUsd: Math.round(l.costUsd * 1e9), estimated: { ...l.estimated, costUsd: Math.round(l.estimated.costUsd * 1e9) } }))).toEqual(
        whole.map((l) => ({ ...l, costUsd: Math.round(l.costUsd * 1e9), estimated: { ...l.estimated, costUsd: Math.round(l.estimated.costUsd * 1e9) } })),
      );
    }
    const oneTenant = await billingLines(() => db, { start: START, end: END, tenant: 'team-b' }, 13);
    expect(oneTenant.every((l) => l.tenant === 'team-b')).toBe(true);
    expect(oneTenant.reduce((n, l) => n + l.requests, 0)).toBe(rows.filter((r) => r.time >= START && r.time < END && r.tenant === 'team-b').length);
  });

  it('an empty range has no lines', async () => {
    expect(await billingLines(() => db, { start: END + 86_400_000, end: END + 2 * 86_400_000 })).toEqual([]);
    expect(await billingLines(() => db, { start: START, end: START })).toEqual([]);
  });
});
