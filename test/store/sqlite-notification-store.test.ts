/**
 * The outbox's SQLite store: one row per (id, channel) for ever, claims that
 * two connections to the same file never share, and abandoned sends reaped.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Notification } from '../../src/notifications/contracts.js';
import { SqliteNotificationStore } from '../../src/store/sqlite/notification-store.js';

let dir: string;
const open: SqliteNotificationStore[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tollgate-outbox-'));
});

afterEach(async () => {
  while (open.length > 0) await open.pop()!.close();
  rmSync(dir, { recursive: true, force: true });
});

function store(): SqliteNotificationStore {
  const opened = SqliteNotificationStore.open(join(dir, 'store.sqlite'));
  open.push(opened);
  return opened;
}

function notification(id: string): Notification {
  return { id, kind: 'budget_threshold', tenant: 'team', subject: 's', text: 't', markdown: 'm', data: { n: 1 }, createdAt: 1_000 };
}

const CHANNELS = ['slack', 'webhook', 'email'];

describe('SqliteNotificationStore', () => {
  it('stores an id once per channel, for ever: again, and after a reopen, nothing is added', async () => {
    const first = store();
    expect(await first.enqueue(notification('a'), CHANNELS, 10)).toEqual(CHANNELS);
    expect(await first.enqueue(notification('a'), CHANNELS, 11)).toEqual([]);
    await first.close();
    const second = store();
    expect(await second.enqueue(notification('a'), [...CHANNELS, 'other'], 12)).toEqual(['other']);
    expect(await second.backlog(CHANNELS)).toBe(3);
  });

  it('a claimed row belongs to one worker, even across connections to the same file', async () => {
    const a = store();
    const b = store();
    await a.enqueue(notification('n1'), ['slack'], 10);
    await a.enqueue(notification('n2'), ['slack'], 10);
    const claimedByA = await a.claim(['slack'], 20, 1, 'worker-a');
    const claimedByB = await b.claim(['slack'], 20, 10, 'worker-b');
    expect(claimedByA.map((e) => e.notification.id)).toHaveLength(1);
    expect(claimedByB.map((e) => e.notification.id)).toHaveLength(1);
    expect(claimedByA[0]!.notification.id).not.toBe(claimedByB[0]!.notification.id);
    expect(await b.claim(['slack'], 20, 10, 'worker-b')).toEqual([]);
    expect(claimedByA[0]).toMatchObject({ channel: 'slack', attempts: 1, storedAt: 10, notification: { data: { n: 1 } } });
  });

  it('a retried row is due again at its time, with its attempts counted; only its worker may settle it', async () => {
    const s = store();
    await s.enqueue(notification('r'), ['webhook'], 10);
    await s.claim(['webhook'], 10, 5, 'w');
    await s.retry('r', 'webhook', 'someone-else', 15, 'HTTP 500');
    expect(await s.nextDue(['webhook'])).toBeUndefined();
    await s.retry('r', 'webhook', 'w', 500, 'HTTP 500');
    expect(await s.nextDue(['webhook'])).toBe(500);
    expect(await s.claim(['webhook'], 499, 5, 'w')).toEqual([]);
    const [again] = await s.claim(['webhook'], 500, 5, 'w');
    expect(again?.attempts).toBe(2);
    await s.delivered('r', 'webhook', 'w', 600);
    expect(await s.backlog(['webhook'])).toBe(0);
    expect(await s.enqueue(notification('r'), ['webhook'], 700)).toEqual([]);
  });

  it('rows left sending past their lease are failed and returned once; newer claims are left alone', async () => {
    const s = store();
    await s.enqueue(notification('old'), ['email'], 10);
    await s.claim(['email'], 10, 5, 'gone');
    await s.enqueue(notification('new'), ['email'], 100);
    await s.claim(['email'], 100, 5, 'alive');
    expect(await s.abandon(['email'], 50, 200, 'interrupted')).toEqual([{ id: 'old', channel: 'email', kind: 'budget_threshold', attempts: 1 }]);
    expect(await s.abandon(['email'], 50, 200, 'interrupted')).toEqual([]);
    expect(await s.backlog(['email'])).toBe(1);
  });
});
