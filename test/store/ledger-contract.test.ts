/**
 * The usage-ledger contract, run against both stores with the same records
 * and the same expected results: the embedded SQLite ledger and the
 * PostgreSQL one (a schema of its own in the test database). Expected sums
 * are computed here from the records, never by the stores' code.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { LATENCY_RELATIVE_ERROR } from '../../src/metering/latency-histogram.js';
import type { BillingLine, TimeseriesSums, UsageLedger } from '../../src/metering/usage-ledger.js';
import type { UsageRecord } from '../../src/metering/usage-record.js';
import { PostgresUsageLedger } from '../../src/store/postgres/usage-ledger.js';
import { SqliteUsageLedger } from '../../src/store/sqlite/usage-ledger.js';
import type { LedgerDropEvent } from '../../src/store/usage-ledger.js';
import { randomRows, seeded, sums, usageRow } from '../reports/support/ledger-rows.js';
import { createLedgerSchema, type LedgerSchema } from './support/postgres-ledger.js';

const T0 = Date.UTC(2025, 2, 1, 12, 0, 0);
const HOUR = 3_600_000;

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
    costUsd: 0.25,
    estimated: false,
    status: 'ok',
    httpStatus: 200,
    latencyMs: 500,
    ttftMs: 80,
    ...overrides,
  };
}

interface LedgerOptions {
  readonly flushIntervalMs?: number;
  readonly batchSize?: number;
  readonly maxBufferedRows?: number;
  readonly now?: () => number;
  readonly onDrop?: (event: LedgerDropEvent) => void;
}

interface Store {
  /** A ledger on an empty store (the previous test's ledger is closed by then); closed after the test. */
  open(options?: LedgerOptions): Promise<UsageLedger>;
  /** Rows in the store, counted by another connection. */
  rowCount(): Promise<number>;
  /** The stored request ids, in insertion order. */
  requestIds(): Promise<string[]>;
}

interface StoreFactory {
  readonly name: string;
  setUp(): Promise<Store>;
  tearDown(): Promise<void>;
}

const opened: UsageLedger[] = [];
afterEach(async () => {
  for (const ledger of opened.splice(0)) await ledger.close().catch(() => undefined);
});

