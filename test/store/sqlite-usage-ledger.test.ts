import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { UsageRecord } from '../../src/metering/usage-record.js';
import { journalMode, openSqlite, type SqliteDatabase } from '../../src/store/sqlite/database.js';
import { SqliteUsageLedger } from '../../src/store/sqlite/usage-ledger.js';
import type { LedgerDropEvent } from '../../src/store/usage-ledger.js';

const T0 = Date.UTC(2025, 2, 1, 12, 0, 0);

function record(overrides: Partial<UsageRecord> = {}): UsageRecord {
  return {
    time: T0,
    requestId: 'req',
    tenant: 'acme',
    keyId: null,
    routeModel: 'gpt-oss:20b',
    requestedModel: 'gpt-oss:20b',
    provider: 'local',
    upstreamModel: 'gpt-oss:20b',
    promptTokens: 100,
    completionTokens: 20,
    cachedTokens: 0,
    reasoningTokens: 0,
    costUsd: 0.01,
    estimated: false,
    status: 'ok',
    httpStatus: 200,
    latencyMs: 500,
    ttftMs: 80,
    ...overrides,
  };
}

let dir: string;
const cleanups: (() => Promise<void> | void)[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tollgate-ledger-'));
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  rmSync(dir, { recursive: true, force: true });
});

/** A ledger on a file in the temp dir, closed after the test. */
function fileLedger(options: ConstructorParameters<typeof SqliteUsageLedger>[1] & { busyTimeoutMs?: number } = {}) {
  const path = join(dir, 'usage.sqlite');
  const ledger = SqliteUsageLedger.open(path, { flushIntervalMs: 60_000, ...options });
  cleanups.push(() => ledger.close().catch(() => undefined));
  return { ledger, path };
}

/** Another connection to the same file, as another process would have. */
function connect(path: string): SqliteDatabase {
  const db = new Database(path, { timeout: 1_000 });
  cleanups.push(() => {
    if (db.inTransaction) db.exec('ROLLBACK');
    db.close();
  });
  return db;
}

function rowCount(db: SqliteDatabase): number {
  return db.prepare<[], number>('SELECT COUNT(*) FROM usage').pluck().get() ?? -1;
}

