/**
 * The live feed over HTTP (`GET /admin/v1/events`): each finished call is one
 * `event: request` with its usage record, for the bearer token or a console
 * session; filters by tenant, model and status; a subscriber that cannot keep
 * up is told how many events it lost; the number of subscribers is capped.
 */
import { request, type IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayConfig } from '../../src/config/types.js';
import { SseParser, type SseEvent } from '../../src/framing/index.js';
import type { Gateway } from '../../src/gateway.js';
import type { UsageRecord } from '../../src/metering/usage-record.js';
import { startMockUpstream, type MockUpstream } from '../../src/providers/mock/simulator.js';
import { config, model, provider, startTestGateway } from '../helpers/gateway.js';

const ADMIN_TOKEN = 'feed-admin-token-0123456789';
const BEARER = { authorization: `Bearer ${ADMIN_TOKEN}` };
let upstream: MockUpstream;
let gateway: Gateway;
let key: string;
let keyId: string;

function baseConfig(): GatewayConfig {
  const base = config([provider({ name: 'up', kind: 'openai', baseUrl: upstream.url, apiKey: 'sk-upstream-0123456789' })], [model('gpt-a', ['up/a']), model('oss-b', ['up/b'])]);
  return {
    ...base,
    auth: { adminToken: ADMIN_TOKEN, anonymousTenant: undefined, trustedProxy: undefined },
    tenants: [{ name: 'team-a', models: undefined, rpm: undefined, tpm: undefined, metadata: {} }],
  };
}

beforeAll(async () => {
  upstream = await startMockUpstream({ latencyMs: 0, tokensPerSecond: 0, scripts: {} });
  gateway = await startTestGateway(baseConfig());
  const issued = await gateway.tenancy.createKey({ tenant: 'team-a' });
  key = issued.key;
  keyId = issued.record.id;
});
afterAll(async () => {
  await gateway.close();
  await upstream.close();
});

interface Subscription {
  readonly status: number;
  readonly res: IncomingMessage;
  readonly events: SseEvent[];
  /** The body of a refusal. */
  readonly text: () => string;
  until(predicate: (events: SseEvent[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): void;
}

function subscribe(query = '', headers: Record<string, string> = BEARER): Promise<Subscription> {
  return new Promise((resolve, reject) => {
    const req = request(`${gateway.url}/admin/v1/events${query}`, { agent: false, headers }, (res) => {
      const parser = new SseParser();
      const events: SseEvent[] = [];
      let raw = '';
      res.on('data', (chunk: Buffer) => {
        raw += res.statusCode === 200 ? '' : chunk.toString('utf8');
        events.push(...parser.push(chunk));
      });
      resolve({
        status: res.statusCode ?? 0,
        res,
        events,
        text: () => raw,
        async until(predicate, timeoutMs = 5_000) {
          const deadline = Date.now() + timeoutMs;
          while (!predicate(events)) {
            if (Date.now() > deadline) throw new Error(`timed out with ${events.length} events`);
            await new Promise((r) => setTimeout(r, 10));
          }
        },
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
    req.end();
  });
}

async function chat(modelName: string): Promise<string> {
  const response = await fetch(`${gateway.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: JSON.stringify({ model: modelName, messages: [{ role: 'user', content: 'hi' }] }) });
  await response.arrayBuffer();
  expect(response.status).toBe(200);
  return response.headers.get('x-request-id') ?? '';
}

const requests = (events: SseEvent[]) => events.filter((e) => e.event === 'request').map((e) => JSON.parse(e.data) as Record<string, unknown>);
const settle = () => new Promise((r) => setTimeout(r, 100));

describe('GET /admin/v1/events', () => {
  it('streams each finished call as one `request` event with its usage record', async () => {
    const feed = await subscribe();
    try {
      expect(feed.status).toBe(200);
      expect(feed.res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      const before = Date.now() / 1000;
      const ids = [await chat('gpt-a'), await chat('gpt-a'), await chat('oss-b')];
      await feed.until((events) => requests(events).length >= 3);
      await settle();
      const got = requests(feed.events);
      expect(got.map((e) => e['request_id'])).toEqual(ids);
      const first = got[0]!;
      expect(Object.keys(first).sort()).toEqual(
        ['time', 'request_id', 'tenant', 'key_id', 'model', 'route_model', 'provider', 'upstream_model', 'status', 'http_status', 'prompt_tokens', 'completion_tokens', 'cost_usd', 'latency_ms', 'ttft_ms'].sort(),
      );
      expect(first).toMatchObject({ tenant: 'team-a', key_id: keyId, model: 'gpt-a', route_model: 'gpt-a', provider: 'up', upstream_model: 'a', status: 'ok', http_status: 200 });
      expect(got[2]).toMatchObject({ model: 'oss-b', upstream_model: 'b' });
      expect(first['prompt_tokens']).toBeGreaterThan(0);
      expect(first['completion_tokens']).toBeGreaterThan(0);
      expect(typeof first['cost_usd']).toBe('number');
      expect(first['latency_ms']).toBeGreaterThanOrEqual(0);
      expect(typeof first['ttft_ms']).toBe('number');
      expect(first['time']).toBeGreaterThanOrEqual(Math.floor(before));
      expect(first['time']).toBeLessThanOrEqual(Date.now() / 1000 + 1);
    } finally {
      feed.close();
    }
  });

  it('needs admin credentials, and serves a console session cookie without a CSRF token', async () => {
    const anonymous = await subscribe('', {});
    expect(anonymous.status).toBe(401);
    const login = await fetch(`${gateway.url}/admin/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: ADMIN_TOKEN }) });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';', 1)[0]!;
    const feed = await subscribe('', { cookie });
    try {
      expect(feed.status).toBe(200);
      const id = await chat('gpt-a');
      await feed.until((events) => requests(events).some((e) => e['request_id'] === id));
    } finally {
      feed.close();
    }
  });