function sqliteFactory(): StoreFactory {
  let dir = '';
  let files = 0;
  let current = '';
  return {
    name: 'SqliteUsageLedger',
    setUp() {
      dir = mkdtempSync(join(tmpdir(), 'tollgate-ledger-contract-'));
      const query = <T>(sql: string): T[] => {
        const db = new Database(current, { readonly: true });
        try {
          return db.prepare<[], T>(sql).pluck().all();
        } finally {
          db.close();
        }
      };
      return Promise.resolve({
        open(options = {}) {
          current = join(dir, `usage-${++files}.sqlite`);
          const ledger = SqliteUsageLedger.open(current, { flushIntervalMs: 60_000, ...options });
          opened.push(ledger);
          return Promise.resolve(ledger);
        },
        rowCount: () => Promise.resolve(query<number>('SELECT COUNT(*) FROM usage')[0] ?? -1),
        requestIds: () => Promise.resolve(query<string>('SELECT request_id FROM usage ORDER BY id')),
      });
    },
    tearDown() {
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
}

function postgresFactory(): StoreFactory {
  let schema: LedgerSchema | undefined;
  return {
    name: 'PostgresUsageLedger',
    async setUp() {
      const created = await createLedgerSchema();
      schema = created;
      const ledgerPool = created.pool();
      const reader = created.pool({ max: 1 });
      return {
        async open(options = {}) {
          await created.truncate();
          const ledger = PostgresUsageLedger.open(ledgerPool, { location: `postgres://postgres@127.0.0.1:5432/test (schema ${created.name})`, flushIntervalMs: 60_000, ...options });
          opened.push(ledger);
          return ledger;
        },
        rowCount: async () => Number((await reader.query<{ n: string }>('SELECT COUNT(*) AS n FROM usage')).rows[0]?.n ?? -1),
        requestIds: async () => (await reader.query<{ request_id: string }>('SELECT request_id FROM usage ORDER BY id')).rows.map((r) => r.request_id),
      };
    },
    async tearDown() {
      await schema?.drop();
    },
  };
}

describe.each([sqliteFactory(), postgresFactory()])('UsageLedger contract: $name', (factory) => {
  let store: Store;
  beforeAll(async () => {
    store = await factory.setUp();
  });
  afterAll(async () => {
    await factory.tearDown();
  });
  const fresh = (options?: LedgerOptions): Promise<UsageLedger> => store.open(options);

  it('does no I/O on append; a flush writes every row, in order', async () => {
    const ledger = await fresh();
    for (let i = 0; i < 1_000; i++) ledger.append(record({ requestId: `r${i}` }));
    expect(await store.rowCount()).toBe(0);
    expect(ledger.pending()).toBe(1_000);
    expect(ledger.stats().buffered).toBe(1_000);
    await ledger.flush();
    expect(await store.rowCount()).toBe(1_000);
    expect(await store.requestIds()).toEqual(Array.from({ length: 1_000 }, (_, i) => `r${i}`));
    expect(ledger.stats()).toMatchObject({ buffered: 0, written: 1_000, dropped: 0, rejected: 0, failedFlushes: 0 });
    expect(ledger.pending()).toBe(0);
    expect(ledger.failure()).toBeUndefined();
    await expect(ledger.check()).resolves.toBeUndefined();
  });

  it('writes on its timer, and early once a batch is full', async () => {
    const timed = await fresh({ flushIntervalMs: 25 });
    timed.append(record({ requestId: 'a' }));
    timed.append(record({ requestId: 'b' }));
    await vi.waitFor(async () => expect(await store.rowCount()).toBe(2), { timeout: 5_000, interval: 10 });
    await timed.close();
    const batched = await fresh({ batchSize: 100 });
    for (let i = 0; i < 100; i++) batched.append(record({ requestId: `r${i}` }));
    // The interval is a minute: only the full batch can have started this write.
    await vi.waitFor(async () => expect(await store.rowCount()).toBe(100), { timeout: 5_000, interval: 10 });
  });

  it('returns recent records newest first, exactly as appended', async () => {
    const ledger = await fresh();
    const first = record({ time: T0, requestId: 'first', keyId: 'k1', estimated: true, ttftMs: null, provider: null, upstreamModel: null, status: 'error', httpStatus: 502 });
    const second = record({ time: T0 + 5, requestId: 'second', cachedTokens: 64, reasoningTokens: 12, costUsd: 0.000123, requestedModel: 'alias' });
    const third = record({ time: T0 + 5, requestId: 'third', status: 'client_error', httpStatus: 400, tenant: 'data,science "quoted"\\' });
    ledger.append(first);
    ledger.append(second);
    ledger.append(third);
    expect(await ledger.recent(2)).toEqual([third, second]);
    expect(await ledger.recent(10)).toEqual([third, second, first]);
    await expect(ledger.recent(0)).rejects.toThrow(RangeError);
  });

  it('stores every status a row can have, the lost calls of a dead replica included, and counts them in billing', async () => {
    const ledger = await fresh();
    const statuses = ['ok', 'error', 'client_error', 'cancelled', 'shutdown', 'lost'] as const;
    for (const status of statuses) ledger.append(record({ time: T0, requestId: status, status, httpStatus: status === 'lost' ? 0 : 200 }));
    expect((await ledger.recent(10)).map((r) => r.status).sort()).toEqual([...statuses].sort());
    expect(ledger.stats().rejected).toBe(0);
    const [line] = await ledger.billingLines({ start: T0, end: T0 + 1 });
    // A lost call is not a success: it is counted with the errors.
    expect(line).toMatchObject({ requests: 6, ok: 1, errors: 2, clientErrors: 1, clientClosed: 1, shutdown: 1 });
  });

  it('totals a UTC day per tenant, exactly at the midnight boundary, including queued rows', async () => {
    const ledger = await fresh();
    const lastMs = Date.UTC(2025, 2, 1, 23, 59, 59, 999);
    const midnight = Date.UTC(2025, 2, 2, 0, 0, 0, 0);
    ledger.append(record({ time: Date.UTC(2025, 2, 1, 0, 0, 0, 0), tenant: 'acme', costUsd: 1, promptTokens: 10, completionTokens: 1 }));
    ledger.append(record({ time: lastMs, tenant: 'acme', costUsd: 2, promptTokens: 20, completionTokens: 2 }));
    ledger.append(record({ time: lastMs, tenant: 'beta', costUsd: 0.5, promptTokens: 5, completionTokens: 5 }));
    ledger.append(record({ time: lastMs, tenant: 'Zeta', costUsd: 0.25, promptTokens: 1, completionTokens: 1 }));
    ledger.append(record({ time: midnight, tenant: 'acme', costUsd: 4, promptTokens: 40, completionTokens: 4 }));
    ledger.append(record({ time: midnight + 1, tenant: 'default', costUsd: 0, promptTokens: 1, completionTokens: 1, status: 'cancelled' }));
    // Byte order: upper case before lower case.
    expect(await ledger.dailyTotals('2025-03-01')).toEqual([
      { tenant: 'Zeta', costUsd: 0.25, promptTokens: 1, completionTokens: 1, requests: 1 },
      { tenant: 'acme', costUsd: 3, promptTokens: 30, completionTokens: 3, requests: 2 },
      { tenant: 'beta', costUsd: 0.5, promptTokens: 5, completionTokens: 5, requests: 1 },
    ]);
    expect(await ledger.dailyTotals('2025-03-02')).toEqual([
      { tenant: 'acme', costUsd: 4, promptTokens: 40, completionTokens: 4, requests: 1 },
      { tenant: 'default', costUsd: 0, promptTokens: 1, completionTokens: 1, requests: 1 },
    ]);
    expect(await ledger.dailyTotals('2025-02-28')).toEqual([]);
    await expect(ledger.dailyTotals('2025-3-1')).rejects.toThrow(RangeError);
    await expect(ledger.dailyTotals('2025-02-30')).rejects.toThrow(RangeError);
  });

  it("gives today's cost per tenant for warm-starting the gauge", async () => {
    let now = Date.UTC(2025, 2, 1, 23, 59, 59, 999);
    const ledger = await fresh({ now: () => now });
    ledger.append(record({ time: now - 1_000, tenant: 'acme', costUsd: 1.25 }));
    ledger.append(record({ time: now, tenant: 'acme', costUsd: 0.25 }));
    ledger.append(record({ time: now + 1, tenant: 'beta', costUsd: 7 }));
    expect(await ledger.todayCostByTenant()).toEqual(new Map([['acme', 1.5]]));
    now += 1;
    expect(await ledger.todayCostByTenant()).toEqual(new Map([['beta', 7]]));
  });

  it('sums what a tenant and what a key spent since a time, that time included', async () => {
    const ledger = await fresh();
    ledger.append(record({ time: T0 - 1, tenant: 'acme', keyId: 'k1', costUsd: 100 }));
    ledger.append(record({ time: T0, tenant: 'acme', keyId: 'k1', costUsd: 0.5 }));
    ledger.append(record({ time: T0 + 10, tenant: 'acme', keyId: 'k2', costUsd: 0.25 }));
    ledger.append(record({ time: T0 + 20, tenant: 'acme', keyId: null, costUsd: 2 }));
    ledger.append(record({ time: T0 + 30, tenant: 'beta', keyId: 'k1', costUsd: 8 }));
    expect(await ledger.spentSince({ tenant: 'acme' }, T0)).toBe(2.75);
    expect(await ledger.spentSince({ tenant: 'acme' }, T0 - 1)).toBe(102.75);
    expect(await ledger.spentSince({ tenant: 'acme' }, T0 + 0.5)).toBe(2.25);
    expect(await ledger.spentSince({ keyId: 'k1' }, T0)).toBe(8.5);
    expect(await ledger.spentSince({ keyId: 'k2' }, T0 + 11)).toBe(0);
    expect(await ledger.spentSince({ tenant: 'nobody' }, 0)).toBe(0);
  });

  it('groups and filters usage reports, a missing key first', async () => {
    const ledger = await fresh();
    const day1 = Date.UTC(2025, 2, 1, 10);
    const day2 = Date.UTC(2025, 2, 2, 10);
    const rows = [
      record({ time: day1, tenant: 'acme', keyId: 'k1', routeModel: 'm-a', promptTokens: 10, completionTokens: 1, cachedTokens: 2, reasoningTokens: 1, costUsd: 1 }),
      record({ time: day1, tenant: 'acme', keyId: null, routeModel: 'm-a', promptTokens: 20, completionTokens: 2, costUsd: 0.5, status: 'error', httpStatus: 502 }),
      record({ time: day1, tenant: 'beta', keyId: 'k2', routeModel: 'm-b', promptTokens: 30, completionTokens: 3, costUsd: 0.25, status: 'cancelled', httpStatus: 499 }),
      record({ time: day2, tenant: 'acme', keyId: 'k1', routeModel: 'm-b', promptTokens: 40, completionTokens: 4, cachedTokens: 8, reasoningTokens: 3, costUsd: 2, status: 'client_error', httpStatus: 400 }),
      record({ time: day2, tenant: 'beta', keyId: 'k2', routeModel: 'm-a', promptTokens: 50, completionTokens: 5, costUsd: 4, status: 'shutdown', httpStatus: 503 }),
    ];
    for (const row of rows) ledger.append(row);
    const zero = { cachedTokens: 0, reasoningTokens: 0 };
    expect(await ledger.usage({ groupBy: [] })).toEqual([{ requests: 5, errors: 3, promptTokens: 150, completionTokens: 15, cachedTokens: 10, reasoningTokens: 4, costUsd: 7.75 }]);
    expect(await ledger.usage({ groupBy: ['day'] })).toEqual([
      { day: '2025-03-01', requests: 3, errors: 1, promptTokens: 60, completionTokens: 6, cachedTokens: 2, reasoningTokens: 1, costUsd: 1.75 },
      { day: '2025-03-02', requests: 2, errors: 2, promptTokens: 90, completionTokens: 9, cachedTokens: 8, reasoningTokens: 3, costUsd: 6 },
    ]);
    expect(await ledger.usage({ groupBy: ['tenant', 'key'] })).toEqual([
      { tenant: 'acme', keyId: null, requests: 1, errors: 1, promptTokens: 20, completionTokens: 2, ...zero, costUsd: 0.5 },
      { tenant: 'acme', keyId: 'k1', requests: 2, errors: 1, promptTokens: 50, completionTokens: 5, cachedTokens: 10, reasoningTokens: 4, costUsd: 3 },
      { tenant: 'beta', keyId: 'k2', requests: 2, errors: 1, promptTokens: 80, completionTokens: 8, ...zero, costUsd: 4.25 },
    ]);
    // A repeated group counts once.
    expect(await ledger.usage({ groupBy: ['model', 'model'], tenant: 'acme' })).toEqual([
      { model: 'm-a', requests: 2, errors: 1, promptTokens: 30, completionTokens: 3, cachedTokens: 2, reasoningTokens: 1, costUsd: 1.5 },
      { model: 'm-b', requests: 1, errors: 1, promptTokens: 40, completionTokens: 4, cachedTokens: 8, reasoningTokens: 3, costUsd: 2 },
    ]);
    expect(await ledger.usage({ groupBy: ['day', 'model'], keyId: 'k2', fromDay: '2025-03-02', toDay: '2025-03-02' })).toEqual([
      { day: '2025-03-02', model: 'm-a', requests: 1, errors: 1, promptTokens: 50, completionTokens: 5, ...zero, costUsd: 4 },
    ]);
    expect(await ledger.usage({ groupBy: ['tenant'], model: 'm-b', toDay: '2025-03-01' })).toEqual([
      { tenant: 'beta', requests: 1, errors: 0, promptTokens: 30, completionTokens: 3, ...zero, costUsd: 0.25 },
    ]);
    expect(await ledger.usage({ groupBy: [], tenant: 'nobody' })).toEqual([]);
    expect(await ledger.usage({ groupBy: ['tenant'], fromDay: '2025-03-03' })).toEqual([]);
    await expect(ledger.usage({ groupBy: [], fromDay: '2025-3-1' })).rejects.toThrow(RangeError);
  });

  it('sums billing lines per tenant, key, model and deployment, the estimated part apart', async () => {
    const ledger = await fresh();
    const start = Date.UTC(2026, 0, 1);
    const end = Date.UTC(2026, 0, 2);
    const rows = [
      ...randomRows(1_500, start - 3_600_000, end + 3_600_000, seeded(7)),
      // At the bounds: the start is in, the end is out.
      usageRow({ time: start, tenant: 'team-a' }),
      usageRow({ time: end, tenant: 'team-a' }),
    ];
    for (const row of rows) ledger.append(row);
    const inRange = rows.filter((r) => r.time >= start && r.time < end);
    const lines = await ledger.billingLines({ start, end });
    expect(lines.reduce((n, l) => n + l.requests, 0)).toBe(inRange.length);
    expectLines(lines, inRange);
    const teamB = await ledger.billingLines({ start, end, tenant: 'team-b' });
    expectLines(teamB, inRange.filter((r) => r.tenant === 'team-b'));
    expect(await ledger.billingLines({ start: end + 86_400_000, end: end + 2 * 86_400_000 })).toEqual([]);
    expect(await ledger.billingLines({ start, end: start })).toEqual([]);
    await expect(ledger.billingLines({ start: end, end: start })).rejects.toThrow(RangeError);
  });

  it('reads a time series from its rollup: every hour, exact sums, percentiles within the buckets\' accuracy', async () => {
    const ledger = await fresh();
    const start = Date.UTC(2026, 11, 4, 2);
    const end = start + 24 * HOUR;
    const random = seeded(11);
    // Hours 5 and 6 stay empty; rows around the range must not count.
    const rows = randomRows(3_000, start - 2 * HOUR, end + 2 * HOUR, random)
      .filter((r) => Math.floor((r.time - start) / HOUR) !== 5 && Math.floor((r.time - start) / HOUR) !== 6)
      .map((r) => ({ ...r, latencyMs: 20 + Math.floor(random() * random() * 30_000) }));
    // On the bounds: the start is in, the end is out.
    rows.push(usageRow({ time: start, tenant: 'team-a', latencyMs: 7 }), usageRow({ time: end, tenant: 'team-a' }));
    for (const row of rows) ledger.append(row);
    const inRange = rows.filter((r) => r.time >= start && r.time < end);

    const series = await ledger.timeseries({ bucket: 'hour', start, end });
    expect(series.points.map((p) => p.start)).toEqual(Array.from({ length: 24 }, (_, i) => start + i * HOUR));
    series.points.forEach((point, i) => expectSums(point, inRange.filter((r) => r.time >= start + i * HOUR && r.time < start + (i + 1) * HOUR)));
    expect(series.points[5]).toEqual({ start: start + 5 * HOUR, requests: 0, errors: 0, inputTokens: 0, outputTokens: 0, costUsd: 0, latencyP50Ms: null, latencyP95Ms: null });
    expectSums(series.total, inRange);

    const teamB = await ledger.timeseries({ bucket: 'hour', start, end, tenant: 'team-b' });
    expectSums(teamB.total, inRange.filter((r) => r.tenant === 'team-b'));
    const mini = await ledger.timeseries({ bucket: 'hour', start, end, model: 'gpt-5-mini', tenant: 'team-a' });
    mini.points.forEach((point, i) => expectSums(point, inRange.filter((r) => r.routeModel === 'gpt-5-mini' && r.tenant === 'team-a' && r.time >= start + i * HOUR && r.time < start + (i + 1) * HOUR)));
    expect((await ledger.timeseries({ bucket: 'hour', start, end, tenant: 'nobody' })).total).toEqual({ requests: 0, errors: 0, inputTokens: 0, outputTokens: 0, costUsd: 0, latencyP50Ms: null, latencyP95Ms: null });

    // Broken down by route model and by tenant: each group's sums and percentiles exact to the rows, most requests first.
    for (const [groupBy, nameOf] of [
      ['model', (r: UsageRecord) => r.routeModel],
      ['tenant', (r: UsageRecord) => r.tenant],
    ] as const) {
      const broken = await ledger.timeseries({ bucket: 'hour', start, end, groupBy });
      // The same points (their costs summed in another order, so compared to the rows, not bit for bit).
      broken.points.forEach((point, i) => expectSums(point, inRange.filter((r) => r.time >= start + i * HOUR && r.time < start + (i + 1) * HOUR)));
      const names = [...new Set(inRange.map(nameOf))];
      expect(broken.groups!.map((g) => g.name).sort()).toEqual(names.sort());
      for (const group of broken.groups!) expectSums(group, inRange.filter((r) => nameOf(r) === group.name));
      const requests = broken.groups!.map((g) => g.requests);
      expect(requests).toEqual([...requests].sort((a, b) => b - a));
    }
    expect(series.groups).toBeUndefined();
  });

  it('reads a time series in UTC days, and refuses a range off the bucket boundaries', async () => {
    const ledger = await fresh();
    const day = 86_400_000;
    const start = Date.UTC(2026, 10, 28);
    const rows = randomRows(1_000, start - day, start + 4 * day, seeded(5));
    // Appended and flushed in two writes: the second adds to the hours the first wrote.
    for (const row of rows.slice(0, 400)) ledger.append(row);
    await ledger.flush();
    for (const row of rows.slice(400)) ledger.append(row);
    const series = await ledger.timeseries({ bucket: 'day', start, end: start + 3 * day });
    expect(series.points.map((p) => new Date(p.start).toISOString().slice(0, 10))).toEqual(['2026-11-28', '2026-11-29', '2026-11-30']);
    series.points.forEach((point, i) => expectSums(point, rows.filter((r) => r.time >= start + i * day && r.time < start + (i + 1) * day)));
    expectSums(series.total, rows.filter((r) => r.time >= start && r.time < start + 3 * day));
    await expect(ledger.timeseries({ bucket: 'day', start: start + HOUR, end: start + day + HOUR })).rejects.toThrow(RangeError);
    await expect(ledger.timeseries({ bucket: 'hour', start, end: start })).rejects.toThrow(RangeError);
    await expect(ledger.timeseries({ bucket: 'hour', start: start + 1, end: start + HOUR })).rejects.toThrow(RangeError);
  });

  it('writes around a row the store refuses on its own, and reports it', async () => {
    const drops: LedgerDropEvent[] = [];
    const ledger = await fresh({ onDrop: (event) => drops.push(event) });
    ledger.append(record({ requestId: 'a' }));
    ledger.append(record({ requestId: 'refused', promptTokens: -1 }));
    ledger.append(record({ requestId: 'b' }));
    // Stored as NULL by both, which the column refuses.
    ledger.append(record({ requestId: 'not-a-number', costUsd: Number.NaN }));
    await ledger.flush();
    expect(await store.requestIds()).toEqual(['a', 'b']);
    expect(drops).toHaveLength(1);
    expect(drops[0]).toMatchObject({ reason: 'rejected', count: 2, total: 2 });
    expect(drops[0]?.error).toBeInstanceOf(Error);
    expect(ledger.stats()).toMatchObject({ written: 2, rejected: 2, dropped: 2, buffered: 0 });
    // Later rows are not held up.
    ledger.append(record({ requestId: 'c' }));
    await ledger.flush();
    expect(await store.requestIds()).toEqual(['a', 'b', 'c']);
    // The rollup counts the rows written, not the refused ones.
    const hour = T0 - (T0 % HOUR);
    expect((await ledger.timeseries({ bucket: 'hour', start: hour, end: hour + HOUR })).total).toMatchObject({ requests: 3, inputTokens: 300, costUsd: 0.75 });
  });

  it('writes everything queued on close, then drops later appends as closed', async () => {
    const drops: LedgerDropEvent[] = [];
    const ledger = await fresh({ onDrop: (event) => drops.push(event) });
    for (let i = 0; i < 700; i++) ledger.append(record({ requestId: `r${i}` }));
    await ledger.close();
    await ledger.close(); // idempotent
    expect(await store.rowCount()).toBe(700);
    ledger.append(record({ requestId: 'late' }));
    ledger.append(record({ requestId: 'later' }));
    expect(drops).toEqual([
      { reason: 'closed', count: 1, total: 1 },
      { reason: 'closed', count: 1, total: 2 },
    ]);
    expect(ledger.stats()).toMatchObject({ written: 700, dropped: 2, buffered: 0 });
    expect(await store.rowCount()).toBe(700);
    await expect(ledger.check()).rejects.toThrow();
  });

  it('reports the bound of its buffer', async () => {
    expect((await fresh({ maxBufferedRows: 5 })).capacity).toBe(5);
    expect((await fresh()).capacity).toBe(100_000);
  });
});

/** The sums of `rows` computed here; percentiles within the histogram's accuracy of the true (nearest-rank) ones. */
function expectSums(actual: TimeseriesSums, rows: readonly UsageRecord[]): void {
  const s = sums(rows);
  expect({ requests: actual.requests, errors: actual.errors, inputTokens: actual.inputTokens, outputTokens: actual.outputTokens }).toEqual({
    requests: s.requests,
    errors: rows.filter((r) => r.status !== 'ok' && r.status !== 'cancelled').length,
    inputTokens: s.input,
    outputTokens: s.output,
  });
  expect(actual.costUsd).toBeCloseTo(s.cost, 9);
  const latencies = rows.map((r) => r.latencyMs).sort((a, b) => a - b);
  for (const [p, reported] of [
    [0.5, actual.latencyP50Ms],
    [0.95, actual.latencyP95Ms],
  ] as const) {
    if (latencies.length === 0) {
      expect(reported).toBeNull();
      continue;
    }
    const truth = latencies[Math.max(1, Math.ceil(p * latencies.length)) - 1]!;
    expect(reported).not.toBeNull();
    expect(Math.abs(reported! - truth) / truth).toBeLessThanOrEqual(LATENCY_RELATIVE_ERROR + 0.01);
  }
}

function expectLines(lines: readonly BillingLine[], rows: readonly UsageRecord[]): void {
  const groups = new Map<string, UsageRecord[]>();
  for (const r of rows) {
    const key = JSON.stringify([r.tenant, r.keyId, r.routeModel, r.provider, r.upstreamModel]);
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  // Sorted as the embedded store sorts: NULL first, then by the names' code units (ASCII here).
  const order = (a: string | null, b: string | null): number => (a === b ? 0 : a === null ? -1 : b === null ? 1 : a < b ? -1 : 1);
  const expectedKeys = [...groups.values()]
    .map((g) => g[0]!)
    .sort((a, b) => order(a.tenant, b.tenant) || order(a.keyId, b.keyId) || order(a.routeModel, b.routeModel) || order(a.provider, b.provider) || order(a.upstreamModel, b.upstreamModel))
    .map((r) => [r.tenant, r.keyId, r.routeModel, r.provider, r.upstreamModel]);
  expect(lines.map((l) => [l.tenant, l.keyId, l.routeModel, l.provider, l.upstreamModel])).toEqual(expectedKeys);
  for (const line of lines) {
    const s = sums(groups.get(JSON.stringify([line.tenant, line.keyId, line.routeModel, line.provider, line.upstreamModel]))!);
    expect({ ...line, costUsd: 0, estimated: { ...line.estimated, costUsd: 0 } }).toEqual({
      tenant: line.tenant,
      keyId: line.keyId,
      routeModel: line.routeModel,
      provider: line.provider,
      upstreamModel: line.upstreamModel,
      requests: s.requests,
      ok: s.ok,
      errors: s.errors,
      clientErrors: s.clientErrors,
      clientClosed: s.clientClosed,
      shutdown: s.shutdown,
      inputTokens: s.input,
      cachedInputTokens: s.cached,
      outputTokens: s.output,
      reasoningTokens: s.reasoning,
      costUsd: 0,
      estimated: { requests: s.estRequests, inputTokens: s.estInput, cachedInputTokens: s.estCached, outputTokens: s.estOutput, reasoningTokens: s.estReasoning, costUsd: 0 },
    });
    expect(line.costUsd).toBeCloseTo(s.cost, 9);
    expect(line.estimated.costUsd).toBeCloseTo(s.estCost, 9);
  }
}
