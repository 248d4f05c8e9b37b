/**
 * The daily billing summary with a manual clock and timers: it fires at the
 * configured local time, reports the previous local day, once per tenant
 * per day (the recording notifier below drops an id it has, as the durable
 * one does), catches up after a restart past the hour without a second id,
 * and follows Berlin's calendar across daylight-saving changes.
 */
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { NotificationsConfig } from '../../src/config/types.js';
import type { UsageLedger } from '../../src/metering/usage-ledger.js';
import type { UsageRecord } from '../../src/metering/usage-record.js';
import type { Notification, Notifier } from '../../src/notifications/contracts.js';
import type { BillingReport } from '../../src/reports/billing-report.js';
import { startDailySummaries, type DailySummaries, type ScheduleTimer } from '../../src/reports/daily-summary.js';
import { fileLedger, sums, usageRow } from './support/ledger-rows.js';

/** Records every notification it is handed, keeps the first of each id (at most once per id, like the durable outbox). */
class RecordingNotifier implements Notifier {
  readonly offered: Notification[] = [];
  readonly kept = new Map<string, Notification>();
  /** Refuse the next `n` notifications (a failing store). */
  failures = 0;

  notify(notification: Notification): Promise<void> {
    if (this.failures > 0) {
      this.failures--;
      return Promise.reject(new Error('outbox unavailable'));
    }
    this.offered.push(notification);
    if (!this.kept.has(notification.id)) this.kept.set(notification.id, notification);
    return Promise.resolve();
  }

  ids(): string[] {
    return [...this.kept.keys()].sort();
  }
}

/** Time that moves only when the test says, and the timers that fire as it passes them. */
class ManualTime {
  private readonly timers = new Set<{ due: number; callback: () => void }>();
  constructor(public time: number) {}

  readonly now = (): number => this.time;

  readonly schedule: ScheduleTimer = (callback, delayMs) => {
    const timer = { due: this.time + delayMs, callback };
    this.timers.add(timer);
    return () => this.timers.delete(timer);
  };

  get pending(): number {
    return this.timers.size;
  }

  /** The delay the next timer was set for, from now. */
  nextIn(): number | undefined {
    const next = [...this.timers].sort((a, b) => a.due - b.due)[0];
    return next === undefined ? undefined : next.due - this.time;
  }

  /**
   * Moves to `target`, firing each timer at its due time; a fired run is over
   * when it has set its next timer (every run ends so), so runs never overlap.
   */
  async advanceTo(target: number): Promise<void> {
    for (;;) {
      const next = [...this.timers].sort((a, b) => a.due - b.due)[0];
      if (next === undefined || next.due > target) break;
      this.timers.delete(next);
      this.time = Math.max(this.time, next.due);
      next.callback();
      await until(() => this.timers.size > 0);
    }
    this.time = target;
  }
}

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

const log = pino({ level: 'silent' });
const config = (at: string, timeZone: string): { notifications: NotificationsConfig } => ({
  notifications: { dailySummary: { at: { hour: Number(at.slice(0, 2)), minute: Number(at.slice(3)) }, timeZone } },
});

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function ledgerWith(rows: readonly UsageRecord[]): Promise<UsageLedger> {
  const opened = fileLedger();
  cleanups.push(opened.dispose);
  for (const row of rows) opened.ledger.append(row);
  await opened.ledger.flush();
  return opened.ledger;
}

function start(ledger: UsageLedger, notifier: Notifier, time: ManualTime, at = '08:00', timeZone = 'Europe/Berlin', retryDelayMs?: number): DailySummaries {
  const summaries = startDailySummaries({ ledger, notifier, config: config(at, timeZone), now: time.now, log, schedule: time.schedule, retryDelayMs });
  cleanups.push(() => summaries.stop());
  return summaries;
}

// Berlin in March 2026 before the 29th is UTC+1: 08:00 there is 07:00 UTC.
const HOUR = 3_600_000;
const rows = [
  // 2026-03-09 in Berlin.
  usageRow({ time: Date.UTC(2026, 2, 9, 12), tenant: 'team-c', costUsd: 0.5 }),
  // 23:30 UTC on the 9th is 00:30 on the 10th in Berlin.
  usageRow({ time: Date.UTC(2026, 2, 9, 23, 30), tenant: 'team-a', keyId: 'key1aaaaaaaa', costUsd: 0.25 }),
  usageRow({ time: Date.UTC(2026, 2, 10, 9), tenant: 'team-a', keyId: null, costUsd: 0.125, estimated: true }),
  usageRow({ time: Date.UTC(2026, 2, 10, 15), tenant: 'team-b', routeModel: 'gpt-5-mini', provider: 'openai', upstreamModel: 'gpt-5-mini', costUsd: 2 }),
  // 23:30 UTC on the 10th is the 11th in Berlin.
  usageRow({ time: Date.UTC(2026, 2, 10, 23, 30), tenant: 'team-a', costUsd: 100 }),
];
const berlin10th = rows.filter((r) => r.time >= Date.UTC(2026, 2, 9, 23) && r.time < Date.UTC(2026, 2, 10, 23));

