/**
 * `GET /admin/v1/routes`: the configured routes in attempt order with their
 * circuit state on this replica, and the providers without credentials.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayConfig } from '../../src/config/types.js';
import type { Gateway } from '../../src/gateway.js';
import type { RoutesView } from '../../src/server/admin/routes-view.js';
import { config, model, provider, startTestGateway } from '../helpers/gateway.js';
import { replyJson, startOpenAIUpstream, type OpenAIUpstream } from '../simulators/openai-upstream.js';

const ADMIN_TOKEN = 'routes-admin-token-0123456789';
const AUTH = { authorization: `Bearer ${ADMIN_TOKEN}` };
const OK_BODY = { id: 'c1', object: 'chat.completion', created: 1, model: 'b', choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } };

const opened: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((o) => o.close()));
});

async function upstream(status: number): Promise<OpenAIUpstream> {
  const server = await startOpenAIUpstream((_req, res) => replyJson(res, status, status === 200 ? OK_BODY : { error: { message: 'overloaded' } }));
  opened.push(server);
  return server;
}

async function gatewayWith(cfg: GatewayConfig): Promise<Gateway> {
  const gateway = await startTestGateway({ ...cfg, auth: { adminToken: ADMIN_TOKEN, anonymousTenant: undefined, trustedProxy: undefined } });
  opened.push(gateway);
  return gateway;
}

async function routes(gateway: Gateway): Promise<RoutesView> {
  const answer = await fetch(`${gateway.url}/admin/v1/routes`, { headers: AUTH });
  expect(answer.status).toBe(200);
  expect(answer.headers.get('cache-control')).toBe('no-store');
  return (await answer.json()) as RoutesView;
}

describe('GET /admin/v1/routes', () => {
  it('lists every route with its deployments in attempt order, primary first, and the providers without their keys or headers', async () => {
    const a = await upstream(200);
    const cfg = config(
      [
        provider({ name: 'house', kind: 'openai-compatible', baseUrl: a.url, apiKey: 'sk-house-secret', headers: { 'x-house-auth': 'hdr-secret' } }),
        provider({ name: 'local', kind: 'ollama', baseUrl: 'http://127.0.0.1:9' }),
      ],
      [
        model('coder', ['house/big', 'local/small'], { aliases: ['codex'], contextWindow: 128_000, description: 'the coding model' }),
        { ...model('balanced', ['house/x', 'house/y']), route: [{ provider: 'house', model: 'x', weight: 3, priority: 2 }, { provider: 'house', model: 'y', weight: 1, priority: 1, api: 'chat' }] },
        model('local/*', ['local/*']),
      ],
    );
    const view = await routes(await gatewayWith(cfg));
    const text = JSON.stringify(view);
    expect(text).not.toContain('sk-house-secret');
    expect(text).not.toContain('hdr-secret');
    expect(view.object).toBe('list');
    expect(view.data.map((r) => r.model)).toEqual(['coder', 'balanced', 'local/*']);
    const coder = view.data[0]!;
    expect(coder).toMatchObject({ aliases: ['codex'], wildcard: false, balancing: 'weighted', context_window: 128_000, description: 'the coding model' });
    expect(coder.deployments.map((d) => [d.provider, d.provider_kind, d.model, d.role])).toEqual([
      ['house', 'openai-compatible', 'big', 'primary'],
      ['local', 'ollama', 'small', 'fallback'],
    ]);
    expect(coder.deployments[0]!.circuit).toEqual({ state: 'closed', consecutive_failures: 0, retry_at: null, recent_requests: 0, recent_failures: 0 });
    // Attempt order is by priority, not configuration order.
    const balanced = view.data[1]!;
    expect(balanced.deployments.map((d) => [d.model, d.priority, d.weight, d.role, d.api])).toEqual([
      ['y', 1, 1, 'primary', 'chat'],
      ['x', 2, 3, 'fallback', null],
    ]);
    const wildcard = view.data[2]!;
    expect(wildcard.wildcard).toBe(true);
    expect(wildcard.deployments[0]!.circuit).toBeNull();
    expect(view.providers.map((p) => [p.name, p.kind, p.base_url])).toEqual([
      ['house', 'openai-compatible', a.url],
      ['local', 'ollama', 'http://127.0.0.1:9'],
    ]);
    expect(view.providers[0]!.timeouts_ms).toEqual({ connect: 2_000, first_byte: 5_000, idle: 5_000, total: 30_000 });
  });

  it('shows a circuit the gateway opened, with when it next probes, on the route and under its provider', async () => {
    const storm = await upstream(503);
    const healthy = await upstream(200);
    const cfg = config(
      [provider({ name: 'storm', kind: 'openai-compatible', baseUrl: storm.url }), provider({ name: 'healthy', kind: 'openai-compatible', baseUrl: healthy.url })],
      [model('m', ['storm/a', 'healthy/b'])],
    );
    const gateway = await gatewayWith(cfg);
    const admin = (path: string, body: unknown) => fetch(`${gateway.url}/admin/v1${path}`, { method: 'POST', headers: { ...AUTH, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await admin('/tenants', { name: 'team' })).status).toBe(201);
    const { key } = (await (await admin('/keys', { tenant: 'team' })).json()) as { key: string };
    for (let i = 0; i < 2; i++) {
      const answer = await fetch(`${gateway.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }) });
      const text = await answer.text();
      expect(answer.headers.get('x-tollgate-provider'), text).toBe('healthy');
    }
    const view = await routes(gateway);
    const [primary, fallback] = view.data[0]!.deployments;
    expect(primary!.circuit!.state).toBe('open');
    expect(primary!.circuit!.consecutive_failures).toBeGreaterThanOrEqual(5);
    expect(Date.parse(primary!.circuit!.retry_at!)).toBeGreaterThan(Date.now());
    expect(fallback!.circuit).toMatchObject({ state: 'closed', recent_requests: 2, recent_failures: 0 });
    expect(view.providers.find((p) => p.name === 'storm')!.deployments).toEqual([{ model: 'a', circuit: primary!.circuit, in_flight: 0 }]);
  });

  it('is refused without the admin token', async () => {
    const gateway = await gatewayWith(config([], []));
    const answer = await fetch(`${gateway.url}/admin/v1/routes`);
    expect(answer.status).toBe(401);
    expect(((await answer.json()) as { error: { type: string } }).error.type).toBeTruthy();
  });
});
