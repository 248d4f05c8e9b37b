/**
 * The PostgreSQL usage ledger when the server fails: made unreachable (a TCP
 * proxy between the pool and the server is cut), partitioned away (the proxy
 * accepts and never answers), locked, or losing the answer to a write it
 * committed. Rows are kept and written exactly once when the server is back.
 */
import type { Pool } from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LedgerFailure } from '../../src/metering/usage-ledger.js';
import type { UsageRecord } from '../../src/metering/usage-record.js';
import { PostgresUsageLedger, type PostgresUsageLedgerOptions } from '../../src/store/postgres/usage-ledger.js';
import { INSERT_NAME } from '../../src/store/postgres/usage-rows.js';
import type { LedgerDropEvent } from '../../src/store/usage-ledger.js';
import { createLedgerSchema, startCuttableProxy, type CuttableProxy, type LedgerSchema } from './support/postgres-ledger.js';

const T0 = Date.UTC(2025, 2, 1, 12, 0, 0);
const LOCATION = 'postgres://postgres:***@127.0.0.1/test';

function record(requestId: string, overrides: Partial<UsageRecord> = {}): UsageRecord {
  return {
    time: T0,
    requestId,
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
    costUsd: 0.25,
    estimated: false,
    status: 'ok',
    httpStatus: 200,
    latencyMs: 500,
    ttftMs: 80,
    ...overrides,
  };
}

let schema: LedgerSchema;
/** Straight to the server, never through the proxy: what is really stored. */
let direct: Pool;
let proxy: CuttableProxy;
/** The ledgers' pool, through the proxy. */
let proxied: Pool;
const ledgers: PostgresUsageLedger[] = [];

beforeAll(async () => {
  schema = await createLedgerSchema();
  direct = schema.pool({ max: 2 });
});
afterAll(async () => {
  await schema.drop();
});
beforeEach(async () => {
  await schema.truncate();
  proxy = await startCuttableProxy();
  proxied = schema.pool({ port: proxy.port, max: 3 });
});
afterEach(async () => {
  await proxy.restore();
  for (const ledger of ledgers.splice(0)) await ledger.close().catch(() => undefined);
  await proxy.close();
});

function open(options: Partial<PostgresUsageLedgerOptions> = {}): PostgresUsageLedger {
  const ledger = PostgresUsageLedger.open(proxied, { location: LOCATION, flushIntervalMs: 10, retryDelayMs: 20, maxRetryDelayMs: 100, queryTimeoutMs: 2_000, ...options });
  ledgers.push(ledger);
  return ledger;
}

async function stored(): Promise<string[]> {
  return (await direct.query<{ request_id: string }>('SELECT request_id FROM usage ORDER BY id')).rows.map((r) => r.request_id);
}

