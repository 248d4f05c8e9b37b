/**
 * Budgets and guardrails of tenants and keys through the admin API, over
 * real HTTP: set on create, changed and cleared with PATCH (keys too), every
 * problem of a bad body named with nothing stored, tenants of the
 * configuration refused, and GET /admin/v1/budgets listing every tenant's and
 * key's budget from the store, so a change shows on the next request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayConfig } from '../../src/config/types.js';
import type { Gateway } from '../../src/gateway.js';
import { startMockUpstream, type MockUpstream } from '../../src/providers/mock/simulator.js';
import { config, model, provider, startTestGateway } from '../helpers/gateway.js';

const ADMIN_TOKEN = 'admin-token-0123456789abcdef';
let upstream: MockUpstream;
let gateway: Gateway;

beforeAll(async () => {
  upstream = await startMockUpstream({ latencyMs: 0, tokensPerSecond: 0, scripts: {} });
  const base = config([provider({ name: 'up', kind: 'openai', baseUrl: upstream.url, apiKey: 'sk-upstream-0123456789' })], [model('gpt-a', ['up/a'])]);
  const cfg: GatewayConfig = {
    ...base,
    auth: { adminToken: ADMIN_TOKEN, anonymousTenant: undefined, trustedProxy: undefined },
    tenants: [
      {
        name: 'from-config',
        models: undefined,
        rpm: undefined,
        tpm: undefined,
        metadata: {},
        budgets: [{ period: 'month', limitUsd: 300, soft: [0.9], timeZone: 'Europe/Berlin', reset: { hour: 0, minute: 0 } }],
        guardrails: { maxOutputTokens: 4000 },
      },
    ],
  };
  gateway = await startTestGateway(cfg);
});
afterAll(async () => {
  await gateway.close();
  await upstream.close();
});

type Body = Record<string, unknown> & { error?: { code: string; message: string; type: string }; data?: Array<Record<string, unknown>> };

async function admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: Body }> {
  const response = await fetch(`${gateway.url}/admin/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Body };
}

const written = (period: string, limit: number, extra: Record<string, unknown> = {}) => ({ period, limit_usd: limit, soft: [], timezone: 'UTC', reset_at: '00:00', ...extra });

describe('budgets and guardrails of tenants', () => {
  it('shows a configured tenant’s as the configuration has them, and refuses to change them (409)', async () => {
    const shown = await admin('GET', '/tenants/from-config');
    expect(shown.body).toMatchObject({ budgets: [written('month', 300, { soft: [0.9], timezone: 'Europe/Berlin' })], guardrails: { max_output_tokens: 4000 } });
    const refused = await admin('PATCH', '/tenants/from-config', { budgets: null });
    expect(refused.status).toBe(409);
    expect((await admin('GET', '/tenants/from-config')).body['budgets']).toHaveLength(1);
  });

  it('sets them on create, shows them as written with every default, changes and clears them with PATCH', async () => {
    const created = await admin('POST', '/tenants', {
      name: 'team-budgets',
      budgets: [{ period: 'month', limit_usd: 500, soft: [0.5, 0.8], timezone: 'Europe/Berlin' }],
      guardrails: { max_output_tokens: 8000, downgrade: [{ when_remaining_below: 0.2, from: 'gpt-5', to: 'gpt-5-mini' }] },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      budgets: [written('month', 500, { soft: [0.5, 0.8], timezone: 'Europe/Berlin' })],
      guardrails: { max_output_tokens: 8000, downgrade: [{ when_remaining_below: 0.2, from: 'gpt-5', to: 'gpt-5-mini' }] },
    });
    const changed = await admin('PATCH', '/tenants/team-budgets', { budgets: [{ period: 'day', limit_usd: 40, reset_at: '06:00' }] });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ budgets: [written('day', 40, { reset_at: '06:00' })], guardrails: { max_output_tokens: 8000 } });
    const cleared = await admin('PATCH', '/tenants/team-budgets', { budgets: null, guardrails: null });
    expect(cleared.body).toMatchObject({ budgets: [], guardrails: null });
    expect((await admin('GET', '/tenants/team-budgets')).body).toMatchObject({ budgets: [], guardrails: null });
  });

  it('refuses a bad body with 400 naming every problem and its field, and stores nothing', async () => {
    await admin('POST', '/tenants', { name: 'team-strict', budgets: [{ period: 'day', limit_usd: 10 }] });
    const refused = await admin('PATCH', '/tenants/team-strict', {
      budgets: [{ period: 'week', limit_usd: 0, timezone: 'Mars/Olympus' }],
      guardrails: { max_output_tokens: 0, colour: 'red', chat_refusal_status: 500 },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error?.code).toBe('invalid_admin_request');
    for (const problem of ['budgets.0.period', 'budgets.0.limit_usd', 'budgets.0.timezone', 'guardrails.max_output_tokens', "unknown key 'colour'", 'guardrails.chat_refusal_status']) {
      expect(refused.body.error?.message).toContain(problem);
    }
    const twice = await admin('PATCH', '/tenants/team-strict', { budgets: [{ period: 'day', limit_usd: 1 }, { period: 'day', limit_usd: 2 }] });
    expect(twice.status).toBe(400);
    expect(twice.body.error?.message).toContain('at most one budget per period');
    expect((await admin('GET', '/tenants/team-strict')).body['budgets']).toEqual([written('day', 10)]);
  });
});

describe('budgets and guardrails of keys', () => {
  it('sets them on create; PATCH changes a key’s settings, null clears; the key keeps working', async () => {
    await admin('POST', '/tenants', { name: 'team-keys' });
    const created = await admin('POST', '/keys', { tenant: 'team-keys', name: 'ci', budgets: [{ period: 'day', limit_usd: 5 }], guardrails: { max_prompt_tokens: 1000 } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ budgets: [written('day', 5)], guardrails: { max_prompt_tokens: 1000 } });
    const id = created.body['id'] as string;
    const patched = await admin('PATCH', `/keys/${id}`, {
      name: 'ci-runner',
      models: ['gpt-*'],
      rpm: 100,
      tpm: 50_000,
      expires_at: 4_102_444_800,
      metadata: { owner: 'ci' },
      budgets: [{ period: 'month', limit_usd: 50 }],
      guardrails: { clamp: { min_output_tokens: 256 } },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      id,
      name: 'ci-runner',
      models: ['gpt-*'],
      rpm: 100,
      tpm: 50_000,
      expires_at: 4_102_444_800,
      metadata: { owner: 'ci' },
      budgets: [written('month', 50)],
      guardrails: { clamp: { min_output_tokens: 256 } },
      status: 'active',
    });
    expect(JSON.stringify(patched.body)).not.toContain('"key"');
    const cleared = await admin('PATCH', `/keys/${id}`, { name: null, models: null, rpm: null, expires_at: null, budgets: null, guardrails: null });
    expect(cleared.body).toMatchObject({ name: null, models: null, rpm: null, tpm: 50_000, expires_at: null, budgets: [], guardrails: null });
    const chat = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${created.body['key'] as string}` },
      body: JSON.stringify({ model: 'gpt-a', messages: [{ role: 'user', content: 'hi' }] }),
    });
    await chat.arrayBuffer();
    expect(chat.status).toBe(200);
  });

  it('answers 404 for an unknown key, 409 for a revoked one (which can still be read), 400 for a bad body, storing nothing', async () => {
    expect((await admin('PATCH', '/keys/nobodyatall1', { rpm: 5 })).status).toBe(404);
    const created = await admin('POST', '/keys', { tenant: 'from-config', rpm: 7 });
    const id = created.body['id'] as string;
    const bad = await admin('PATCH', `/keys/${id}`, { rpm: 0, tenant: 'other', budgets: [{ period: 'day' }], expires_at: 'soon' });
    expect(bad.status).toBe(400);
    for (const problem of ['rpm', 'tenant', 'budgets.0.limit_usd', 'expires_at']) expect(bad.body.error?.message).toContain(problem);
    expect((await admin('GET', `/keys/${id}`)).body).toMatchObject({ rpm: 7, budgets: [] });
    await admin('POST', `/keys/${id}/revoke`);
    const revoked = await admin('PATCH', `/keys/${id}`, { rpm: 5 });
    expect(revoked.status).toBe(409);
    expect(revoked.body.error?.message).toContain('revoked');
    expect((await admin('GET', `/keys/${id}`)).body).toMatchObject({ status: 'revoked', rpm: 7 });
  });

  it('is described in the OpenAPI document', async () => {
    const doc = (await admin('GET', '/openapi.json')).body as { paths: Record<string, Record<string, unknown>>; components: { schemas: Record<string, unknown> } };
    expect(Object.keys(doc.paths['/keys/{id}']!)).toContain('patch');
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['KeyChanges', 'BudgetSetting', 'Guardrails']));
  });
});

describe('GET /admin/v1/budgets', () => {
  it('lists every budget of a tenant and of its keys, and a change on the next request', async () => {
    await admin('POST', '/tenants', { name: 'team-view', budgets: [{ period: 'month', limit_usd: 200 }] });
    const key = await admin('POST', '/keys', { tenant: 'team-view', budgets: [{ period: 'day', limit_usd: 5, soft: [0.8], timezone: 'Europe/Berlin', reset_at: '06:00' }] });
    const id = key.body['id'] as string;
    await admin('POST', '/keys', { tenant: 'team-view' });
    const listed = await admin('GET', '/budgets?tenant=team-view');
    expect(listed.status).toBe(200);
    expect(listed.body.data?.map((b) => [b['scope'], b['owner'], b['tenant'], b['key_id'], b['period'], b['limit_usd']])).toEqual([
      ['tenant', 'team-view', 'team-view', null, 'month', 200],
      ['key', id, 'team-view', id, 'day', 5],
    ]);
    expect(listed.body.data?.[1]).toMatchObject({ object: 'budget', timezone: 'Europe/Berlin', reset_at: '06:00', soft: [0.8], spent_usd: 0, reserved_usd: 0, remaining_usd: 5, used_ratio: 0 });
    const { period_start: start, resets_at: resets } = listed.body.data![1] as { period_start: number; resets_at: number };
    // A Berlin day starting at 06:00 local time: 23 to 25 hours, ending at 04:00 or 05:00 UTC.
    expect(resets - start).toBeGreaterThanOrEqual(23 * 3600);
    expect(resets - start).toBeLessThanOrEqual(25 * 3600);
    expect([4, 5]).toContain(new Date(resets * 1000).getUTCHours());

    await admin('PATCH', `/keys/${id}`, { budgets: [{ period: 'day', limit_usd: 9 }, { period: 'month', limit_usd: 90 }] });
    const after = await admin('GET', '/budgets?tenant=team-view');
    expect(after.body.data?.map((b) => [b['owner'], b['period'], b['limit_usd']])).toEqual([
      ['team-view', 'month', 200],
      [id, 'day', 9],
      [id, 'month', 90],
    ]);
    await admin('POST', `/keys/${id}/revoke`);
    expect((await admin('GET', '/budgets?tenant=team-view')).body.data?.map((b) => b['owner'])).toEqual(['team-view']);
  });

  it('lists every tenant’s without a filter, the configured ones included; nothing for an unknown tenant; refuses other parameters', async () => {
    const all = await admin('GET', '/budgets');
    expect(all.body.data?.map((b) => b['tenant'])).toEqual(expect.arrayContaining(['from-config', 'team-view']));
    expect(all.body.data?.find((b) => b['owner'] === 'from-config')).toMatchObject({ scope: 'tenant', key_id: null, period: 'month', limit_usd: 300, timezone: 'Europe/Berlin', soft: [0.9] });
    expect((await admin('GET', '/budgets?tenant=nobody')).body.data).toEqual([]);
    expect((await admin('GET', '/budgets?owner=x')).status).toBe(400);
  });
});
