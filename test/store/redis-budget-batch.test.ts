/**
 * The settles of the shared budget book go out in batches: the settles of one
 * event-loop turn are one script call, with the same numbers as one by one; a
 * settle books into the period of when it was asked for; a batch cut off by
 * a Redis outage is queued settle by settle and applied once; close() sends
 * what waits for its batch.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { BudgetRef, BudgetStatus } from '../../src/budgets/budget-store.js';
import { RedisBudgetBook, type RedisBudgetBookOptions } from '../../src/store/redis/budget-book.js';
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

/**
 * A replica's book on its own connection; through the proxy when `port` is given, then a connection set up as the
 * gateway's (store/redis/connection.ts): no offline queue, nothing sent again by the client after a reconnect.
 */
async function replica(options: Partial<RedisBudgetBookOptions> = {}, port?: number): Promise<{ book: RedisBudgetBook; connection: Redis }> {
  const connection =
    port === undefined
      ? client()
      : new Redis({ host: '127.0.0.1', port, enableOfflineQueue: false, autoResendUnfulfilledCommands: false, maxRetriesPerRequest: 1, retryStrategy: () => 50 });
  connection.on('error', () => undefined);
  clients.push(connection);
  await vi.waitFor(() => expect(connection.status).toBe('ready'));
  const book = new RedisBudgetBook({ redis: connection, keyPrefix: scope.prefix, whenUnavailable: 'fail_closed', spentSince: () => Promise.resolve(0), log: silentLog, timeoutMs: 300, ...options });
  books.push(book);
  return { book, connection };
}

/** `count` holds of `amount` each, taken concurrently; `settle` is called at once and resolves when its batch is answered. */
async function holds(book: RedisBudgetBook, refs: readonly BudgetRef[], count: number, amount: number): Promise<{ settle(actualUsd: number): Promise<void> }[]> {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const result = await book.reserve(refs, amount);
      if (!result.ok) throw new Error(`expected a reservation, refused by ${result.status.ref.id}`);
      const hold = result.reservation;
      return { settle: (actualUsd: number) => Promise.resolve(hold.settle(actualUsd)) };
    }),
  );
}

/** The budget's numbers straight from Redis, in its period at `at`. */
async function shared(ref: BudgetRef, periodStart: number): Promise<{ settled: number; reserved: number; holds: number }> {
  const hash = await redis.hgetall(`${scope.prefix}budget:{${ref.tenant}}:${ref.id}:${periodStart}`);
  return { settled: Number(hash.settled ?? 0), reserved: Number(hash.reserved ?? 0), holds: Object.keys(hash).filter((f) => f.startsWith('h:')).length };
}

const dayStart = (at: number): number => at - (at % 86_400_000);

/** Amounts with long binary expansions: a different order of additions would show in the last digits. */
const amounts = Array.from({ length: 300 }, (_, i) => 0.001 + ((i * 7919) % 1000) / 1_000_003);

