import { describe, expect, it } from 'vitest';
import { DEFAULT_CIRCUIT_BREAKER, DEFAULT_RETRY } from '../../src/config/constants.js';
import { orderDeployments } from '../../src/routing/balancer.js';
import type { CircuitStateChange } from '../../src/routing/circuit-breaker.js';
import { deploymentKey, DeploymentStates, type DeploymentPolicy, type Lease } from '../../src/routing/deployment-state.js';
import { mulberry32 } from '../../src/util/random.js';
import { FakeClock } from '../helpers/fake-clock.js';

const POLICY: DeploymentPolicy = { circuitBreaker: DEFAULT_CIRCUIT_BREAKER, retryBudget: DEFAULT_RETRY.budget };

function must(lease: Lease | undefined): Lease {
  if (lease === undefined) throw new Error('expected a lease');
  return lease;
}

describe('DeploymentStates', () => {
  it('keys deployments by provider/model', () => {
    expect(deploymentKey('local', 'gpt-oss:20b')).toBe('local/gpt-oss:20b');
    expect(deploymentKey('vllm', 'openai/gpt-oss-20b')).toBe('vllm/openai/gpt-oss-20b');
  });

  it('counts requests in flight from begin to end', () => {
    const states = new DeploymentStates({ clock: new FakeClock() });
    const state = states.get('local/m', POLICY);
    expect(states.get('local/m', POLICY)).toBe(state);
    const leases = [must(state.begin()), must(state.begin()), must(state.begin())];
    expect(states.health('local/m')).toEqual({ available: true, inFlight: 3, retryAt: null });
    for (const lease of leases) lease.end('success');
    leases[0]?.end('success'); // a second end is ignored
    expect(state.inFlight).toBe(0);
  });

  it('reports unknown deployments as available and idle', () => {
    const states = new DeploymentStates({ clock: new FakeClock() });
    expect(states.health('never/used')).toEqual({ available: true, inFlight: 0, retryAt: null });
    expect(states.size).toBe(0);
  });

  it('feeds outcomes to the breaker and reports changes with the key', () => {
    const clock = new FakeClock();
    const changes: [string, CircuitStateChange][] = [];
    const states = new DeploymentStates({ clock, onStateChange: (key, change) => changes.push([key, change]) });
    const state = states.get('local/m', POLICY);
    for (let i = 0; i < 5; i++) must(state.begin()).end('failure');
    expect(state.begin()).toBeUndefined();
    expect(state.inFlight).toBe(0);
    expect(changes).toEqual([['local/m', expect.objectContaining({ from: 'closed', to: 'open' }) as unknown]]);
    expect(states.snapshot()).toEqual({
      'local/m': {
        state: 'open',
        consecutiveFailures: 5,
        openedAt: clock.now(),
        retryAt: clock.now() + 30_000,
        coolDownMs: 30_000,
        recentRequests: 5,
        recentFailures: 5,
        probeInFlight: false,
        inFlight: 0,
      },
    });
  });

  it('gives a client a real attempt when every deployment of its route is open, one probe at a time', async () => {
    const clock = new FakeClock();
    const states = new DeploymentStates({ clock });
    const route = [
      { key: 'a/m', weight: 1, priority: 1 },
      { key: 'b/m', weight: 1, priority: 2 },
    ];
    for (const { key } of route) for (let i = 0; i < 5; i++) must(states.get(key, POLICY).begin()).end('failure');
    await clock.advance(10_000);
    // b opened later, so its probe is due later: a is offered.
    for (let i = 0; i < 5; i++) must(states.get('b/m', POLICY).begin({ force: true })).end('failure');
    const order = orderDeployments(route, { strategy: 'weighted', random: mulberry32(1), health: (d) => states.health(d.key) });
    expect(order.allOpen).toBe(true);
    expect(order.deployments.map((d) => d.key)).toEqual(['a/m']);
    const probe = must(states.get('a/m', POLICY).begin({ force: true }));
    expect(probe.probe).toBe(true);
    // A concurrent request gets nothing from a: at most one probe per deployment.
    expect(states.get('a/m', POLICY).begin({ force: true })).toBeUndefined();
    probe.end('success');
    expect(orderDeployments(route, { strategy: 'weighted', random: mulberry32(1), health: (d) => states.health(d.key) })).toEqual({
      deployments: [route[0]],
      allOpen: false,
    });
  });

  it('holds a retry budget per deployment', () => {
    const states = new DeploymentStates({ clock: new FakeClock() });
    const policy: DeploymentPolicy = { ...POLICY, retryBudget: { ratio: 0, windowMs: 10_000, minPerSecond: 0.1 } };
    const a = states.get('a/m', policy);
    const b = states.get('b/m', policy);
    expect(a.budget.tryAcquire()).toBe(true);
    expect(a.budget.tryAcquire()).toBe(false);
    expect(b.budget.tryAcquire()).toBe(true);
  });

  it('forgets idle healthy deployments beyond maxEntries, least recently used first, but keeps busy or open ones', () => {
    const states = new DeploymentStates({ clock: new FakeClock(), maxEntries: 3 });
    const busy = must(states.get('busy/m', POLICY).begin());
    const broken = states.get('broken/m', POLICY);
    for (let i = 0; i < 5; i++) must(broken.begin()).end('failure');
    states.get('idle/m', POLICY);
    states.get('new/m', POLICY);
    expect(Object.keys(states.snapshot()).sort()).toEqual(['broken/m', 'busy/m', 'new/m']);
    const newer = must(states.get('newer/m', POLICY).begin());
    expect(Object.keys(states.snapshot()).sort()).toEqual(['broken/m', 'busy/m', 'newer/m']);
    // Nothing is evictable now: the map grows rather than lose a breaker or an in-flight count.
    states.get('more/m', POLICY);
    expect(states.size).toBe(4);
    newer.end('success');
    busy.end('success');
  });

  it('retire() forgets a replaced provider: its open circuit is reported closed, the new settings start fresh', () => {
    const clock = new FakeClock();
    const changes: Array<[string, CircuitStateChange]> = [];
    const states = new DeploymentStates({ clock, onStateChange: (key, change) => changes.push([key, change]) });
    const oldPolicy: DeploymentPolicy = { circuitBreaker: { ...DEFAULT_CIRCUIT_BREAKER, consecutiveFailures: 1 }, retryBudget: DEFAULT_RETRY.budget };
    const old = states.get('up/m', oldPolicy);
    states.get('other/m', POLICY);
    must(old.begin()).end('failure');
    expect(old.breaker.state).toBe('open');
    changes.length = 0;

    states.retire('up', oldPolicy.circuitBreaker);
    expect(changes).toEqual([['up/m', expect.objectContaining({ from: 'open', to: 'closed', reason: 'reconfigured' })]]);
    expect(states.health('up/m').available).toBe(true);
    expect(Object.keys(states.snapshot())).toEqual(['other/m']);

    // A call still on the replaced provider gets a state of its own, never kept.
    const stray = states.get('up/m', oldPolicy);
    expect(stray).not.toBe(old);
    expect(states.size).toBe(1);
    const newPolicy: DeploymentPolicy = { circuitBreaker: { ...DEFAULT_CIRCUIT_BREAKER }, retryBudget: DEFAULT_RETRY.budget };
    const fresh = states.get('up/m', newPolicy);
    expect(fresh).not.toBe(stray);
    expect(states.get('up/m', newPolicy)).toBe(fresh);
    expect(states.size).toBe(2);
  });
});
