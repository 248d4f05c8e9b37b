/**
 * Orders a route's deployments for one request. Deployments are grouped by
 * `priority` (lower first; the default is the position in the route, so a
 * plain list keeps "first is primary, the rest are fallbacks in order").
 * Within a group the deployments are balanced, every member still being a
 * fallback for the others, and whole groups are fallbacks for the groups
 * before them. Deployments whose circuit is open are skipped.
 *
 * When every deployment is open, the result is the single deployment whose
 * circuit admits a probe soonest, flagged `allOpen`: the caller acquires it
 * with `force`, so the request becomes an early probe. A client thus gets a
 * real attempt (and the real error) instead of a blanket refusal, while the
 * upstream still sees at most one probe at a time per deployment.
 */
import type { BalancingStrategy } from '../config/types.js';
import type { RandomSource } from '../util/random.js';

export type { BalancingStrategy };

export interface BalanceCandidate {
  readonly weight: number;
  readonly priority: number;
}

export interface CandidateHealth {
  /** The circuit admits a request now (closed, or a probe is due). */
  readonly available: boolean;
  /** Requests currently in flight to this deployment. */
  readonly inFlight: number;
  /** For an unavailable deployment: when its circuit admits a probe. */
  readonly retryAt: number | null;
}

export interface OrderOptions<T> {
  readonly strategy: BalancingStrategy;
  readonly random: RandomSource;
  readonly health: (candidate: T) => CandidateHealth;
}

export interface DeploymentOrder<T> {
  /** The deployments to try for this request, in order. */
  readonly deployments: readonly T[];
  /** Every circuit was open: `deployments` holds the one to probe early (acquire it with `force`). */
  readonly allOpen: boolean;
}

/** Picks an index with probability weight / total weight; undefined for an empty list. */
export function pickWeighted(weights: readonly number[], random: RandomSource): number | undefined {
  let total = 0;
  for (const weight of weights) total += weight;
  if (weights.length === 0) return undefined;
  let point = random() * total;
  for (let i = 0; i < weights.length; i++) {
    point -= weights[i] ?? 0;
    if (point < 0) return i;
  }
  // Rounding can leave `point` at exactly 0 after the last weight.
  return weights.length - 1;
}

/** A weighted random permutation: each position is drawn by weight among the items not yet placed. */
export function weightedOrder<T extends { readonly weight: number }>(items: readonly T[], random: RandomSource): T[] {
  if (items.length <= 1) return [...items];
  const rest = [...items];
  const weights = rest.map((item) => item.weight);
  const ordered: T[] = [];
  while (rest.length > 1) {
    const index = pickWeighted(weights, random) ?? 0;
    ordered.push(rest[index] as T);
    rest.splice(index, 1);
    weights.splice(index, 1);
  }
  ordered.push(rest[0] as T);
  return ordered;
}

/**
 * Fewest in-flight requests relative to weight first (a weight-2 deployment
 * is as loaded with 2 requests as a weight-1 one with 1); ties keep a
 * weighted random order.
 */
function leastInFlightOrder<T extends BalanceCandidate>(items: readonly T[], loads: ReadonlyMap<T, number>, random: RandomSource): T[] {
  return weightedOrder(items, random).sort((a, b) => (loads.get(a) ?? 0) - (loads.get(b) ?? 0));
}

export function orderDeployments<T extends BalanceCandidate>(candidates: readonly T[], options: OrderOptions<T>): DeploymentOrder<T> {
  // Most routes have one deployment: nothing to balance, no order to build.
  if (candidates.length === 1) return { deployments: candidates, allOpen: !options.health(candidates[0]!).available };
  const healths = candidates.map((candidate) => options.health(candidate));
  // Stable: equal priorities keep their route order.
  const byPriority = candidates.map((candidate, index) => ({ candidate, index })).sort((a, b) => a.candidate.priority - b.candidate.priority);

  const ordered: T[] = [];
  for (let start = 0; start < byPriority.length; ) {
    const priority = byPriority[start]?.candidate.priority;
    let end = start;
    const group: T[] = [];
    const loads = new Map<T, number>();
    for (; end < byPriority.length && byPriority[end]?.candidate.priority === priority; end++) {
      const entry = byPriority[end];
      const health = entry === undefined ? undefined : healths[entry.index];
      if (entry === undefined || health === undefined || !health.available) continue;
      group.push(entry.candidate);
      loads.set(entry.candidate, health.inFlight / entry.candidate.weight);
    }
    ordered.push(...(options.strategy === 'least_inflight' ? leastInFlightOrder(group, loads, options.random) : weightedOrder(group, options.random)));
    start = end;
  }
  if (ordered.length > 0 || byPriority.length === 0) return { deployments: ordered, allOpen: false };

  // All open: the soonest probe; ties go to the earlier priority, then route position.
  let best = byPriority[0];
  for (const entry of byPriority) {
    const at = healths[entry.index]?.retryAt ?? Number.NEGATIVE_INFINITY;
    const bestAt = best === undefined ? Number.POSITIVE_INFINITY : (healths[best.index]?.retryAt ?? Number.NEGATIVE_INFINITY);
    if (at < bestAt) best = entry;
  }
  return { deployments: best === undefined ? [] : [best.candidate], allOpen: true };
}
