/** A tenant's daily billing summary as a notification: the report of its day in text, Markdown and JSON. */
import type { Notification } from '../notifications/contracts.js';
import type { BillingReport } from './billing-report.js';
import { usd } from './report-columns.js';
import { formatMarkdown } from './format-markdown.js';
import { formatTable } from './format-table.js';

/** The id that makes a tenant's summary of a day unique for ever (the notifier drops a second one). */
export function summaryId(tenant: string, day: string): string {
  return `summary:${tenant}:${day}`;
}

/** `report` is one tenant's report of one day (see `tenantOnly`). */
export function summaryNotification(report: BillingReport, createdAt: number): Notification {
  const tenant = report.tenants[0]?.tenant ?? report.tenant ?? '';
  const { totals } = report;
  const estimated = totals.estimated.requests > 0 ? `, ${usd(totals.estimated.cost_usd)} of it estimated` : '';
  return {
    id: summaryId(tenant, report.date),
    kind: 'daily_summary',
    tenant,
    subject: `Tollgate: ${tenant} spent ${usd(totals.cost_usd)} on ${report.date} (${report.timezone}), ${totals.requests.total} requests${estimated}`,
    text: formatTable(report),
    markdown: formatMarkdown(report),
    data: { ...report },
    createdAt,
  };
}
