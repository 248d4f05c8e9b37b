/**
 * The live state of each deployment, keyed `provider/model` (the upstream
 * model, after wildcard substitution): requests in flight (for least
 * in-flight balancing), a circuit breaker and a retry budget. One registry
 * lives in the composition root; nothing here is module-level.
 */
import type { CircuitBreakerConfig, RetryBudgetConfig } from '../config/types.js';
import { RetryBudget } from '../upstream/retry-budget.js';
import type { Clock } from '../util/clock.js';
import type { CandidateHealth } from './balancer.js';
import { CircuitBreaker, type BreakerOutcome, type CircuitSnapshot, type CircuitStateChange } from './circuit-breaker.js';

export function deploymentKey(provider: string, model: string): string {
  return `${provider}/${model}`;
}

/** The resilience settings of a deployment's provider. */
export interface DeploymentPolicy {
  readonly circuitBreaker: CircuitBreakerConfig;
  readonly retryBudget: RetryBudgetConfig;
}

export interface DeploymentSnapshot extends CircuitSnapshot {
  readonly inFlight: number;
}

/** One attempt in flight; `end` exactly once (extra calls are ignored). */
export interface Lease {
  /** The attempt is the circuit's half-open probe. */
  readonly probe: boolean;
  end(outcome: BreakerOutcome): void;
}

export class DeploymentState {
  private inFlightCount = 0;
  readonly breaker: CircuitBreaker;
  readonly budget: RetryBudget;

  constructor(
    readonly key: string,
    policy: DeploymentPolicy,
    clock: Clock,
    onStateChange: ((key: string, change: CircuitStateChange) => void) | undefined,
  ) {
    this.breaker = new CircuitBreaker(policy.circuitBreaker, clock, onStateChange === undefined ? undefined : (change) => onStateChange(key, change));
    this.budget = new RetryBudget(policy.retryBudget, clock);
  }

  get inFlight(): number {
    return this.inFlightCount;
  }

  health(): CandidateHealth {
    return { available: this.breaker.isAvailable(), inFlight: this.inFlightCount, retryAt: this.breaker.nextAttemptAt };
  }

  /** Admits one attempt through the circuit breaker and counts it in flight; undefined when the circuit refuses. */
  begin(options: { readonly force?: boolean } = {}): Lease | undefined {
    const ticket = this.breaker.acquire(options);
    if (ticket === undefined) return undefined;
    this.inFlightCount++;
    let ended = false;
    return {
      probe: ticket.probe,
      end: (outcome: BreakerOutcome): void => {
        if (ended) return;
        ended = true;
        this.inFlightCount--;
        this.breaker.record(ticket, outcome);
      },
    };
  }

  snapshot(): DeploymentSnapshot {
    return { ...this.breaker.snapshot(), inFlight: this.inFlightCount };
  }
}

export interface DeploymentStatesOptions {
  readonly clock: Clock;
  /** Every circuit state change, with the deployment's key (metrics, logs). Must not throw. */
  readonly onStateChange?: (key: string, change: CircuitStateChange) => void;
  /**
   * Wildcard routes let clients name upstream models, so keys are not a
   * closed set: beyond this many, idle deployments with a closed circuit
   * are forgotten, least recently used first.
   */
  readonly maxEntries?: number;
}

const DEFAULT_MAX_ENTRIES = 1024;

const UNKNOWN_HEALTH: CandidateHealth = { available: true, inFlight: 0, retryAt: null };

export class DeploymentStates {
  private readonly states = new Map<string, DeploymentState>();
  private readonly maxEntries: number;
  /** Breaker settings of providers a reload replaced: calls still on the old provider get states that are not kept. */
  private readonly retired = new WeakSet<CircuitBreakerConfig>();

  constructor(private readonly options: DeploymentStatesOptions) {
    this.maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
  }

  /** The state of a deployment, created with `policy` on first use. */
  get(key: string, policy: DeploymentPolicy): DeploymentState {
    // A call that started before its provider was replaced must neither reuse nor seed the new provider's state.
    if (this.retired.has(policy.circuitBreaker)) return new DeploymentState(key, policy, this.options.clock, undefined);
    const existing = this.states.get(key);
    if (existing !== undefined) {
      // Re-insert: Map order is then least recently used first.
      this.states.delete(key);
      this.states.set(key, existing);
      return existing;
    }
    if (this.states.size >= this.maxEntries) this.evict();
    const state = new DeploymentState(key, policy, this.options.clock, this.options.onStateChange);
    this.states.set(key, state);
    return state;
  }

  /** Health for the balancer; a deployment never used yet is available and idle. */
  health(key: string): CandidateHealth {
    return this.states.get(key)?.health() ?? UNKNOWN_HEALTH;
  }

  /** Every known deployment's state, for `/readyz` details. */
  snapshot(): Record<string, DeploymentSnapshot> {
    const result: Record<string, DeploymentSnapshot> = {};
    for (const [key, state] of this.states) result[key] = state.snapshot();
    return result;
  }

  /**
   * Forgets the deployments of a provider a configuration reload replaced
   * (its settings changed): the new provider's deployments start with a
   * closed circuit and a fresh retry budget under the new settings. An open
   * circuit is reported closed (reason `reconfigured`). `circuitBreaker` is
   * the replaced provider's own settings object.
   */
  retire(provider: string, circuitBreaker: CircuitBreakerConfig): void {
    this.retired.add(circuitBreaker);
    const prefix = `${provider}/`;
    for (const [key, state] of this.states) {
      if (!key.startsWith(prefix)) continue;
      this.states.delete(key);
      const from = state.breaker.state;
      if (from !== 'closed') this.options.onStateChange?.(key, { from, to: 'closed', reason: 'reconfigured', at: this.options.clock.now(), coolDownMs: undefined });
    }
  }

  get size(): number {
    return this.states.size;
  }

  private evict(): void {
    for (const [key, state] of this.states) {
      if (this.states.size < this.maxEntries) return;
      // A deployment that is busy or unhealthy keeps its state: forgetting it would reset its breaker.
      if (state.inFlight === 0 && state.breaker.state === 'closed') this.states.delete(key);
    }
  }
}
