/**
 * Two gateways on one store and one Redis play two replicas: a key revoked
 * or changed through one is refused (or limited) by the other within a
 * second, through the change bus (their key caches would otherwise keep it
 * for 10 s), and their rate limits are one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayConfig } from '../../src/config/types.js';
import type { Gateway } from '../../src/gateway.js';
import { storeBackend } from '../../src/cli/admin-backend.js';
import { config, model, provider, startTestGateway } from '../helpers/gateway.js';
import { redisConfig, removePrefix, uniquePrefix, waitFor } from '../helpers/redis.js';

const ADMIN = 'admin-token-0123456789abcdef';
const prefix = uniquePrefix('replicas');
let dir: string;
let a: Gateway;
let b: Gateway;
let cfg: GatewayConfig;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tollgate-replicas-'));
  const base = config([provider({ name: 'sim', kind: 'mock' })], [model('m', ['sim/m'])]);
  cfg = { ...base, auth: { ...base.auth, adminToken: ADMIN }, store: { kind: 'sqlite', path: join(dir, 'tollgate.db') }, redis: redisConfig(prefix) };
  a = await startTestGateway(cfg);
  b = await startTestGateway(cfg);
});
afterAll(async () => {
  await Promise.all([a.close(), b.close()]);
  await removePrefix(prefix);
  rmSync(dir, { recursive: true, force: true });
});

async function admin(gateway: Gateway, method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${gateway.url}/admin/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  expect(response.status).toBeLessThan(300);
  return (await response.json()) as Record<string, unknown>;
}

async function chat(gateway: Gateway, key: string): Promise<{ status: number; code: string | undefined }> {
  const response = await fetch(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
  });
  const body = (await response.json()) as { error?: { code: string } };
  return { status: response.status, code: body.error?.code };
}

let tenants = 0;
async function newKey(settings: Record<string, unknown> = {}): Promise<{ id: string; key: string }> {
  const tenant = `acme${++tenants}`;
  await admin(a, 'POST', '/tenants', { name: tenant });
  const created = await admin(a, 'POST', '/keys', { tenant, ...settings });
  return { id: String(created.id), key: String(created.key) };
}

describe('replicas sharing Redis', () => {
  it('a key revoked through one gateway is refused by the other within a second', async () => {
    const { id, key } = await newKey();
    // B has the key in its cache (for 10 s without the change bus).
    expect((await chat(b, key)).status).toBe(200);
    expect((await chat(b, key)).status).toBe(200);
    await admin(a, 'POST', `/keys/${id}/revoke`);
    const latency = await waitFor(async () => (await chat(b, key)).status === 401, 1_000);
    expect((await chat(b, key)).code).toBe('revoked_api_key');
    expect(latency).toBeLessThan(1_000);
    console.info(`revocation seen by the other replica after ${latency.toFixed(1)} ms`);
  });

  it("a key's new limit set through one gateway applies on the other at once", async () => {
    const { id, key } = await newKey();
    expect((await chat(b, key)).status).toBe(200);
    await admin(a, 'PATCH', `/keys/${id}`, { rpm: 2 });
    await waitFor(async () => (await chat(b, key)).status === 429, 1_000);
  });

  it('a tenant changed through one gateway: the other reads its keys again', async () => {
    const tenant = `acme${++tenants}`;
    await admin(a, 'POST', '/tenants', { name: tenant });
    const { key } = (await admin(a, 'POST', '/keys', { tenant })) as { key: string };
    expect((await chat(b, key)).status).toBe(200);
    await admin(a, 'PATCH', `/tenants/${tenant}`, { models: ['other-*'] });
    await waitFor(async () => (await chat(b, key)).status === 403, 1_000);
  });

  it('their rate limits are one: 3 requests a minute across both', async () => {
    const { key } = await newKey({ rpm: 3 });
    const statuses = [];
    for (const gateway of [a, b, a, b, a]) statuses.push((await chat(gateway, key)).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
  });

  it('a key revoked with the CLI (writing the store directly) is refused by every running gateway within a second', async () => {
    const { id, key } = await newKey();
    expect((await chat(a, key)).status).toBe(200);
    expect((await chat(b, key)).status).toBe(200);
    const notices: string[] = [];
    const cli = await storeBackend(cfg, {}, (text) => notices.push(text));
    await cli.revokeKey(id);
    await cli.close();
    const at = performance.now();
    await waitFor(async () => (await chat(a, key)).status === 401 && (await chat(b, key)).status === 401, 1_000);
    expect(performance.now() - at).toBeLessThan(1_000);
    expect(notices).toEqual([]);
  });

  it('the CLI without Redis still makes the change, and says the gateways will see it late', async () => {
    const { id } = await newKey();
    const notices: string[] = [];
    const cli = await storeBackend({ ...cfg, redis: { ...cfg.redis!, url: 'redis://127.0.0.1:1', connectTimeoutMs: 200 } }, {}, (text) => notices.push(text));
    const revoked = await cli.revokeKey(id);
    await cli.close();
    expect(revoked['revoked_at']).not.toBeNull();
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(/change was made, but the running gateways could not be told through Redis .*about 10 s/);
  });
});
