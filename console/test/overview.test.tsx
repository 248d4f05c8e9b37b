// @vitest-environment happy-dom
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiClient } from '../src/api/client.js';
import type { SeriesBucket } from '../src/api/types.js';
import { ApiContext } from '../src/components/api-context.js';
import { OverviewPage } from '../src/pages/overview.js';
import { apiError, startAdminServer, type AdminServer, type Received } from './admin-server.js';
import { until } from './until.js';

/** Every bucket of the window asked for, as the endpoint answers. */
function timeseries(request: Received) {
  const query = new URL(request.path, 'http://x').searchParams;
  const bucket = query.get('bucket') === 'day' ? 'day' : 'hour';
  const step = bucket === 'day' ? 86_400_000 : 3_600_000;
  const from = Date.parse(query.get('from') ?? '');
  const to = Date.parse(query.get('to') ?? '');
  const data: SeriesBucket[] = [];
  for (let t = from; t < to; t += step) data.push({ start: new Date(t).toISOString(), requests: 4, errors: 1, input_tokens: 12_000, output_tokens: 800, cost_usd: 0.0125, latency_p50_ms: 840, latency_p95_ms: 2300 });
  const n = data.length;
  const groups =
    query.get('group_by') === 'model'
      ? [
          { model: 'gpt-5', requests: 3 * n, errors: 0, input_tokens: 9_000 * n, output_tokens: 600 * n, cost_usd: 0.0125 * n, latency_p50_ms: 640, latency_p95_ms: 1900 },
          { model: 'gpt-oss:20b', requests: n, errors: n, input_tokens: 3_000 * n, output_tokens: 200 * n, cost_usd: 0, latency_p50_ms: 4100, latency_p95_ms: 9800 },
        ]
      : undefined;
  return { status: 200, body: { object: 'timeseries', bucket, from: query.get('from'), to: query.get('to'), tenant: null, model: null, data, total: { requests: 4 * n, errors: n, input_tokens: 12_000 * n, output_tokens: 800 * n, cost_usd: 0.0125 * n, latency_p50_ms: 840, latency_p95_ms: 2300 }, groups } };
}

const button = (name: string): HTMLButtonElement => [...document.querySelectorAll('button')].find((b) => b.textContent?.trim() === name)!;
const root = (): HTMLElement => document.querySelector<HTMLElement>('section[aria-labelledby=overview-title]')!;
const tile = (label: string): string | undefined => [...document.querySelectorAll('.tile')].find((t) => t.querySelector('dt')?.textContent === label)?.querySelector('dd')?.textContent ?? undefined;