describe('SqliteUsageLedger writes', () => {
  it('does no I/O on append: rows appear only after a flush', async () => {
    const { ledger, path } = fileLedger();
    const reader = connect(path);
    for (let i = 0; i < 1_000; i++) ledger.append(record({ requestId: `r${i}` }));
    expect(rowCount(reader)).toBe(0);
    expect(ledger.stats().buffered).toBe(1_000);
    await ledger.flush();
    expect(rowCount(reader)).toBe(1_000);
    expect(ledger.stats()).toMatchObject({ buffered: 0, written: 1_000, transactions: 1 });
  });

  it('keeps accepting appends while another process holds the write lock', () => {
    const { ledger, path } = fileLedger({ busyTimeoutMs: 5 });
    const blocker = connect(path);
    blocker.exec('BEGIN IMMEDIATE');
    const started = performance.now();
    for (let i = 0; i < 10_000; i++) ledger.append(record({ requestId: `r${i}` }));
    // 10k appends with the database locked: no waiting on the lock (5 ms each would be 50 s).
    expect(performance.now() - started).toBeLessThan(500);
    expect(ledger.stats().buffered).toBe(10_000);
  });

  it('flushes on its timer', async () => {
    const { ledger, path } = fileLedger({ flushIntervalMs: 25 });
    const reader = connect(path);
    ledger.append(record({ requestId: 'a' }));
    ledger.append(record({ requestId: 'b' }));
    expect(rowCount(reader)).toBe(0);
    await vi.waitFor(() => expect(rowCount(reader)).toBe(2), { timeout: 2_000, interval: 10 });
    expect(ledger.stats().transactions).toBe(1);
  });

  it('flushes early, on the next turn of the event loop, once a batch is full', async () => {
    const { ledger, path } = fileLedger({ batchSize: 100 });
    const reader = connect(path);
    for (let i = 0; i < 100; i++) ledger.append(record({ requestId: `r${i}` }));
    expect(rowCount(reader)).toBe(0);
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(rowCount(reader)).toBe(100);
  });

  it('writes a long queue in transactions of at most maxRowsPerTransaction rows', async () => {
    const { ledger, path } = fileLedger({ batchSize: 10_000, maxRowsPerTransaction: 500 });
    for (let i = 0; i < 1_200; i++) ledger.append(record({ requestId: `r${i}` }));
    await ledger.flush();
    expect(rowCount(connect(path))).toBe(1_200);
    expect(ledger.stats()).toMatchObject({ written: 1_200, transactions: 3 });
  });

  it('writes each batch in one transaction: a batch that fails midway leaves no row behind', async () => {
    const db = openSqlite(':memory:');
    const ledger = new SqliteUsageLedger(db, { flushIntervalMs: 60_000, batchSize: 100_000, ownsDatabase: true });
    cleanups.push(() => ledger.close().catch(() => undefined));
    // Room for a few pages only: the disk is "full" long before 2000 rows are in.
    const pages = Number(db.pragma('page_count', { simple: true }));
    db.pragma(`max_page_count = ${pages + 3}`);
    for (let i = 0; i < 2_000; i++) ledger.append(record({ requestId: `r${i}`, routeModel: 'x'.repeat(100) }));
    await expect(ledger.flush()).rejects.toMatchObject({ code: 'SQLITE_FULL' });
    expect(rowCount(db)).toBe(0);
    expect(ledger.stats()).toMatchObject({ buffered: 2_000, written: 0, failedFlushes: 1 });
    db.pragma('max_page_count = 1073741823');
    await ledger.flush();
    expect(rowCount(db)).toBe(2_000);
    expect(ledger.stats()).toMatchObject({ buffered: 0, written: 2_000, transactions: 1 });
  });

  it('keeps rows when a write fails and retries in the background', async () => {
    const errors: unknown[] = [];
    const { ledger, path } = fileLedger({
      flushIntervalMs: 10,
      retryDelayMs: 20,
      busyTimeoutMs: 5,
      onError: (error, pending) => errors.push({ error, pending }),
    });
    const blocker = connect(path);
    blocker.exec('BEGIN IMMEDIATE');
    for (let i = 0; i < 10; i++) ledger.append(record({ requestId: `r${i}` }));
    await vi.waitFor(() => expect(errors.length).toBeGreaterThan(0), { timeout: 2_000, interval: 5 });
    expect(errors[0]).toMatchObject({ error: { code: 'SQLITE_BUSY' }, pending: 10 });
    expect(ledger.stats().buffered).toBe(10);
    blocker.exec('COMMIT');
    const reader = connect(path);
    await vi.waitFor(() => expect(rowCount(reader)).toBe(10), { timeout: 5_000, interval: 10 });
    expect(ledger.stats()).toMatchObject({ buffered: 0, written: 10, dropped: 0 });
    expect(ledger.stats().failedFlushes).toBeGreaterThanOrEqual(1);
  });

  it('drops the oldest rows beyond maxBufferedRows and reports them once per write attempt', async () => {
    const drops: LedgerDropEvent[] = [];
    const { ledger, path } = fileLedger({ maxBufferedRows: 5, busyTimeoutMs: 5, onDrop: (event) => drops.push(event) });
    const blocker = connect(path);
    blocker.exec('BEGIN IMMEDIATE');
    for (let i = 0; i < 8; i++) ledger.append(record({ requestId: `r${i}` }));
    expect(ledger.stats()).toMatchObject({ buffered: 5, dropped: 3 });
    await expect(ledger.flush()).rejects.toMatchObject({ code: 'SQLITE_BUSY' });
    expect(drops).toEqual([{ reason: 'overflow', count: 3, total: 3 }]);
    blocker.exec('COMMIT');
    await ledger.flush();
    const ids = connect(path).prepare<[], string>('SELECT request_id FROM usage ORDER BY id').pluck().all();
    expect(ids).toEqual(['r3', 'r4', 'r5', 'r6', 'r7']);
    expect(drops).toHaveLength(1);
  });

  it('writes around a row the database refuses instead of blocking every later batch', async () => {
    const drops: LedgerDropEvent[] = [];
    const db = openSqlite(':memory:');
    const ledger = new SqliteUsageLedger(db, { onDrop: (event) => drops.push(event), ownsDatabase: true });
    cleanups.push(() => ledger.close().catch(() => undefined));
    db.exec(`CREATE TRIGGER poison BEFORE INSERT ON usage WHEN NEW.request_id = 'poison' BEGIN SELECT RAISE(ABORT, 'refused'); END`);
    ledger.append(record({ requestId: 'a' }));
    ledger.append(record({ requestId: 'poison' }));
    ledger.append(record({ requestId: 'b' }));
    await ledger.flush();
    expect(db.prepare<[], string>('SELECT request_id FROM usage ORDER BY id').pluck().all()).toEqual(['a', 'b']);
    expect(drops).toHaveLength(1);
    expect(drops[0]).toMatchObject({ reason: 'rejected', count: 1, total: 1, error: { code: 'SQLITE_CONSTRAINT_TRIGGER' } });
    expect(ledger.stats()).toMatchObject({ written: 2, rejected: 1, dropped: 1, buffered: 0 });
  });
});

