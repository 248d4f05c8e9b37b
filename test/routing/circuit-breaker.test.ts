import { describe, expect, it } from 'vitest';
import { DEFAULT_CIRCUIT_BREAKER } from '../../src/config/constants.js';
import type { CircuitBreakerConfig } from '../../src/config/types.js';
import { breakerOutcome, CircuitBreaker, type BreakerTicket, type CircuitStateChange } from '../../src/routing/circuit-breaker.js';
import { FakeClock } from '../helpers/fake-clock.js';

function setup(overrides: Partial<CircuitBreakerConfig> = {}) {
  const clock = new FakeClock();
  const changes: CircuitStateChange[] = [];
  const breaker = new CircuitBreaker({ ...DEFAULT_CIRCUIT_BREAKER, ...overrides }, clock, (change) => changes.push(change));
  const run = (outcome: 'success' | 'failure' | 'neutral'): void => {
    const ticket = breaker.acquire();
    if (ticket === undefined) throw new Error('refused');
    breaker.record(ticket, outcome);
  };
  return { clock, breaker, changes, run };
}

function must(ticket: BreakerTicket | undefined): BreakerTicket {
  if (ticket === undefined) throw new Error('expected the breaker to admit the request');
  return ticket;
}

describe('CircuitBreaker', () => {
  it('opens after N consecutive failures and refuses requests while open', () => {
    const { clock, breaker, changes, run } = setup();
    for (let i = 0; i < 4; i++) run('failure');
    expect(breaker.state).toBe('closed');
    run('failure');
    expect(breaker.state).toBe('open');
    expect(breaker.acquire()).toBeUndefined();
    expect(breaker.isAvailable()).toBe(false);
    expect(changes).toEqual([{ from: 'closed', to: 'open', reason: 'consecutive_failures', at: clock.now(), coolDownMs: 30_000 }]);
    expect(breaker.snapshot()).toMatchObject({ state: 'open', consecutiveFailures: 5, openedAt: clock.now(), retryAt: clock.now() + 30_000 });
  });

  it('a success resets the consecutive count', () => {
    const { breaker, run } = setup({ failureRate: 1 });
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 4; i++) run('failure');
      run('success');
    }
    expect(breaker.state).toBe('closed');
    expect(breaker.snapshot().consecutiveFailures).toBe(0);
  });

  it('opens on the failure rate over the window once it has the minimum of requests', () => {
    const { breaker, changes, run } = setup({ consecutiveFailures: 100 });
    // Alternate: never 5 in a row, but 50 % failures.
    for (let i = 0; i < 4; i++) {
      run('failure');
      run('success');
    }
    run('failure');
    expect(breaker.state).toBe('closed'); // 9 requests: below min_requests
    run('success'); // 10 requests at 50 %, but only a failure can trip the circuit
    expect(breaker.state).toBe('closed');
    run('failure'); // 11 requests, 6 failures = 54 %
    expect(breaker.state).toBe('open');
    expect(changes[0]?.reason).toBe('failure_rate');
  });

  it('forgets failures that slid out of the window', async () => {
    const { clock, breaker, run } = setup({ consecutiveFailures: 100, windowMs: 10_000 });
    for (let i = 0; i < 9; i++) run('failure');
    await clock.advance(10_000);
    run('success');
    run('failure');
    expect(breaker.snapshot()).toMatchObject({ recentRequests: 2, recentFailures: 1 });
    expect(breaker.state).toBe('closed');
  });

  it('ignores neutral outcomes (cancellations, uncounted rate limits)', () => {
    const { breaker, run } = setup();
    for (let i = 0; i < 4; i++) run('failure');
    for (let i = 0; i < 10; i++) run('neutral');
    expect(breaker.snapshot()).toMatchObject({ state: 'closed', consecutiveFailures: 4, recentRequests: 4 });
  });

  it('half-open admits exactly one probe; a success closes the circuit', async () => {
    const { clock, breaker, changes, run } = setup();
    for (let i = 0; i < 5; i++) run('failure');
    await clock.advance(29_999);
    expect(breaker.acquire()).toBeUndefined();
    await clock.advance(1);
    expect(breaker.isAvailable()).toBe(true);
    const probe = must(breaker.acquire());
    expect(probe.probe).toBe(true);
    expect(breaker.state).toBe('half_open');
    // Concurrent requests while the probe is in flight are refused.
    for (let i = 0; i < 5; i++) expect(breaker.acquire()).toBeUndefined();
    expect(breaker.acquire({ force: true })).toBeUndefined();
    expect(breaker.isAvailable()).toBe(false);
    breaker.record(probe, 'success');
    expect(breaker.state).toBe('closed');
    expect(changes.map((c) => `${c.from}->${c.to}:${c.reason}`)).toEqual([
      'closed->open:consecutive_failures',
      'open->half_open:cool_down_elapsed',
      'half_open->closed:probe_succeeded',
    ]);
    expect(breaker.snapshot()).toMatchObject({ state: 'closed', consecutiveFailures: 0, openedAt: null, retryAt: null, recentRequests: 0 });
    expect(must(breaker.acquire()).probe).toBe(false);
  });

  it('a failed probe re-opens the circuit with a doubled cool-down, up to the cap', async () => {
    const { clock, breaker, changes, run } = setup({ coolDownMs: 30_000, maxCoolDownMs: 100_000 });
    for (let i = 0; i < 5; i++) run('failure');
    const coolDowns: number[] = [];
    for (let i = 0; i < 4; i++) {
      const wait = breaker.snapshot().coolDownMs;
      coolDowns.push(wait);
      await clock.advance(wait);
      const probe = must(breaker.acquire());
      breaker.record(probe, 'failure');
      expect(breaker.state).toBe('open');
    }
    expect(coolDowns).toEqual([30_000, 60_000, 100_000, 100_000]);
    expect(changes.at(-1)).toMatchObject({ from: 'half_open', to: 'open', reason: 'probe_failed', coolDownMs: 100_000 });
    // After recovering, the cool-down starts from the base again.
    await clock.advance(100_000);
    breaker.record(must(breaker.acquire()), 'success');
    for (let i = 0; i < 5; i++) run('failure');
    expect(breaker.snapshot().coolDownMs).toBe(30_000);
  });

  it('a neutral probe hands the probe to the next request', async () => {
    const { clock, breaker, run } = setup();
    for (let i = 0; i < 5; i++) run('failure');
    await clock.advance(30_000);
    const probe = must(breaker.acquire());
    breaker.record(probe, 'neutral');
    expect(breaker.state).toBe('half_open');
    const next = must(breaker.acquire());
    expect(next.probe).toBe(true);
    expect(breaker.acquire()).toBeUndefined();
  });

  it('ignores late results of requests admitted before the circuit changed state', async () => {
    const { clock, breaker } = setup();
    const slow = Array.from({ length: 3 }, () => must(breaker.acquire()));
    const failing = Array.from({ length: 5 }, () => must(breaker.acquire()));
    for (const ticket of failing) breaker.record(ticket, 'failure');
    expect(breaker.state).toBe('open');
    // A success from before the opening does not close the circuit …
    breaker.record(slow[0] as BreakerTicket, 'success');
    expect(breaker.state).toBe('open');
    await clock.advance(30_000);
    const probe = must(breaker.acquire());
    // … nor does a stale failure decide the probe's fate.
    breaker.record(slow[1] as BreakerTicket, 'failure');
    expect(breaker.state).toBe('half_open');
    breaker.record(probe, 'success');
    breaker.record(slow[2] as BreakerTicket, 'failure');
    expect(breaker.snapshot()).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
  });

  it('settles a ticket only once', () => {
    const { breaker } = setup();
    const ticket = must(breaker.acquire());
    for (let i = 0; i < 10; i++) breaker.record(ticket, 'failure');
    expect(breaker.snapshot().consecutiveFailures).toBe(1);
  });

  it('force admits an early probe when the cool-down has not elapsed, but never a second one', async () => {
    const { clock, breaker, changes, run } = setup();
    for (let i = 0; i < 5; i++) run('failure');
    await clock.advance(1_000);
    const probe = must(breaker.acquire({ force: true }));
    expect(probe.probe).toBe(true);
    expect(changes.at(-1)).toMatchObject({ to: 'half_open', reason: 'early_probe' });
    expect(breaker.acquire({ force: true })).toBeUndefined();
    breaker.record(probe, 'failure');
    expect(breaker.snapshot()).toMatchObject({ state: 'open', coolDownMs: 60_000, retryAt: clock.now() + 60_000 });
  });

  it('when disabled, admits everything and never opens', () => {
    const { breaker, changes, run } = setup({ enabled: false });
    for (let i = 0; i < 100; i++) run('failure');
    expect(breaker.state).toBe('closed');
    expect(changes).toEqual([]);
  });
});

describe('breakerOutcome', () => {
  it('counts only upstream-side failures', () => {
    for (const kind of ['network', 'timeout', 'server', 'auth', 'quota', 'protocol'] as const) expect(breakerOutcome(kind, false)).toBe('failure');
    for (const kind of ['client', 'not_found', 'context_length', 'conflict'] as const) expect(breakerOutcome(kind, false)).toBe('success');
    for (const kind of ['cancelled', 'gateway'] as const) expect(breakerOutcome(kind, true)).toBe('neutral');
  });

  it('counts 429 rate limits only when configured to', () => {
    expect(breakerOutcome('rate_limited', false)).toBe('neutral');
    expect(breakerOutcome('rate_limited', true)).toBe('failure');
  });
});
