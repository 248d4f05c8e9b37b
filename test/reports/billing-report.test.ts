/**
 * Billing reports read from a real SQLite ledger: known rows written through
 * the ledger, every total compared with sums computed here from the rows, and
 * the period's bounds checked against instants written out by hand (a Berlin
 * day is not the UTC day; a daylight-saving day has 23 or 25 hours; month
 * ends in New York; February 29).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { UsageRecord } from '../../src/metering/usage-record.js';
import type { BillingReport, UsageSummary } from '../../src/reports/billing-report.js';
import { readBillingReport } from '../../src/reports/read-report.js';
import { reportPeriod } from '../../src/reports/report-period.js';
import { fileLedger, randomRows, seeded, sums, usageRow, type Sums } from './support/ledger-rows.js';

const HOUR = 3_600_000;
const disposals: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const dispose of disposals.splice(0)) await dispose();
});

async function ledgerWith(rows: readonly UsageRecord[]) {
  const opened = fileLedger();
  disposals.push(opened.dispose);
  for (const row of rows) opened.ledger.append(row);
  await opened.ledger.flush();
  return opened.ledger;
}

function expectSummary(summary: UsageSummary, expected: Sums): void {
  expect(summary.requests).toEqual({ total: expected.requests, ok: expected.ok, errors: expected.errors, client_errors: expected.clientErrors, client_closed: expected.clientClosed, shutdown: expected.shutdown });
  expect(summary.tokens).toEqual({ input: expected.input, cached_input: expected.cached, output: expected.output, reasoning: expected.reasoning });
  // Rounded to a millionth of a dollar.
  expect(summary.cost_usd).toBeCloseTo(expected.cost, 5);
  expect(summary.estimated.requests).toBe(expected.estRequests);
  expect(summary.estimated.tokens).toEqual({ input: expected.estInput, cached_input: expected.estCached, output: expected.estOutput, reasoning: expected.estReasoning });
  expect(summary.estimated.cost_usd).toBeCloseTo(expected.estCost, 5);
  expect(summary.estimated.cost_share).toBeCloseTo(expected.cost > 0 ? expected.estCost / expected.cost : 0, 4);
}

const inRange = (rows: readonly UsageRecord[], start: number, end: number): UsageRecord[] => rows.filter((r) => r.time >= start && r.time < end);

describe('a report against the ledger contents', () => {
  // Berlin, 2026-03-10 (CET, UTC+1): 2026-03-09T23:00Z to 2026-03-10T23:00Z, written out by hand.
  const start = Date.UTC(2026, 2, 9, 23);
  const end = Date.UTC(2026, 2, 10, 23);
  const rows = randomRows(2_000, start - 12 * HOUR, end + 12 * HOUR, seeded(42));

  it('sums every tenant, key, model and line as the rows say, the estimated part apart', async () => {
    const ledger = await ledgerWith(rows);
    const report = await readBillingReport(ledger, { period: 'day', date: '2026-03-10', timeZone: 'Europe/Berlin' }, Date.UTC(2026, 3, 1));
    const period = inRange(rows, start, end);
    expect(period.length).toBeGreaterThan(500);
    expect(period.length).toBeLessThan(rows.length);
    expect(report).toMatchObject({ object: 'billing_report', period: 'day', date: '2026-03-10', timezone: 'Europe/Berlin', start: start / 1000, end: end / 1000, complete: true, tenant: null });
    expect(report.start_local).toBe('2026-03-10T00:00:00+01:00');
    expectSummary(report.totals, sums(period));
    const tenants = [...new Set(period.map((r) => r.tenant))].sort();
    expect(report.tenants.map((t) => t.tenant)).toEqual(tenants);
    for (const tenant of report.tenants) {
      const own = period.filter((r) => r.tenant === tenant.tenant);
      expectSummary(tenant, sums(own));
      const keyIds = new Set(own.map((r) => r.keyId));
      expect(tenant.keys.map((k) => k.key_id).sort()).toEqual([...keyIds].sort());
      for (const key of tenant.keys) expectSummary(key, sums(own.filter((r) => r.keyId === key.key_id)));
      for (const model of tenant.models) {
        expectSummary(model, sums(own.filter((r) => r.routeModel === model.model && r.provider === model.provider && r.upstreamModel === model.upstream_model)));
      }
      expect(tenant.models.reduce((n, m) => n + m.requests.total, 0)).toBe(own.length);
      for (const line of tenant.lines) {
        expectSummary(line, sums(own.filter((r) => r.keyId === line.key_id && r.routeModel === line.model && r.provider === line.provider && r.upstreamModel === line.upstream_model)));
      }
      expect(tenant.lines.reduce((n, l) => n + l.requests.total, 0)).toBe(own.length);
      // Highest cost first.
      const keyCosts = tenant.keys.map((k) => k.cost_usd);
      expect(keyCosts).toEqual([...keyCosts].sort((a, b) => b - a));
    }
  });

  it('narrows to one tenant, and reports an empty period as empty', async () => {
    const ledger = await ledgerWith(rows);
    const report = await readBillingReport(ledger, { period: 'day', date: '2026-03-10', timeZone: 'Europe/Berlin', tenant: 'team-b' }, Date.UTC(2026, 3, 1));
    expect(report.tenant).toBe('team-b');
    expect(report.tenants.map((t) => t.tenant)).toEqual(['team-b']);
    expectSummary(report.totals, sums(inRange(rows, start, end).filter((r) => r.tenant === 'team-b')));
    const empty = await readBillingReport(ledger, { period: 'day', date: '2025-01-01', timeZone: 'UTC' }, Date.UTC(2026, 3, 1));
    expect(empty.tenants).toEqual([]);
    expect(empty.totals.requests.total).toBe(0);
    expect(empty.totals.cost_usd).toBe(0);
    expect(empty.totals.estimated.cost_share).toBe(0);
  });

  it('marks the current period as not complete', async () => {
    const ledger = await ledgerWith([usageRow({ time: Date.UTC(2026, 2, 10, 9), tenant: 'team-a' })]);
    const now = Date.UTC(2026, 2, 10, 12);
    const report = await readBillingReport(ledger, { period: 'day', timeZone: 'UTC' }, now);
    expect(report).toMatchObject({ date: '2026-03-10', complete: false });
    expect(report.totals.requests.total).toBe(1);
  });
});

describe('period boundaries in a time zone', () => {
  async function reportOf(rows: readonly UsageRecord[], period: 'day' | 'month', date: string, timeZone: string): Promise<BillingReport> {
    return readBillingReport(await ledgerWith(rows), { period, date, timeZone }, Date.UTC(2030, 0, 1));
  }
  const at = (time: number, tenant = 'team-a') => usageRow({ time, tenant, costUsd: 1 });

  it('a call at 23:30 UTC belongs to the next Berlin day', async () => {
    const late = at(Date.UTC(2026, 0, 14, 23, 30));
    expect((await reportOf([late], 'day', '2026-01-14', 'UTC')).totals.requests.total).toBe(1);
    expect((await reportOf([late], 'day', '2026-01-14', 'Europe/Berlin')).totals.requests.total).toBe(0);
    expect((await reportOf([late], 'day', '2026-01-15', 'Europe/Berlin')).totals.requests.total).toBe(1);
  });

  it('the spring-forward day in Berlin has 23 hours, the fall-back day 25, ends excluded', async () => {
    // 2026-03-29: 00:00 CET = 03-28T23:00Z to 00:00 CEST = 03-29T22:00Z.
    const spring = reportPeriod('day', '2026-03-29', 'Europe/Berlin', 0);
    expect([spring.start, spring.end]).toEqual([Date.UTC(2026, 2, 28, 23), Date.UTC(2026, 2, 29, 22)]);
    const rows = [at(Date.UTC(2026, 2, 28, 22, 59, 59, 999)), at(Date.UTC(2026, 2, 28, 23)), at(Date.UTC(2026, 2, 29, 21, 59)), at(Date.UTC(2026, 2, 29, 22))];
    const report = await reportOf(rows, 'day', '2026-03-29', 'Europe/Berlin');
    expect(report.totals.requests.total).toBe(2);
    expect(report.end - report.start).toBe(23 * 3600);
    expect([report.start_local, report.end_local]).toEqual(['2026-03-29T00:00:00+01:00', '2026-03-30T00:00:00+02:00']);
    // 2026-10-25: 00:00 CEST = 10-24T22:00Z to 00:00 CET = 10-25T23:00Z.
    const autumn = reportPeriod('day', '2026-10-25', 'Europe/Berlin', 0);
    expect([autumn.start, autumn.end]).toEqual([Date.UTC(2026, 9, 24, 22), Date.UTC(2026, 9, 25, 23)]);
  });

  it('January 31 to February 1 in New York, and February 29 of a leap year', async () => {
    // New York is UTC-5 in winter: February 2026 is 02-01T05:00Z to 03-01T05:00Z.
    const rows = [at(Date.UTC(2026, 1, 1, 4, 59)), at(Date.UTC(2026, 1, 1, 5)), at(Date.UTC(2026, 2, 1, 4, 59)), at(Date.UTC(2026, 2, 1, 5))];
    const january = await reportOf(rows, 'month', '2026-01', 'America/New_York');
    const february = await reportOf(rows, 'month', '2026-02', 'America/New_York');
    expect(january.totals.requests.total).toBe(1);
    expect(february.totals.requests.total).toBe(2);
    expect([february.start, february.end]).toEqual([Date.UTC(2026, 1, 1, 5) / 1000, Date.UTC(2026, 2, 1, 5) / 1000]);
    const jan31 = await reportOf(rows, 'day', '2026-01-31', 'America/New_York');
    expect(jan31.totals.requests.total).toBe(1);
    // 2028 is a leap year: February has 29 days; March 2028 in New York starts 03-01T05:00Z (DST starts 03-12).
    const leapDay = reportPeriod('day', '2028-02-29', 'America/New_York', 0);
    expect([leapDay.start, leapDay.end]).toEqual([Date.UTC(2028, 1, 29, 5), Date.UTC(2028, 2, 1, 5)]);
    const leapMonth = reportPeriod('month', '2028-02', 'UTC', 0);
    expect(leapMonth.end - leapMonth.start).toBe(29 * 24 * HOUR);
    expect(() => reportPeriod('day', '2026-02-29', 'UTC', 0)).toThrow(/not a date on the calendar/);
  });

  it('the current period follows an injected clock across the reset in the zone', () => {
    // 23:30 UTC on 2026-01-14 is already January 15 in Berlin.
    expect(reportPeriod('day', undefined, 'Europe/Berlin', Date.UTC(2026, 0, 14, 23, 30)).date).toBe('2026-01-15');
    expect(reportPeriod('day', undefined, 'UTC', Date.UTC(2026, 0, 14, 23, 30)).date).toBe('2026-01-14');
    // 04:59 UTC on February 1 is still January in New York.
    expect(reportPeriod('month', undefined, 'America/New_York', Date.UTC(2026, 1, 1, 4, 59)).date).toBe('2026-01');
    expect(reportPeriod('month', undefined, 'America/New_York', Date.UTC(2026, 1, 1, 5)).date).toBe('2026-02');
  });
});
