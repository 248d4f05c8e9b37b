/**
 * The billing report in Markdown: a heading, the numbers in tables, the
 * estimated share spelled out. Cells are padded so the tables read as text
 * too, where Markdown is not rendered. It is also the daily summary's body.
 */
import type { BillingReport } from './billing-report.js';
import { estimatedNote, grid, keyColumns, modelColumns, periodLine, tenantColumns, usd, type Column } from './report-columns.js';

/** A pipe in a cell (a model name could hold one) would start a new column. */
function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

function table<T>(columns: ReadonlyArray<Column<T>>, rows: readonly T[]): string {
  const escaped = columns.map((c) => ({ ...c, header: c.header.toLowerCase().replace(/_/g, ' '), cell: (row: T) => escapeCell(c.cell(row)) }));
  const laid = grid(escaped, rows);
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  const rule = `|${laid.widths.map((w, i) => (escaped[i]!.align === 'right' ? `${'-'.repeat(w + 1)}:` : `:${'-'.repeat(w + 1)}`)).join('|')}|`;
  return [line(laid.header), rule, ...laid.rows.map(line)].join('\n');
}

export function formatMarkdown(report: BillingReport): string {
  const title = report.tenant === null ? `Billing report, ${report.period} ${report.date}` : `Billing report for ${report.tenant}, ${report.period} ${report.date}`;
  const out = [`## ${title}`, '', `${periodLine(report)}.${report.complete ? '' : ' The period is not over: its numbers can still grow.'}`];
  if (report.tenants.length === 0) return `${out.join('\n')}\n\nNo usage in this period.\n`;
  out.push('', `**Total: ${usd(report.totals.cost_usd)}** for ${report.totals.requests.total} requests, of which ${usd(report.totals.estimated.cost_usd)} estimated.`);
  const totalRow = { tenant: '**total**', ...report.totals };
  out.push('', table(tenantColumns(), report.tenants.length > 1 ? [...report.tenants, totalRow] : report.tenants));
  for (const tenant of report.tenants) {
    out.push('', `### ${tenant.tenant} by key`, '', table(keyColumns(), tenant.keys));
    out.push('', `### ${tenant.tenant} by model`, '', table(modelColumns(), tenant.models));
  }
  out.push('', `_${estimatedNote(report.totals)}_`);
  return `${out.join('\n')}\n`;
}
