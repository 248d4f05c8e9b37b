/**
 * The shared budget book when Redis cannot be reached: a TCP proxy between
 * the client and the real Redis is cut and restored. fail_closed refuses
 * with 503 budget_store_unavailable; fail_open serves on the replica's own
 * book (logged once per outage); settles that could not be sent are sent
 * once Redis answers again, and the book is shared again.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BudgetStoreUnavailableError } from '../../src/errors/index.js';
import { RedisBudgetBook, type RedisBudgetBookOptions } from '../../src/store/redis/budget-book.js';
import { capturedLog } from '../helpers/log-capture.js';
import { budget, client, silentLog, TcpProxy, testPrefix } from './redis-budget-helpers.js';

let redis: Redis;
let proxy: TcpProxy;
const scope = testPrefix();
const clients: Redis[] = [];
const books: RedisBudgetBook[] = [];

beforeAll(async () => {
  redis = client();
  proxy = await TcpProxy.start();
});
afterAll(async () => {
  await Promise.all(books.map((b) => b.close()));
  for (const c of clients) c.disconnect();
  await proxy.close();
  await scope.cleanup(redis);
  redis.disconnect();
});

/** A replica whose connection goes through the proxy. */
async function replica(options: Partial<RedisBudgetBookOptions> = {}): Promise<RedisBudgetBook> {
  const connection = client(proxy.port);
  clients.push(connection);
  await vi.waitFor(() => expect(connection.status).toBe('ready'));
  const book = new RedisBudgetBook({
    redis: connection,
    keyPrefix: scope.prefix,
    whenUnavailable: 'fail_closed',
    spentSince: () => Promise.resolve(0),
    log: silentLog,
    timeoutMs: 300,
    ...options,
  });
  books.push(book);
  return book;
}

async function cut(): Promise<void> {
  proxy.cut();
  await vi.waitFor(() => expect(clients.every((c) => c.status !== 'ready')).toBe(true));
}

async function restore(): Promise<void> {
  proxy.restore();
  await vi.waitFor(() => expect(clients.every((c) => c.status === 'ready')).toBe(true), { timeout: 5_000 });
}

/** The budget's numbers straight from Redis (not through the proxy). */
async function shared(id: string, tenant: string): Promise<{ settled: number; reserved: number; holds: number }> {
  const [key] = await redis.keys(`${scope.prefix}budget:{${tenant}}:${id}:*[0-9]`);
  const hash = await redis.hgetall(key!);
  return { settled: Number(hash.settled ?? 0), reserved: Number(hash.reserved ?? 0), holds: Object.keys(hash).filter((f) => f.startsWith('h:')).length };
}

describe('RedisBudgetBook when Redis cannot be reached', () => {
  it('fail_closed: refuses with 503 budget_store_unavailable; a settle made meanwhile is sent when Redis answers again', async () => {
    const book = await replica();
    const daily = budget('tenant:closed:day', 1, { tenant: 'closed' });
    const before = await book.reserve([daily], 0.4);
    if (!before.ok) throw new Error('expected a reservation');
    await cut();
    const refusal = await book.reserve([daily], 0.1).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(BudgetStoreUnavailableError);
    expect(refusal).toMatchObject({ status: 503, code: 'budget_store_unavailable', type: 'server_error' });
    expect((refusal as Error).message).toMatch(/cannot reach its shared budget store \(Redis\); try again shortly/);
    await expect(book.status(daily)).rejects.toBeInstanceOf(BudgetStoreUnavailableError);
    await before.reservation.settle(0.3);
    expect(book.queuedSettles).toBe(1);
    await restore();
    await vi.waitFor(() => expect(book.queuedSettles).toBe(0), { timeout: 10_000 });
    expect(await shared(daily.id, 'closed')).toEqual({ settled: 0.3, reserved: 0, holds: 0 });
    expect((await book.reserve([daily], 0.1)).ok).toBe(true);
  });

  it('fail_open: serves on the replica’s own book, logged once; after the restore, shared again with the outage’s spend', async () => {
    const { log, lines } = capturedLog();
    const book = await replica({ whenUnavailable: 'fail_open', log });
    const other = await replica({ whenUnavailable: 'fail_open' });
    const daily = budget('tenant:open:day', 1, { tenant: 'open' });
    const first = await book.reserve([daily], 0.2);
    if (!first.ok) throw new Error('expected a reservation');
    await first.reservation.settle(0.2);
    await cut();
    const during = await Promise.all([book.reserve([daily], 0.3), book.reserve([daily], 0.3)]);
    expect(during.map((r) => r.ok && r.reservation.remote)).toEqual([false, false]);
    // This replica's own book for the outage: seeded from the ledger (0 here), its own holds count.
    expect((await book.reserve([daily], 0.5)).ok).toBe(false);
    const warnings = lines.filter((l) => l.includes('cannot be reached'));
    expect(warnings).toHaveLength(1);
    for (const result of during) if (result.ok) await result.reservation.settle(0.25);
    expect(book.queuedSettles).toBe(2);
    await restore();
    await vi.waitFor(() => expect(book.queuedSettles).toBe(0), { timeout: 10_000 });
    const again = await book.reserve([daily], 0.1);
    expect(again.ok && again.reservation.remote).toBe(true);
    expect(lines.filter((l) => l.includes('budgets are shared again'))).toHaveLength(1);
    // The spend of the outage reached the shared book: 0.2 + 2 × 0.25, and the other replica sees it.
    expect((await other.status(daily)).settledUsd).toBeCloseTo(0.7, 9);
    if (again.ok) await again.reservation.settle(0);
  });

  it('a hold that expired while Redis was out of reach is recorded again by the next heartbeat', async () => {
    let now = Date.parse('2026-12-05T12:00:00Z');
    const book = await replica({ now: () => now, holdTtlMs: 60_000 });
    const other = await replica({ now: () => now, holdTtlMs: 60_000 });
    const daily = budget('tenant:restored:day', 1, { tenant: 'restored' });
    const held = await book.reserve([daily], 0.6);
    if (!held.ok) throw new Error('expected a reservation');
    await cut();
    await book.renewHolds();
    now += 90_000;
    await restore();
    expect((await other.status(daily)).reservedUsd).toBe(0);
    await book.renewHolds();
    expect((await other.status(daily)).reservedUsd).toBeCloseTo(0.6);
    await held.reservation.settle(0.5);
    expect(await shared(daily.id, 'restored')).toEqual({ settled: 0.5, reserved: 0, holds: 0 });
  });
});
