/**
 * The daily billing summary: each day at `notifications.daily_summary.at`
 * in its time zone, the report of the previous calendar day there, one
 * notification per tenant that had usage.
 *
 * Once a day, even across restarts, without a record of its own: the
 * notifier stores each notification durably and drops an id it already has
 * (`summary:<tenant>:<day>`), so sending a summary twice is harmless and
 * missing one is not. On start, and after any wake-up, the scheduler
 * therefore sends the summary of the latest time that has passed (today's
 * when it is past the hour, else yesterday's): a gateway that was down at the
 * hour catches up when it comes back. Times are computed on the calendar of
 * the zone for every day anew, never as "24 hours later": on a
 * daylight-saving change day 08:00 comes 23 or 25 hours after the last one.
 */
import { DateTime } from 'luxon';
import type { Logger } from 'pino';
import type { NotificationsConfig } from '../config/types.js';
import type { UsageLedger } from '../metering/usage-ledger.js';
import type { Notifier } from '../notifications/contracts.js';
import { tenantOnly } from './billing-report.js';
import { readBillingReport } from './read-report.js';
import { summaryNotification } from './summary-notification.js';

/** Starts `callback` after `delayMs`; the returned function cancels it. */
export type ScheduleTimer = (callback: () => void, delayMs: number) => () => void;

export interface DailySummaryOptions {
  readonly ledger: UsageLedger;
  readonly notifier: Notifier;
  readonly config: { readonly notifications: NotificationsConfig };
  /** Epoch ms. */
  readonly now: () => number;
  readonly log: Pick<Logger, 'info' | 'warn' | 'debug'>;
  /** Default: an unref'd `setTimeout`, so the scheduler never keeps the process alive. */
  readonly schedule?: ScheduleTimer;
  /** Wait before trying again when the ledger or the notifier failed (default 5 minutes). */
  readonly retryDelayMs?: number;
}

export interface DailySummaries {
  stop(): void;
}

/**
 * The longest single wait: a machine that slept, or a clock that was set,
 * is noticed within the hour (a timer counts time the process ran, not the
 * wall clock's).
 */
const MAX_WAIT_MS = 3_600_000;
const DEFAULT_RETRY_DELAY_MS = 300_000;

const realTimer: ScheduleTimer = (callback, delayMs) => {
  const timer = setTimeout(callback, delayMs);
  timer.unref();
  return () => clearTimeout(timer);
};

interface Due {
  /** Epoch ms of the summary time. */
  readonly at: number;
  /** The local day it reports on (the day before the summary time's), `YYYY-MM-DD`. */
  readonly day: string;
}

/** The summary times of a zone's calendar. */
class SummaryCalendar {
  constructor(
    private readonly hour: number,
    private readonly minute: number,
    private readonly timeZone: string,
  ) {}

  /** The summary time on `date`'s local day; a time a daylight-saving change skips moves forward by the gap (Luxon). */
  private timeOn(date: DateTime): DateTime {
    return DateTime.fromObject({ year: date.year, month: date.month, day: date.day, hour: this.hour, minute: this.minute }, { zone: this.timeZone });
  }

  private due(time: DateTime): Due {
    return { at: time.toMillis(), day: time.minus({ days: 1 }).toFormat('yyyy-MM-dd') };
  }

  /** The latest summary time at or before `now`. */
  latest(now: number): Due {
    const today = DateTime.fromMillis(now, { zone: this.timeZone });
    const todays = this.timeOn(today);
    return this.due(todays.toMillis() <= now ? todays : this.timeOn(today.minus({ days: 1 })));
  }

  /** The first summary time after `now`. */
  next(now: number): number {
    const today = DateTime.fromMillis(now, { zone: this.timeZone });
    const todays = this.timeOn(today);
    return todays.toMillis() > now ? todays.toMillis() : this.timeOn(today.plus({ days: 1 })).toMillis();
  }
}

/** Starts the summaries when `notifications.daily_summary` is set; otherwise does nothing. */
export function startDailySummaries(options: DailySummaryOptions): DailySummaries {
  const settings = options.config.notifications.dailySummary;
  if (settings === undefined) return { stop: () => undefined };
  const { ledger, notifier, now, log } = options;
  const schedule = options.schedule ?? realTimer;
  const retryDelayMs = options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS;
  const { timeZone } = settings;
  const calendar = new SummaryCalendar(settings.at.hour, settings.at.minute, timeZone);
  let stopped = false;
  let cancel: (() => void) | undefined;
  /** The day this process has handed every tenant's summary of to the notifier. */
  let sentDay: string | undefined;

  async function send(day: string): Promise<number> {
    const report = await readBillingReport(ledger, { period: 'day', date: day, timeZone }, now());
    let failure: unknown;
    for (const tenant of report.tenants) {
      try {
        await notifier.notify(summaryNotification(tenantOnly(report, tenant), now()));
      } catch (error) {
        // The other tenants still get theirs; this one is sent again on the retry (the others are dropped then as known ids).
        failure ??= error;
        log.warn({ err: error, tenant: tenant.tenant, day }, `daily summary of tenant '${tenant.tenant}' for ${day} could not be handed to the notifier; retrying`);
      }
    }
    if (failure !== undefined) throw failure instanceof Error ? failure : new Error('the notifier refused a summary', { cause: failure });
    return report.tenants.length;
  }

  async function tick(): Promise<void> {
    cancel = undefined;
    if (stopped) return;
    const due = calendar.latest(now());
    let failed = false;
    if (due.day !== sentDay) {
      try {
        const tenants = await send(due.day);
        sentDay = due.day;
        log.info({ day: due.day, timezone: timeZone, tenants }, `daily summaries for ${due.day}: ${tenants} tenant(s) with usage handed to the notifier`);
      } catch (error) {
        failed = true;
        log.warn({ err: error, day: due.day }, `daily summaries for ${due.day} failed; retrying in ${Math.round(retryDelayMs / 1000)} s`);
      }
    }
    if (stopped) return;
    const at = now();
    const untilNext = Math.max(1, calendar.next(at) - at);
    cancel = schedule(() => void tick(), Math.min(MAX_WAIT_MS, failed ? Math.min(retryDelayMs, untilNext) : untilNext));
  }

  log.debug({ at: `${String(settings.at.hour).padStart(2, '0')}:${String(settings.at.minute).padStart(2, '0')}`, timezone: timeZone }, 'daily summaries scheduled');
  // The first run catches up the latest summary time that has passed.
  cancel = schedule(() => void tick(), 0);
  return {
    stop() {
      stopped = true;
      cancel?.();
      cancel = undefined;
    },
  };
}
