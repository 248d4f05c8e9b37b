/** The billing report as aligned text for a terminal: tenants, then each tenant by key and by model. */
import type { BillingReport } from './billing-report.js';
import { estimatedNote, grid, keyColumns, modelColumns, periodLine, tenantColumns, type Column } from './report-columns.js';

function block<T>(columns: ReadonlyArray<Column<T>>, rows: readonly T[]): string {
  const laid = grid(columns, rows);
  return [laid.header, ...laid.rows].map((cells) => cells.join('  ').trimEnd()).join('\n');
}

export function formatTable(report: BillingReport): string {
  const out = [`Billing report: ${periodLine(report)}`];
  if (!report.complete) out.push('The period is not over: its numbers can still grow.');
  if (report.tenants.length === 0) return `${out.join('\n')}\n\nNo usage in this period.\n`;
  const totalRow = { tenant: 'TOTAL', ...report.totals };
  out.push('', block(tenantColumns(), report.tenants.length > 1 ? [...report.tenants, totalRow] : report.tenants));
  for (const tenant of report.tenants) {
    out.push('', `Tenant ${tenant.tenant} by key`, block(keyColumns(), tenant.keys));
    out.push('', `Tenant ${tenant.tenant} by model`, block(modelColumns(), tenant.models));
  }
  out.push('', estimatedNote(report.totals));
  return `${out.join('\n')}\n`;
}
