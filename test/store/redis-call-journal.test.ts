/**
 * The call journal against the real Redis: a replica that dies with calls in
 * flight has them written to the ledger as `lost` by exactly one other
 * replica; calls that ended, or a replica that shut down cleanly, leave
 * nothing behind.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Call, CallOutcome } from '../../src/pipeline/contracts.js';
import type { Deployment } from '../../src/routing/router.js';
import { CallJournal } from '../../src/store/redis/call-journal.js';
import { SqliteUsageLedger } from '../../src/store/sqlite/usage-ledger.js';
import type { UsageLedger } from '../../src/metering/usage-ledger.js';

const prefix = `tgtest:${randomBytes(4).toString('hex')}:`;
let client: Redis;
let now = 1_000_000;
const ledgers: UsageLedger[] = [];

beforeAll(() => {
  client = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: false, maxRetriesPerRequest: 1 });
});

afterEach(async () => {
  const keys = await client.keys(`${prefix}*`);
  if (keys.length > 0) await client.del(...keys);
  await Promise.all(ledgers.splice(0).map((ledger) => ledger.close()));
});

afterAll(async () => {
  await client.quit();
});

/** The parts of a call the journal reads. */
function call(requestId: string, tenant = 'team-a'): Call {
  const partial = { ctx: { requestId }, principal: { tenant, keyId: 'k1' }, requestedModel: 'gpt-x', route: { name: 'gpt-x' } };
  return partial as unknown as Call;
}
const deployment = { provider: { name: 'local' }, model: 'up-x' } as unknown as Deployment;
const outcome = {} as CallOutcome;

function replica(name: string): { journal: CallJournal; ledger: UsageLedger; swept: string[] } {
  const ledger = SqliteUsageLedger.open(':memory:');
  ledgers.push(ledger);
  const swept: string[] = [];
  const journal = new CallJournal({ client, prefix, replica: name, ledger, heartbeatMs: 1_000, deadAfterMs: 5_000, now: () => now, onSwept: (r) => swept.push(r) });
  return { journal, ledger, swept };
}

describe('the call journal', () => {
  it('writes a dead replica’s calls in flight as lost, once, and only those', async () => {
    const a = replica('a');
    const b = replica('b');
    const c = replica('c');
    a.journal.onStart(call('r1'), deployment, 1);
    a.journal.onStart(call('r2'), deployment, 1);
    a.journal.onStart(call('r3'), deployment, 1);
    a.journal.onStart(call('r2'), deployment, 2); // a retry is the same call
    await a.journal.tick();
    a.journal.onEnd(call('r3'), outcome);
    await a.journal.tick();
    // Started and ended between two beats: never in Redis.
    a.journal.onStart(call('r4'), deployment, 1);
    a.journal.onEnd(call('r4'), outcome);
    await a.journal.tick();
    expect((await client.hkeys(`${prefix}calls:a`)).sort()).toEqual(['r1', 'r2']);

    // `a` dies: no more beats. The others beat on.
    now += 3_000;
    await Promise.all([b.journal.tick(), c.journal.tick()]);
    expect(b.swept).toEqual([]);
    now += 3_000;
    await Promise.all([b.journal.tick(), c.journal.tick()]);
    expect([...b.swept, ...c.swept]).toEqual(['a']);

    const rows = [...(await b.ledger.recent(10)), ...(await c.ledger.recent(10))];
    expect(rows.map((r) => r.requestId).sort()).toEqual(['r1', 'r2']);
    for (const row of rows) {
      expect(row).toMatchObject({ status: 'lost', tenant: 'team-a', keyId: 'k1', routeModel: 'gpt-x', provider: 'local', upstreamModel: 'up-x', costUsd: 0, estimated: true });
      expect(row.latencyMs).toBe(6_000);
    }
    expect(await client.exists(`${prefix}calls:a`)).toBe(0);
    // Swept once: later sweeps find nothing.
    now += 10_000;
    await Promise.all([b.journal.tick(), c.journal.tick()]);
    expect([...b.swept, ...c.swept]).toEqual(['a']);
  });

  it('leaves nothing to sweep after a clean stop', async () => {
    const a = replica('a');
    const b = replica('b');
    a.journal.onStart(call('r1'), deployment, 1);
    await a.journal.tick();
    a.journal.onEnd(call('r1'), outcome);
    await a.journal.stop();
    now += 60_000;
    await b.journal.tick();
    expect(b.swept).toEqual([]);
    expect(await b.ledger.recent(10)).toEqual([]);
  });

  it('keeps what a failed beat did not write and writes it with the next one', async () => {
    const ledger = SqliteUsageLedger.open(':memory:');
    ledgers.push(ledger);
    // Not connected yet, and no offline queue: every command fails at once, as when Redis is down.
    const late = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false });
    const errors: unknown[] = [];
    const journal = new CallJournal({ client: late, prefix, replica: 'z', ledger, heartbeatMs: 1_000, deadAfterMs: 5_000, now: () => now, onError: (e) => errors.push(e) });
    journal.onStart(call('z1'), deployment, 1);
    journal.onStart(call('z2'), deployment, 1);
    await journal.tick();
    expect(errors).toHaveLength(1);
    journal.onEnd(call('z2'), outcome);
    if (late.status !== 'ready') await new Promise((resolve) => late.once('ready', resolve));
    await journal.tick();
    expect(await client.hkeys(`${prefix}calls:z`)).toEqual(['z1']);
    await journal.stop();
    await late.quit();
  });
});

describe('the call journal of a gateway', () => {
  it('holds each streamed call while it runs and lets go of it when it ends', async () => {
    const { config: gatewayConfig, model: route, provider: upstream, startTestGateway } = await import('../helpers/gateway.js');
    const { redisConfig } = await import('../helpers/redis.js');
    const base = gatewayConfig([upstream({ name: 'sim', kind: 'mock' })], [route('demo', ['sim/demo'])]);
    const gateway = await startTestGateway({ ...base, redis: { ...redisConfig(prefix), heartbeatMs: 100, deadAfterMs: 1_000 } });
    try {
      const journaled = async (): Promise<string[]> => {
        const keys = await client.keys(`${prefix}calls:*`);
        return (await Promise.all(keys.map((key) => client.hkeys(key)))).flat().sort();
      };
      const streams = ['s1', 's2'].map((id) =>
        fetch(`${gateway.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-request-id': id },
          body: JSON.stringify({ model: 'demo', stream: true, messages: [{ role: 'user', content: 'hi [mock:words=30] [mock:tps=30]' }] }),
        }).then((response) => response.text()),
      );
      await vi.waitFor(async () => expect(await journaled()).toEqual(['s1', 's2']), { timeout: 3_000, interval: 50 });
      await Promise.all(streams);
      await vi.waitFor(async () => expect(await journaled()).toEqual([]), { timeout: 3_000, interval: 50 });
      expect(await client.zscore(`${prefix}replicas`, (await client.zrange(`${prefix}replicas`, 0, -1))[0]!)).not.toBeNull();
    } finally {
      await gateway.close();
    }
    // A clean shutdown leaves nothing for the others to sweep.
    expect(await client.zcard(`${prefix}replicas`)).toBe(0);
  });
});
