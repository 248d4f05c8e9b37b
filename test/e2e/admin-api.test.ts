/**
 * The admin API over HTTP: its own token (missing / wrong → 401), off when
 * no token is configured, tenants and keys created, listed, changed, revoked
 * and rotated, usage from the ledger, and bad input refused with 400 while
 * nothing is stored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayConfig } from '../../src/config/types.js';
import type { Gateway } from '../../src/gateway.js';
import { startMockUpstream, type MockUpstream } from '../../src/providers/mock/simulator.js';
import { config, model, provider, startTestGateway } from '../helpers/gateway.js';

const ADMIN_TOKEN = 'admin-token-0123456789abcdef';
let upstream: MockUpstream;
let gateway: Gateway;

function baseConfig(adminToken: string | undefined): GatewayConfig {
  const base = config([provider({ name: 'up', kind: 'openai', baseUrl: upstream.url, apiKey: 'sk-upstream-0123456789' })], [model('gpt-a', ['up/a']), model('oss-b', ['up/b'])]);
  return { ...base, auth: { adminToken, anonymousTenant: undefined, trustedProxy: undefined }, tenants: [{ name: 'from-config', models: ['gpt-*'], rpm: 100, tpm: undefined, metadata: {} }] };
}

beforeAll(async () => {
  upstream = await startMockUpstream({ latencyMs: 0, tokensPerSecond: 0, scripts: {} });
  gateway = await startTestGateway(baseConfig(ADMIN_TOKEN));
});
afterAll(async () => {
  await gateway.close();
  await upstream.close();
});

interface Answer {
  status: number;
  body: Record<string, unknown> & { error?: { code: string; message: string; type: string }; data?: Array<Record<string, unknown>> };
}

async function admin(method: string, path: string, body?: unknown, token: string | null = ADMIN_TOKEN): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== null) headers['authorization'] = `Bearer ${token}`;
  const response = await fetch(`${gateway.url}/admin/v1${path}`, { method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Answer['body'] };
}

async function chat(key: string, modelName = 'gpt-a'): Promise<number> {
  const response = await fetch(`${gateway.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: JSON.stringify({ model: modelName, messages: [{ role: 'user', content: 'hi' }] }) });
  await response.arrayBuffer();
  return response.status;
}

describe('admin API authentication', () => {
  it('needs the admin token: missing or wrong is a 401 that says which, a virtual key is not enough', async () => {
    expect((await admin('GET', '/tenants', undefined, null)).body.error?.code).toBe('missing_admin_token');
    const wrong = await admin('GET', '/tenants', undefined, 'admin-token-0123456789abcdeX');
    expect(wrong.status).toBe(401);
    expect(wrong.body.error?.code).toBe('invalid_admin_token');
    expect((await admin('GET', '/tenants', undefined, 'short')).status).toBe(401);
    const { key } = await gateway.tenancy.createKey({ tenant: 'from-config' });
    expect((await admin('GET', '/tenants', undefined, key)).status).toBe(401);
  });

  it('does not exist without auth.admin_token', async () => {
    const open = await startTestGateway(baseConfig(undefined));
    try {
      const response = await fetch(`${open.url}/admin/v1/tenants`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(response.status).toBe(404);
      expect(((await response.json()) as Answer['body']).error?.code).toBe('admin_api_disabled');
    } finally {
      await open.close();
    }
  });

  it('answers an unknown admin route with a 404 that points to the OpenAPI document, which is served', async () => {
    const unknown = await admin('GET', '/nothing');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error?.message).toContain('/admin/v1/openapi.json');
    const doc = await admin('GET', '/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body['openapi']).toBe('3.1.0');
    expect(Object.keys(doc.body['paths'] as object)).toContain('/keys/{id}/rotate');
  });
});

describe('tenants', () => {
  it('creates, lists, shows and changes a tenant; null clears a setting', async () => {
    const created = await admin('POST', '/tenants', { name: 'team-a', models: ['gpt-*'], rpm: 60, metadata: { owner: 'alice' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ object: 'tenant', name: 'team-a', models: ['gpt-*'], rpm: 60, tpm: null, metadata: { owner: 'alice' }, source: 'api' });
    const listed = await admin('GET', '/tenants');
    expect(listed.body.data?.map((t) => t['name'])).toEqual(expect.arrayContaining(['team-a', 'from-config']));
    expect((await admin('GET', '/tenants/team-a')).body).toMatchObject({ name: 'team-a', rpm: 60 });
    const changed = await admin('PATCH', '/tenants/team-a', { rpm: null, tpm: 5000 });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ rpm: null, tpm: 5000, models: ['gpt-*'] });
  });

  it('refuses a duplicate (409), a change to a configured tenant (409), an unknown one (404)', async () => {
    await admin('POST', '/tenants', { name: 'team-dup' });
    const dup = await admin('POST', '/tenants', { name: 'team-dup' });
    expect(dup.status).toBe(409);
    expect(dup.body.error?.code).toBe('conflict');
    const configured = await admin('PATCH', '/tenants/from-config', { rpm: 1 });
    expect(configured.status).toBe(409);
    expect(configured.body.error?.message).toContain('configuration file');
    expect((await admin('GET', '/tenants/nobody')).status).toBe(404);
  });

  it('refuses bad bodies with 400 naming each problem, and stores nothing', async () => {
    const before = (await admin('GET', '/tenants')).body.data?.length;
    const cases: unknown[] = [{ name: 'bad name' }, { name: 'ok', rpm: 0 }, { name: 'ok', colour: 'red' }, { models: [] }, '{not json', [1, 2]];
    for (const body of cases) {
      const refused = await admin('POST', '/tenants', body);
      expect(refused.status, JSON.stringify(body)).toBe(400);
      expect(refused.body.error?.type).toBe('invalid_request_error');
    }
    const unknownField = await admin('POST', '/tenants', { name: 'ok', colour: 'red' });
    expect(unknownField.body.error?.message).toContain('colour');
    expect((await admin('GET', '/tenants')).body.data?.length).toBe(before);
  });
});

describe('keys', () => {
  it('creates a key shown once, that works at once; lists it without any secret', async () => {
    await admin('POST', '/tenants', { name: 'team-k', models: ['gpt-*'] });
    const created = await admin('POST', '/keys', { tenant: 'team-k', name: 'ci', rpm: 100, expires_at: Math.floor(Date.now() / 1000) + 3600 });
    expect(created.status).toBe(201);
    const key = created.body['key'] as string;
    expect(key).toMatch(/^tg_[a-z0-9]{12}_[A-Za-z0-9]{32}$/);
    expect(created.body).toMatchObject({ object: 'api_key', tenant: 'team-k', name: 'ci', rpm: 100, status: 'active', last_four: key.slice(-4) });
    expect(await chat(key)).toBe(200);
    const listed = await admin('GET', '/keys?tenant=team-k');
    expect(listed.body.data).toHaveLength(1);
    const text = JSON.stringify(listed.body) + JSON.stringify((await admin('GET', `/keys/${created.body['id'] as string}`)).body);
    expect(text).not.toContain(key.slice(16));
    expect(text).not.toMatch(/secret|hash/);
  });

  it('revokes at once, rotates with a grace period, refuses to rotate a revoked key', async () => {
    const created = await admin('POST', '/keys', { tenant: 'from-config' });
    const id = created.body['id'] as string;
    const oldKey = created.body['key'] as string;
    const rotated = await admin('POST', `/keys/${id}/rotate`, { grace_seconds: 60 });
    expect(rotated.status).toBe(201);
    expect(rotated.body['id']).toBe(id);
    expect(rotated.body['previous_key_valid_until']).toBeGreaterThan(Date.now() / 1000 + 50);
    const newKey = rotated.body['key'] as string;
    expect(await chat(oldKey)).toBe(200);
    expect(await chat(newKey)).toBe(200);
    const revoked = await admin('POST', `/keys/${id}/revoke`);
    expect(revoked.body).toMatchObject({ status: 'revoked' });
    expect(await chat(newKey)).toBe(401);
    expect(await chat(oldKey)).toBe(401);
    expect((await admin('POST', `/keys/${id}/rotate`, {})).status).toBe(409);
  });

  it('refuses a key for an unknown tenant (404) and bad bodies (400), storing nothing', async () => {
    const before = (await admin('GET', '/keys')).body.data?.length;
    expect((await admin('POST', '/keys', { tenant: 'nobody' })).status).toBe(404);
    for (const body of [{}, { tenant: 'from-config', expires_at: 'tomorrow' }, { tenant: 'from-config', rpm: -1 }, { tenant: 'from-config', key: 'tg_mine' }]) {
      expect((await admin('POST', '/keys', body)).status, JSON.stringify(body)).toBe(400);
    }
    expect((await admin('POST', '/keys/whatever/rotate', { grace_seconds: -5 })).status).toBe(400);
    expect((await admin('GET', '/keys')).body.data?.length).toBe(before);
  });
});

describe('usage', () => {
  it('reports the ledger per tenant, key, model and day, filtered', async () => {
    await admin('POST', '/tenants', { name: 'team-u' });
    const a = await admin('POST', '/keys', { tenant: 'team-u' });
    const b = await admin('POST', '/keys', { tenant: 'team-u' });
    for (const [key, name] of [[a, 'gpt-a'], [a, 'oss-b'], [b, 'gpt-a']] as const) expect(await chat(key.body['key'] as string, name)).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 30));
    const byKey = await admin('GET', '/usage?tenant=team-u&group_by=key');
    expect(byKey.status).toBe(200);
    expect(byKey.body['group_by']).toEqual(['key']);
    const counts: Record<string, unknown> = Object.fromEntries((byKey.body.data ?? []).map((g) => [String(g['key_id']), g['requests']]));
    expect(counts).toEqual({ [a.body['id'] as string]: 2, [b.body['id'] as string]: 1 });
    const byModel = await admin('GET', `/usage?tenant=team-u&group_by=day,model`);
    expect(byModel.body.data?.map((g) => [g['model'], g['requests']])).toEqual([
      ['gpt-a', 2],
      ['oss-b', 1],
    ]);
    expect(byModel.body.data?.[0]).toMatchObject({ day: new Date().toISOString().slice(0, 10), errors: 0 });
    expect(typeof byModel.body.data?.[0]?.['prompt_tokens']).toBe('number');
    const none = await admin('GET', '/usage?tenant=team-u&from=2000-01-01&to=2000-01-02');
    expect(none.body.data).toEqual([]);
  });

  it('refuses a bad report request with 400', async () => {
    expect((await admin('GET', '/usage?group_by=colour')).status).toBe(400);
    expect((await admin('GET', '/usage?from=yesterday')).status).toBe(400);
    expect((await admin('GET', '/usage?tenants=x')).status).toBe(400);
  });
});
