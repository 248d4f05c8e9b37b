/** A billing report read from the usage ledger: the period's bounds, one aggregate query, the report. */
import type { UsageLedger } from '../metering/usage-ledger.js';
import { buildBillingReport, type BillingReport } from './billing-report.js';
import { reportPeriod } from './report-period.js';
import type { ReportRequest } from './report-request.js';

export async function readBillingReport(ledger: UsageLedger, request: Omit<ReportRequest, 'format'>, now: number): Promise<BillingReport> {
  const period = reportPeriod(request.period, request.date, request.timeZone, now);
  const lines = await ledger.billingLines({ start: period.start, end: period.end, tenant: request.tenant });
  return buildBillingReport(period, lines, request.tenant, now);
}
