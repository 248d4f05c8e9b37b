/**
 * `tollgate report`: a billing report of a calendar day or month, read from
 * the configured store or a running gateway's admin API, printed as a table,
 * CSV, JSON or Markdown. The flags are checked here, before either is asked,
 * so a mistake reads the same whichever backend would have answered.
 */
import { formatReport } from '../reports/formats.js';
import { REPORT_FORMATS, ReportRequestError, parseReportRequest } from '../reports/report-request.js';
import { AdminCommandError, type AdminBackend } from './admin-backend.js';

export const REPORT_USAGE = `Billing reports (against the configured store, or a running gateway with --url URL
and TOLLGATE_ADMIN_TOKEN):
  tollgate report [--period day|month] [--date YYYY-MM-DD|YYYY-MM] [--tenant NAME]
                  [--timezone ZONE] [--format table|csv|json|markdown] [--config FILE | --url URL]

  --period    a calendar day or month (default: the one --date names, else day)
  --date      which one, in --timezone (default: the current one)
  --tenant    only this tenant (default: every tenant with usage)
  --timezone  the IANA time zone of the calendar, e.g. Europe/Berlin (default UTC)
  --format    table (default), csv (one row per tenant × key × model), json, markdown
`;

export interface ReportFlags {
  readonly period?: string | undefined;
  readonly date?: string | undefined;
  readonly tenant?: string | undefined;
  readonly timezone?: string | undefined;
  readonly format?: string | undefined;
}

export async function runReportCommand(backend: AdminBackend, args: readonly string[], flags: ReportFlags): Promise<string> {
  if (args.length > 0) throw new AdminCommandError(`'tollgate report' takes flags only, got '${args.join(' ')}' (see tollgate report --help)`);
  let request;
  try {
    request = parseReportRequest({ period: flags.period, date: flags.date, tenant: flags.tenant, timezone: flags.timezone, format: flags.format }, REPORT_FORMATS, 'table');
  } catch (error) {
    if (!(error instanceof ReportRequestError)) throw error;
    throw new AdminCommandError(error.problems.map((p) => `--${p.field}: ${p.message}`).join('; '));
  }
  return formatReport(await backend.report(request), request.format);
}
