/**
 * The outbox's worker on a manual clock: failed deliveries come back after
 * exponential backoff with full jitter, a notification is given up after its
 * maximum age (logged once), restarts resume pending rows, rows left
 * `sending` by a crash are not sent again, and close lets a send in flight
 * finish. The channel is a scripted implementation of the Channel interface;
 * the store is the real SQLite one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { delayCeiling, nextAttemptAt, type RetrySchedule } from '../../src/notifications/backoff.js';
import { DeliveryError, type Channel } from '../../src/notifications/channels/index.js';
import type { Notification } from '../../src/notifications/contracts.js';
import { Outbox, type DeliveryOutcome } from '../../src/notifications/outbox.js';
import { SqliteNotificationStore } from '../../src/store/sqlite/notification-store.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { capturedLog } from '../helpers/log-capture.js';
import { sample, until } from './support.js';

const SCHEDULE: RetrySchedule = { baseDelayMs: 2_000, maxDelayMs: 600_000, maxAgeMs: 86_400_000, maxAttempts: 200 };

/** A channel whose answers the test scripts: each send takes the next answer (true: accepted). */
class ScriptedChannel implements Channel {
  readonly name = 'webhook' as const;
  readonly target = 'hooks.example.com';
  readonly sends: Array<{ readonly id: string; readonly at: number }> = [];
  hold: Promise<void> | undefined;

  constructor(
    private readonly clock: FakeClock,
    private readonly answers: boolean[],
  ) {}

  async send(notification: Notification): Promise<void> {
    this.sends.push({ id: notification.id, at: this.clock.now() });
    if (this.hold !== undefined) await this.hold;
    if (this.answers.shift() === false) throw new DeliveryError('HTTP 500', 500, 'upstream sad');
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

let dir: string;
const cleanups: Array<() => Promise<void>> = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tollgate-outbox-'));
});

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
  rmSync(dir, { recursive: true, force: true });
});

function outbox(clock: FakeClock, channel: Channel, options: { schedule?: RetrySchedule; leaseMs?: number } = {}) {
  const store = SqliteNotificationStore.open(join(dir, 'store.sqlite'));
  const { log, lines } = capturedLog();
  const outcomes: DeliveryOutcome[] = [];
  const box = new Outbox({ store, channels: [channel], log, clock, random: () => 0.5, schedule: options.schedule ?? SCHEDULE, leaseMs: options.leaseMs ?? 120_000, onOutcome: (_c, _k, outcome) => outcomes.push(outcome) });
  box.start();
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await box.close(1_000);
    await store.close();
  };
  cleanups.push(close);
  return { box, store, lines, outcomes, close };
}

describe('the retry schedule', () => {
  it('doubles from 2 s to a 10 min cap, with full jitter below the ceiling', () => {
    expect([1, 2, 3, 4, 9, 10, 11, 50].map((n) => delayCeiling(n, SCHEDULE))).toEqual([2_000, 4_000, 8_000, 16_000, 512_000, 600_000, 600_000, 600_000]);
    expect(nextAttemptAt(3, 0, 1_000, SCHEDULE, () => 0)).toBe(1_000);
    expect(nextAttemptAt(3, 0, 1_000, SCHEDULE, () => 0.999_999)).toBe(1_000 + 7_999);
  });

  it('gives up past the maximum age or attempts', () => {
    expect(nextAttemptAt(5, 0, 86_400_000 - 1_000, SCHEDULE, () => 0.5)).toBeUndefined();
    expect(nextAttemptAt(5, 0, 86_400_000 - 100_000, SCHEDULE, () => 0.5)).toBe(86_400_000 - 100_000 + 16_000);
    expect(nextAttemptAt(200, 0, 0, SCHEDULE, () => 0.5)).toBeUndefined();
  });
});

