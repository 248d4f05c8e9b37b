/**
 * What a report is asked for, from the admin API's query string or the CLI's
 * flags: one parser, so both refuse the same input with the same words. Every
 * problem is collected (a caller fixes them all at once), each naming its
 * field; the caller shows the field as it spells it (`date` or `--date`).
 */
import { REPORT_PERIODS, dateProblem, isTimeZone, periodOfDate, type ReportPeriodKind } from './report-period.js';

export type ReportFormat = 'table' | 'csv' | 'json' | 'markdown';
export const REPORT_FORMATS: readonly ReportFormat[] = ['table', 'csv', 'json', 'markdown'];

export interface ReportRequest {
  readonly period: ReportPeriodKind;
  /** Undefined: the current period. */
  readonly date?: string | undefined;
  /** Undefined: every tenant. */
  readonly tenant?: string | undefined;
  readonly timeZone: string;
  readonly format: ReportFormat;
}

export interface ReportProblem {
  /** The field as the API names it: `period`, `date`, `tenant`, `timezone`, `format`. */
  readonly field: string;
  readonly message: string;
}

/** A request the caller must fix; `problems` lists every one. */
export class ReportRequestError extends Error {
  constructor(readonly problems: readonly ReportProblem[]) {
    super(problems.map((p) => `${p.field}: ${p.message}`).join('; '));
    this.name = 'ReportRequestError';
  }
}

export const REPORT_FIELDS = ['period', 'date', 'tenant', 'timezone', 'format'] as const;

/**
 * Parses the fields (`undefined` for one not given). The period defaults to
 * the one `date` names by its shape (`2026-03` a month), else `day`; the time
 * zone to UTC; the format to `defaultFormat`, and only `formats` are accepted.
 */
export function parseReportRequest(
  input: Readonly<Record<string, string | undefined>>,
  formats: readonly ReportFormat[],
  defaultFormat: ReportFormat,
): ReportRequest {
  const problems: ReportProblem[] = [];
  const problem = (field: string, message: string): void => {
    problems.push({ field, message });
  };
  for (const field of Object.keys(input)) {
    if (!(REPORT_FIELDS as readonly string[]).includes(field) && input[field] !== undefined) problem(field, `unknown parameter (expected ${REPORT_FIELDS.join(', ')})`);
  }
  const { period: periodText, date, tenant, timezone, format: formatText } = input;

  let period: ReportPeriodKind = date === undefined ? 'day' : periodOfDate(date);
  if (periodText !== undefined) {
    if ((REPORT_PERIODS as readonly string[]).includes(periodText)) period = periodText as ReportPeriodKind;
    else problem('period', `expected ${REPORT_PERIODS.join(' or ')}, got '${periodText}'`);
  }
  if (date !== undefined) {
    const wrong = dateProblem(period, date);
    if (wrong !== undefined) problem('date', wrong);
  }
  if (tenant !== undefined && tenant.trim() === '') problem('tenant', 'expected a tenant name, got an empty value');
  const timeZone = timezone ?? 'UTC';
  if (!isTimeZone(timeZone)) problem('timezone', `expected an IANA time zone such as UTC or Europe/Berlin, got '${timeZone}'`);
  let format = defaultFormat;
  if (formatText !== undefined) {
    if ((formats as readonly string[]).includes(formatText)) format = formatText as ReportFormat;
    else problem('format', `expected ${formats.join(', ')}, got '${formatText}'`);
  }
  if (problems.length > 0) throw new ReportRequestError(problems);
  return { period, date, tenant, timeZone, format };
}
