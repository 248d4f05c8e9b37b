/**
 * The periods the console asks about. Overview ranges are instants rounded to
 * the bucket boundaries the timeseries endpoint uses (UTC hours and days);
 * spend periods are UTC days, as the usage and report endpoints take them.
 */

export type OverviewRange = 'today' | '24h' | '30d';

export interface SeriesWindow {
  readonly bucket: 'hour' | 'day';
  /** Inclusive. */
  readonly from: Date;
  /** Exclusive. */
  readonly to: Date;
}

const HOUR = 3_600_000;
const DAY = 86_400_000;

const floorTo = (ms: number, unit: number): number => Math.floor(ms / unit) * unit;

/**
 * Today: hourly from local midnight to the end of the current hour (the
 * midnight itself rounded down to a UTC hour, for half-hour time zones);
 * 24 h: the last 24 hourly buckets, the current one included; 30 d: the last
 * 30 UTC days, today included.
 */
export function overviewWindow(range: OverviewRange, now: Date): SeriesWindow {
  const t = now.getTime();
  switch (range) {
    case 'today': {
      const midnight = new Date(now.getFullYear(), now.getMonth(), now.getDate()).getTime();
      return { bucket: 'hour', from: new Date(floorTo(midnight, HOUR)), to: new Date(floorTo(t, HOUR) + HOUR) };
    }
    case '24h': {
      const to = floorTo(t, HOUR) + HOUR;
      return { bucket: 'hour', from: new Date(to - 24 * HOUR), to: new Date(to) };
    }
    case '30d': {
      const to = floorTo(t, DAY) + DAY;
      return { bucket: 'day', from: new Date(to - 30 * DAY), to: new Date(to) };
    }
  }
}

/** YYYY-MM-DD of an instant in UTC. */
export function utcDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export type SpendPeriod = { readonly kind: 'today' } | { readonly kind: 'month' } | { readonly kind: 'custom'; readonly from: string; readonly to: string };

export interface DayRange {
  /** YYYY-MM-DD, UTC, inclusive. */
  readonly from: string;
  /** YYYY-MM-DD, UTC, inclusive. */
  readonly to: string;
}

const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

/** The UTC days a spend period covers, or an explanation when a custom range cannot be used. */
export function spendDays(period: SpendPeriod, now: Date): DayRange | { readonly problem: string } {
  const today = utcDay(now);
  switch (period.kind) {
    case 'today':
      return { from: today, to: today };
    case 'month':
      return { from: `${today.slice(0, 7)}-01`, to: today };
    case 'custom':
      if (!DAY_PATTERN.test(period.from) || !DAY_PATTERN.test(period.to)) return { problem: 'Choose both a start and an end date.' };
      if (period.from > period.to) return { problem: 'The start date is after the end date.' };
      return { from: period.from, to: period.to };
  }
}

export interface CsvExport {
  /** Query of /admin/v1/reports; null when the period has no single report. */
  readonly query: { readonly period: 'day' | 'month'; readonly date: string; readonly format: 'csv' } | null;
  /** What the export covers, or why there is none. */
  readonly note: string;
}

/**
 * The billing report matching a spend period. Reports cover one calendar day
 * or month, so a custom range exports a single day when it is one, the month
 * when it lies within one month, and nothing (with a reason) otherwise.
 */
export function csvExport(period: SpendPeriod, now: Date): CsvExport {
  const days = spendDays(period, now);
  if ('problem' in days) return { query: null, note: days.problem };
  if (period.kind === 'today' || days.from === days.to) return { query: { period: 'day', date: days.from, format: 'csv' }, note: `Billing report of ${days.from} (UTC)` };
  const month = days.from.slice(0, 7);
  if (month === days.to.slice(0, 7)) return { query: { period: 'month', date: month, format: 'csv' }, note: `Billing report of the whole month ${month} (UTC)` };
  return { query: null, note: 'Reports cover one day or one month: choose a range within one month to export it.' };
}

/** The start of each bucket as Unix seconds (uPlot's x axis). */
export function bucketSeconds(starts: readonly string[]): number[] {
  return starts.map((s) => Date.parse(s) / 1000);
}