describe('OverviewPage against an admin API on loopback', () => {
  let server: AdminServer;
  let host: HTMLElement;

  beforeEach(async () => {
    server = await startAdminServer();
    host = document.createElement('div');
    document.body.append(host);
  });
  afterEach(async () => {
    void act(() => render(null, host));
    host.remove();
    await server.close();
  });

  const mount = (): void => {
    void act(() =>
      render(
        <ApiContext.Provider value={new ApiClient({ baseUrl: server.origin })}>
          <OverviewPage />
        </ApiContext.Provider>,
        host,
      ),
    );
  };

  it('shows the totals, four captioned charts and their tables, then marks itself ready', async () => {
    server.on('GET', '/timeseries', timeseries);
    mount();
    expect(root().dataset.ready).toBe('false');
    await until(() => root().dataset.ready === 'true', 'the data');

    const asked = new URL(server.received.find((r) => r.path.startsWith('/timeseries'))!.path, 'http://x').searchParams;
    expect(asked.get('bucket')).toBe('hour');
    expect(button('Today').getAttribute('aria-pressed')).toBe('true');
    const hours = (Date.parse(asked.get('to')!) - Date.parse(asked.get('from')!)) / 3_600_000;
    expect(tile('Requests')).toBe(String(4 * hours));
    expect(tile('Errors')).toBe(`${hours}25% of requests`);
    expect(tile('p50 latency')).toBe('840 ms');
    expect(tile('p95 latency')).toBe('2.30 s');

    const figures = [...document.querySelectorAll('figure')];
    expect(figures.map((f) => f.querySelector('figcaption span')?.textContent)).toEqual(['Requests and errors', 'Latency p50 and p95', 'Tokens in and out', 'Cost']);
    expect(figures.every((f) => f.getAttribute('aria-label') !== null)).toBe(true);

    const toggle = figures[3]!.querySelector('button')!;
    expect(toggle.textContent).toBe('Show as table');
    void act(() => toggle.click());
    const rows = figures[3]!.querySelectorAll('tbody tr');
    expect(rows).toHaveLength(hours);
    expect(rows[0]?.querySelector('td')?.textContent).toBe('$0.013');
    expect(toggle.getAttribute('aria-expanded')).toBe('true');

    // Which model is slow or failing: one row per model, from a request of its own (the charts do not wait for it), a failing one flagged.
    expect(asked.get('group_by')).toBeNull();
    await until(() => document.querySelector('[data-testid=models]') !== null, 'the table by model');
    const grouped = server.received.filter((r) => r.path.startsWith('/timeseries') && r.path.includes('group_by=model'));
    expect(grouped).toHaveLength(1);
    expect(new URL(grouped[0]!.path, 'http://x').searchParams.get('from')).toBe(asked.get('from'));
    const models = [...document.querySelectorAll('[data-testid=models] tbody tr')].map((tr) => [tr.getAttribute('data-model'), tr.querySelector('td:nth-of-type(4)')?.textContent, tr.textContent?.includes('failing')]);
    expect(models).toEqual([
      ['gpt-5', '1.90 s', false],
      ['gpt-oss:20b', '9.80 s', true],
    ]);
  });

  it('asks for 30 daily buckets for 30 d, and is not ready before they are shown', async () => {
    server.on('GET', '/timeseries', timeseries);
    mount();
    await until(() => root().dataset.ready === 'true', 'the first data');
    void act(() => button('30 d').click());
    expect(root().dataset.ready).toBe('false');
    await until(() => root().dataset.ready === 'true', 'the 30-day data');
    const asked = new URL(server.received.at(-1)!.path, 'http://x').searchParams;
    expect(asked.get('bucket')).toBe('day');
    expect(button('30 d').getAttribute('aria-pressed')).toBe('true');
    expect(button('Today').getAttribute('aria-pressed')).toBe('false');
    expect(tile('Requests')).toBe('120');
  });

  it('narrows every number to one tenant chosen from the tenant list', async () => {
    server.on('GET', '/timeseries', timeseries);
    server.on('GET', '/tenants', () => ({ status: 200, body: { object: 'list', data: [{ object: 'tenant', name: 'team-a' }, { object: 'tenant', name: 'team-b' }] } }));
    mount();
    await until(() => root().dataset.ready === 'true' && document.querySelectorAll('[data-testid=overview-tenant] option').length === 3, 'the data and the tenants');
    const select = document.querySelector<HTMLSelectElement>('[data-testid=overview-tenant]')!;
    expect([...select.options].map((o) => o.textContent)).toEqual(['All tenants', 'team-a', 'team-b']);
    expect(new URL(server.received.find((r) => r.path.startsWith('/timeseries'))!.path, 'http://x').searchParams.get('tenant')).toBeNull();
    select.value = 'team-b';
    void act(() => {
      select.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await until(() => server.received.some((r) => r.path.startsWith('/timeseries') && r.path.includes('tenant=team-b') && r.path.includes('group_by=model')), 'both requests for team-b');
    const forB = server.received.filter((r) => r.path.startsWith('/timeseries') && r.path.includes('tenant=team-b'));
    expect(forB.map((r) => new URL(r.path, 'http://x').searchParams.get('group_by'))).toEqual([null, 'model']);
    expect(root().dataset.ready).toBe('true');
  });

  it('says there were no calls yet today', async () => {
    server.on('GET', '/timeseries', (request) => {
      const answer = timeseries(request);
      const body = answer.body;
      return { status: 200, body: { ...body, data: body.data.map((b) => ({ ...b, requests: 0, errors: 0, cost_usd: 0, latency_p50_ms: null, latency_p95_ms: null })), total: { requests: 0, errors: 0, input_tokens: 0, output_tokens: 0, cost_usd: 0, latency_p50_ms: null, latency_p95_ms: null } } };
    });
    mount();
    await until(() => root().dataset.ready === 'true', 'the data');
    expect(document.body.textContent).toContain('No calls yet today.');
    expect(tile('p50 latency')).toBe('—');
  });

  it("shows the server's message when the endpoint is missing", async () => {
    server.on('GET', '/timeseries', () => apiError(404, 'No admin route for GET /admin/v1/timeseries.', 'not_found'));
    mount();
    await until(() => document.querySelector('[role=alert]') !== null, 'the error');
    expect(document.querySelector('[role=alert]')?.textContent).toBe('No admin route for GET /admin/v1/timeseries.');
    expect(root().dataset.ready).toBe('false');
  });
});