describe('the outbox worker', () => {
  it('retries a failing delivery with backoff until it is delivered, once', async () => {
    const clock = new FakeClock(Date.UTC(2026, 4, 1));
    const start = clock.now();
    const channel = new ScriptedChannel(clock, [false, false, false, true]);
    const { box, outcomes, lines } = outbox(clock, channel);
    await box.notify(sample('n1'));
    await box.notify(sample('n1'));
    await until(() => channel.sends.length === 1, 'the first attempt');
    // random() = 0.5: waits of 1 s, 2 s and 4 s (half of 2, 4, 8 s).
    for (const [waitMs, sends] of [
      [999, 1],
      [1, 2],
      [2_000, 3],
      [4_000, 4],
    ] as const) {
      await until(() => clock.pendingSleeps > 0, 'the worker to wait');
      await clock.advance(waitMs);
      await until(() => channel.sends.length === sends, `attempt ${sends}`);
    }
    expect(channel.sends.map((s) => s.at - start)).toEqual([0, 1_000, 3_000, 7_000]);
    await until(() => outcomes.length === 4, 'the outcomes');
    expect(outcomes).toEqual(['retried', 'retried', 'retried', 'delivered']);
    await clock.advance(3_600_000);
    expect(channel.sends).toHaveLength(4);
    expect(await box.backlog()).toBe(0);
    const retried = lines.filter((line) => line.includes('failed; it is retried'));
    expect(retried).toHaveLength(3);
    expect(JSON.parse(retried[0]!)).toMatchObject({ status: 500, answer: 'upstream sad', target: 'hooks.example.com', attempt: 1 });
  });

  it('gives up after the maximum age: failed, logged once, never sent again', async () => {
    const clock = new FakeClock();
    const channel = new ScriptedChannel(clock, Array.from({ length: 100 }, () => false));
    const schedule = { ...SCHEDULE, maxAgeMs: 10_000 };
    const { box, outcomes, lines } = outbox(clock, channel, { schedule });
    await box.notify(sample('late'));
    await until(() => outcomes.includes('failed') || clock.pendingSleeps > 0, 'the first attempt');
    for (let i = 0; i < 20 && !outcomes.includes('failed'); i++) {
      await clock.advance(5_000);
      await until(() => outcomes.includes('failed') || clock.pendingSleeps > 0, 'the worker');
    }
    expect(outcomes.at(-1)).toBe('failed');
    expect(outcomes.filter((o) => o === 'failed')).toHaveLength(1);
    const sent = channel.sends.length;
    // 1 s, 2 s, 4 s: the next wait (8 s) would pass the 10 s age.
    expect(sent).toBe(4);
    await clock.advance(600_000);
    expect(channel.sends).toHaveLength(sent);
    expect(lines.filter((line) => line.includes('gave up sending notification late'))).toHaveLength(1);
  });

  it('resumes pending rows after a restart', async () => {
    const clock = new FakeClock();
    const failing = new ScriptedChannel(clock, [false]);
    const first = outbox(clock, failing);
    await first.box.notify(sample('resume'));
    await until(() => first.outcomes.length === 1, 'the failed attempt');
    await first.close();
    const healthy = new ScriptedChannel(clock, [true]);
    const second = outbox(clock, healthy);
    await until(() => clock.pendingSleeps > 0, 'the worker to wait');
    await clock.advance(1_000);
    await until(() => second.outcomes.length === 1, 'the delivery');
    expect(healthy.sends.map((s) => s.id)).toEqual(['resume']);
    await second.box.notify(sample('resume'));
    await clock.advance(600_000);
    expect(healthy.sends).toHaveLength(1);
  });

  it('a row left sending by a crash is marked interrupted after its lease and not sent again', async () => {
    const clock = new FakeClock();
    const store = SqliteNotificationStore.open(join(dir, 'store.sqlite'));
    await store.enqueue(sample('crashed'), ['webhook'], clock.now());
    // A worker claimed it and died before it could record the outcome.
    expect(await store.claim(['webhook'], clock.now(), 10, 'dead-worker')).toHaveLength(1);
    await store.close();
    const channel = new ScriptedChannel(clock, [true]);
    const { outcomes, lines, box } = outbox(clock, channel, { leaseMs: 60_000 });
    await until(() => clock.pendingSleeps > 0, 'the worker to wait');
    await clock.advance(61_000);
    await until(() => outcomes.length === 1, 'the reaping');
    expect(outcomes).toEqual(['interrupted']);
    expect(channel.sends).toEqual([]);
    expect(lines.some((line) => line.includes('notification crashed was being sent to webhook when a gateway stopped'))).toBe(true);
    expect(await box.backlog()).toBe(0);
  });

  it('close lets a send in flight finish and records it', async () => {
    const clock = new FakeClock();
    const channel = new ScriptedChannel(clock, [true]);
    let release!: () => void;
    channel.hold = new Promise((resolve) => (release = resolve));
    const { box, outcomes, close } = outbox(clock, channel);
    await box.notify(sample('in-flight'));
    await until(() => channel.sends.length === 1, 'the send to start');
    const closing = close();
    setTimeout(release, 50);
    await closing;
    expect(outcomes).toEqual(['delivered']);
  });

  it('close cuts a send short after its wait: marked interrupted, not sent again after a restart', async () => {
    const clock = new FakeClock();
    const stuck = new ScriptedChannel(clock, [true]);
    stuck.hold = new Promise(() => undefined);
    const first = outbox(clock, stuck);
    await first.box.notify(sample('stuck'));
    await until(() => stuck.sends.length === 1, 'the send to start');
    await first.box.close(50);
    expect(first.outcomes).toEqual(['interrupted']);
    expect(first.lines.some((line) => line.includes('cut short by the shutdown'))).toBe(true);
    await first.close();
    const healthy = new ScriptedChannel(clock, [true]);
    const second = outbox(clock, healthy);
    await second.box.notify(sample('stuck'));
    await clock.advance(600_000);
    expect(healthy.sends).toEqual([]);
    expect(await second.box.backlog()).toBe(0);
  });
});
