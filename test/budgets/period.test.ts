import { describe, expect, it } from 'vitest';
import { isTimeZone, parseResetTime, periodBounds } from '../../src/budgets/period.js';

const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number): string => new Date(ms).toISOString();

describe('budget periods', () => {
  it('a UTC day and month', () => {
    const { start, end } = periodBounds('day', 'UTC', at('2026-12-05T13:00:00Z'));
    expect([iso(start), iso(end)]).toEqual(['2026-12-05T00:00:00.000Z', '2026-12-06T00:00:00.000Z']);
    const month = periodBounds('month', 'UTC', at('2026-12-31T23:59:59Z'));
    expect([iso(month.start), iso(month.end)]).toEqual(['2026-12-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z']);
  });

  it('a month end: February, then March', () => {
    const feb = periodBounds('month', 'UTC', at('2028-02-29T12:00:00Z'));
    expect([iso(feb.start), iso(feb.end)]).toEqual(['2028-02-01T00:00:00.000Z', '2028-03-01T00:00:00.000Z']);
    expect(iso(periodBounds('month', 'UTC', at('2028-03-01T00:00:00Z')).start)).toBe('2028-03-01T00:00:00.000Z');
  });

  it('a time zone: Berlin midnight is 23:00 UTC in winter, 22:00 in summer', () => {
    const winter = periodBounds('day', 'Europe/Berlin', at('2026-12-05T22:30:00Z'));
    expect([iso(winter.start), iso(winter.end)]).toEqual(['2026-12-04T23:00:00.000Z', '2026-12-05T23:00:00.000Z']);
    // 23:30 UTC on the 5th is already the 6th in Berlin.
    expect(iso(periodBounds('day', 'Europe/Berlin', at('2026-12-05T23:30:00Z')).start)).toBe('2026-12-05T23:00:00.000Z');
    const summer = periodBounds('month', 'Europe/Berlin', at('2026-07-15T12:00:00Z'));
    expect([iso(summer.start), iso(summer.end)]).toEqual(['2026-06-30T22:00:00.000Z', '2026-07-31T22:00:00.000Z']);
  });

  it('a day across a daylight-saving change is 23 or 25 hours', () => {
    const spring = periodBounds('day', 'Europe/Berlin', at('2026-03-29T12:00:00Z'));
    expect((spring.end - spring.start) / 3_600_000).toBe(23);
    const autumn = periodBounds('day', 'Europe/Berlin', at('2026-10-25T12:00:00Z'));
    expect((autumn.end - autumn.start) / 3_600_000).toBe(25);
  });

  it('a reset time other than midnight', () => {
    const reset = parseResetTime('08:00')!;
    const before = periodBounds('day', 'UTC', at('2026-12-05T07:59:00Z'), reset);
    expect([iso(before.start), iso(before.end)]).toEqual(['2026-12-04T08:00:00.000Z', '2026-12-05T08:00:00.000Z']);
    const after = periodBounds('day', 'UTC', at('2026-12-05T08:00:00Z'), reset);
    expect(iso(after.start)).toBe('2026-12-05T08:00:00.000Z');
    const month = periodBounds('month', 'America/New_York', at('2026-12-01T10:00:00Z'), reset);
    // 10:00 UTC on Dec 1 is 05:00 in New York: before the 08:00 reset, so still November's period (which began after
    // daylight saving ended on Nov 1 at 02:00, so 08:00 EST is 13:00 UTC).
    expect([iso(month.start), iso(month.end)]).toEqual(['2026-11-01T13:00:00.000Z', '2026-12-01T13:00:00.000Z']);
  });

  it('validates time zones and reset times', () => {
    expect(isTimeZone('Europe/Berlin')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
    expect(parseResetTime('24:00')).toBeUndefined();
    expect(parseResetTime('8:00')).toBeUndefined();
  });
});
