/**
 * The gateway on `store: { kind: postgres }`: migrated at start, tenants and
 * keys created through the admin API land in PostgreSQL, a call with the key
 * is served, and a second replica on the same database knows the key too.
 * /readyz's `store` check says `postgres unreachable: …` while the database
 * cannot be reached, and recovers with it.
 * The usage rows of those calls land in the same database.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayConfig } from '../../src/config/types.js';
import type { Gateway } from '../../src/gateway.js';
import { config, model, provider, startTestGateway } from '../helpers/gateway.js';
import { createTestSchema, TEST_PG_URL, type TestSchema } from '../helpers/pg-schema.js';
import { startHttpReceiver } from '../notifications/receivers.js';

const ADMIN_TOKEN = 'admin-token-0123456789abcdef';

function pgConfig(url: string): GatewayConfig {
  const base = config([provider({ name: 'sim', kind: 'mock' })], [model('demo', ['sim/demo'])]);
  return {
    ...base,
    auth: { adminToken: ADMIN_TOKEN, anonymousTenant: undefined, trustedProxy: undefined },
    store: { kind: 'postgres', url, poolSize: 4, statementTimeoutMs: 2_000, connectTimeoutMs: 1_000 },
  };
}

async function admin(gateway: Gateway, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${gateway.url}/admin/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function chat(gateway: Gateway, key: string | undefined): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key === undefined ? {} : { authorization: `Bearer ${key}` }) },
    body: JSON.stringify({ model: 'demo', messages: [{ role: 'user', content: 'hi' }] }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

interface Readiness {
  status: string;
  checks: Array<{ name: string; ok: boolean; error?: string }>;
}

async function readyz(gateway: Gateway): Promise<{ status: number; body: Readiness }> {
  const response = await fetch(`${gateway.url}/readyz`);
  return { status: response.status, body: (await response.json()) as Readiness };
}

let schema: TestSchema;
beforeAll(async () => {
  schema = await createTestSchema();
});
afterAll(async () => {
  await schema.drop();
});

describe('the gateway on a PostgreSQL store', () => {
  it('creates a tenant and a key through the admin API and serves a call with that key; a second replica knows the key', async () => {
    const first = await startTestGateway(pgConfig(schema.url));
    let second: Gateway | undefined;
    try {
      expect((await admin(first, 'POST', '/tenants', { name: 'team-pg', models: ['demo'], rpm: 100 })).status).toBe(201);
      const created = await admin(first, 'POST', '/keys', { tenant: 'team-pg', name: 'laptop' });
      expect(created.status).toBe(201);
      const key = created.body['key'] as string;
      expect(key).toMatch(/^tg_/);

      const served = await chat(first, key);
      expect(served.status).toBe(200);
      expect((await chat(first, undefined)).status).toBe(401);
      expect((await chat(first, `${key.slice(0, -2)}xx`)).status).toBe(401);

      // In PostgreSQL, where another replica finds them.
      const pool = schema.pool(1);
      const { rows } = await pool.query<{ tenant: string; name: string; created_at: string }>('SELECT tenant, name, created_at FROM api_keys');
      expect(rows.map((r) => [r.tenant, r.name])).toEqual([['team-pg', 'laptop']]);
      // BIGINT epoch ms, as pg hands it over.
      expect(rows[0]?.created_at).toMatch(/^\d{13}$/);
      second = await startTestGateway(pgConfig(schema.url));
      expect((await chat(second, key)).status).toBe(200);
      expect((await admin(second, 'GET', '/tenants/team-pg')).body).toMatchObject({ name: 'team-pg', models: ['demo'], rpm: 100 });
      // Migrated once, by the first.
      expect((await pool.query('SELECT version FROM schema_migrations ORDER BY version')).rows).toEqual([{ version: 1 }, { version: 2 }, { version: 3 }, { version: 4 }]);
      // The served call's usage row, in the same database.
      await first.ledger.flush();
      const usage = await pool.query<{ tenant: string; status: string }>("SELECT tenant, status FROM usage WHERE tenant = 'team-pg'");
      expect(usage.rows).toEqual([{ tenant: 'team-pg', status: 'ok' }]);

      const ready = await readyz(first);
      expect(ready.status).toBe(200);
      expect(ready.body.checks.find((c) => c.name === 'store')).toEqual({ name: 'store', ok: true });
    } finally {
      await second?.close();
      await first.close();
    }
  }, 30_000);

  it('keeps the notification outbox in PostgreSQL: a notification is stored, delivered once, marked delivered', async () => {
    const receiver = await startHttpReceiver();
    const gateway = await startTestGateway({ ...pgConfig(schema.url), notifications: { webhook: { url: `${receiver.url}/hook` } } });
    try {
      const notification = { id: 'pg-note-1', kind: 'budget_threshold' as const, tenant: 'team-pg', subject: 'Budget at 80%', text: 't', markdown: 'm', data: {}, createdAt: Date.now() };
      await gateway.notifier.notify(notification);
      await gateway.notifier.notify(notification);
      const pool = schema.pool(1);
      const deadline = Date.now() + 10_000;
      let state = '';
      while (Date.now() < deadline && state !== 'delivered') {
        const { rows } = await pool.query<{ state: string }>(`SELECT state FROM notification_outbox WHERE id = 'pg-note-1' AND channel = 'webhook'`);
        state = rows[0]?.state ?? '';
        if (state !== 'delivered') await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(state).toBe('delivered');
      expect(receiver.accepted('/hook').map((post) => post.body['id'])).toEqual(['pg-note-1']);
    } finally {
      await gateway.close();
      await receiver.close();
    }
  }, 30_000);

  it('fails to start, naming the database with its password masked, when it cannot be reached', async () => {
    const port = await freePort();
    const start = startTestGateway(pgConfig(`postgres://tollgate:pw-do-not-print@127.0.0.1:${port}/tollgate`));
    await expect(start).rejects.toThrow(new RegExp(`^cannot open the PostgreSQL store at postgres://tollgate:\\*\\*\\*@127\\.0\\.0\\.1:${port}/tollgate: .*ECONNREFUSED`));
  });

  it('/readyz says postgres unreachable while the database cannot be reached, and ready again after', async () => {
    const proxy = await startProxy(new URL(TEST_PG_URL));
    const url = new URL(schema.url);
    url.port = String(proxy.port);
    const gateway = await startTestGateway(pgConfig(url.href));
    try {
      expect((await readyz(gateway)).status).toBe(200);
      expect((await admin(gateway, 'POST', '/tenants', { name: 'team-cut' })).status).toBe(201);
      const used = String((await admin(gateway, 'POST', '/keys', { tenant: 'team-cut' })).body['key']);
      const unseen = String((await admin(gateway, 'POST', '/keys', { tenant: 'team-cut' })).body['key']);
      expect((await chat(gateway, used)).status).toBe(200);
      await proxy.stop();
      // A key this gateway read a moment ago is still served; one it never read cannot be checked: a 503 that says why.
      expect((await chat(gateway, used)).status).toBe(200);
      const refused = await chat(gateway, unseen);
      expect(refused.status).toBe(503);
      expect(refused.body).toMatchObject({ error: { code: 'key_store_unavailable', type: 'server_error' } });
      const down = await readyz(gateway);
      expect(down.status).toBe(503);
      const store = down.body.checks.find((c) => c.name === 'store');
      expect(store?.ok).toBe(false);
      expect(store?.error).toMatch(/^postgres unreachable: .*ECONNREFUSED/);
      await proxy.resume();
      expect((await readyz(gateway)).status).toBe(200);
    } finally {
      await gateway.close();
      await proxy.stop();
    }
  }, 30_000);
});

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** A TCP relay to the test server that can be cut (every connection closed, the port refusing) and restored on the same port. */
async function startProxy(target: URL): Promise<{ port: number; stop(): Promise<void>; resume(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const listen = async (): Promise<void> => {
    server = createServer((client) => {
      const upstream = connect(Number(target.port || 5432), target.hostname);
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  };
  await listen();
  return {
    port,
    async stop() {
      const closing = server;
      server = undefined;
      if (closing === undefined) return;
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => closing.close(() => resolve()));
    },
    resume: listen,
  };
}
