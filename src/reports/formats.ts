/** A billing report in the format asked for. */
import type { BillingReport } from './billing-report.js';
import { formatCsv } from './format-csv.js';
import { formatMarkdown } from './format-markdown.js';
import { formatTable } from './format-table.js';
import type { ReportFormat } from './report-request.js';

export function formatReport(report: BillingReport, format: ReportFormat): string {
  switch (format) {
    case 'table':
      return formatTable(report);
    case 'csv':
      return formatCsv(report);
    case 'markdown':
      return formatMarkdown(report);
    case 'json':
      return `${JSON.stringify(report, null, 2)}\n`;
  }
}

/** The media type an HTTP answer in `format` carries. */
export function reportContentType(format: ReportFormat): string {
  switch (format) {
    case 'csv':
      return 'text/csv; charset=utf-8; header=present';
    case 'markdown':
      return 'text/markdown; charset=utf-8';
    case 'table':
      return 'text/plain; charset=utf-8';
    case 'json':
      return 'application/json';
  }
}
