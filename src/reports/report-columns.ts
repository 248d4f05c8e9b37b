/**
 * The columns the text formats (table, Markdown) show of a usage summary,
 * and the grid both lay them out on: one definition, so a terminal and a
 * Slack message show the same numbers under the same headings.
 */
import type { BillingReport, KeyUsage, ModelUsage, TenantReport, UsageSummary } from './billing-report.js';

export type Align = 'left' | 'right';

export interface Column<T> {
  readonly header: string;
  readonly align: Align;
  readonly cell: (row: T) => string;
}

/** Dollars to four places: a cent is too coarse for a day of a cheap model. */
export function usd(value: number): string {
  return `$${value.toFixed(4)}`;
}

export function count(value: number): string {
  return String(value);
}

export function percent(share: number): string {
  return `${(share * 100).toFixed(1)} %`;
}

export const ANONYMOUS = '(anonymous)';

export function keyLabel(keyId: string | null): string {
  return keyId ?? ANONYMOUS;
}

/** `provider/upstream-model`, or `-` when no provider was reached. */
export function servedBy(row: { readonly provider: string | null; readonly upstream_model: string | null }): string {
  if (row.provider === null) return '-';
  return row.upstream_model === null ? row.provider : `${row.provider}/${row.upstream_model}`;
}

/** The sums every grid shows; the estimated part in its own columns, marked `EST`. */
export function summaryColumns<T extends UsageSummary>(): Array<Column<T>> {
  const right = (header: string, cell: (row: T) => string): Column<T> => ({ header, align: 'right', cell });
  return [
    right('REQUESTS', (r) => count(r.requests.total)),
    right('OK', (r) => count(r.requests.ok)),
    right('ERRORS', (r) => count(r.requests.errors + r.requests.client_errors + r.requests.shutdown)),
    right('CLOSED', (r) => count(r.requests.client_closed)),
    right('INPUT', (r) => count(r.tokens.input)),
    right('CACHED', (r) => count(r.tokens.cached_input)),
    right('OUTPUT', (r) => count(r.tokens.output)),
    right('REASONING', (r) => count(r.tokens.reasoning)),
    right('COST_USD', (r) => usd(r.cost_usd)),
    right('EST_REQUESTS', (r) => count(r.estimated.requests)),
    right('EST_COST_USD', (r) => usd(r.estimated.cost_usd)),
  ];
}

export function tenantColumns(): Array<Column<TenantReport | (UsageSummary & { readonly tenant: string })>> {
  return [{ header: 'TENANT', align: 'left', cell: (r) => r.tenant }, ...summaryColumns()];
}

export function keyColumns(): Array<Column<KeyUsage>> {
  return [{ header: 'KEY', align: 'left', cell: (r) => keyLabel(r.key_id) }, ...summaryColumns<KeyUsage>()];
}

export function modelColumns(): Array<Column<ModelUsage>> {
  return [{ header: 'MODEL', align: 'left', cell: (r) => r.model }, { header: 'SERVED_BY', align: 'left', cell: servedBy }, ...summaryColumns<ModelUsage>()];
}

/** The cells of a grid, each column padded to its widest cell (headers included). */
export function grid<T>(columns: ReadonlyArray<Column<T>>, rows: readonly T[]): { readonly header: string[]; readonly rows: string[][]; readonly widths: number[] } {
  // A line break or tab in a name (a model's, sent by a client) would break the grid.
  const cells = rows.map((row) => columns.map((c) => c.cell(row).replace(/\p{Cc}+/gu, ' ')));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i]!.length)));
  const pad = (text: string, i: number): string => (columns[i]!.align === 'right' ? text.padStart(widths[i]!) : text.padEnd(widths[i]!));
  return { header: columns.map((c, i) => pad(c.header, i)), rows: cells.map((r) => r.map(pad)), widths };
}

/** What a report covers, in one line: `day 2026-03-29 in Europe/Berlin (… to …)`. */
export function periodLine(report: BillingReport): string {
  const who = report.tenant === null ? 'every tenant' : `tenant ${report.tenant}`;
  return `${report.period} ${report.date} in ${report.timezone} (${report.start_local} to ${report.end_local}), ${who}`;
}

/** The sentence that says what the estimated columns hold, with the report's own numbers. */
export function estimatedNote(totals: UsageSummary): string {
  const { estimated } = totals;
  const share = totals.requests.total > 0 ? estimated.requests / totals.requests.total : 0;
  return (
    `Estimated (EST_*): ${estimated.requests} of ${totals.requests.total} requests (${percent(share)}), ` +
    `${usd(estimated.cost_usd)} of ${usd(totals.cost_usd)} (${percent(estimated.cost_share)}): ` +
    'the upstream reported no usage for these calls, so the gateway counted their tokens itself.'
  );
}