  it('filters by model, tenant and status, and refuses an unknown filter or status with 400', async () => {
    const byModel = await subscribe('?model=oss-b');
    const byTenant = await subscribe('?tenant=someone-else');
    const byStatus = await subscribe('?status=error');
    const okOnly = await subscribe('?status=ok&tenant=team-a');
    try {
      await chat('gpt-a');
      const id = await chat('oss-b');
      await okOnly.until((events) => requests(events).length >= 2);
      await byModel.until((events) => requests(events).length >= 1);
      await settle();
      expect(requests(byModel.events).map((e) => e['request_id'])).toEqual([id]);
      expect(requests(byTenant.events)).toEqual([]);
      expect(requests(byStatus.events)).toEqual([]);
      expect(requests(okOnly.events)).toHaveLength(2);
    } finally {
      for (const feed of [byModel, byTenant, byStatus, okOnly]) feed.close();
    }
    const unknown = await subscribe('?colour=red');
    expect(unknown.status).toBe(400);
    expect(unknown.text()).toContain('invalid_admin_request');
    expect((await subscribe('?status=great')).status).toBe(400);
  });

  it('drops what a backed-up subscriber cannot take, and tells it how many with a `dropped` event', async () => {
    const feed = await subscribe();
    try {
      feed.res.pause();
      const total = 50_000;
      const record: UsageRecord = {
        time: Date.now(),
        requestId: 'req_burst',
        tenant: 'burst',
        keyId: null,
        routeModel: 'gpt-a',
        requestedModel: 'gpt-a',
        provider: 'up',
        upstreamModel: 'a',
        promptTokens: 10,
        completionTokens: 20,
        cachedTokens: 0,
        reasoningTokens: 0,
        costUsd: 0.001,
        estimated: false,
        status: 'ok',
        httpStatus: 200,
        latencyMs: 12,
        ttftMs: 3,
      };
      // One synchronous burst: the connection cannot drain in between, as with a client that stopped reading.
      for (let i = 0; i < total; i++) gateway.feed.publish(record);
      feed.res.resume();
      const dropped = (events: SseEvent[]) => events.filter((e) => e.event === 'dropped').reduce((sum, e) => sum + (JSON.parse(e.data) as { count: number }).count, 0);
      await feed.until((events) => requests(events).length + dropped(events) >= total, 15_000);
      expect(dropped(feed.events)).toBeGreaterThan(0);
      expect(requests(feed.events).length + dropped(feed.events)).toBe(total);
      // The feed goes on after the loss.
      const id = await chat('gpt-a');
      await feed.until((events) => requests(events).some((e) => e['request_id'] === id));
    } finally {
      feed.close();
    }
  });

  it('is described, with the session routes, in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${gateway.url}/admin/v1/openapi.json`, { headers: BEARER })).json()) as { paths: Record<string, Record<string, unknown>>; components: { schemas: Record<string, unknown> } };
    expect(Object.keys(doc.paths['/events']!)).toEqual(['get']);
    expect(Object.keys(doc.paths['/session']!).sort()).toEqual(['delete', 'get', 'post']);
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['FeedEvent', 'Session']));
  });

  it('holds at most 32 subscribers: one more is refused with 429 until one leaves', async () => {
    const feeds: Subscription[] = [];
    try {
      for (let i = 0; i < 32; i++) feeds.push(await subscribe());
      expect(feeds.every((f) => f.status === 200)).toBe(true);
      const refused = await subscribe();
      expect(refused.status).toBe(429);
      expect(refused.text()).toContain('too_many_subscribers');
      feeds.pop()!.close();
      const deadline = Date.now() + 5_000;
      let again = await subscribe();
      while (again.status === 429 && Date.now() < deadline) {
        await settle();
        again = await subscribe();
      }
      expect(again.status).toBe(200);
      feeds.push(again);
    } finally {
      for (const feed of feeds) feed.close();
    }
  });
});
