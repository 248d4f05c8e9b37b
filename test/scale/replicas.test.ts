/**
 * Three Tollgate processes sharing PostgreSQL and Redis behind nginx (round
 * robin), as docs/deployment.md describes: limits and budgets hold across
 * the replicas, a revocation reaches every replica within a second, a
 * replica killed with -9 loses nothing silently, and Redis and PostgreSQL
 * outages behave as documented and lose nothing after recovery.
 *
 * Redis is the test's own server (stopped and restarted here); PostgreSQL is
 * the machine's, reached through a TCP proxy the test cuts and restores.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockUpstream } from '../../src/providers/mock/simulator.js';
import type { MockUpstream } from '../../src/providers/mock/simulator.js';
import { validateResponsesSse } from '../../src/translators/openai-responses/validator.js';
import { buildIfNeeded } from '../cli/support/gateway-process.js';
import { Nginx, PostgresSchema, PrivateRedis, SHARED_POSTGRES, TcpProxy, waitFor } from './support/services.js';
import { call, startReplicas } from './support/replicas.js';
import type { Replica } from './support/replicas.js';

const ADMIN = 'scale-admin-token-0123456789abcdef';
/** USD per token of the simulated model, in and out: a call of about 100 tokens costs about $1. */
const PRICE_PER_MILLION = 10_000;
const BUDGET_LIMIT_USD = 40;
const HOLD_TTL_MS = 3_000;
const DEAD_AFTER_MS = 3_000;

const work = mkdtempSync(join(tmpdir(), 'tollgate-scale-'));
let upstream: MockUpstream;
let redis: PrivateRedis;
let postgres: TcpProxy;
let schema: PostgresSchema;
let replicas: Replica[];
let nginx: Nginx;
const prefix = `tg${Math.random().toString(36).slice(2, 8)}:`;

function config(): string {
  return `
server: { host: 127.0.0.1, port: 0, shutdown_delay: 0ms, shutdown_grace: 5s }
auth: { admin_token: "${ADMIN}" }
logging: { level: info }
store: { kind: postgres, url: "${schema.url(postgres.port)}", max_buffered_rows: 2000 }
redis: { url: "${redis.url}", key_prefix: "${prefix}", hold_ttl: ${HOLD_TTL_MS}ms, heartbeat: 500ms, dead_after: ${DEAD_AFTER_MS}ms }
pricing:
  use_defaults: false
  models: [{ provider: up, model: m, input: ${PRICE_PER_MILLION}, output: ${PRICE_PER_MILLION} }]
providers:
  - { name: up, kind: openai, base_url: "${upstream.url}", api_key: sk-test }
models:
  - { name: pt, route: [up/m] }
  - name: to-chat
    route: [{ provider: up, model: m, api: chat }]
tenants:
  - { name: limited, rpm: 100 }
  - name: budgeted
    budgets: [{ period: day, limit_usd: ${BUDGET_LIMIT_USD} }]
  - name: crash
    budgets: [{ period: day, limit_usd: 100000 }]
  - { name: free }
  - { name: guarded, rpm: 100000 }
`;
}

/** The request ids of the calls in flight that the replicas' journals hold in Redis. */
async function journaled(): Promise<Set<string>> {
  const client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  try {
    const keys = await client.keys(`${prefix}calls:*`);
    return new Set((await Promise.all(keys.map((key) => client.hkeys(key)))).flat());
  } finally {
    client.disconnect();
  }
}

async function newKey(url: string, tenant: string): Promise<{ id: string; key: string }> {
  const created = await call(url, '/admin/v1/keys', { admin: ADMIN, body: { tenant } });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body as { id: string; key: string };
}

interface LedgerRow {
  request_id: string;
  tenant: string;
  status: string;
  http_status: number;
  cost_usd: number;
}

async function ledgerRows(tenant: string): Promise<LedgerRow[]> {
  return schema.query<LedgerRow>('SELECT request_id, tenant, status, http_status, cost_usd FROM usage WHERE tenant = $1', [tenant]);
}

interface BudgetView {
  owner: string;
  spent_usd: number;
  reserved_usd: number;
}