describe('daily summaries', () => {
  it('fires at 08:00 Berlin with the previous Berlin day, one notification per tenant with usage', async () => {
    const ledger = await ledgerWith(rows);
    const notifier = new RecordingNotifier();
    // 06:00 UTC = 07:00 in Berlin on the 11th: the start catches up the latest time passed, 08:00 on the 10th (the 9th's summary).
    const time = new ManualTime(Date.UTC(2026, 2, 11, 6));
    start(ledger, notifier, time);
    await time.advanceTo(time.time);
    expect(notifier.ids()).toEqual(['summary:team-c:2026-03-09']);
    await time.advanceTo(Date.UTC(2026, 2, 11, 6, 59, 59, 999));
    expect(notifier.ids()).toEqual(['summary:team-c:2026-03-09']);
    await time.advanceTo(Date.UTC(2026, 2, 11, 7));
    expect(notifier.ids()).toEqual(['summary:team-a:2026-03-10', 'summary:team-b:2026-03-10', 'summary:team-c:2026-03-09']);

    const teamA = notifier.kept.get('summary:team-a:2026-03-10')!;
    expect(teamA).toMatchObject({ kind: 'daily_summary', tenant: 'team-a', createdAt: Date.UTC(2026, 2, 11, 7) });
    expect(teamA.subject).toBe('Tollgate: team-a spent $0.3750 on 2026-03-10 (Europe/Berlin), 2 requests, $0.1250 of it estimated');
    const data = teamA.data as unknown as BillingReport;
    expect(data).toMatchObject({ object: 'billing_report', period: 'day', date: '2026-03-10', timezone: 'Europe/Berlin', tenant: 'team-a', start: Date.UTC(2026, 2, 9, 23) / 1000, end: Date.UTC(2026, 2, 10, 23) / 1000 });
    const expected = sums(berlin10th.filter((r) => r.tenant === 'team-a'));
    expect(data.totals.requests.total).toBe(expected.requests);
    expect(data.totals.cost_usd).toBeCloseTo(expected.cost, 6);
    expect(data.totals.estimated.cost_usd).toBeCloseTo(expected.estCost, 6);
    expect(data.tenants.map((t) => t.tenant)).toEqual(['team-a']);
    expect(teamA.markdown).toMatch(/^## Billing report for team-a, day 2026-03-10\n/);
    expect(teamA.markdown).toContain('| key          |');
    expect(teamA.text).toContain('Tenant team-a by key');
    // The next run is tomorrow's 08:00; within the hour it only looks again.
    expect(time.nextIn()).toBe(HOUR);
    await time.advanceTo(Date.UTC(2026, 2, 12, 6, 59));
    expect(notifier.offered).toHaveLength(3);
  });

  it('after a restart past the hour catches up once more without a second id; a restart across the hour misses nothing', async () => {
    const ledger = await ledgerWith(rows);
    const notifier = new RecordingNotifier();
    const time = new ManualTime(Date.UTC(2026, 2, 11, 7, 30));
    const first = start(ledger, notifier, time);
    await time.advanceTo(time.time);
    expect(notifier.ids()).toEqual(['summary:team-a:2026-03-10', 'summary:team-b:2026-03-10']);
    first.stop();
    expect(time.pending).toBe(0);
    // Restarted at 10:00 Berlin: the 10th's summaries are offered again, and dropped as known ids.
    time.time = Date.UTC(2026, 2, 11, 9);
    start(ledger, notifier, time);
    await time.advanceTo(time.time);
    expect(notifier.offered).toHaveLength(4);
    expect(notifier.ids()).toEqual(['summary:team-a:2026-03-10', 'summary:team-b:2026-03-10']);

    // Down from 07:59 to 08:30 Berlin on another day: the summary comes when it is back.
    const other = new RecordingNotifier();
    const clock = new ManualTime(Date.UTC(2026, 2, 11, 6, 59));
    const before = start(ledger, other, clock);
    await clock.advanceTo(clock.time);
    other.offered.length = 0;
    other.kept.clear();
    before.stop();
    clock.time = Date.UTC(2026, 2, 11, 7, 30);
    start(ledger, other, clock);
    await clock.advanceTo(clock.time);
    expect(other.ids()).toEqual(['summary:team-a:2026-03-10', 'summary:team-b:2026-03-10']);
  });

  it('follows the Berlin calendar across the spring-forward day: 08:00 CEST is 06:00 UTC, the day reported has 23 hours', async () => {
    const ledger = await ledgerWith([
      usageRow({ time: Date.UTC(2026, 2, 28, 12), tenant: 'team-a' }),
      // The first and last minutes of March 29 in Berlin (23:00Z on the 28th to 22:00Z on the 29th).
      usageRow({ time: Date.UTC(2026, 2, 28, 23, 0), tenant: 'team-a' }),
      usageRow({ time: Date.UTC(2026, 2, 29, 21, 59), tenant: 'team-a' }),
      usageRow({ time: Date.UTC(2026, 2, 29, 22, 0), tenant: 'team-a' }),
    ]);
    const notifier = new RecordingNotifier();
    // 08:30 CET on the 28th: the 27th had no usage.
    const time = new ManualTime(Date.UTC(2026, 2, 28, 7, 30));
    start(ledger, notifier, time);
    await time.advanceTo(time.time);
    expect(notifier.offered).toHaveLength(0);
    // 08:00 on the 29th is CEST: 06:00 UTC, 23 hours after the last one.
    await time.advanceTo(Date.UTC(2026, 2, 29, 5, 59));
    expect(notifier.offered).toHaveLength(0);
    await time.advanceTo(Date.UTC(2026, 2, 29, 6));
    expect(notifier.ids()).toEqual(['summary:team-a:2026-03-28']);
    expect((notifier.kept.get('summary:team-a:2026-03-28')!.data as unknown as BillingReport).totals.requests.total).toBe(1);
    await time.advanceTo(Date.UTC(2026, 2, 30, 6));
    const day = notifier.kept.get('summary:team-a:2026-03-29')!;
    expect(day.createdAt).toBe(Date.UTC(2026, 2, 30, 6));
    const data = day.data as unknown as BillingReport;
    expect(data.end - data.start).toBe(23 * 3600);
    expect(data.totals.requests.total).toBe(2);
  });

  it('a time the spring-forward change skips (02:30) fires at 03:30 CEST that day', async () => {
    const ledger = await ledgerWith([usageRow({ time: Date.UTC(2026, 2, 28, 12), tenant: 'team-a' })]);
    const notifier = new RecordingNotifier();
    const time = new ManualTime(Date.UTC(2026, 2, 28, 12));
    start(ledger, notifier, time, '02:30');
    await time.advanceTo(Date.UTC(2026, 2, 29, 1, 29));
    expect(notifier.offered).toHaveLength(0);
    await time.advanceTo(Date.UTC(2026, 2, 29, 1, 30));
    expect(notifier.ids()).toEqual(['summary:team-a:2026-03-28']);
  });

  it('on the fall-back day the hour comes 25 hours after the last one', async () => {
    const ledger = await ledgerWith([usageRow({ time: Date.UTC(2026, 9, 24, 12), tenant: 'team-a' })]);
    const notifier = new RecordingNotifier();
    // 08:00 CEST on the 24th is 06:00 UTC; on the 25th 08:00 is CET, 07:00 UTC.
    const time = new ManualTime(Date.UTC(2026, 9, 24, 6, 30));
    start(ledger, notifier, time);
    await time.advanceTo(Date.UTC(2026, 9, 25, 6, 59));
    expect(notifier.offered).toHaveLength(0);
    await time.advanceTo(Date.UTC(2026, 9, 25, 7));
    expect(notifier.ids()).toEqual(['summary:team-a:2026-10-24']);
  });

  it('retries a summary the notifier refused, and does nothing without daily_summary', async () => {
    const ledger = await ledgerWith(rows);
    const notifier = new RecordingNotifier();
    notifier.failures = 1;
    const time = new ManualTime(Date.UTC(2026, 2, 11, 7, 30));
    start(ledger, notifier, time, '08:00', 'Europe/Berlin', 60_000);
    await time.advanceTo(time.time);
    // team-a was refused; team-b went through.
    expect(notifier.ids()).toEqual(['summary:team-b:2026-03-10']);
    expect(time.nextIn()).toBe(60_000);
    await time.advanceTo(time.time + 60_000);
    expect(notifier.ids()).toEqual(['summary:team-a:2026-03-10', 'summary:team-b:2026-03-10']);

    const idle = new ManualTime(Date.UTC(2026, 2, 11, 7, 30));
    const off = startDailySummaries({ ledger, notifier, config: { notifications: {} }, now: idle.now, log, schedule: idle.schedule });
    expect(idle.pending).toBe(0);
    off.stop();
  });
});
