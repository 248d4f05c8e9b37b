/**
 * `GET /admin/v1/reports`: a billing report of a calendar day or month, as
 * JSON (the report object) or as CSV or Markdown text with their own media
 * types. A query the API does not accept is refused with a 400 naming every
 * problem.
 */
import { InvalidRequestError } from '../../errors/index.js';
import type { UsageLedger } from '../../metering/usage-ledger.js';
import type { BillingReport } from '../../reports/billing-report.js';
import { formatReport, reportContentType } from '../../reports/formats.js';
import { readBillingReport } from '../../reports/read-report.js';
import { ReportRequestError, parseReportRequest, type ReportFormat } from '../../reports/report-request.js';

/** The formats the API answers in (`table` is the CLI's own). */
export const API_REPORT_FORMATS: readonly ReportFormat[] = ['json', 'csv', 'markdown'];

/** An answer that is not JSON: its body and media type. */
export class TextAnswer {
  constructor(
    readonly contentType: string,
    readonly body: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {}
}

export async function reportAnswer(ledger: UsageLedger, query: Readonly<Record<string, string>>, now: number): Promise<BillingReport | TextAnswer> {
  let request;
  try {
    request = parseReportRequest(query, API_REPORT_FORMATS, 'json');
  } catch (error) {
    if (!(error instanceof ReportRequestError)) throw error;
    throw new InvalidRequestError(`Invalid report query: ${error.message}.`, { code: 'invalid_admin_request', param: error.problems[0]?.field ?? null });
  }
  const report = await readBillingReport(ledger, request, now);
  if (request.format === 'json') return report;
  const headers: Record<string, string> =
    request.format === 'csv' ? { 'content-disposition': `attachment; filename="tollgate-${report.period}-${report.date}${report.tenant === null ? '' : `-${report.tenant}`}.csv"` } : {};
  return new TextAnswer(reportContentType(request.format), formatReport(report, request.format), headers);
}
