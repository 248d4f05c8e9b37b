/**
 * Virtual keys over the real HTTP interface: each way a key can fail (401
 * with a code and message of its own, never the key echoed), model access
 * per tenant narrowed per key (403, filtered listings), revocation at once,
 * rotation with a grace period, the trusted proxy's tenant header, anonymous
 * callers, and the tenant on the ledger row and the metrics.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayConfig } from '../../src/config/types.js';
import type { Gateway } from '../../src/gateway.js';
import { startMockUpstream, type MockUpstream } from '../../src/providers/mock/simulator.js';
import { config, model, provider, startTestGateway } from '../helpers/gateway.js';
import { capturedLog } from '../helpers/log-capture.js';

const PROXY_SECRET = 'proxy-secret-0123456789';

let upstream: MockUpstream;

beforeAll(async () => {
  upstream = await startMockUpstream({ latencyMs: 0, tokensPerSecond: 0, scripts: {} });
});
afterAll(async () => {
  await upstream.close();
});

function keyedConfig(auth: Partial<GatewayConfig['auth']> = {}): GatewayConfig {
  const base = config(
    [provider({ name: 'up', kind: 'openai', baseUrl: upstream.url, apiKey: 'sk-upstream-secret-value' })],
    [model('gpt-small', ['up/small']), model('gpt-large', ['up/large']), model('oss-20b', ['up/oss'])],
  );
  return {
    ...base,
    auth: { adminToken: undefined, anonymousTenant: undefined, trustedProxy: { secret: PROXY_SECRET }, ...auth },
    tenants: [
      { name: 'team-a', models: ['gpt-*'], rpm: undefined, tpm: undefined, metadata: {} },
      { name: 'team-b', models: undefined, rpm: undefined, tpm: undefined, metadata: {} },
      { name: 'local', models: ['oss-*'], rpm: undefined, tpm: undefined, metadata: {} },
    ],
  };
}

async function chat(gateway: Gateway, modelName: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string; code: string | undefined; headers: Headers }> {
  const response = await fetch(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: modelName, messages: [{ role: 'user', content: 'hi' }] }),
  });
  const text = await response.text();
  const code = response.ok ? undefined : (JSON.parse(text) as { error: { code: string } }).error.code;
  return { status: response.status, text, code, headers: response.headers };
}

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe('a gateway with tenants and keys', () => {
  let gateway: Gateway;
  beforeAll(async () => {
    gateway = await startTestGateway(keyedConfig());
  });
  afterAll(async () => {
    await gateway.close();
  });

  it('refuses each kind of bad key with 401, its own code, and never the key itself', async () => {
    const { key } = await gateway.tenancy.createKey({ tenant: 'team-a' });
    const unknown = key.slice(0, 3) + 'zzzzzzzzzzzz' + key.slice(15);
    const wrongSecret = key.slice(0, -4) + (key.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    const cases: Array<[Record<string, string>, string, RegExp]> = [
      [{}, 'missing_api_key', /No API key was sent/],
      [bearer('sk-proj-somebody-elses-openai-key'), 'invalid_api_key', /not a Tollgate key/],
      [bearer(unknown), 'invalid_api_key', /not known/],
      [bearer(wrongSecret), 'invalid_api_key', /not known/],
      [{ authorization: 'Basic dXNlcjpwYXNz' }, 'missing_api_key', /No API key was sent/],
    ];
    for (const [headers, code, message] of cases) {
      const result = await chat(gateway, 'gpt-small', headers);
      expect(result.status, JSON.stringify(headers)).toBe(401);
      expect(result.code).toBe(code);
      expect(result.text).toMatch(message);
      expect(result.headers.get('www-authenticate')).toContain('Bearer');
      for (const value of Object.values(headers)) expect(result.text).not.toContain(value.replace(/^Bearer /, ''));
    }
  });

  it('lets a valid key in as its tenant, by Bearer or x-api-key, and labels the ledger row and metrics with it', async () => {
    const { key, record } = await gateway.tenancy.createKey({ tenant: 'team-a', name: 'ci' });
    expect((await chat(gateway, 'gpt-small', bearer(key))).status).toBe(200);
    expect((await chat(gateway, 'gpt-large', { 'x-api-key': key })).status).toBe(200);
    // The row is booked when the call settles, just after the response ended.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const rows = await gateway.ledger.recent(100);
    expect(rows.filter((row) => row.keyId === record.id).map((row) => row.tenant)).toEqual(['team-a', 'team-a']);
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(metrics).toMatch(/tenant="team-a"/);
  });

  it('keeps a tenant to its models (403 naming what it may use) and lists only those', async () => {
    const { key } = await gateway.tenancy.createKey({ tenant: 'team-a' });
    const refused = await chat(gateway, 'oss-20b', bearer(key));
    expect(refused.status).toBe(403);
    expect(refused.code).toBe('model_not_allowed');
    expect(refused.text).toContain('gpt-small');
    expect(refused.text).not.toContain('oss-20b, ');
    const listed = (await (await fetch(`${gateway.url}/v1/models`, { headers: bearer(key) })).json()) as { data: Array<{ id: string }> };
    expect(listed.data.map((m) => m.id).sort()).toEqual(['gpt-large', 'gpt-small']);
  });

  it('narrows the tenant by the key: a key limited to gpt-small cannot use gpt-large', async () => {
    const { key } = await gateway.tenancy.createKey({ tenant: 'team-a', models: ['gpt-small', 'oss-*'] });
    expect((await chat(gateway, 'gpt-small', bearer(key))).status).toBe(200);
    expect((await chat(gateway, 'gpt-large', bearer(key))).code).toBe('model_not_allowed');
    // The key's own pattern does not widen the tenant's.
    expect((await chat(gateway, 'oss-20b', bearer(key))).code).toBe('model_not_allowed');
  });

  it('revocation takes effect at once, even for a key the cache holds', async () => {
    const { key, record } = await gateway.tenancy.createKey({ tenant: 'team-b' });
    expect((await chat(gateway, 'oss-20b', bearer(key))).status).toBe(200);
    await gateway.tenancy.revokeKey(record.id);
    const refused = await chat(gateway, 'oss-20b', bearer(key));
    expect(refused.status).toBe(401);
    expect(refused.code).toBe('revoked_api_key');
  });

  it('an expired key is refused with its own code', async () => {
    const { key } = await gateway.tenancy.createKey({ tenant: 'team-b', expiresAt: Date.now() - 1 });
    const refused = await chat(gateway, 'oss-20b', bearer(key));
    expect(refused.code).toBe('expired_api_key');
    expect(refused.text).toMatch(/expired/);
  });

  it('rotation: the old key works until its grace period ends, the new one at once', async () => {
    const issued = await gateway.tenancy.createKey({ tenant: 'team-b' });
    expect((await chat(gateway, 'oss-20b', bearer(issued.key))).status).toBe(200);
    const rotated = await gateway.tenancy.rotateKey(issued.record.id, 400);
    expect(rotated.record.id).toBe(issued.record.id);
    expect(rotated.key).not.toBe(issued.key);
    expect((await chat(gateway, 'oss-20b', bearer(rotated.key))).status).toBe(200);
    expect((await chat(gateway, 'oss-20b', bearer(issued.key))).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 450));
    const late = await chat(gateway, 'oss-20b', bearer(issued.key));
    expect(late.status).toBe(401);
    expect(late.text).toMatch(/rotated/);
    expect((await chat(gateway, 'oss-20b', bearer(rotated.key))).status).toBe(200);
  });

  it('honours x-tollgate-tenant only with the trusted proxy secret', async () => {
    const ignored = await chat(gateway, 'oss-20b', { 'x-tollgate-tenant': 'team-b' });
    expect(ignored.code).toBe('missing_api_key');
    const wrong = await chat(gateway, 'oss-20b', { 'x-tollgate-tenant': 'team-b', 'x-tollgate-proxy-secret': 'proxy-secret-0123456788' });
    expect(wrong.code).toBe('missing_api_key');
    expect((await chat(gateway, 'oss-20b', { 'x-tollgate-tenant': 'team-b', 'x-tollgate-proxy-secret': PROXY_SECRET })).status).toBe(200);
    // The proxied tenant keeps its own model access.
    expect((await chat(gateway, 'oss-20b', { 'x-tollgate-tenant': 'team-a', 'x-tollgate-proxy-secret': PROXY_SECRET })).code).toBe('model_not_allowed');
    expect((await chat(gateway, 'oss-20b', { 'x-tollgate-tenant': 'nobody', 'x-tollgate-proxy-secret': PROXY_SECRET })).status).toBe(401);
  });
});

describe('anonymous callers and the open gateway', () => {
  it('with auth.anonymous_tenant, a request without a key is that tenant, within its models', async () => {
    const gateway = await startTestGateway(keyedConfig({ anonymousTenant: 'local' }));
    try {
      expect((await chat(gateway, 'oss-20b')).status).toBe(200);
      expect((await chat(gateway, 'gpt-small')).code).toBe('model_not_allowed');
      // A key, when sent, still has to be valid.
      expect((await chat(gateway, 'oss-20b', bearer('tg_aaaaaaaaaaaa_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'))).code).toBe('invalid_api_key');
    } finally {
      await gateway.close();
    }
  });

  it('with no tenants, no keys and no auth settings, everyone is tenant default, whatever key it sends', async () => {
    const gateway = await startTestGateway(config([provider({ name: 'up', kind: 'openai', baseUrl: upstream.url, apiKey: 'sk-x' })], [model('m', ['up/m'])]));
    try {
      expect((await chat(gateway, 'm')).status).toBe(200);
      expect((await chat(gateway, 'm', bearer('sk-whatever'))).status).toBe(200);
      // The first key turns authentication on.
      const tenant = await gateway.tenancy.createTenant({ name: 'team-z' });
      const { key } = await gateway.tenancy.createKey({ tenant: tenant.name });
      expect((await chat(gateway, 'm', bearer(key))).status).toBe(200);
      expect((await chat(gateway, 'm')).code).toBe('missing_api_key');
    } finally {
      await gateway.close();
    }
  });
});

describe('refusals Codex would retry in vain', () => {
  it('go to Codex as a 400 with the same body (it shows it at once), to every other client with the real status', async () => {
    const gateway = await startTestGateway(keyedConfig());
    try {
      const codexHeaders = { originator: 'codex_exec', 'x-codex-window-id': 'w:0' };
      const forCodex = await chat(gateway, 'gpt-small', codexHeaders);
      expect(forCodex.status).toBe(400);
      expect(forCodex.code).toBe('missing_api_key');
      expect(forCodex.headers.get('x-tollgate-status')).toBe('401');
      const { key } = await gateway.tenancy.createKey({ tenant: 'team-a' });
      const forbidden = await chat(gateway, 'oss-20b', { ...bearer(key), ...codexHeaders });
      expect(forbidden.status).toBe(400);
      expect(forbidden.code).toBe('model_not_allowed');
      expect(forbidden.headers.get('x-tollgate-status')).toBe('403');
      const sdk = await chat(gateway, 'gpt-small');
      expect(sdk.status).toBe(401);
      expect(sdk.headers.get('x-tollgate-status')).toBeNull();
    } finally {
      await gateway.close();
    }
  });
});

describe('tenants in the configuration and in the store', () => {
  it('the configuration wins over a tenant created through the admin API, and the start says so', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-tenants-'));
    const store = { kind: 'sqlite' as const, path: join(dir, 'store.sqlite') };
    const first = await startTestGateway({ ...keyedConfig(), store, tenants: [] });
    await first.tenancy.createTenant({ name: 'team-x', rpm: 5 });
    await first.close();
    const { log, lines } = capturedLog();
    const second = await startTestGateway({ ...keyedConfig(), store, tenants: [{ name: 'team-x', models: undefined, rpm: 10, tpm: undefined, metadata: {} }] }, { log });
    try {
      expect(await second.tenancy.getTenant('team-x')).toMatchObject({ rpm: 10, source: 'config' });
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(lines.some((line) => line.includes('"level":"warn"') && line.includes("tenant 'team-x' is declared in the configuration and was changed through the admin API"))).toBe(true);
    } finally {
      await second.close();
    }
  });
});
