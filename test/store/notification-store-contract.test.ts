/**
 * The NotificationStore contract, run against every store kind: the
 * embedded SQLite file and PostgreSQL (a schema of its own per test). "Two
 * connections" are two processes (replicas) sharing the store: a claim never
 * hands the same row to both.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Notification } from '../../src/notifications/contracts.js';
import type { NotificationStore } from '../../src/notifications/store.js';
import { migrate } from '../../src/store/postgres/database.js';
import { PostgresNotificationStore } from '../../src/store/postgres/notification-store.js';
import { SqliteNotificationStore } from '../../src/store/sqlite/notification-store.js';
import { createTestSchema } from '../helpers/pg-schema.js';

interface Fixture {
  /** A new connection to the same, initially empty store. */
  connect(): NotificationStore;
  close(): Promise<void>;
}

const backends: Array<{ readonly kind: string; open(): Promise<Fixture> }> = [
  {
    kind: 'sqlite',
    open() {
      const dir = mkdtempSync(join(tmpdir(), 'tollgate-outbox-'));
      const opened: NotificationStore[] = [];
      return Promise.resolve({
        connect: () => {
          const store = SqliteNotificationStore.open(join(dir, 'store.sqlite'));
          opened.push(store);
          return store;
        },
        close: async () => {
          for (const store of opened) await store.close();
          rmSync(dir, { recursive: true, force: true });
        },
      });
    },
  },
  {
    kind: 'postgres',
    async open() {
      const schema = await createTestSchema();
      await migrate(schema.pool(1));
      return { connect: () => new PostgresNotificationStore(schema.pool()), close: () => schema.drop() };
    },
  },
];

function notification(id: string): Notification {
  return { id, kind: 'budget_threshold', tenant: 'team', subject: 's', text: 't', markdown: 'm', data: { n: 1 }, createdAt: 1_000 };
}

const CHANNELS = ['slack', 'webhook', 'email'];
/** Epoch ms of 2025: beyond a 32-bit integer. */
const T = 1_754_000_000_000;