describe('PostgresUsageLedger outage', () => {
  it('keeps rows while PostgreSQL is unreachable, says why, and writes each exactly once when it is back', async () => {
    const unwritable: { failure: LedgerFailure; pending: number }[] = [];
    const writable: { failure: LedgerFailure; pending: number }[] = [];
    let errors = 0;
    const ledger = open({
      onError: () => errors++,
      onUnwritable: (failure, pending) => unwritable.push({ failure, pending }),
      onWritable: (failure, pending) => writable.push({ failure, pending }),
    });
    for (let i = 0; i < 100; i++) ledger.append(record(`before-${i}`));
    await ledger.flush();
    await expect(ledger.check()).resolves.toBeUndefined();

    await proxy.cut();
    const cutAt = Date.now();
    for (let i = 0; i < 300; i++) ledger.append(record(`during-${i}`));
    await vi.waitFor(() => expect(errors).toBeGreaterThanOrEqual(3), { timeout: 5_000, interval: 5 });
    // Every retry failed, a new connection each time: the server refuses them.
    expect(ledger.failure()).toMatchObject({ path: LOCATION, code: 'ECONNREFUSED' });
    expect(ledger.failure()!.since).toBeGreaterThanOrEqual(cutAt);
    expect(unwritable).toHaveLength(1);
    expect(unwritable[0]).toMatchObject({ failure: { path: LOCATION }, pending: 300 });
    expect(ledger.pending()).toBe(300);
    expect(ledger.stats()).toMatchObject({ buffered: 300, written: 100, dropped: 0 });
    await expect(ledger.check()).rejects.toThrow(`usage ledger ${LOCATION} cannot be written since`);
    await expect(ledger.check()).rejects.toThrow('300 row(s) kept in memory (at most 100000)');
    await expect(ledger.flush()).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    // Reads say what is wrong rather than wait.
    const started = Date.now();
    await expect(ledger.dailyTotals('2025-03-01')).rejects.toThrow(`usage ledger ${LOCATION} cannot be read (ECONNREFUSED`);
    await expect(ledger.recent(1)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(await stored()).toHaveLength(100);

    await proxy.restore();
    await vi.waitFor(() => expect(writable).toHaveLength(1), { timeout: 5_000, interval: 5 });
    await vi.waitFor(() => expect(ledger.pending()).toBe(0), { timeout: 5_000, interval: 5 });
    expect(writable[0]!.failure).toMatchObject({ path: LOCATION, code: 'ECONNREFUSED' });
    expect(unwritable).toHaveLength(1);
    expect(ledger.failure()).toBeUndefined();
    await expect(ledger.check()).resolves.toBeUndefined();
    const ids = await stored();
    expect(ids).toEqual([...Array.from({ length: 100 }, (_, i) => `before-${i}`), ...Array.from({ length: 300 }, (_, i) => `during-${i}`)]);
    expect(ledger.stats()).toMatchObject({ buffered: 0, written: 400, dropped: 0, rejected: 0 });
    expect(ledger.stats().failedFlushes).toBeGreaterThanOrEqual(3);
  });

  it('sees the server back while no row waits (a retry probes it)', async () => {
    const writable: LedgerFailure[] = [];
    const ledger = open({ onWritable: (failure) => writable.push(failure) });
    await proxy.cut();
    ledger.append(record('only'));
    await vi.waitFor(() => expect(ledger.failure()).toBeDefined(), { timeout: 5_000, interval: 5 });
    await proxy.restore();
    await vi.waitFor(() => expect(writable).toHaveLength(1), { timeout: 5_000, interval: 5 });
    expect(await stored()).toEqual(['only']);
    // Failing again with nothing queued: only the probe can notice the recovery.
    await proxy.cut();
    await expect(ledger.check()).rejects.toThrow('cannot be read');
    ledger.append(record('second'));
    await vi.waitFor(() => expect(ledger.failure()).toBeDefined(), { timeout: 5_000, interval: 5 });
    await proxy.restore();
    await vi.waitFor(() => expect(writable).toHaveLength(2), { timeout: 5_000, interval: 5 });
    expect(await stored()).toEqual(['only', 'second']);
  });

  it('stores a batch once when the answer to its committed write is lost', async () => {
    const ledger = open({ flushIntervalMs: 60_000 });
    // A first write prepares the statement on the connection; its name then travels with every insert.
    ledger.append(record('warm-up'));
    await ledger.flush();
    const lost = proxy.loseReplyTo(INSERT_NAME);
    for (let i = 0; i < 50; i++) ledger.append(record(`r${i}`));
    await expect(ledger.flush()).rejects.toThrow();
    await lost;
    // The server committed the rows; the ledger could not know and kept them.
    expect(await stored()).toHaveLength(51);
    expect(ledger.pending()).toBe(50);
    expect(ledger.failure()).toBeDefined();
    await proxy.restore();
    await vi.waitFor(() => expect(ledger.pending()).toBe(0), { timeout: 5_000, interval: 5 });
    await ledger.flush();
    expect(await stored()).toEqual(['warm-up', ...Array.from({ length: 50 }, (_, i) => `r${i}`)]);
    expect(ledger.failure()).toBeUndefined();
    // The hourly rollup, written by the same statement, counts the batch sent twice once too.
    const { rows } = await direct.query<{ requests: string }>('SELECT SUM(requests) AS requests FROM usage_hourly');
    expect(rows[0]?.requests).toBe('51');
    const { rows: latencies } = await direct.query<{ count: string }>('SELECT SUM(count) AS count FROM usage_latency_hourly');
    expect(latencies[0]?.count).toBe('51');
  });

  it('does not hang on a server that never answers: writes and reads fail after the time limit', async () => {
    const ledger = open({ queryTimeoutMs: 200 });
    await proxy.stall();
    ledger.append(record('a'));
    await vi.waitFor(() => expect(ledger.failure()).toMatchObject({ code: 'ETIMEDOUT', path: LOCATION }), { timeout: 5_000, interval: 5 });
    const started = Date.now();
    await expect(ledger.usage({ groupBy: ['tenant'] })).rejects.toThrow(`usage ledger ${LOCATION} cannot be read (ETIMEDOUT`);
    // A flush attempt and the read, each cut off at 200 ms.
    expect(Date.now() - started).toBeLessThan(1_500);
    await proxy.restore();
    await vi.waitFor(() => expect(ledger.failure()).toBeUndefined(), { timeout: 5_000, interval: 5 });
    expect(await ledger.usage({ groupBy: ['tenant'] })).toMatchObject([{ tenant: 'acme', requests: 1 }]);
  });
});

describe('PostgresUsageLedger buffer bound', () => {
  it('drops the oldest rows beyond maxBufferedRows and reports them once per write attempt', async () => {
    const drops: LedgerDropEvent[] = [];
    const ledger = open({ maxBufferedRows: 5, retryDelayMs: 60_000, onDrop: (event) => drops.push(event) });
    await proxy.cut();
    ledger.append(record('first'));
    await vi.waitFor(() => expect(ledger.failure()).toBeDefined(), { timeout: 5_000, interval: 5 });
    for (let i = 0; i < 8; i++) ledger.append(record(`r${i}`));
    expect(ledger.stats()).toMatchObject({ buffered: 5, dropped: 4 });
    expect(ledger.pending()).toBe(5);
    await expect(ledger.flush()).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(drops).toEqual([{ reason: 'overflow', count: 4, total: 4 }]);
    await proxy.restore();
    await ledger.flush();
    expect(await stored()).toEqual(['r3', 'r4', 'r5', 'r6', 'r7']);
    expect(drops).toHaveLength(1);
    expect(ledger.stats()).toMatchObject({ buffered: 0, written: 5, dropped: 4 });
  });

  it('counts rows evicted while being written as written when that write succeeds', async () => {
    const drops: LedgerDropEvent[] = [];
    const ledger = open({ maxBufferedRows: 10, onDrop: (event) => drops.push(event) });
    const blocker = await direct.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE usage IN EXCLUSIVE MODE');
      // Half the buffer: a write starts at once, and waits for the lock.
      for (let i = 0; i < 5; i++) ledger.append(record(`r${i}`));
      await vi.waitFor(async () => expect(await waitingInserts()).toBe(1), { timeout: 5_000, interval: 5 });
      // 13 rows for 10 places: the 3 oldest, in the write that waits, leave the queue.
      for (let i = 5; i < 13; i++) ledger.append(record(`r${i}`));
      expect(ledger.pending()).toBe(10);
      await blocker.query('COMMIT');
    } finally {
      blocker.release();
    }
    await vi.waitFor(() => expect(ledger.pending()).toBe(0), { timeout: 5_000, interval: 5 });
    expect(await stored()).toEqual(Array.from({ length: 13 }, (_, i) => `r${i}`));
    expect(ledger.stats()).toMatchObject({ written: 13, dropped: 0 });
    expect(drops).toEqual([]);
  });

  it('counts rows evicted while being written as dropped when that write fails', async () => {
    const drops: LedgerDropEvent[] = [];
    const ledger = open({ maxBufferedRows: 10, retryDelayMs: 60_000, onDrop: (event) => drops.push(event) });
    const blocker = await direct.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE usage IN EXCLUSIVE MODE');
      for (let i = 0; i < 5; i++) ledger.append(record(`r${i}`));
      await vi.waitFor(async () => expect(await waitingInserts()).toBe(1), { timeout: 5_000, interval: 5 });
      for (let i = 5; i < 13; i++) ledger.append(record(`r${i}`));
      // The server ends the waiting insert's connection: nothing of it is committed, r0..r2 are lost.
      await direct.query(`SELECT pg_terminate_backend(l.pid) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE NOT l.granted AND c.relname = 'usage' AND c.relnamespace = current_schema()::regnamespace`);
      await vi.waitFor(() => expect(ledger.failure()).toBeDefined(), { timeout: 5_000, interval: 5 });
      await blocker.query('COMMIT');
    } finally {
      blocker.release();
    }
    expect(ledger.stats()).toMatchObject({ buffered: 10, dropped: 3, written: 0 });
    await ledger.flush();
    expect(drops).toEqual([{ reason: 'overflow', count: 3, total: 3 }]);
    expect(await stored()).toEqual(Array.from({ length: 10 }, (_, i) => `r${i + 3}`));
    expect(ledger.stats()).toMatchObject({ buffered: 0, dropped: 3, written: 10 });
  });
});

