/**
 * `GET /admin/v1/timeseries` through a real gateway: calls made through it
 * (to the upstream simulator, and to an upstream that is down) appear in the
 * current hour and day with their tokens, errors and latencies; the answer
 * has the documented shape, every bucket of the range, its bounds rounded to
 * the buckets; a bad query is refused with a 400 naming the problem.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { GatewayConfig } from '../../src/config/types.js';
import type { Gateway } from '../../src/gateway.js';
import { startMockUpstream, type MockUpstream } from '../../src/providers/mock/simulator.js';
import { config, model, provider, startTestGateway } from '../helpers/gateway.js';

const ADMIN_TOKEN = 'admin-token-0123456789abcdef';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
let upstream: MockUpstream;
let gateway: Gateway;

beforeAll(async () => {
  upstream = await startMockUpstream({ latencyMs: 0, tokensPerSecond: 0, scripts: {} });
  const base = config(
    [provider({ name: 'up', kind: 'openai', baseUrl: upstream.url, apiKey: 'sk-upstream-0123456789' }), provider({ name: 'down', kind: 'openai', baseUrl: 'http://127.0.0.1:1', apiKey: 'sk-upstream-0123456789' })],
    [model('gpt-a', ['up/a']), model('oss-b', ['up/b']), model('broken', ['down/x'])],
  );
  const cfg: GatewayConfig = { ...base, auth: { adminToken: ADMIN_TOKEN, anonymousTenant: undefined, trustedProxy: undefined } };
  gateway = await startTestGateway(cfg);
});
afterAll(async () => {
  await gateway.close();
  await upstream.close();
});

interface Sums {
  requests: number;
  errors: number;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
  latency_p50_ms: number | null;
  latency_p95_ms: number | null;
}

interface Series {
  object: string;
  bucket: string;
  from: string;
  to: string;
  tenant: string | null;
  model: string | null;
  data: Array<{ start: string } & Sums>;
  total: Sums;
}

interface ErrorBody {
  error: { message: string; type: string; code: string; param: string | null };
}

async function get<T>(path: string): Promise<{ status: number; body: T }> {
  const response = await fetch(`${gateway.url}/admin/v1${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  return { status: response.status, body: (await response.json()) as T };
}

async function chat(key: string, modelName: string): Promise<number> {
  const response = await fetch(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: modelName, messages: [{ role: 'user', content: 'hi' }] }),
  });
  await response.arrayBuffer();
  return response.status;
}

const SUM_KEYS = ['requests', 'errors', 'input_tokens', 'output_tokens', 'cost_usd', 'latency_p50_ms', 'latency_p95_ms'];

describe('GET /admin/v1/timeseries', () => {
  it('shows the calls made through the gateway in the current hour and day, in the documented shape', async () => {
    const created = await fetch(`${gateway.url}/admin/v1/tenants`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, body: JSON.stringify({ name: 'team-ts' }) });
    expect(created.status).toBe(201);
    const { key } = await gateway.tenancy.createKey({ tenant: 'team-ts' });
    for (const name of ['gpt-a', 'gpt-a', 'oss-b']) expect(await chat(key, name)).toBe(200);
    expect(await chat(key, 'broken')).toBeGreaterThanOrEqual(500);

    await vi.waitFor(async () => expect((await get<Series>('/timeseries?tenant=team-ts')).body.total.requests).toBe(4), { timeout: 5_000, interval: 20 });
    const before = Date.now();
    const { status, body } = await get<Series>('/timeseries?tenant=team-ts');
    expect(status).toBe(200);
    expect(Object.keys(body)).toEqual(['object', 'bucket', 'from', 'to', 'tenant', 'model', 'data', 'total']);
    expect(body).toMatchObject({ object: 'timeseries', bucket: 'hour', tenant: 'team-ts', model: null });
    // To the end of the current hour, 24 hours back.
    const end = Math.floor(before / HOUR) * HOUR + HOUR;
    expect(body.to).toBe(new Date(end).toISOString());
    expect(body.from).toBe(new Date(end - 24 * HOUR).toISOString());
    expect(body.data.map((p) => p.start)).toEqual(Array.from({ length: 24 }, (_, i) => new Date(end - (24 - i) * HOUR).toISOString()));
    for (const point of body.data) expect(Object.keys(point)).toEqual(['start', ...SUM_KEYS]);
    expect(Object.keys(body.total)).toEqual(SUM_KEYS);

    const current = body.data.at(-1)!;
    expect(current).toMatchObject({ requests: 4, errors: 1 });
    expect(current.input_tokens).toBeGreaterThan(0);
    expect(current.output_tokens).toBeGreaterThan(0);
    expect(current.latency_p50_ms).toEqual(expect.any(Number));
    expect(current.latency_p95_ms!).toBeGreaterThanOrEqual(current.latency_p50_ms!);
    expect(body.data.slice(0, -1).every((p) => p.requests === 0 && p.latency_p50_ms === null)).toBe(true);
    const { start: _start, ...currentSums } = current;
    expect(body.total).toEqual(currentSums);

    const ossB = await get<Series>('/timeseries?tenant=team-ts&model=oss-b&bucket=day');
    expect(ossB.body).toMatchObject({ bucket: 'day', model: 'oss-b', total: { requests: 1, errors: 0 } });
    expect(ossB.body.data).toHaveLength(30);
    expect(ossB.body.data.at(-1)?.start).toBe(new Date(Math.floor(before / DAY) * DAY).toISOString());
    // Broken down by route model: which model is slow or failing.
    const byModel = await get<Series & { groups: Array<{ model: string } & Sums> }>('/timeseries?tenant=team-ts&group_by=model');
    expect(byModel.body.groups.map((g) => [g.model, g.requests, g.errors])).toEqual([
      ['gpt-a', 2, 0],
      ['broken', 1, 1],
      ['oss-b', 1, 0],
    ]);
    for (const group of byModel.body.groups) expect(Object.keys(group)).toEqual(['model', ...SUM_KEYS]);
    expect(byModel.body.groups.reduce((n, g) => n + g.requests, 0)).toBe(byModel.body.total.requests);
    expect(byModel.body.data.map((p) => [p.start, p.requests, p.errors, p.input_tokens, p.output_tokens])).toEqual(body.data.map((p) => [p.start, p.requests, p.errors, p.input_tokens, p.output_tokens]));
    const byTenant = await get<Series & { groups: Array<{ tenant: string } & Sums> }>('/timeseries?model=gpt-a&group_by=tenant');
    const { model: _gptA, ...gptASums } = byModel.body.groups[0]!;
    expect(byTenant.body.groups).toEqual([{ tenant: 'team-ts', ...gptASums }]);
    expect((await get<ErrorBody>('/timeseries?group_by=key')).body.error.message).toMatch(/group_by: expected model or tenant/);
    expect((await get<Series>('/timeseries?tenant=nobody')).body.total).toEqual({ requests: 0, errors: 0, input_tokens: 0, output_tokens: 0, cost_usd: 0, latency_p50_ms: null, latency_p95_ms: null });
  });

  it('rounds from down and to up to the buckets, as ISO-8601 instants or epoch ms', async () => {
    const hours = await get<Series>('/timeseries?from=2026-12-04T10:30:00Z&to=2026-12-04T13:00:00.001Z');
    expect(hours.status).toBe(200);
    expect(hours.body).toMatchObject({ from: '2026-12-04T10:00:00.000Z', to: '2026-12-04T14:00:00.000Z', tenant: null });
    expect(hours.body.data.map((p) => p.start)).toEqual(['2026-12-04T10:00:00.000Z', '2026-12-04T11:00:00.000Z', '2026-12-04T12:00:00.000Z', '2026-12-04T13:00:00.000Z']);
    const days = await get<Series>(`/timeseries?bucket=day&from=${Date.UTC(2026, 10, 30, 23)}&to=2026-12-02T01:00:00%2B02:00`);
    expect(days.body).toMatchObject({ from: '2026-11-30T00:00:00.000Z', to: '2026-12-02T00:00:00.000Z' });
    expect(days.body.data).toHaveLength(2);
    const fromOnly = await get<Series>('/timeseries?bucket=day&to=2026-12-05T00:00:00Z');
    expect(fromOnly.body.from).toBe('2026-11-05T00:00:00.000Z');
  });

  it('refuses a bad query with a 400 naming the problem', async () => {
    const cases: Array<[string, RegExp]> = [
      ['/timeseries?bucket=week', /bucket: expected hour or day/],
      ['/timeseries?from=yesterday', /from: expected an ISO-8601 instant/],
      ['/timeseries?to=2026-12-04', /to: expected an ISO-8601 instant/],
      ['/timeseries?tenants=a&colour=red', /tenants.*colour|colour.*tenants/],
      ['/timeseries?from=2026-12-04T10:00:00Z&to=2026-12-04T10:00:00Z', /from: must be before to/],
      ['/timeseries?from=2026-12-05T00:00:00Z&to=2026-12-04T00:00:00Z', /from: must be before to/],
      ['/timeseries?from=2026-01-01T00:00:00Z&to=2026-12-01T00:00:00Z', /more than the 2000/],
      ['/timeseries?tenant=', /tenant/],
    ];
    for (const [path, message] of cases) {
      const { status, body } = await get<ErrorBody>(path);
      expect({ path, status, code: body.error.code, type: body.error.type }).toEqual({ path, status: 400, code: 'invalid_admin_request', type: 'invalid_request_error' });
      expect(body.error.message).toMatch(message);
    }
    // 2000 buckets is the most.
    expect((await get<Series>(`/timeseries?from=0&to=${2_000 * HOUR}`)).body.data).toHaveLength(2_000);
  });

  it('is listed in the OpenAPI document', async () => {
    const doc = await get<{ paths: Record<string, unknown>; components: { schemas: Record<string, unknown> } }>('/openapi.json');
    expect(Object.keys(doc.body.paths)).toContain('/timeseries');
    expect(Object.keys(doc.body.components.schemas)).toEqual(expect.arrayContaining(['Timeseries', 'TimeseriesSums']));
  });
});