describe('SqliteUsageLedger close', () => {
  it('writes everything queued on close', async () => {
    const path = join(dir, 'close.sqlite');
    const ledger = SqliteUsageLedger.open(path, { flushIntervalMs: 60_000, maxRowsPerTransaction: 300 });
    for (let i = 0; i < 700; i++) ledger.append(record({ requestId: `r${i}` }));
    await ledger.close();
    await ledger.close(); // idempotent
    const reopened = connect(path);
    expect(rowCount(reopened)).toBe(700);
  });

  it('drops and reports appends after close', async () => {
    const drops: LedgerDropEvent[] = [];
    const ledger = SqliteUsageLedger.open(':memory:', { onDrop: (event) => drops.push(event) });
    await ledger.close();
    ledger.append(record());
    expect(drops).toEqual([{ reason: 'closed', count: 1, total: 1 }]);
    await expect(ledger.check()).rejects.toThrow();
  });

  it('rejects, naming the unwritten rows, when the store refuses the final write', async () => {
    const drops: LedgerDropEvent[] = [];
    const { ledger, path } = fileLedger({ busyTimeoutMs: 5, onDrop: (event) => drops.push(event) });
    const blocker = connect(path);
    blocker.exec('BEGIN IMMEDIATE');
    ledger.append(record({ requestId: 'lost' }));
    await expect(ledger.close()).rejects.toThrow('usage ledger closed with 1 record(s) unwritten');
    expect(drops).toHaveLength(1);
    expect(drops[0]).toMatchObject({ reason: 'closed', count: 1, total: 1, error: { code: 'SQLITE_BUSY' } });
  });
});

describe('SqliteUsageLedger reads', () => {
  it('totals a UTC day per tenant, exactly at the midnight boundary, including queued rows', async () => {
    const ledger = SqliteUsageLedger.open(':memory:', { flushIntervalMs: 60_000 });
    cleanups.push(() => ledger.close());
    const lastMs = Date.UTC(2025, 2, 1, 23, 59, 59, 999);
    const midnight = Date.UTC(2025, 2, 2, 0, 0, 0, 0);
    ledger.append(record({ time: Date.UTC(2025, 2, 1, 0, 0, 0, 0), tenant: 'acme', costUsd: 1, promptTokens: 10, completionTokens: 1 }));
    ledger.append(record({ time: lastMs, tenant: 'acme', costUsd: 2, promptTokens: 20, completionTokens: 2 }));
    ledger.append(record({ time: lastMs, tenant: 'beta', costUsd: 0.5, promptTokens: 5, completionTokens: 5 }));
    ledger.append(record({ time: midnight, tenant: 'acme', costUsd: 4, promptTokens: 40, completionTokens: 4 }));
    ledger.append(record({ time: midnight + 1, tenant: 'default', costUsd: 0, promptTokens: 1, completionTokens: 1, status: 'cancelled' }));
    expect(await ledger.dailyTotals('2025-03-01')).toEqual([
      { tenant: 'acme', costUsd: 3, promptTokens: 30, completionTokens: 3, requests: 2 },
      { tenant: 'beta', costUsd: 0.5, promptTokens: 5, completionTokens: 5, requests: 1 },
    ]);
    expect(await ledger.dailyTotals('2025-03-02')).toEqual([
      { tenant: 'acme', costUsd: 4, promptTokens: 40, completionTokens: 4, requests: 1 },
      { tenant: 'default', costUsd: 0, promptTokens: 1, completionTokens: 1, requests: 1 },
    ]);
    expect(await ledger.dailyTotals('2025-02-28')).toEqual([]);
  });

  it("gives today's cost per tenant for warm-starting the gauge", async () => {
    let now = Date.UTC(2025, 2, 1, 23, 59, 59, 999);
    const ledger = SqliteUsageLedger.open(':memory:', { now: () => now });
    cleanups.push(() => ledger.close());
    ledger.append(record({ time: now - 1_000, tenant: 'acme', costUsd: 1.25 }));
    ledger.append(record({ time: now, tenant: 'acme', costUsd: 0.25 }));
    ledger.append(record({ time: now + 1, tenant: 'beta', costUsd: 7 }));
    expect(await ledger.todayCostByTenant()).toEqual(new Map([['acme', 1.5]]));
    now += 1;
    expect(await ledger.todayCostByTenant()).toEqual(new Map([['beta', 7]]));
  });

  it('returns recent records newest first, exactly as appended', async () => {
    const ledger = SqliteUsageLedger.open(':memory:');
    cleanups.push(() => ledger.close());
    const first = record({ time: T0, requestId: 'first', keyId: 'k1', estimated: true, ttftMs: null, provider: null, upstreamModel: null, status: 'error', httpStatus: 502 });
    const second = record({ time: T0 + 5, requestId: 'second', cachedTokens: 64, reasoningTokens: 12, costUsd: 0.000123 });
    const third = record({ time: T0 + 5, requestId: 'third', status: 'client_error', httpStatus: 400 });
    ledger.append(first);
    ledger.append(second);
    ledger.append(third);
    expect(await ledger.recent(2)).toEqual([third, second]);
    expect(await ledger.recent(10)).toEqual([third, second, first]);
    await expect(ledger.recent(0)).rejects.toThrow(RangeError);
  });

  it('rejects a malformed day', async () => {
    const ledger = SqliteUsageLedger.open(':memory:');
    cleanups.push(() => ledger.close());
    await expect(ledger.dailyTotals('2025-3-1')).rejects.toThrow(RangeError);
    await expect(ledger.dailyTotals('2025-02-30')).rejects.toThrow(RangeError);
    await expect(ledger.check()).resolves.toBeUndefined();
  });
});

