/**
 * Budget periods on the calendar: a day or a month in a time zone, starting
 * at a reset time (default midnight). Computed with Luxon, so a day across a
 * daylight-saving change is 23 or 25 hours long and a month is the calendar
 * month, not 30 days.
 */
import { DateTime, IANAZone } from 'luxon';

export type BudgetPeriod = 'day' | 'month';

export interface PeriodBounds {
  /** Epoch ms of the period's first instant. */
  readonly start: number;
  /** Epoch ms of the next period's first instant. */
  readonly end: number;
}

/** `HH:MM`, 24-hour. */
export interface ResetTime {
  readonly hour: number;
  readonly minute: number;
}

export const MIDNIGHT: ResetTime = { hour: 0, minute: 0 };

export function isTimeZone(name: string): boolean {
  return IANAZone.isValidZone(name);
}

/** `08:30` → { hour: 8, minute: 30 }; undefined when it is not a time of day. */
export function parseResetTime(text: string): ResetTime | undefined {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text);
  return match ? { hour: Number(match[1]), minute: Number(match[2]) } : undefined;
}

/** The period of `kind` in `timeZone` that contains `now`. */
export function periodBounds(kind: BudgetPeriod, timeZone: string, now: number, reset: ResetTime = MIDNIGHT): PeriodBounds {
  const local = DateTime.fromMillis(now, { zone: timeZone });
  const unit = kind === 'day' ? 'day' : 'month';
  // The reset instant of the current day (or month), then one step back when `now` is before it.
  let start = local.startOf(unit).set({ hour: reset.hour, minute: reset.minute });
  if (start.toMillis() > now) start = start.minus({ [kind === 'day' ? 'days' : 'months']: 1 }).startOf(unit).set({ hour: reset.hour, minute: reset.minute });
  const end = start.plus({ [kind === 'day' ? 'days' : 'months']: 1 }).startOf(unit).set({ hour: reset.hour, minute: reset.minute });
  return { start: start.toMillis(), end: end.toMillis() };
}
