/**
 * The budgets shared through Redis, against the real server: two books are
 * two gateway replicas. The limit holds across them under concurrency, the
 * holds of a replica that died expire, a live call's heartbeat keeps its
 * hold, a period rolls over as in the in-process book, and a period's spend
 * is read from the ledger once across replicas.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BudgetRef, BudgetStatus } from '../../src/budgets/budget-store.js';
import { RedisBudgetBook, type RedisBudgetBookOptions } from '../../src/store/redis/budget-book.js';
import { budget, budgetHashes, client, silentLog, testPrefix } from './redis-budget-helpers.js';

let redis: Redis;
const scope = testPrefix();
const prefix = scope.prefix;
const books: RedisBudgetBook[] = [];
const clients: Redis[] = [];

beforeAll(() => {
  redis = client();
});
afterAll(async () => {
  await Promise.all(books.map((b) => b.close()));
  await scope.cleanup(redis);
  for (const c of [redis, ...clients]) c.disconnect();
});

/** A replica's book on its own connection; each test its own budget ids. */
function replica(options: Partial<RedisBudgetBookOptions> = {}): RedisBudgetBook {
  const connection = client();
  clients.push(connection);
  const book = new RedisBudgetBook({ redis: connection, keyPrefix: prefix, whenUnavailable: 'fail_closed', spentSince: () => Promise.resolve(0), log: silentLog, ...options });
  books.push(book);
  return book;
}

async function held(book: RedisBudgetBook, refs: readonly BudgetRef[], amount: number) {
  const result = await book.reserve(refs, amount);
  if (!result.ok) throw new Error(`expected a reservation, refused by ${result.status.ref.id}`);
  return result;
}

