/**
 * The calendar period of a billing report: a day or a month in a time zone.
 * Bounds come from Luxon, so a Berlin day starts at 23:00 UTC in winter and
 * 22:00 in summer, a day across a daylight-saving change has 23 or 25 hours,
 * and a month is the calendar month (February 29 in a leap year included).
 */
import { DateTime, IANAZone } from 'luxon';

export type ReportPeriodKind = 'day' | 'month';
export const REPORT_PERIODS: readonly ReportPeriodKind[] = ['day', 'month'];

export interface ReportPeriod {
  readonly kind: ReportPeriodKind;
  /** `YYYY-MM-DD` for a day, `YYYY-MM` for a month: the period's name in its time zone. */
  readonly date: string;
  readonly timeZone: string;
  /** Epoch ms of the first instant. */
  readonly start: number;
  /** Epoch ms of the next period's first instant (the range is [start, end)). */
  readonly end: number;
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const MONTH = /^(\d{4})-(\d{2})$/;

export function isTimeZone(name: string): boolean {
  return IANAZone.isValidZone(name);
}

/** The period `date`'s shape names: `YYYY-MM` a month, anything else a day. */
export function periodOfDate(date: string): ReportPeriodKind {
  return MONTH.test(date) ? 'month' : 'day';
}

/** The name of the period of `kind` that contains `now` in `timeZone`. */
export function currentDate(kind: ReportPeriodKind, timeZone: string, now: number): string {
  return DateTime.fromMillis(now, { zone: timeZone }).toFormat(kind === 'day' ? 'yyyy-MM-dd' : 'yyyy-MM');
}

/** The calendar day before `day` (`YYYY-MM-DD`), in any zone: calendar arithmetic, not 24 hours. */
export function previousDay(day: string): string {
  return DateTime.fromISO(day, { zone: 'UTC' }).minus({ days: 1 }).toFormat('yyyy-MM-dd');
}

/**
 * Why `date` does not name a period of `kind`, or undefined when it does:
 * the shape (`YYYY-MM-DD` or `YYYY-MM`) and a real calendar date (no month 13,
 * no February 30).
 */
export function dateProblem(kind: ReportPeriodKind, date: string): string | undefined {
  const shape = kind === 'day' ? DAY : MONTH;
  const expected = kind === 'day' ? 'a calendar day, YYYY-MM-DD,' : 'a calendar month, YYYY-MM,';
  const match = shape.exec(date);
  if (match === null) return `expected ${expected} for period ${kind}, got '${date}'`;
  const [year, month, day] = [Number(match[1]), Number(match[2]), match[3] === undefined ? 1 : Number(match[3])];
  if (!DateTime.fromObject({ year, month, day }, { zone: 'UTC' }).isValid) return `'${date}' is not a date on the calendar (expected ${expected.slice(0, -1)})`;
  return undefined;
}

/** The period named `date` (default: the current one at `now`); throws a RangeError for a date or zone `dateProblem`/`isTimeZone` refuse. */
export function reportPeriod(kind: ReportPeriodKind, date: string | undefined, timeZone: string, now: number): ReportPeriod {
  if (!isTimeZone(timeZone)) throw new RangeError(`expected an IANA time zone, got '${timeZone}'`);
  const name = date ?? currentDate(kind, timeZone, now);
  const problem = dateProblem(kind, name);
  if (problem !== undefined) throw new RangeError(problem);
  const first = DateTime.fromISO(kind === 'day' ? name : `${name}-01`, { zone: timeZone }).startOf('day');
  const next = first.plus(kind === 'day' ? { days: 1 } : { months: 1 }).startOf('day');
  return { kind, date: name, timeZone, start: first.toMillis(), end: next.toMillis() };
}

/** An instant as ISO 8601 in the period's zone, with its offset: `2026-03-29T00:00:00+01:00`. */
export function localIso(epochMs: number, timeZone: string): string {
  return DateTime.fromMillis(epochMs, { zone: timeZone }).toISO({ suppressMilliseconds: true }) ?? new Date(epochMs).toISOString();
}
