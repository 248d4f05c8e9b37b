/**
 * The billing report as CSV (RFC 4180): a header, then one row per tenant ×
 * key × model × deployment line, with the period on every row so files of
 * several periods can be concatenated. Lines end in CRLF; a field holding a
 * comma, quote or line break is quoted, quotes doubled.
 */
import type { BillingReport, ReportLine, TenantReport } from './billing-report.js';

export const CSV_COLUMNS = [
  'period',
  'date',
  'timezone',
  'tenant',
  'key_id',
  'model',
  'provider',
  'upstream_model',
  'requests',
  'ok',
  'errors',
  'client_errors',
  'client_closed',
  'shutdown',
  'input_tokens',
  'cached_input_tokens',
  'output_tokens',
  'reasoning_tokens',
  'cost_usd',
  'estimated_requests',
  'estimated_input_tokens',
  'estimated_cached_input_tokens',
  'estimated_output_tokens',
  'estimated_reasoning_tokens',
  'estimated_cost_usd',
] as const;

export function csvField(value: string | number | null): string {
  const text = value === null ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function row(report: BillingReport, tenant: TenantReport, line: ReportLine): Array<string | number | null> {
  const { requests, tokens, estimated } = line;
  return [
    report.period,
    report.date,
    report.timezone,
    tenant.tenant,
    line.key_id,
    line.model,
    line.provider,
    line.upstream_model,
    requests.total,
    requests.ok,
    requests.errors,
    requests.client_errors,
    requests.client_closed,
    requests.shutdown,
    tokens.input,
    tokens.cached_input,
    tokens.output,
    tokens.reasoning,
    line.cost_usd,
    estimated.requests,
    estimated.tokens.input,
    estimated.tokens.cached_input,
    estimated.tokens.output,
    estimated.tokens.reasoning,
    estimated.cost_usd,
  ];
}

export function formatCsv(report: BillingReport): string {
  const rows = [CSV_COLUMNS.join(',')];
  for (const tenant of report.tenants) for (const line of tenant.lines) rows.push(row(report, tenant, line).map(csvField).join(','));
  return `${rows.join('\r\n')}\r\n`;
}
