/**
 * The change bus against the real Redis: a change published by one replica
 * reaches the others (not itself: it applied the change already); messages
 * that are not changes are ignored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChangeBus, type ChangeListener } from '../../src/store/redis/change-bus.js';
import { openSharedState, type SharedState } from '../../src/store/redis/connection.js';
import type { TenancyChange } from '../../src/tenancy/changes.js';
import { silentLog } from '../helpers/gateway.js';
import { redisConfig, removePrefix, uniquePrefix, waitFor } from '../helpers/redis.js';

const prefix = uniquePrefix('bus');
let a: SharedState;
let b: SharedState;

beforeAll(async () => {
  a = await openSharedState(redisConfig(prefix), silentLog);
  b = await openSharedState(redisConfig(prefix), silentLog);
});
afterAll(async () => {
  await Promise.all([a.close(), b.close()]);
  await removePrefix(prefix);
});

function recorder(): ChangeListener & { readonly changes: TenancyChange[] } {
  const changes: TenancyChange[] = [];
  return { changes, applyChange: (change) => changes.push(change), dropCaches: () => undefined };
}

describe('ChangeBus', () => {
  it('tells the other replicas, not the one that made the change, and ignores anything else', async () => {
    const [one, two] = [new ChangeBus(a, silentLog), new ChangeBus(b, silentLog)];
    const [heardByOne, heardByTwo] = [recorder(), recorder()];
    await one.start(heardByOne);
    await two.start(heardByTwo);
    expect(one.channel).toBe(`${prefix}changes`);
    await a.client.publish(one.channel, 'not json');
    await a.client.publish(one.channel, JSON.stringify({ kind: 'key', op: 'exploded', id: 'k1' }));
    one.publish({ kind: 'key', op: 'revoked', id: 'k1' });
    one.publish({ kind: 'tenant', op: 'updated', name: 'acme' });
    await waitFor(() => heardByTwo.changes.length === 2, 1_000);
    expect(heardByTwo.changes).toEqual([
      { kind: 'key', op: 'revoked', id: 'k1' },
      { kind: 'tenant', op: 'updated', name: 'acme' },
    ]);
    two.publish({ kind: 'key', op: 'created', id: 'k2' });
    await waitFor(() => heardByOne.changes.length === 1, 1_000);
    expect(heardByOne.changes).toEqual([{ kind: 'key', op: 'created', id: 'k2' }]);
    expect(heardByTwo.changes).toHaveLength(2);
  });
});