async function budget(url: string, tenant: string): Promise<BudgetView> {
  const answer = await call(url, `/admin/v1/budgets?tenant=${tenant}`, { admin: ADMIN });
  const list = (answer.body as { data: BudgetView[] }).data;
  return list[0]!;
}

function chatBody(stream: boolean, text: string): unknown {
  return { model: 'pt', stream, max_tokens: 100, messages: [{ role: 'user', content: text }] };
}

function responsesBody(stream: boolean, text: string): unknown {
  return { model: 'to-chat', stream, max_output_tokens: 100, input: text };
}

beforeAll(async () => {
  buildIfNeeded();
  [upstream, redis, postgres, schema] = await Promise.all([
    startMockUpstream({ latencyMs: 0, tokensPerSecond: 0, scripts: {} }),
    PrivateRedis.start(),
    TcpProxy.start({ host: SHARED_POSTGRES.host, port: SHARED_POSTGRES.port }),
    PostgresSchema.create(),
  ]);
  replicas = await startReplicas(work, config(), 3);
  nginx = await Nginx.start(join(work, 'nginx'), replicas.map((r) => r.url));
}, 120_000);

afterAll(async () => {
  for (const replica of replicas ?? []) replica.process.kill();
  await nginx?.stop();
  await redis?.stop();
  await postgres?.cut();
  await upstream?.close();
  await schema?.drop();
});

