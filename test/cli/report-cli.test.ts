/**
 * `tollgate report` and `GET /admin/v1/reports` on the same data: the real
 * binary against the store (--config) and against a running gateway (--url),
 * the admin API over loopback HTTP; every answer equal, every bad query
 * refused with the problems named (400, or one line and exit 1).
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import type { Gateway } from '../../src/gateway.js';
import type { BillingReport } from '../../src/reports/billing-report.js';
import { startTestGateway } from '../helpers/gateway.js';
import { randomRows, seeded, sums } from '../reports/support/ledger-rows.js';

const root = new URL('../..', import.meta.url).pathname;
const bin = join(root, 'bin', 'tollgate.js');
const ADMIN_TOKEN = 'admin-token-0123456789abcdef';
const work = mkdtempSync(join(tmpdir(), 'tollgate-report-cli-'));
const configPath = join(work, 'tollgate.yaml');
writeFileSync(
  configPath,
  [`store: { path: ${join(work, 'store.sqlite')} }`, 'auth: { admin_token: "${TOLLGATE_ADMIN_TOKEN}" }', 'providers: [{ name: sim, kind: mock }]', 'models: [{ name: demo, route: [sim/demo] }]', ''].join('\n'),
);
const env = { ...process.env, TOLLGATE_ADMIN_TOKEN: ADMIN_TOKEN, TOLLGATE_CONFIG: '' };

async function tollgate(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, ...args], { cwd: work, env, encoding: 'utf8' });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

async function api(query: string): Promise<{ status: number; type: string | null; text: string; disposition: string | null }> {
  const response = await fetch(`${gateway.url}/admin/v1/reports${query}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  return { status: response.status, type: response.headers.get('content-type'), disposition: response.headers.get('content-disposition'), text: await response.text() };
}

// March 2026 in Berlin: 2026-02-28T23:00Z to 2026-03-31T22:00Z (summer time from the 29th).
const MARCH_START = Date.UTC(2026, 1, 28, 23);
const MARCH_END = Date.UTC(2026, 2, 31, 22);
const rows = randomRows(3_000, MARCH_START - 2 * 86_400_000, MARCH_END + 2 * 86_400_000, seeded(7));

let gateway: Gateway;
beforeAll(async () => {
  execFileSync(process.execPath, [join(root, 'scripts', 'build-if-needed.mjs')], { stdio: 'inherit' });
  gateway = await startTestGateway(loadConfig({ path: configPath, env, demo: false }));
  for (const row of rows) gateway.ledger.append(row);
  await gateway.ledger.flush();
});
afterAll(async () => {
  await gateway.close();
});

const STORE = ['--config', configPath];
const month = ['report', '--period', 'month', '--date', '2026-03', '--timezone', 'Europe/Berlin'];

describe('the same report from the API, the store and the running gateway', () => {
  it('json: equal everywhere, and the totals are the rows’ own', async () => {
    const answer = await api('?period=month&date=2026-03&timezone=Europe/Berlin');
    expect(answer.status).toBe(200);
    expect(answer.type).toBe('application/json');
    const fromApi = JSON.parse(answer.text) as BillingReport;
    const fromStore = await tollgate([...month, '--format', 'json', ...STORE]);
    const fromUrl = await tollgate([...month, '--format', 'json', '--url', gateway.url]);
    expect(fromStore.code).toBe(0);
    expect(JSON.parse(fromStore.stdout)).toEqual(fromApi);
    expect(JSON.parse(fromUrl.stdout)).toEqual(fromApi);
    const expected = sums(rows.filter((r) => r.time >= MARCH_START && r.time < MARCH_END));
    expect(fromApi.totals.requests.total).toBe(expected.requests);
    expect(fromApi.totals.tokens.input).toBe(expected.input);
    expect(fromApi.totals.cost_usd).toBeCloseTo(expected.cost, 5);
    expect(fromApi.totals.estimated.requests).toBe(expected.estRequests);
    expect(fromApi.totals.estimated.cost_usd).toBeCloseTo(expected.estCost, 5);
    expect(fromApi.start_local).toBe('2026-03-01T00:00:00+01:00');
    expect(fromApi.end_local).toBe('2026-04-01T00:00:00+02:00');
  });

  it('csv and markdown: the same text, with their media types; the table from the store and the gateway alike', async () => {
    const csv = await api('?period=day&date=2026-03-29&timezone=Europe/Berlin&tenant=team-a&format=csv');
    expect(csv.status).toBe(200);
    expect(csv.type).toBe('text/csv; charset=utf-8; header=present');
    expect(csv.disposition).toBe('attachment; filename="tollgate-day-2026-03-29-team-a.csv"');
    const day = ['report', '--date', '2026-03-29', '--timezone', 'Europe/Berlin', '--tenant', 'team-a'];
    expect((await tollgate([...day, '--format', 'csv', ...STORE])).stdout).toBe(csv.text);
    expect((await tollgate([...day, '--format', 'csv', '--url', gateway.url])).stdout).toBe(csv.text);
    expect(csv.text.split('\r\n')[1]).toMatch(/^day,2026-03-29,Europe\/Berlin,team-a,/);

    const markdown = await api('?date=2026-03&timezone=Europe/Berlin&format=markdown');
    expect(markdown.type).toBe('text/markdown; charset=utf-8');
    expect(markdown.text).toMatch(/^## Billing report, month 2026-03\n/);
    expect((await tollgate([...month, '--format', 'markdown', ...STORE])).stdout).toBe(markdown.text);

    const table = await tollgate([...month, ...STORE]);
    expect(table.stdout).toMatch(/^Billing report: month 2026-03 in Europe\/Berlin/);
    expect((await tollgate([...month, '--url', gateway.url])).stdout).toBe(table.stdout);
  });
});

describe('bad queries', () => {
  it('the API answers 400 naming every problem, OpenAI-shaped', async () => {
    const answer = await api('?period=week&date=2026-13-01&timezone=Mars/Olympus&format=table&colour=red');
    expect(answer.status).toBe(400);
    const body = JSON.parse(answer.text) as { error: { message: string; type: string; code: string; param: string } };
    expect(body.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_admin_request', param: 'colour' });
    for (const part of ['colour: unknown parameter', "period: expected day or month, got 'week'", "date: '2026-13-01' is not a date on the calendar", "timezone: expected an IANA time zone", "format: expected json, csv, markdown, got 'table'"]) {
      expect(body.error.message).toContain(part);
    }
    const monthThirteen = await api('?date=2026-13-01');
    expect(JSON.parse(monthThirteen.text)).toMatchObject({ error: { message: "Invalid report query: date: '2026-13-01' is not a date on the calendar (expected a calendar day, YYYY-MM-DD)." } });
  });

  it('the CLI prints one line and exits 1 (2 for an unknown flag); --help explains the flags', async () => {
    for (const args of [['--date', '2026-13-01'], ['--period', 'week'], ['--timezone', 'Mars/Olympus'], ['--format', 'pdf'], ['stray']]) {
      for (const where of [STORE, ['--url', gateway.url]]) {
        const result = await tollgate(['report', ...args, ...where]);
        expect(result.code, args.join(' ')).toBe(1);
        expect(result.stdout).toBe('');
        expect(result.stderr).toMatch(/^tollgate: .+\n$/);
      }
    }
    expect((await tollgate(['report', '--date', '2026-13-01', ...STORE])).stderr).toBe("tollgate: --date: '2026-13-01' is not a date on the calendar (expected a calendar day, YYYY-MM-DD)\n");
    expect((await tollgate(['report', '--colour', 'red', ...STORE])).code).toBe(2);
    const help = await tollgate(['report', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Billing reports .*--timezone .*--format table\|csv\|json\|markdown/s);
  });

  it('is in the OpenAPI document', async () => {
    const response = await fetch(`${gateway.url}/admin/v1/openapi.json`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    const doc = (await response.json()) as { paths: Record<string, unknown>; components: { schemas: Record<string, unknown> } };
    expect(Object.keys(doc.paths)).toContain('/reports');
    expect(Object.keys(doc.components.schemas)).toContain('BillingReport');
  });
});
