/**
 * The report's formats: CSV parsed back (RFC 4180) equals the report's lines,
 * the JSON shape is the documented one, Markdown is a table per section, and
 * the terminal table's columns line up. Estimated usage is marked in each.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BillingReport } from '../../src/reports/billing-report.js';
import { CSV_COLUMNS, csvField } from '../../src/reports/format-csv.js';
import { formatReport } from '../../src/reports/formats.js';
import { readBillingReport } from '../../src/reports/read-report.js';
import { REPORT_FORMATS, ReportRequestError, parseReportRequest } from '../../src/reports/report-request.js';
import { fileLedger, usageRow } from './support/ledger-rows.js';

/** RFC 4180: fields separated by commas, records by CRLF, quoted fields may hold both and double their quotes. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i++;
    } else field += c;
  }
  expect(field).toBe('');
  expect(record).toEqual([]);
  return records;
}

let report: BillingReport;
let dispose: () => Promise<void>;
const DAY = Date.UTC(2026, 4, 4, 12);

beforeAll(async () => {
  const opened = fileLedger();
  dispose = opened.dispose;
  const rows = [
    usageRow({ time: DAY, tenant: 'team-a', keyId: 'key1aaaaaaaa', promptTokens: 1000, cachedTokens: 200, completionTokens: 300, reasoningTokens: 50, costUsd: 0.25 }),
    usageRow({ time: DAY + 1, tenant: 'team-a', keyId: 'key1aaaaaaaa', promptTokens: 500, completionTokens: 100, costUsd: 0.05, estimated: true }),
    usageRow({ time: DAY + 2, tenant: 'team-a', keyId: null, routeModel: 'gpt-5-mini', provider: 'openai', upstreamModel: 'gpt-5-mini', costUsd: 1.5, status: 'cancelled', httpStatus: 499 }),
    // Names a CSV must quote, and a pipe a Markdown cell must escape.
    usageRow({ time: DAY + 3, tenant: 'data,science', keyId: 'key"quoted"', routeModel: 'odd|model\nname', provider: null, upstreamModel: null, costUsd: 0, status: 'error', httpStatus: 502 }),
  ];
  for (const row of rows) opened.ledger.append(row);
  report = await readBillingReport(opened.ledger, { period: 'day', date: '2026-05-04', timeZone: 'UTC' }, Date.UTC(2026, 5, 1));
});
afterAll(async () => {
  await dispose();
});

describe('csv', () => {
  it('parses back to one row per tenant × key × model line, every number as in the report', () => {
    const text = formatReport(report, 'csv');
    expect(text.endsWith('\r\n')).toBe(true);
    const [header, ...rows] = parseCsv(text);
    expect(header).toEqual([...CSV_COLUMNS]);
    const lines = report.tenants.flatMap((t) => t.lines.map((l) => ({ tenant: t.tenant, ...l })));
    expect(rows).toHaveLength(lines.length);
    // The two calls of key1 on one model are one line.
    expect(rows).toHaveLength(3);
    const objects = rows.map((row) => Object.fromEntries(header!.map((h, i) => [h, row[i]])));
    for (const [i, line] of lines.entries()) {
      const got = objects[i]!;
      expect(got).toMatchObject({ period: 'day', date: '2026-05-04', timezone: 'UTC', tenant: line.tenant, key_id: line.key_id ?? '', model: line.model, provider: line.provider ?? '', upstream_model: line.upstream_model ?? '' });
      expect(Number(got['requests'])).toBe(line.requests.total);
      expect(Number(got['client_closed'])).toBe(line.requests.client_closed);
      expect(Number(got['input_tokens'])).toBe(line.tokens.input);
      expect(Number(got['cached_input_tokens'])).toBe(line.tokens.cached_input);
      expect(Number(got['cost_usd'])).toBe(line.cost_usd);
      expect(Number(got['estimated_requests'])).toBe(line.estimated.requests);
      expect(Number(got['estimated_cost_usd'])).toBe(line.estimated.cost_usd);
    }
    expect(objects.find((o) => o['tenant'] === 'data,science')).toMatchObject({ key_id: 'key"quoted"', model: 'odd|model\nname', errors: '1' });
    expect(objects.find((o) => o['key_id'] === 'key1aaaaaaaa' && o['estimated_requests'] === '1')).toMatchObject({ requests: '2', estimated_input_tokens: '500', estimated_cost_usd: '0.05' });
  });

  it('quotes only what RFC 4180 needs quoted', () => {
    expect([csvField('plain'), csvField('a,b'), csvField('say "hi"'), csvField('two\nlines'), csvField(null), csvField(0.5)]).toEqual(['plain', '"a,b"', '"say ""hi"""', '"two\nlines"', '', '0.5']);
  });

  it('is the header alone when nothing was used', () => {
    expect(formatReport({ ...report, tenants: [] }, 'csv')).toBe(`${CSV_COLUMNS.join(',')}\r\n`);
  });
});

describe('json', () => {
  it('has the documented snake_case shape', () => {
    const parsed = JSON.parse(formatReport(report, 'json')) as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual(['object', 'period', 'date', 'timezone', 'start', 'end', 'start_local', 'end_local', 'complete', 'tenant', 'totals', 'tenants']);
    const summaryKeys = ['requests', 'tokens', 'cost_usd', 'estimated'];
    expect(Object.keys(report.totals)).toEqual(summaryKeys);
    expect(Object.keys(report.totals.requests)).toEqual(['total', 'ok', 'errors', 'client_errors', 'client_closed', 'shutdown']);
    expect(Object.keys(report.totals.tokens)).toEqual(['input', 'cached_input', 'output', 'reasoning']);
    expect(Object.keys(report.totals.estimated)).toEqual(['requests', 'tokens', 'cost_usd', 'cost_share']);
    const teamA = report.tenants.find((t) => t.tenant === 'team-a')!;
    expect(Object.keys(teamA)).toEqual(['tenant', ...summaryKeys, 'keys', 'models', 'lines']);
    expect(Object.keys(teamA.keys[0]!)).toEqual(['key_id', ...summaryKeys]);
    expect(Object.keys(teamA.models[0]!)).toEqual(['model', 'provider', 'upstream_model', ...summaryKeys]);
    expect(Object.keys(teamA.lines[0]!)).toEqual(['key_id', 'model', 'provider', 'upstream_model', ...summaryKeys]);
    // The anonymous calls (one $1.50 call) cost the most: first.
    expect(teamA.keys.map((k) => [k.key_id, k.cost_usd])).toEqual([[null, 1.5], ['key1aaaaaaaa', 0.3]]);
    expect(teamA.estimated).toEqual({ requests: 1, tokens: { input: 500, cached_input: 0, output: 100, reasoning: 0 }, cost_usd: 0.05, cost_share: 0.0278 });
  });
});

describe('markdown', () => {
  it('is a heading, a table per section with the estimated columns, and the estimated share spelled out', () => {
    const text = formatReport(report, 'markdown');
    expect(text.startsWith('## Billing report, day 2026-05-04\n')).toBe(true);
    const tables = text.split('\n\n').filter((block) => block.startsWith('|'));
    // Tenants, then per tenant by key and by model.
    expect(tables).toHaveLength(1 + 2 * report.tenants.length);
    for (const table of tables) {
      const rows = table.split('\n');
      const cells = rows.map((row) => row.replace(/\\\|/g, '').split('|').length);
      expect(new Set(cells).size).toBe(1);
      expect(rows[1]).toMatch(/^\|(:-+|-+:)(\|(:-+|-+:))*\|$/);
      expect(rows[0]).toContain('est cost usd');
    }
    expect(text).toContain('| **total**');
    expect(text).toContain('odd\\|model');
    expect(text).toMatch(/_Estimated \(EST_\*\): 1 of 4 requests \(25\.0 %\), \$0\.0500 of \$1\.8000 \(2\.8 %\)/);
  });
});

describe('table', () => {
  it('lines every column up: each header and its cells end (numbers) or start (names) at the same place', () => {
    const text = formatReport(report, 'table');
    const blocks = text.split('\n\n').slice(1, -1);
    expect(blocks.length).toBe(1 + 2 * report.tenants.length);
    for (const block of blocks) {
      const lines = block.split('\n').filter((line) => !line.startsWith('Tenant '));
      const header = lines[0]!;
      // A header's last character is where its numeric column ends.
      for (const name of ['REQUESTS', 'COST_USD', 'EST_COST_USD']) {
        const end = header.indexOf(name) + name.length;
        for (const line of lines.slice(1)) expect(line[end - 1], `${name} in '${line}'`).toMatch(/\d/);
        for (const line of lines.slice(1)) expect(line[end] ?? ' ').toBe(' ');
      }
    }
    expect(text).toContain('(anonymous)');
    expect(text).toMatch(/^TOTAL +4 +2 +1 +1 /m);
    expect(text).toContain('Estimated (EST_*): 1 of 4 requests');
  });

  it('says when nothing was used, and when the period is not over', () => {
    expect(formatReport({ ...report, tenants: [], complete: false }, 'table')).toMatch(/not over.*\n\nNo usage in this period\.\n$/s);
  });
});

describe('what a report is asked for', () => {
  const parse = (input: Record<string, string>) => parseReportRequest(input, REPORT_FORMATS, 'table');
  const problems = (input: Record<string, string>): string[] => {
    try {
      parse(input);
    } catch (error) {
      if (error instanceof ReportRequestError) return error.problems.map((p) => `${p.field}: ${p.message}`);
      throw error;
    }
    return [];
  };

  it('defaults to the current UTC day as a table, and takes the period from the date’s shape', () => {
    expect(parse({})).toEqual({ period: 'day', date: undefined, tenant: undefined, timeZone: 'UTC', format: 'table' });
    expect(parse({ date: '2026-02' }).period).toBe('month');
    expect(parse({ period: 'month', date: '2028-02', timezone: 'America/New_York', format: 'csv', tenant: 't' })).toEqual({ period: 'month', date: '2028-02', tenant: 't', timeZone: 'America/New_York', format: 'csv' });
  });

  it('names every problem at once', () => {
    expect(problems({ date: '2026-13-01' })).toEqual(["date: '2026-13-01' is not a date on the calendar (expected a calendar day, YYYY-MM-DD)"]);
    expect(problems({ period: 'week', date: '2026-02-30', timezone: 'Mars/Olympus', format: 'pdf', colour: 'red' })).toEqual([
      'colour: unknown parameter (expected period, date, tenant, timezone, format)',
      "period: expected day or month, got 'week'",
      "date: '2026-02-30' is not a date on the calendar (expected a calendar day, YYYY-MM-DD)",
      "timezone: expected an IANA time zone such as UTC or Europe/Berlin, got 'Mars/Olympus'",
      "format: expected table, csv, json, markdown, got 'pdf'",
    ]);
    expect(problems({ period: 'day', date: '2026-03' })).toEqual(["date: expected a calendar day, YYYY-MM-DD, for period day, got '2026-03'"]);
    expect(problems({ period: 'month', date: '2026-03-01' })).toEqual(["date: expected a calendar month, YYYY-MM, for period month, got '2026-03-01'"]);
  });
});