describe('PostgresUsageLedger refused rows and closing', () => {
  it('drops a number the column cannot hold, alone', async () => {
    const drops: LedgerDropEvent[] = [];
    const ledger = open({ flushIntervalMs: 60_000, onDrop: (event) => drops.push(event) });
    ledger.append(record('a'));
    ledger.append(record('too-many-tokens', { promptTokens: 2 ** 31 }));
    ledger.append(record('b'));
    await ledger.flush();
    expect(await stored()).toEqual(['a', 'b']);
    expect(drops).toHaveLength(1);
    expect(drops[0]).toMatchObject({ reason: 'rejected', count: 1, total: 1, error: { code: '22003' } });
    expect(ledger.failure()).toBeUndefined();
  });

  it('rejects, naming the unwritten rows, when the server is gone at close', async () => {
    const drops: LedgerDropEvent[] = [];
    const ledger = open({ flushIntervalMs: 60_000, onDrop: (event) => drops.push(event) });
    await proxy.cut();
    ledger.append(record('lost'));
    await expect(ledger.close()).rejects.toThrow('usage ledger closed with 1 record(s) unwritten');
    expect(drops).toHaveLength(1);
    expect(drops[0]).toMatchObject({ reason: 'closed', count: 1, total: 1, error: { code: 'ECONNREFUSED' } });
    await expect(ledger.check()).rejects.toThrow('is closed');
  });

  it('keeps the rows of two gateways writing to one table apart', async () => {
    const one = open({ flushIntervalMs: 60_000 });
    const two = PostgresUsageLedger.open(direct, { location: LOCATION, flushIntervalMs: 60_000 });
    ledgers.push(two);
    for (let i = 0; i < 1_000; i++) {
      one.append(record(`one-${i}`));
      two.append(record(`two-${i}`));
    }
    await Promise.all([one.flush(), two.flush()]);
    // The same counters under different random prefixes: no row taken for another's.
    expect(await stored()).toHaveLength(2_000);
    expect(one.stats().written + two.stats().written).toBe(2_000);
  });

  it('leaves the pool to its owner', async () => {
    const ledger = open();
    ledger.append(record('a'));
    await ledger.close();
    expect((await proxied.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });
});

async function waitingInserts(): Promise<number> {
  const result = await direct.query<{ n: string }>(
    `SELECT COUNT(*) AS n FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
      WHERE NOT l.granted AND c.relname = 'usage' AND c.relnamespace = current_schema()::regnamespace`,
  );
  return Number(result.rows[0]?.n ?? 0);
}