/** mulberry32: the same sequence on every run. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('RedisBudgetBook', () => {
  it('two replicas, 300 concurrent reserve+settle cycles: the limit holds, nothing is left held, Redis has the sum of the real costs', async () => {
    const a = replica();
    const b = replica();
    const tenant = budget('tenant:concurrent:day', 5, { tenant: 'concurrent' });
    const key = budget('key:k1:day', 3, { tenant: 'concurrent' });
    const random = seeded(42);
    let spent = 0;
    let admitted = 0;
    let refused = 0;
    await Promise.all(
      Array.from({ length: 300 }, async (_, i) => {
        const reservation = 0.05 + random() * 0.1;
        const actual = random() * reservation;
        const result = await (i % 2 === 0 ? a : b).reserve([key, tenant], reservation);
        if (!result.ok) {
          refused++;
          return;
        }
        admitted++;
        // Settle after a little while, so that holds overlap.
        await new Promise((resolve) => setTimeout(resolve, random() * 20));
        spent += actual;
        await result.reservation.settle(actual);
      }),
    );
    expect(admitted).toBeGreaterThan(20);
    expect(refused).toBeGreaterThan(0);
    const after = await a.view([key, tenant]);
    const keyStatus = after.status(key);
    expect(keyStatus.settledUsd).toBeLessThanOrEqual(3 + 1e-9);
    expect(keyStatus.settledUsd).toBeCloseTo(spent, 9);
    expect(keyStatus.reservedUsd).toBe(0);
    expect(after.status(tenant)).toMatchObject({ reservedUsd: 0 });
    expect(after.status(tenant).settledUsd).toBeCloseTo(spent, 9);
    // No hold left in Redis: the sorted sets are gone or empty, no hold field in the hashes.
    const hashes = [...(await budgetHashes(redis, prefix)).entries()].filter(([k]) => k.includes('concurrent'));
    expect(hashes).toHaveLength(2);
    for (const [, hash] of hashes) expect(Object.keys(hash).filter((f) => f.startsWith('h:'))).toEqual([]);
  });

  it('reserves on every budget or none, and says which budget refused with the numbers of both replicas', async () => {
    const a = replica();
    const b = replica();
    const tenant = budget('tenant:allornone:day', 10, { tenant: 'allornone' });
    const key = budget('key:k2:day', 1, { tenant: 'allornone' });
    const first = await held(a, [key, tenant], 0.6);
    expect(first.view.status(key)).toMatchObject({ reservedUsd: 0.6, remainingUsd: 0.4 });
    const second = await b.reserve([key, tenant], 0.6);
    expect(second.ok).toBe(false);
    if (!second.ok) expect(second.status).toMatchObject({ ref: key, limitUsd: 1, reservedUsd: 0.6 });
    expect((await b.status(tenant)).reservedUsd).toBeCloseTo(0.6);
    await first.reservation.settle(0.5);
    expect(await b.status(key)).toMatchObject({ settledUsd: 0.5, reservedUsd: 0, remainingUsd: 0.5 });
  });

  it('grows a hold on every budget or none; a partial step is what is left; the settle frees the whole hold', async () => {
    const a = replica();
    const b = replica();
    const tenant = budget('tenant:grow:day', 10, { tenant: 'grow' });
    const key = budget('key:k3:day', 1, { tenant: 'grow' });
    const { reservation } = await held(a, [key, tenant], 0.5);
    expect(reservation.remote).toBe(true);
    if (!reservation.remote) return;
    // Prices that are exact in binary, so that the test reads as arithmetic. 2 tokens at $0.125: fit.
    expect(await reservation.grow(2, 0, 0.125)).toEqual({ grantedTokens: 2, tightest: undefined });
    expect((await b.status(tenant)).reservedUsd).toBe(0.75);
    // 4 more do not fit the key: what is left (2 tokens), as it pays for the 1 asked at least.
    expect((await reservation.grow(4, 1, 0.125)).grantedTokens).toBe(2);
    expect(reservation.amountUsd).toBe(1);
    // Nothing left: refused, naming the key; the tenant did not grow.
    const refused = await reservation.grow(1, 1, 0.125);
    expect(refused.grantedTokens).toBe(0);
    expect(refused.tightest?.ref).toBe(key);
    expect((await b.status(tenant)).reservedUsd).toBe(1);
    await reservation.settle(0.9);
    expect(await b.status(key)).toMatchObject({ reservedUsd: 0 });
    expect((await b.status(key)).settledUsd).toBeCloseTo(0.9);
  });

  it('a replica that dies: its holds stop counting after the TTL; a live call’s heartbeat keeps its hold past it', async () => {
    let now = Date.parse('2026-12-05T12:00:00Z');
    const clock = (): number => now;
    const dead = replica({ now: clock, holdTtlMs: 60_000 });
    const live = replica({ now: clock, holdTtlMs: 60_000 });
    const other = replica({ now: clock, holdTtlMs: 60_000 });
    const daily = budget('tenant:ttl:day', 1, { tenant: 'ttl' });
    await held(dead, [daily], 0.4);
    await held(live, [daily], 0.4);
    expect((await other.reserve([daily], 0.4)).ok).toBe(false);
    // The dead replica sends nothing more; the live one renews at TTL/3 (here by hand, the clock being a test's).
    now += 40_000;
    await live.renewHolds();
    now += 30_000;
    expect(await other.status(daily)).toMatchObject({ reservedUsd: 0.4 });
    now += 40_000;
    await live.renewHolds();
    now += 40_000;
    // 150 s after both reserved: the dead replica's hold is gone, the live one's is still held.
    expect(await other.status(daily)).toMatchObject({ reservedUsd: 0.4 });
    expect((await other.reserve([daily], 0.4)).ok).toBe(true);
  });

  it('renews by itself every TTL/3 while a call is in flight (real time)', async () => {
    const live = replica({ holdTtlMs: 300 });
    const dead = replica({ holdTtlMs: 300 });
    const other = replica({ holdTtlMs: 300 });
    const daily = budget('tenant:heartbeat:day', 1, { tenant: 'heartbeat' });
    const { reservation } = await held(live, [daily], 0.3);
    await held(dead, [daily], 0.3);
    // The dead replica stops: its heartbeat with it.
    await dead.close();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect((await other.status(daily)).reservedUsd).toBeCloseTo(0.3);
    await reservation.settle(0.1);
    expect(await other.status(daily)).toMatchObject({ reservedUsd: 0 });
  });

  it('a new period starts empty; a call reserved before midnight releases the old period and is booked in the new', async () => {
    let now = Date.parse('2026-12-05T23:59:00Z');
    const ledger = new Map<number, number>([[Date.parse('2026-12-05T00:00:00Z'), 0.7]]);
    const options = { now: () => now, spentSince: (_: BudgetRef, since: number) => Promise.resolve(ledger.get(since) ?? 0) };
    const a = replica(options);
    const b = replica(options);
    const daily = budget('tenant:rollover:day', 1, { tenant: 'rollover' });
    const { reservation } = await held(a, [daily], 0.2);
    expect((await b.reserve([daily], 0.2)).ok).toBe(false);
    now = Date.parse('2026-12-06T00:01:00Z');
    expect(await b.status(daily)).toMatchObject({ settledUsd: 0, reservedUsd: 0, resetsAt: Date.parse('2026-12-07T00:00:00Z') });
    await reservation.settle(0.15);
    expect(await b.status(daily)).toMatchObject({ settledUsd: 0.15, reservedUsd: 0 });
    // The old period's hold was released there (its keys expire a day after it ended).
    const old = `${prefix}budget:{rollover}:${daily.id}:${Date.parse('2026-12-05T00:00:00Z')}`;
    expect(await redis.hget(old, 'reserved')).toBe('0');
    expect(Number(await redis.hget(old, 'settled'))).toBeCloseTo(0.7);
    expect(await redis.pexpiretime(old)).toBe(Date.parse('2026-12-07T00:00:00Z'));
  });

  it('reads a period’s spend from the ledger once across replicas, and keeps what was booked before the seed', async () => {
    let reads = 0;
    const spentSince = async (): Promise<number> => {
      reads++;
      await new Promise((resolve) => setTimeout(resolve, 20));
      return 2;
    };
    const a = replica({ spentSince });
    const b = replica({ spentSince });
    const monthly = budget('tenant:seed:month', 10, { tenant: 'seed', period: 'month' });
    // Both replicas see it unseeded at once: two ledger reads at most, one seed counts.
    await Promise.all([held(a, [monthly], 1), held(b, [monthly], 1)]);
    expect(reads).toBeLessThanOrEqual(2);
    expect(await a.status(monthly)).toMatchObject({ settledUsd: 2, reservedUsd: 2 });
    // A third replica finds it seeded: no ledger read.
    const before = reads;
    const c = replica({ spentSince });
    expect(await c.status(monthly)).toMatchObject({ settledUsd: 2 });
    expect(reads).toBe(before);

    // A settle booked into a period nobody seeded yet: the seed keeps the larger of the two (here the ledger's 2).
    const fresh = budget('tenant:seed2:day', 10, { tenant: 'seed2' });
    await c.bookFallback([fresh], 0.5);
    expect(await c.status(fresh)).toMatchObject({ settledUsd: 2 });
  });

  it('tells its listener of settles and refusals with the shared numbers', async () => {
    const settled: BudgetStatus[] = [];
    const refused: string[] = [];
    const listener = { settled: (s: BudgetStatus) => settled.push(s), refused: (s: BudgetStatus) => refused.push(s.ref.id) };
    const a = replica({ listener });
    const b = replica({ listener });
    const daily = budget('tenant:listener:day', 1, { tenant: 'listener' });
    const { reservation } = await held(a, [daily], 0.6);
    expect((await b.reserve([daily], 0.6)).ok).toBe(false);
    await reservation.settle(0.5);
    expect(refused).toEqual([daily.id]);
    expect(settled.map((s) => s.settledUsd)).toEqual([0.5]);
    expect(a.statuses().find((s) => s.ref.id === daily.id)).toMatchObject({ settledUsd: 0.5, reservedUsd: 0 });
  });
});
