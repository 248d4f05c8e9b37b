/**
 * The embedded store reads its rollup a day at a time and lets the event loop
 * run between days (better-sqlite3 answers on it: one statement over a month
 * held every proxied call up to ~175 ms), and the days add up to what the rows
 * hold, whatever the grouping.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UsageRecord } from '../../src/metering/usage-record.js';
import type { UsageLedger } from '../../src/metering/usage-ledger.js';
import { openSqlite, type SqliteDatabase } from '../../src/store/sqlite/database.js';
import { usageReport } from '../../src/store/sqlite/usage-report.js';
import { prepareRollup, readTimeseries } from '../../src/store/sqlite/usage-rollup.js';
import { fileLedger, randomRows, seeded } from '../reports/support/ledger-rows.js';

const DAY = 86_400_000;
const START = Date.UTC(2026, 10, 1);
const DAYS = 12;
let ledger: UsageLedger;
let dispose: () => Promise<void>;
let path: string;
let rows: UsageRecord[];

beforeAll(async () => {
  const opened = fileLedger();
  ledger = opened.ledger;
  dispose = opened.dispose;
  path = opened.path;
  rows = randomRows(3_000, START, START + DAYS * DAY, seeded(21));
  for (const row of rows) ledger.append(row);
  await ledger.flush();
});
afterAll(async () => {
  await dispose();
});

/** How many turns of the event loop pass while `read` runs. */
async function turnsDuring(read: () => Promise<unknown>): Promise<number> {
  let done = false;
  let turns = 0;
  const counting = (async () => {
    while (!done) {
      turns++;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  })();
  await read();
  done = true;
  await counting;
  return turns;
}

describe('rollup reads on SQLite', () => {
  it('give the event loop a turn between the days of a time series', async () => {
    const turns = await turnsDuring(() => ledger.timeseries({ bucket: 'day', start: START, end: START + DAYS * DAY, groupBy: 'model' }));
    expect(turns).toBeGreaterThanOrEqual(DAYS - 1);
  });

  it('give the event loop a turn between the days of a usage report, and add the days up exactly', async () => {
    const from = new Date(START).toISOString().slice(0, 10);
    const to = new Date(START + (DAYS - 1) * DAY).toISOString().slice(0, 10);
    let report: Awaited<ReturnType<UsageLedger['usage']>> = [];
    const turns = await turnsDuring(async () => {
      report = await ledger.usage({ groupBy: ['tenant', 'key'], fromDay: from, toDay: to });
    });
    expect(turns).toBeGreaterThanOrEqual(DAYS - 1);
    for (const group of report) {
      const mine = rows.filter((r) => r.tenant === group.tenant && r.keyId === group.keyId);
      expect(group.requests).toBe(mine.length);
      expect(group.promptTokens).toBe(mine.reduce((n, r) => n + r.promptTokens, 0));
      expect(group.costUsd).toBeCloseTo(
        mine.reduce((n, r) => n + r.costUsd, 0),
        9,
      );
    }
    expect(report.reduce((n, g) => n + g.requests, 0)).toBe(rows.length);
    // Without bounds, every day the rollup holds.
    const all = await ledger.usage({ groupBy: [] });
    expect(all).toHaveLength(1);
    expect(all[0]!.requests).toBe(rows.length);
  });

  it('ask for the connection anew each day, so a file the ledger reopened meanwhile is read from its new connection', async () => {
    /** The ledger's connection, replaced by a new one (the old one closed) at the first turn of the event loop, as when the ledger reopens its file. */
    const reopening = (): { readonly database: () => SqliteDatabase; readonly close: () => void } => {
      const first = openSqlite(path);
      const second = openSqlite(path);
      let current = first;
      setImmediate(() => {
        first.close();
        current = second;
      });
      return { database: () => current, close: () => second.close() };
    };
    // Each made just before its read, so the swap falls between the read's first day and its second.
    const forSeries = reopening();
    try {
      const series = await readTimeseries(() => prepareRollup(forSeries.database()), { bucket: 'day', start: START, end: START + DAYS * DAY });
      expect(series.total.requests).toBe(rows.length);
    } finally {
      forSeries.close();
    }
    const forReport = reopening();
    try {
      const report = await usageReport(forReport.database, { groupBy: ['tenant'] });
      expect(report.reduce((n, g) => n + g.requests, 0)).toBe(rows.length);
    } finally {
      forReport.close();
    }
  });
});
