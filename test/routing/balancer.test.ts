import { describe, expect, it } from 'vitest';
import { orderDeployments, pickWeighted, weightedOrder, type CandidateHealth } from '../../src/routing/balancer.js';
import { mulberry32 } from '../../src/util/random.js';

interface Candidate {
  readonly key: string;
  readonly weight: number;
  readonly priority: number;
}

const c = (key: string, weight = 1, priority = 1): Candidate => ({ key, weight, priority });
const HEALTHY: CandidateHealth = { available: true, inFlight: 0, retryAt: null };

function healthFrom(map: Record<string, Partial<CandidateHealth>>) {
  return (candidate: Candidate): CandidateHealth => ({ ...HEALTHY, ...map[candidate.key] });
}

const keys = (list: readonly Candidate[]): string[] => list.map((x) => x.key);

describe('mulberry32', () => {
  it('is deterministic per seed and stays in [0, 1)', () => {
    const a = mulberry32(123);
    const b = mulberry32(123);
    const other = mulberry32(124);
    const seqA = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(seqA);
    expect(Array.from({ length: 1000 }, () => other())).not.toEqual(seqA);
    for (const x of seqA) expect(x >= 0 && x < 1).toBe(true);
  });
});

describe('weighted random', () => {
  it('picks by weight within a few percent over 10k seeded draws', () => {
    const random = mulberry32(2024);
    const weights = [1, 2, 7];
    const counts = [0, 0, 0];
    const draws = 10_000;
    for (let i = 0; i < draws; i++) {
      const index = pickWeighted(weights, random) ?? -1;
      counts[index] = (counts[index] ?? 0) + 1;
    }
    expect(Math.abs((counts[0] ?? 0) / draws - 0.1)).toBeLessThan(0.015);
    expect(Math.abs((counts[1] ?? 0) / draws - 0.2)).toBeLessThan(0.015);
    expect(Math.abs((counts[2] ?? 0) / draws - 0.7)).toBeLessThan(0.015);
  });

  it('handles the edges', () => {
    expect(pickWeighted([], () => 0.5)).toBeUndefined();
    expect(pickWeighted([3], () => 0.99)).toBe(0);
    expect(pickWeighted([1, 1], () => 0)).toBe(0);
    expect(pickWeighted([1, 1], () => 0.9999999)).toBe(1);
  });

  it('orders a group as a weighted permutation: every member appears once', () => {
    const random = mulberry32(5);
    const items = [c('a', 1), c('b', 3), c('c', 6)];
    const firsts: Record<string, number> = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < 10_000; i++) {
      const order = weightedOrder(items, random);
      expect([...keys(order)].sort()).toEqual(['a', 'b', 'c']);
      const first = order[0]?.key ?? '';
      firsts[first] = (firsts[first] ?? 0) + 1;
    }
    expect(Math.abs((firsts.a ?? 0) / 10_000 - 0.1)).toBeLessThan(0.015);
    expect(Math.abs((firsts.b ?? 0) / 10_000 - 0.3)).toBeLessThan(0.015);
    expect(Math.abs((firsts.c ?? 0) / 10_000 - 0.6)).toBeLessThan(0.015);
  });
});

describe('orderDeployments', () => {
  it('keeps a plain route in order: first is primary, the rest are fallbacks', () => {
    const route = [c('local', 1, 1), c('vllm', 5, 2), c('openai', 1, 3)];
    const order = orderDeployments(route, { strategy: 'weighted', random: mulberry32(1), health: () => HEALTHY });
    expect(order).toEqual({ deployments: route, allOpen: false });
  });

  it('balances equal priorities by weight, and keeps every member before the next priority', () => {
    const route = [c('a', 3, 1), c('b', 1, 1), c('fallback', 1, 2)];
    const random = mulberry32(77);
    let aFirst = 0;
    const draws = 10_000;
    for (let i = 0; i < draws; i++) {
      const order = keys(orderDeployments(route, { strategy: 'weighted', random, health: () => HEALTHY }).deployments);
      expect(order[2]).toBe('fallback');
      if (order[0] === 'a') aFirst++;
    }
    expect(Math.abs(aFirst / draws - 0.75)).toBeLessThan(0.015);
  });

  it('sorts groups by priority, whatever their position', () => {
    const route = [c('late', 1, 9), c('early', 1, 0), c('middle', 1, 5)];
    expect(keys(orderDeployments(route, { strategy: 'weighted', random: mulberry32(1), health: () => HEALTHY }).deployments)).toEqual(['early', 'middle', 'late']);
  });

  it('least in-flight picks the least loaded deployment, relative to weight', () => {
    const route = [c('a'), c('b'), c('c'), c('fallback', 1, 2)];
    const health = healthFrom({ a: { inFlight: 4 }, b: { inFlight: 1 }, c: { inFlight: 2 }, fallback: { inFlight: 0 } });
    expect(keys(orderDeployments(route, { strategy: 'least_inflight', random: mulberry32(1), health }).deployments)).toEqual(['b', 'c', 'a', 'fallback']);

    const weighted = [c('big', 4), c('small', 1)];
    const load = healthFrom({ big: { inFlight: 3 }, small: { inFlight: 1 } });
    // 3/4 < 1/1: the big deployment still has room.
    expect(keys(orderDeployments(weighted, { strategy: 'least_inflight', random: mulberry32(1), health: load }).deployments)).toEqual(['big', 'small']);
  });

  it('least in-flight breaks ties by weighted random', () => {
    const route = [c('a', 1), c('b', 4), c('busy', 1)];
    const health = healthFrom({ busy: { inFlight: 1 } });
    const random = mulberry32(3);
    let bFirst = 0;
    for (let i = 0; i < 10_000; i++) {
      const order = keys(orderDeployments(route, { strategy: 'least_inflight', random, health }).deployments);
      expect(order[2]).toBe('busy');
      if (order[0] === 'b') bFirst++;
    }
    expect(Math.abs(bFirst / 10_000 - 0.8)).toBeLessThan(0.015);
  });

  it('skips deployments whose circuit is open', () => {
    const route = [c('primary', 1, 1), c('twin', 1, 1), c('fallback', 1, 2)];
    const health = healthFrom({ primary: { available: false, retryAt: 5_000 } });
    for (let seed = 0; seed < 20; seed++) {
      const order = orderDeployments(route, { strategy: 'weighted', random: mulberry32(seed), health });
      expect(order).toEqual({ deployments: [route[1], route[2]], allOpen: false });
    }
  });

  it('when every circuit is open, offers only the one that admits a probe soonest', () => {
    const route = [c('a', 1, 1), c('b', 1, 2), c('c', 1, 3)];
    const health = healthFrom({ a: { available: false, retryAt: 30_000 }, b: { available: false, retryAt: 10_000 }, c: { available: false, retryAt: 20_000 } });
    expect(orderDeployments(route, { strategy: 'weighted', random: mulberry32(1), health })).toEqual({ deployments: [route[1]], allOpen: true });
    const tie = healthFrom({ a: { available: false, retryAt: 10_000 }, b: { available: false, retryAt: 10_000 }, c: { available: false, retryAt: 10_000 } });
    expect(orderDeployments(route, { strategy: 'weighted', random: mulberry32(1), health: tie }).deployments).toEqual([route[0]]);
  });

  it('returns nothing for an empty route', () => {
    expect(orderDeployments([], { strategy: 'weighted', random: mulberry32(1), health: () => HEALTHY })).toEqual({ deployments: [], allOpen: false });
  });
});