describe('openSqlite', () => {
  it('uses WAL and synchronous=NORMAL on a file, creating its directory', async () => {
    const path = join(dir, 'nested', 'deeper', 'tollgate.sqlite');
    const db = openSqlite(path);
    cleanups.push(() => {
      db.close();
    });
    expect(journalMode(db)).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    const ledger = new SqliteUsageLedger(db);
    ledger.append(record());
    await ledger.flush();
    expect(existsSync(`${path}-wal`)).toBe(true);
    await ledger.close();
    expect(db.open).toBe(true); // not owned: the opener closes it
  });
});

describe('SqliteUsageLedger store failures', () => {
  it('names the path when the store cannot be opened (store.path is a directory)', () => {
    expect(() => SqliteUsageLedger.open(dir)).toThrow(`usage ledger ${dir} cannot be opened (SQLITE_CANTOPEN`);
  });

  it('reports a failing store once per change of state, and is not ready until it writes again', async () => {
    const unwritable: unknown[] = [];
    const writable: unknown[] = [];
    let errors = 0;
    const { ledger, path } = fileLedger({
      flushIntervalMs: 10,
      retryDelayMs: 20,
      maxRetryDelayMs: 40,
      busyTimeoutMs: 5,
      onError: () => errors++,
      onUnwritable: (failure, pending) => unwritable.push({ ...failure, pending }),
      onWritable: (failure, pending) => writable.push({ code: failure.code, pending }),
    });
    await expect(ledger.check()).resolves.toBeUndefined();
    const blocker = connect(path);
    blocker.exec('BEGIN IMMEDIATE');
    for (let i = 0; i < 10; i++) ledger.append(record({ requestId: `r${i}` }));
    await vi.waitFor(() => expect(errors).toBeGreaterThanOrEqual(3), { timeout: 5_000, interval: 5 });
    expect(unwritable).toEqual([expect.objectContaining({ path, code: 'SQLITE_BUSY', pending: 10 })]);
    expect(ledger.failure()).toMatchObject({ path, code: 'SQLITE_BUSY' });
    await expect(ledger.check()).rejects.toThrow(`usage ledger ${path} cannot be written since`);
    await expect(ledger.check()).rejects.toThrow('10 row(s) kept in memory (at most 100000)');
    blocker.exec('COMMIT');
    await vi.waitFor(() => expect(writable).toEqual([{ code: 'SQLITE_BUSY', pending: 0 }]), { timeout: 5_000, interval: 5 });
    expect(unwritable).toHaveLength(1);
    expect(ledger.failure()).toBeUndefined();
    await expect(ledger.check()).resolves.toBeUndefined();
  });
});