describe('three replicas behind nginx', { timeout: 60_000 }, () => {
  it('start together on a fresh database: each migration applied once', async () => {
    const applied = await schema.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    const versions = applied.map((r) => Number(r.version));
    expect(new Set(versions).size).toBe(versions.length);
    expect(versions.length).toBeGreaterThan(0);
  });

  it('hold a tenant’s RPM limit under 300 concurrent requests: exactly the limit is served, one ledger row each', async () => {
    const { key } = await newKey(replicas[0]!.url, 'limited');
    const answers = await Promise.all(
      Array.from({ length: 300 }, (_, i) => call(nginx.url, '/v1/chat/completions', { key, requestId: `rpm-${i}`, body: chatBody(false, `hi ${i} [mock:words=3]`) })),
    );
    const served = answers.filter((a) => a.status === 200).length;
    const limited = answers.filter((a) => a.status === 429).length;
    expect({ served, limited, other: 300 - served - limited }).toEqual({ served: 100, limited: 200, other: 0 });
    await waitFor('300 ledger rows', async () => (await ledgerRows('limited')).length >= 300, 10_000);
    const rows = await ledgerRows('limited');
    expect(new Set(rows.map((r) => r.request_id)).size).toBe(300);
    expect(rows).toHaveLength(300);
  });

  it('hold a hard budget under 300 concurrent mixed calls: spend within the limit, one row each, no hold left', async () => {
    const { key } = await newKey(replicas[1]!.url, 'budgeted');
    const answers = await Promise.all(
      Array.from({ length: 300 }, async (_, i) => {
        const stream = i % 2 === 0;
        const path = i % 4 < 2 ? '/v1/chat/completions' : '/v1/responses';
        const text = `spend ${i} [mock:words=60]`;
        const answer = await call(nginx.url, path, { key, requestId: `budget-${i}`, body: path === '/v1/responses' ? responsesBody(stream, text) : chatBody(stream, text) });
        if (path === '/v1/responses' && stream && answer.status === 200) expect(validateResponsesSse(String(answer.body))).toEqual([]);
        return answer;
      }),
    );
    const served = answers.filter((a) => a.status === 200).length;
    expect(served).toBeGreaterThan(20);
    expect(answers.filter((a) => a.status !== 200 && a.status !== 429)).toEqual([]);
    await waitFor('300 ledger rows', async () => (await ledgerRows('budgeted')).length >= 300, 10_000);
    const rows = await ledgerRows('budgeted');
    expect(rows).toHaveLength(300);
    const spent = rows.reduce((sum, r) => sum + Number(r.cost_usd), 0);
    // Every call named its ceiling: its worst case was reserved before it went out, so the limit holds exactly.
    expect(spent).toBeLessThanOrEqual(BUDGET_LIMIT_USD + 1e-9);
    expect(spent).toBeGreaterThan(BUDGET_LIMIT_USD * 0.5);
    for (const replica of replicas) {
      const view = await budget(replica.url, 'budgeted');
      expect(view.reserved_usd).toBe(0);
      expect(view.spent_usd).toBeCloseTo(spent, 6);
    }
  });

  it('refuse a key revoked through one replica on the others within a second', async () => {
    const { id, key } = await newKey(replicas[0]!.url, 'free');
    // Every replica has the key in its cache.
    for (const replica of replicas) expect((await call(replica.url, '/v1/chat/completions', { key, body: chatBody(false, 'hi') })).status).toBe(200);
    const revoked = await call(replicas[0]!.url, `/admin/v1/keys/${id}/revoke`, { admin: ADMIN, method: 'POST' });
    expect(revoked.status).toBe(200);
    const at = performance.now();
    await Promise.all(
      replicas.slice(1).map((replica) => waitFor(`${replica.name} to refuse the revoked key`, async () => (await call(replica.url, '/v1/chat/completions', { key, body: chatBody(false, 'hi') })).status === 401, 1_000, 20)),
    );
    expect(performance.now() - at).toBeLessThan(1_000);
  });

  it('share console sessions: a login through the balancer is honoured by every replica, round robin, without sticky sessions', async () => {
    const login = await fetch(`${nginx.url}/admin/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: ADMIN }) });
    expect(login.status).toBe(200);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';', 1)[0]!;
    const { csrf_token: csrf } = (await login.json()) as { csrf_token: string };
    // Three replicas behind round robin: nine reads and three changes reach each of them.
    const reads = await Promise.all(Array.from({ length: 9 }, () => fetch(`${nginx.url}/admin/v1/session`, { headers: { cookie } })));
    expect(reads.map((r) => r.status)).toEqual(Array.from({ length: 9 }, () => 200));
    for (let i = 0; i < 3; i++) {
      const changed = await fetch(`${nginx.url}/admin/v1/tenants`, { method: 'POST', headers: { cookie, 'x-csrf-token': csrf, 'content-type': 'application/json' }, body: JSON.stringify({ name: `console-${i}` }) });
      expect(changed.status).toBe(201);
    }
    // Straight to each replica, too.
    for (const replica of replicas) expect((await fetch(`${replica.url}/admin/v1/session`, { headers: { cookie } })).status).toBe(200);
  });

  it('keep serving when one replica is killed with -9 mid-stream: its calls are ledgered as lost, its budget holds expire', async () => {
    const { key } = await newKey(replicas[0]!.url, 'crash');
    const victim = replicas[2]!;
    const streams = replicas.flatMap((replica) =>
      Array.from({ length: 4 }, (_, i) => ({ replica, id: `crash-${replica.name}-${i}`, text: '', done: false, error: undefined as string | undefined, started: false })),
    );
    const reading = streams.map(async (stream) => {
      try {
        const response = await fetch(`${stream.replica.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, 'x-request-id': stream.id },
          body: JSON.stringify(chatBody(true, `long ${stream.id} [mock:words=80] [mock:tps=20]`)),
        });
        const decoder = new TextDecoder();
        for await (const chunk of response.body!) {
          stream.text += decoder.decode(chunk as Uint8Array, { stream: true });
          stream.started ||= stream.text.includes('delta');
        }
        stream.done = stream.text.trimEnd().endsWith('data: [DONE]');
      } catch (error) {
        stream.error = String(error);
      }
    });
    await waitFor('every stream to have started', () => streams.every((s) => s.started), 10_000);
    // In the journal (written once per heartbeat): a call that started within one heartbeat of the crash may be missing.
    await waitFor('the calls in the journal', async () => {
      const ids = await journaled();
      return streams.every((stream) => ids.has(stream.id));
    }, 5_000, 100);
    // A budget hold per stream, on every replica's view of the shared budget.
    expect((await budget(replicas[0]!.url, 'crash')).reserved_usd).toBeGreaterThan(0);
    victim.process.child.kill('SIGKILL');
    await victim.process.exit(5_000);

    // The balancer sends nothing more to the dead replica: every new call is served.
    const after = await Promise.all(Array.from({ length: 30 }, (_, i) => call(nginx.url, '/v1/chat/completions', { key, requestId: `after-crash-${i}`, body: chatBody(false, 'hi') })));
    expect(after.map((a) => a.status)).toEqual(Array(30).fill(200));

    await Promise.all(reading);
    const survivors = streams.filter((s) => s.replica !== victim);
    const lost = streams.filter((s) => s.replica === victim);
    expect(survivors.filter((s) => !s.done).map((s) => s.id)).toEqual([]);
    expect(lost.filter((s) => s.done).map((s) => s.id)).toEqual([]);

    // The dead replica's calls are found by a survivor's sweep and written as lost.
    await waitFor('the lost calls and the finished streams in the ledger', async () => {
      const rows = await ledgerRows('crash');
      return rows.filter((r) => r.status === 'lost').length >= lost.length && survivors.every((s) => rows.some((r) => r.request_id === s.id));
    }, DEAD_AFTER_MS + 10_000, 200);
    const rows = await ledgerRows('crash');
    expect(rows.filter((r) => r.status === 'lost').map((r) => r.request_id).sort()).toEqual(lost.map((s) => s.id).sort());
    for (const survivor of survivors) expect(rows.filter((r) => r.request_id === survivor.id).map((r) => r.status)).toEqual(['ok']);
    // Its holds expire with their time to live: nothing stays reserved.
    await waitFor('the dead replica’s holds to expire', async () => (await budget(replicas[0]!.url, 'crash')).reserved_usd === 0, HOLD_TTL_MS + 5_000, 200);
    replicas = replicas.slice(0, 2);
  });

  it('Redis stopped and started again: calls with limits are refused with a clear 503 meanwhile, others served; shared again after; every call ledgered', async () => {
    const guarded = await newKey(replicas[0]!.url, 'guarded');
    const free = await newKey(replicas[0]!.url, 'free');
    for (const replica of replicas) {
      expect((await call(replica.url, '/v1/chat/completions', { key: guarded.key, body: chatBody(false, 'warm') })).status).toBe(200);
      expect((await call(replica.url, '/v1/chat/completions', { key: free.key, body: chatBody(false, 'warm') })).status).toBe(200);
    }
    const spentBefore = (await budget(replicas[0]!.url, 'budgeted')).spent_usd;
    expect(spentBefore).toBeGreaterThan(0);
    // Killed: it comes back empty (no persistence), as a restarted cache does.
    await redis.stop();
    const during = await Promise.all(
      Array.from({ length: 20 }, (_, i) => call(nginx.url, '/v1/chat/completions', { key: i % 2 === 0 ? guarded.key : free.key, requestId: `redis-down-${i}`, body: chatBody(false, 'hi') })),
    );
    const guardedDuring = during.filter((_, i) => i % 2 === 0);
    const freeDuring = during.filter((_, i) => i % 2 === 1);
    expect(guardedDuring.map((a) => a.status)).toEqual(Array(10).fill(503));
    expect(JSON.stringify(guardedDuring[0]!.body)).toMatch(/Redis/);
    expect(freeDuring.map((a) => a.status)).toEqual(Array(10).fill(200));
    const ready = await call(replicas[0]!.url, '/readyz');
    expect(ready.status).toBe(503);
    expect(JSON.stringify(ready.body)).toMatch(/redis/i);

    await redis.start();
    await waitFor('calls with limits to be served again', async () => (await call(nginx.url, '/v1/chat/completions', { key: guarded.key, body: chatBody(false, 'back') })).status === 200, 15_000, 200);
    await waitFor('/readyz 200 again', async () => (await call(replicas[0]!.url, '/readyz')).status === 200, 15_000, 200);
    // Each replica subscribed to changes again and dropped its cached keys (it may have missed a revocation).
    await waitFor('every replica to subscribe again', () => replicas.every((r) => r.process.logs.some((l) => String(l['msg']).startsWith('subscribed to key and tenant changes again'))), 15_000, 100);
    // Nothing forgotten: the budget's spend this period is read again from the ledger.
    expect((await budget(replicas[1]!.url, 'budgeted')).spent_usd).toBeCloseTo(spentBefore, 6);
    const ids = during.map((_, i) => `redis-down-${i}`);
    await waitFor('a ledger row for every call made while Redis was down', async () => {
      const rows = await schema.query<{ request_id: string }>('SELECT request_id FROM usage WHERE request_id = ANY($1)', [ids]);
      return rows.length === ids.length;
    }, 10_000, 200);
  });

  it('PostgreSQL unreachable: calls are served and their rows buffered, /readyz says so; after recovery every row is written once', async () => {
    const free = await newKey(replicas[0]!.url, 'free');
    for (const replica of replicas) expect((await call(replica.url, '/v1/chat/completions', { key: free.key, body: chatBody(false, 'warm') })).status).toBe(200);
    await postgres.cut();
    const ids = Array.from({ length: 30 }, (_, i) => `pg-down-${i}`);
    const during = await Promise.all(ids.map((id) => call(nginx.url, '/v1/chat/completions', { key: free.key, requestId: id, body: chatBody(false, 'hi') })));
    expect(during.map((a) => a.status)).toEqual(Array(30).fill(200));
    await waitFor('/readyz to report the store', async () => {
      const ready = await call(replicas[0]!.url, '/readyz');
      return ready.status === 503 && /postgres|store/i.test(JSON.stringify(ready.body));
    }, 10_000, 200);
    await postgres.restore();
    await waitFor('every buffered row written', async () => {
      const rows = await schema.query<{ request_id: string }>('SELECT request_id FROM usage WHERE request_id = ANY($1)', [ids]);
      return rows.length === ids.length;
    }, 30_000, 200);
    const rows = await schema.query<{ request_id: string }>('SELECT request_id FROM usage WHERE request_id = ANY($1)', [ids]);
    expect(new Set(rows.map((r) => r.request_id)).size).toBe(ids.length);
    await waitFor('/readyz 200 again', async () => (await call(replicas[0]!.url, '/readyz')).status === 200, 15_000, 200);
  });

  it('SIGTERM of a replica with streams open: they finish or end with their terminal event, every row is written, its holds released, exit 0', async () => {
    const { key } = await newKey(replicas[0]!.url, 'crash');
    const leaving = replicas.at(-1)!;
    const streams = Array.from({ length: 10 }, (_, i) => ({ id: `term-${i}`, long: i % 2 === 1, text: '', started: false }));
    const reading = streams.map(async (stream) => {
      const response = await fetch(`${leaving.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, 'x-request-id': stream.id },
        // Short: about a second. Long: far past the 5 s grace (no ceiling: the answer runs on).
        body: JSON.stringify(
          stream.long
            ? { model: 'pt', stream: true, messages: [{ role: 'user', content: `${stream.id} [mock:words=400] [mock:tps=20]` }] }
            : chatBody(true, `${stream.id} [mock:words=20] [mock:tps=20]`),
        ),
      });
      const decoder = new TextDecoder();
      for await (const chunk of response.body!) {
        stream.text += decoder.decode(chunk as Uint8Array, { stream: true });
        stream.started ||= stream.text.includes('delta');
      }
    });
    await waitFor('every stream to have started', () => streams.every((s) => s.started), 10_000);
    const exited = leaving.process.exit(20_000);
    leaving.process.child.kill('SIGTERM');
    await Promise.all(reading);
    expect((await exited).code).toBe(0);
    for (const stream of streams) {
      // Never cut silently: every stream ends with [DONE]; one cut at the deadline says why before it.
      expect(stream.text.trimEnd().endsWith('data: [DONE]'), stream.id).toBe(true);
      if (stream.long) expect(stream.text, stream.id).toContain('server_shutting_down');
      else expect(stream.text, stream.id).not.toContain('server_shutting_down');
    }
    // Every row written before the process went; none is left for the others to sweep as lost.
    const rows = (await ledgerRows('crash')).filter((r) => r.request_id.startsWith('term-'));
    expect(rows.map((r) => r.request_id).sort()).toEqual(streams.map((s) => s.id).sort());
    expect(new Set(rows.map((r) => r.status))).toEqual(new Set(['ok', 'shutdown']));
    expect(await budget(replicas[0]!.url, 'crash')).toMatchObject({ reserved_usd: 0 });
    await sleep(DEAD_AFTER_MS + 1_000);
    expect((await ledgerRows('crash')).filter((r) => r.request_id.startsWith('term-'))).toHaveLength(10);
    replicas = replicas.slice(0, -1);
  });
});