describe.each(backends)('NotificationStore contract: $kind', (backend) => {
  let fx: Fixture;

  beforeEach(async () => {
    fx = await backend.open();
  });

  afterEach(async () => {
    await fx.close();
  });

  it('stores an id once per channel, for ever: again, and from another connection, nothing is added', async () => {
    const first = fx.connect();
    expect(await first.enqueue(notification('a'), CHANNELS, T)).toEqual(CHANNELS);
    expect(await first.enqueue(notification('a'), CHANNELS, T + 1)).toEqual([]);
    const second = fx.connect();
    expect(await second.enqueue(notification('a'), ['other', ...CHANNELS, 'other'], T + 2)).toEqual(['other']);
    expect(await second.enqueue(notification('b'), [], T + 2)).toEqual([]);
    expect(await second.backlog(CHANNELS)).toBe(3);
    expect(await second.backlog(['other'])).toBe(1);
    expect(await second.backlog(['nowhere'])).toBe(0);
  });

  it('claims due rows, oldest first, up to the limit: each becomes sending, its attempts counted', async () => {
    const s = fx.connect();
    await s.enqueue(notification('late'), ['slack'], T + 50);
    await s.enqueue(notification('early'), ['slack'], T + 10);
    await s.enqueue(notification('other-channel'), ['email'], T);
    expect(await s.claim(['slack'], T + 5, 10, 'w')).toEqual([]);
    const claimed = await s.claim(['slack'], T + 100, 1, 'w');
    expect(claimed).toEqual([{ notification: notification('early'), channel: 'slack', attempts: 1, storedAt: T + 10 }]);
    expect((await s.claim(['slack'], T + 100, 10, 'w')).map((e) => e.notification.id)).toEqual(['late']);
    expect(await s.claim(['slack'], T + 100, 10, 'w')).toEqual([]);
    // Sending rows are still backlog; the email row was never claimed.
    expect(await s.backlog(['slack', 'email'])).toBe(3);
    expect(await s.nextDue(['slack'])).toBeUndefined();
    expect(await s.nextDue(['slack', 'email'])).toBe(T);
  });

  it('a claimed row belongs to one worker, even across connections', async () => {
    const a = fx.connect();
    const b = fx.connect();
    await a.enqueue(notification('n1'), ['slack'], 10);
    await a.enqueue(notification('n2'), ['slack'], 10);
    const claimedByA = await a.claim(['slack'], 20, 1, 'worker-a');
    const claimedByB = await b.claim(['slack'], 20, 10, 'worker-b');
    expect(claimedByA).toHaveLength(1);
    expect(claimedByB).toHaveLength(1);
    expect(claimedByA[0]!.notification.id).not.toBe(claimedByB[0]!.notification.id);
    expect(await b.claim(['slack'], 20, 10, 'worker-b')).toEqual([]);
  });

  it('claims at the same moment from several connections never hand out a row twice, and miss none', async () => {
    const writer = fx.connect();
    const ids = Array.from({ length: 60 }, (_, i) => `n${i}`);
    for (const id of ids) await writer.enqueue(notification(id), ['webhook'], T);
    const workers = Array.from({ length: 4 }, (_, i) => ({ store: fx.connect(), name: `w${i}` }));
    const taken: string[] = [];
    // Rounds of simultaneous claims until the queue is empty.
    for (let round = 0; round < 40 && taken.length < ids.length; round++) {
      const batches = await Promise.all(workers.map((w) => w.store.claim(['webhook'], T, 7, w.name)));
      for (const batch of batches) taken.push(...batch.map((e) => e.notification.id));
    }
    expect(new Set(taken).size).toBe(taken.length);
    expect([...taken].sort()).toEqual([...ids].sort());
    expect(await writer.backlog(['webhook'])).toBe(ids.length);
  });

  it('a delivered row leaves the backlog; only its worker may settle it', async () => {
    const s = fx.connect();
    await s.enqueue(notification('d'), ['slack'], T);
    await s.claim(['slack'], T, 5, 'w');
    await s.delivered('d', 'slack', 'someone-else', T + 1);
    expect(await s.backlog(['slack'])).toBe(1);
    await s.delivered('d', 'slack', 'w', T + 1);
    expect(await s.backlog(['slack'])).toBe(0);
    // Settled: a late retry of the same row changes nothing.
    await s.retry('d', 'slack', 'w', T + 5, 'late');
    expect(await s.nextDue(['slack'])).toBeUndefined();
  });

  it('a retried row is due again at its time, with its attempts counted', async () => {
    const s = fx.connect();
    await s.enqueue(notification('r'), ['webhook'], 10);
    await s.claim(['webhook'], 10, 5, 'w');
    await s.retry('r', 'webhook', 'someone-else', 15, 'HTTP 500');
    expect(await s.nextDue(['webhook'])).toBeUndefined();
    await s.retry('r', 'webhook', 'w', T + 500, 'HTTP 500');
    expect(await s.nextDue(['webhook'])).toBe(T + 500);
    expect(await s.claim(['webhook'], T + 499, 5, 'w')).toEqual([]);
    const [again] = await s.claim(['webhook'], T + 500, 5, 'w2');
    expect(again?.attempts).toBe(2);
    await s.delivered('r', 'webhook', 'w', T + 600);
    expect(await s.backlog(['webhook'])).toBe(1);
    await s.delivered('r', 'webhook', 'w2', T + 600);
    expect(await s.backlog(['webhook'])).toBe(0);
    expect(await s.enqueue(notification('r'), ['webhook'], T + 700)).toEqual([]);
  });

  it('a failed row leaves the backlog for good', async () => {
    const s = fx.connect();
    await s.enqueue(notification('f'), ['email'], 10);
    await s.claim(['email'], 10, 5, 'w');
    await s.failed('f', 'email', 'other', 20, 'HTTP 400');
    expect(await s.backlog(['email'])).toBe(1);
    await s.failed('f', 'email', 'w', 20, 'HTTP 400');
    expect(await s.backlog(['email'])).toBe(0);
    expect(await s.claim(['email'], T, 5, 'w')).toEqual([]);
    expect(await s.abandon(['email'], T, T, 'interrupted')).toEqual([]);
  });

  it('rows left sending past their lease are failed and returned once; newer claims are left alone', async () => {
    const s = fx.connect();
    await s.enqueue(notification('old'), ['email'], 10);
    await s.claim(['email'], 10, 5, 'gone');
    await s.enqueue(notification('new'), ['email'], 100);
    await s.claim(['email'], 100, 5, 'alive');
    expect(await s.abandon(['slack'], 50, 200, 'interrupted')).toEqual([]);
    expect(await s.abandon(['email'], 50, 200, 'interrupted')).toEqual([{ id: 'old', channel: 'email', kind: 'budget_threshold', attempts: 1 }]);
    expect(await s.abandon(['email'], 50, 200, 'interrupted')).toEqual([]);
    expect(await s.backlog(['email'])).toBe(1);
    // The reaped row stays failed: its worker's late report changes nothing.
    await s.delivered('old', 'email', 'gone', 300);
    await s.retry('old', 'email', 'gone', 300, 'x');
    expect(await s.backlog(['email'])).toBe(1);
  });
});
