import { describe, expect, it } from 'vitest';
import { bucketSeconds, csvExport, overviewWindow, spendDays, utcDay } from '../src/lib/time-range.js';

const HOUR = 3_600_000;
const DAY = 86_400_000;

describe('overviewWindow', () => {
  const now = new Date('2026-12-05T14:37:12.345Z');

  it('24 h is the last 24 hourly buckets, the current hour included', () => {
    const w = overviewWindow('24h', now);
    expect(w.bucket).toBe('hour');
    expect(w.to.toISOString()).toBe('2026-12-05T15:00:00.000Z');
    expect(w.from.toISOString()).toBe('2026-12-04T15:00:00.000Z');
    expect((w.to.getTime() - w.from.getTime()) / HOUR).toBe(24);
  });

  it('30 d is the last 30 UTC days, today included', () => {
    const w = overviewWindow('30d', now);
    expect(w.bucket).toBe('day');
    expect(w.to.toISOString()).toBe('2026-12-06T00:00:00.000Z');
    expect(w.from.toISOString()).toBe('2026-11-06T00:00:00.000Z');
    expect((w.to.getTime() - w.from.getTime()) / DAY).toBe(30);
  });

  it('today runs hourly from local midnight to the end of the current hour', () => {
    const w = overviewWindow('today', now);
    const midnight = new Date(now.getFullYear(), now.getMonth(), now.getDate()).getTime();
    expect(w.bucket).toBe('hour');
    expect(w.to.toISOString()).toBe('2026-12-05T15:00:00.000Z');
    expect(w.from.getTime() % HOUR).toBe(0);
    expect(w.from.getTime()).toBeLessThanOrEqual(midnight);
    expect(midnight - w.from.getTime()).toBeLessThan(HOUR);
  });

  it('on the hour, the hour that just began is included', () => {
    const w = overviewWindow('24h', new Date('2026-12-05T15:00:00.000Z'));
    expect(w.to.toISOString()).toBe('2026-12-05T16:00:00.000Z');
  });
});

describe('spendDays', () => {
  const now = new Date('2026-12-05T23:30:00Z');
  it('covers UTC days', () => {
    expect(utcDay(now)).toBe('2026-12-05');
    expect(spendDays({ kind: 'today' }, now)).toEqual({ from: '2026-12-05', to: '2026-12-05' });
    expect(spendDays({ kind: 'month' }, now)).toEqual({ from: '2026-12-01', to: '2026-12-05' });
    expect(spendDays({ kind: 'custom', from: '2026-10-03', to: '2026-11-20' }, now)).toEqual({ from: '2026-10-03', to: '2026-11-20' });
  });
  it('explains a custom range it cannot use', () => {
    expect(spendDays({ kind: 'custom', from: '2026-11-20', to: '2026-10-03' }, now)).toEqual({ problem: 'The start date is after the end date.' });
    expect(spendDays({ kind: 'custom', from: '', to: '2026-10-03' }, now)).toEqual({ problem: 'Choose both a start and an end date.' });
  });
});

describe('csvExport', () => {
  const now = new Date('2026-12-05T10:00:00Z');
  it('exports the day report for today and for a one-day range', () => {
    expect(csvExport({ kind: 'today' }, now).query).toEqual({ period: 'day', date: '2026-12-05', format: 'csv' });
    expect(csvExport({ kind: 'custom', from: '2026-11-02', to: '2026-11-02' }, now).query).toEqual({ period: 'day', date: '2026-11-02', format: 'csv' });
  });
  it('exports the month report for this month and for a range inside one month', () => {
    expect(csvExport({ kind: 'month' }, now).query).toEqual({ period: 'month', date: '2026-12', format: 'csv' });
    const inside = csvExport({ kind: 'custom', from: '2026-11-02', to: '2026-11-09' }, now);
    expect(inside.query).toEqual({ period: 'month', date: '2026-11', format: 'csv' });
    expect(inside.note).toContain('whole month 2026-11');
  });
  it('offers no export for a range across months, and says why', () => {
    const across = csvExport({ kind: 'custom', from: '2026-10-20', to: '2026-11-09' }, now);
    expect(across.query).toBeNull();
    expect(across.note).toMatch(/one day or one month/);
  });
});

describe('bucketSeconds', () => {
  it('turns ISO bucket starts into Unix seconds', () => {
    expect(bucketSeconds(['2026-12-04T02:00:00.000Z', '2026-12-04T03:00:00.000Z'])).toEqual([1_796_349_600, 1_796_353_200]);
  });
});
