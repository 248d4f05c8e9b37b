/**
 * Redis going away and coming back, played by a TCP proxy in front of the
 * test server (cut: every connection dropped and new ones refused):
 * fail_closed refuses rate-limited calls with 503 and /readyz is 503;
 * fail_open serves them with this replica's own limits and /readyz stays 200,
 * degraded. Either way the shared limits return with Redis, and a replica
 * that was cut off drops its key cache (it may have missed changes).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayConfig, RedisConfig } from '../../src/config/types.js';
import type { Gateway } from '../../src/gateway.js';
import type { Logger } from 'pino';
import { config, model, provider, startTestGateway } from '../helpers/gateway.js';
import { capturedLog } from '../helpers/log-capture.js';
import { redisConfig, removePrefix, startRedisProxy, uniquePrefix, waitFor, type RedisProxy } from '../helpers/redis.js';

const prefix = uniquePrefix('outage');
let dir: string;
let proxy: RedisProxy;
const gateways: Gateway[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tollgate-outage-'));
  proxy = await startRedisProxy();
});
afterEach(async () => {
  proxy.restore();
  await Promise.all(gateways.splice(0).map((g) => g.close()));
});
afterAll(async () => {
  await proxy.close();
  await removePrefix(prefix);
  rmSync(dir, { recursive: true, force: true });
});

async function start(redis: Partial<RedisConfig>, log?: Logger): Promise<Gateway> {
  const base = config([provider({ name: 'sim', kind: 'mock' })], [model('m', ['sim/m'])]);
  const cfg: GatewayConfig = { ...base, store: { kind: 'sqlite', path: join(dir, 'tollgate.db') }, redis: redisConfig(prefix, redis) };
  const gateway = await startTestGateway(cfg, log === undefined ? {} : { log });
  gateways.push(gateway);
  return gateway;
}

async function chat(gateway: Gateway, key: string): Promise<{ status: number; headers: Headers; error: { message: string; code: string } | undefined }> {
  const response = await fetch(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
  });
  const body = (await response.json()) as { error?: { message: string; code: string } };
  return { status: response.status, headers: response.headers, error: body.error };
}

async function readyz(gateway: Gateway): Promise<{ status: number; body: { status: string; checks: Array<{ name: string; ok: boolean; error?: string; degraded?: boolean }> } }> {
  const response = await fetch(`${gateway.url}/readyz`);
  return { status: response.status, body: (await response.json()) as never };
}

let tenants = 0;
async function newKey(gateway: Gateway, rpm?: number): Promise<{ id: string; key: string }> {
  const tenant = await gateway.tenancy.createTenant({ name: `t${++tenants}` });
  const { record, key } = await gateway.tenancy.createKey({ tenant: tenant.name, rpm });
  return { id: record.id, key };
}

describe('Redis unavailable', () => {
  it('fail_closed: rate-limited calls get 503 and /readyz names redis; back to the shared limits when it returns', async () => {
    const gateway = await start({ url: proxy.url, whenUnavailable: 'fail_closed' });
    const { id, key } = await newKey(gateway, 3);
    const unlimited = await newKey(gateway);
    expect((await chat(gateway, key)).status).toBe(200);
    expect((await readyz(gateway)).status).toBe(200);

    proxy.cut();
    await waitFor(() => gateway.shared?.health.up === false, 2_000);
    const refused = await chat(gateway, key);
    expect(refused.status).toBe(503);
    expect(refused.error).toMatchObject({ code: 'rate_limit_store_unavailable', message: 'The gateway cannot reach its shared rate-limit store (Redis); try again shortly.' });
    expect(refused.headers.get('retry-after')).toBe('2');
    // A caller without limits needs no shared counts.
    expect((await chat(gateway, unlimited.key)).status).toBe(200);
    const unready = await readyz(gateway);
    expect(unready.status).toBe(503);
    expect(unready.body.status).toBe('not_ready');
    expect(unready.body.checks.find((c) => c.name === 'redis')).toMatchObject({ ok: false });
    expect(unready.body.checks.find((c) => c.name === 'redis')?.error).toMatch(/^Redis is unreachable since /);

    proxy.restore();
    await waitFor(async () => (await readyz(gateway)).status === 200, 3_000);
    // The window kept the first call: two more, then the limit.
    expect([(await chat(gateway, key)).status, (await chat(gateway, key)).status, (await chat(gateway, key)).status]).toEqual([200, 200, 429]);
    const fields = await gateway.shared!.client.hgetall(`${prefix}rl:key:${id}`);
    expect(Object.entries(fields).filter(([name]) => name.startsWith('r')).reduce((sum, [, value]) => sum + Number(value), 0)).toBe(3);
  });

  it('fail_open: served with per-replica limits and /readyz degraded; the shared limits return with Redis', async () => {
    const { log, lines } = capturedLog();
    const gateway = await start({ url: proxy.url, whenUnavailable: 'fail_open' }, log);
    const logged = (text: string): number => lines.filter((line) => line.includes(text)).length;
    const { key } = await newKey(gateway, 3);
    expect((await chat(gateway, key)).status).toBe(200);

    proxy.cut();
    await waitFor(() => gateway.shared?.health.up === false, 2_000);
    // This replica's own window starts empty: the whole limit again, then its own 429.
    const during = [];
    for (let i = 0; i < 4; i++) during.push((await chat(gateway, key)).status);
    expect(during).toEqual([200, 200, 200, 429]);
    // Said once for the outage, not once a call.
    expect(logged('rate limits are counted by each replica on its own')).toBe(1);
    const degraded = await readyz(gateway);
    expect(degraded.status).toBe(200);
    expect(degraded.body.status).toBe('degraded');
    expect(degraded.body.checks.find((c) => c.name === 'redis')).toMatchObject({ ok: false, degraded: true });

    proxy.restore();
    await waitFor(async () => (await readyz(gateway)).body.status === 'ready', 3_000);
    // Shared again: Redis holds one call of the minute (the local window is full and no longer asked).
    expect([(await chat(gateway, key)).status, (await chat(gateway, key)).status, (await chat(gateway, key)).status]).toEqual([200, 200, 429]);
    expect(logged('Redis answers again: rate limits are shared again')).toBe(1);
  });

  it('a replica cut off from Redis drops its key cache when it reconnects: a revocation it missed is seen', async () => {
    const direct = await start({});
    const cutOff = await start({ url: proxy.url });
    const { id, key } = await newKey(direct);
    // The key's creation is told over the bus too: once it has arrived (it would drop the entry), the key is cached.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await chat(cutOff, key)).status).toBe(200);
    expect(cutOff.tenancy.directory.cached(id)).toBeDefined();

    proxy.cut();
    await waitFor(() => cutOff.shared?.health.up === false, 2_000);
    await direct.tenancy.revokeKey(id);
    // The message was published while the replica could not hear it: its cached entry still admits the key.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const stale = await chat(cutOff, key);
    expect(stale.error).toBeUndefined();
    expect(stale.status).toBe(200);

    proxy.restore();
    const latency = await waitFor(async () => (await chat(cutOff, key)).status === 401, 3_000);
    console.info(`revocation missed during the outage seen ${latency.toFixed(0)} ms after Redis returned`);
  });

  it('a gateway started while Redis is down starts, unready, and uses Redis once it is up', async () => {
    proxy.cut();
    const startedAt = performance.now();
    const gateway = await start({ url: proxy.url, connectTimeoutMs: 300 });
    expect(performance.now() - startedAt).toBeLessThan(2_000);
    expect((await readyz(gateway)).status).toBe(503);
    const { id, key } = await newKey(gateway, 5);
    expect((await chat(gateway, key)).status).toBe(503);
    proxy.restore();
    await waitFor(async () => (await readyz(gateway)).status === 200, 3_000);
    expect((await chat(gateway, key)).status).toBe(200);
    expect(await gateway.shared!.client.exists(`${prefix}rl:key:${id}`)).toBe(1);
  });
});