describe('RedisBudgetBook settle batches', () => {
  it('300 concurrent settles are two script calls (256 at most each), with the numbers and the listener’s statuses of one by one', async () => {
    const told = new Map<string, number[]>();
    const listener = { settled: (s: BudgetStatus) => told.set(s.ref.id, [...(told.get(s.ref.id) ?? []), s.settledUsd]), refused: () => undefined };
    const { book: batched } = await replica({ listener });
    const { book: single } = await replica({ listener });
    const tenantA = budget('tenant:batchA:day', 1_000, { tenant: 'batchA' });
    const keyA = budget('key:ka:day', 1_000, { tenant: 'batchA' });
    const tenantB = budget('tenant:batchB:day', 1_000, { tenant: 'batchB' });
    const keyB = budget('key:kb:day', 1_000, { tenant: 'batchB' });

    const one = await holds(single, [keyB, tenantB], amounts.length, 1);
    const callsBefore = single.settleScriptCalls;
    for (let i = 0; i < amounts.length; i++) await one[i]!.settle(amounts[i]!);
    expect(single.settleScriptCalls - callsBefore).toBe(amounts.length);

    const many = await holds(batched, [keyA, tenantA], amounts.length, 1);
    const before = batched.settleScriptCalls;
    await Promise.all(many.map((hold, i) => hold.settle(amounts[i]!)));
    expect(batched.settleScriptCalls - before).toBe(2);

    const a = await batched.view([keyA, tenantA]);
    const b = await single.view([keyB, tenantB]);
    expect(a.status(keyA).settledUsd).toBe(b.status(keyB).settledUsd);
    expect(a.status(tenantA).settledUsd).toBe(b.status(tenantB).settledUsd);
    expect(a.status(keyA).settledUsd).toBeCloseTo(amounts.reduce((sum, x) => sum + x, 0), 9);
    expect(a.status(keyA).reservedUsd).toBe(0);
    const at = Date.now();
    expect(await shared(keyA, dayStart(at))).toMatchObject({ reserved: 0, holds: 0 });
    expect(await shared(tenantA, dayStart(at))).toMatchObject({ reserved: 0, holds: 0 });
    // Told of each settle with the numbers just after it, in order: the same as one by one.
    expect(told.get(keyA.id)).toHaveLength(amounts.length);
    expect(told.get(keyA.id)).toEqual(told.get(keyB.id));
    expect(told.get(tenantA.id)).toEqual(told.get(tenantB.id));
  });

  it('a settle asked for before midnight books into that day, though its batch goes out after', async () => {
    let now = Date.parse('2026-12-05T23:59:59.900Z');
    const { book } = await replica({ now: () => now });
    const daily = budget('tenant:batchmidnight:day', 10, { tenant: 'batchmidnight' });
    const [hold] = await holds(book, [daily], 1, 0.5);
    const settling = hold!.settle(0.25);
    now = Date.parse('2026-12-06T00:00:00.100Z');
    await settling;
    expect(await shared(daily, Date.parse('2026-12-05T00:00:00Z'))).toEqual({ settled: 0.25, reserved: 0, holds: 0 });
    expect(await shared(daily, Date.parse('2026-12-06T00:00:00Z'))).toEqual({ settled: 0, reserved: 0, holds: 0 });
  });

  it('a batch cut off by an outage is queued settle by settle, sent again once Redis answers, and applied once', async () => {
    const { book, connection } = await replica({}, proxy.port);
    const daily = budget('tenant:batchcut:day', 100, { tenant: 'batchcut' });
    const held = await holds(book, [daily], 40, 1);
    const before = book.settleScriptCalls;
    // Asked for in one turn; the connection is cut before the batch goes out on the next.
    const settling = held.map((hold, i) => hold.settle(amounts[i]!));
    proxy.cut();
    await Promise.all(settling);
    expect(book.settleScriptCalls - before).toBe(1);
    expect(book.queuedSettles).toBe(40);
    await vi.waitFor(() => expect(connection.status).not.toBe('ready'));
    proxy.restore();
    await vi.waitFor(() => expect(book.queuedSettles).toBe(0), { timeout: 10_000 });
    const expected = amounts.slice(0, 40).reduce((sum, x) => sum + x, 0);
    const numbers = await shared(daily, dayStart(Date.now()));
    expect(numbers).toMatchObject({ reserved: 0, holds: 0 });
    expect(numbers.settled).toBeCloseTo(expected, 9);
  });

  it('close() sends the settles waiting for their batch before it returns', async () => {
    const { book, connection } = await replica();
    const daily = budget('tenant:batchclose:day', 100, { tenant: 'batchclose' });
    const held = await holds(book, [daily], 10, 1);
    const settling = held.map((hold) => hold.settle(0.5));
    await book.close();
    // The gateway drops its connection right after: nothing may be left to send.
    connection.disconnect();
    await Promise.all(settling);
    expect(await shared(daily, dayStart(Date.now()))).toEqual({ settled: 5, reserved: 0, holds: 0 });
  });
});
