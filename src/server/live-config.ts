/**
 * The part of the gateway a configuration reload replaces: the
 * configuration, the router and the providers it routes to, as one
 * generation. A call takes what it uses from the generation current when it
 * starts (its route, with the providers in it, is resolved then), so a
 * reload never changes a call under way. Providers a reload removes or
 * replaces are closed once no call that could still use them is open.
 */
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/types.js';
import type { Admission, RequestPolicy } from '../pipeline/contracts.js';
import type { Provider } from '../providers/types.js';
import type { Router } from '../routing/router.js';

export interface LiveParts {
  readonly config: GatewayConfig;
  readonly router: Router;
  readonly providers: ReadonlyMap<string, Provider>;
}

/** One configuration as served, and how many calls that started under it are still open. */
class Generation {
  open = 0;
  /** The same admission for every call of the generation: admitting a call allocates nothing. */
  readonly admission: Admission;

  constructor(
    readonly number: number,
    readonly parts: LiveParts,
    release: (generation: Generation) => void,
  ) {
    this.admission = { handle: { settle: () => release(this) } };
  }
}

/** Providers taken out of service by the reload that made generation `by`. */
interface Retirement {
  readonly by: number;
  readonly providers: readonly Provider[];
}

/**
 * The live configuration. It is also the pipeline's first policy: admitting
 * a call counts it against the current generation until it settles, which is
 * how a retired provider knows when it may close. It must come first: the
 * pipeline resolves a call's route and admits it with the first policy in the
 * same synchronous step, so the generation counted is the one routed with.
 */
export class LiveConfig implements RequestPolicy {
  readonly name = 'config-generation';
  private current: Generation;
  /** Older generations with calls still open. */
  private readonly draining = new Set<Generation>();
  private retirements: Retirement[] = [];
  private closed = false;

  constructor(
    parts: LiveParts,
    private readonly log: Logger,
  ) {
    this.current = new Generation(1, parts, (g) => this.release(g));
  }

  get config(): GatewayConfig {
    return this.current.parts.config;
  }

  get router(): Router {
    return this.current.parts.router;
  }

  get providers(): ReadonlyMap<string, Provider> {
    return this.current.parts.providers;
  }

  /** 1 at start-up, one more per applied reload. */
  get generation(): number {
    return this.current.number;
  }

  /** Calls still open that started under an earlier configuration. */
  get callsOnEarlierConfig(): number {
    let open = 0;
    for (const generation of this.draining) open += generation.open;
    return open;
  }

  admit(): Admission {
    this.current.open++;
    return this.current.admission;
  }

  /**
   * Serves `parts` from the next call on. `retired` are providers of the
   * running generation that `parts` no longer holds: each is closed when
   * every call that started before this swap has settled. (A call keeps its
   * route, but a budget downgrade may route it again later, on whatever
   * generation is current then: so every earlier call counts, not only those
   * of the generation the providers belonged to.)
   */
  swap(parts: LiveParts, retired: readonly Provider[]): number {
    const previous = this.current;
    this.current = new Generation(previous.number + 1, parts, (g) => this.release(g));
    if (previous.open > 0) this.draining.add(previous);
    if (retired.length > 0) this.retirements.push({ by: this.current.number, providers: retired });
    this.closeRetired();
    return this.current.number;
  }

  /** Closes every provider, current and retired (after the calls have ended: shutdown). */
  async close(): Promise<void> {
    this.closed = true;
    const providers = [...this.current.parts.providers.values(), ...this.retirements.flatMap((r) => r.providers)];
    this.retirements = [];
    await Promise.allSettled(providers.map((p) => p.close()));
  }

  private release(generation: Generation): void {
    generation.open--;
    if (generation.open > 0 || generation === this.current) return;
    this.draining.delete(generation);
    this.closeRetired();
  }

  private closeRetired(): void {
    if (this.closed || this.retirements.length === 0) return;
    let oldestOpen = Infinity;
    for (const generation of this.draining) oldestOpen = Math.min(oldestOpen, generation.number);
    const ready = this.retirements.filter((r) => r.by <= oldestOpen);
    if (ready.length === 0) return;
    this.retirements = this.retirements.filter((r) => r.by > oldestOpen);
    for (const provider of ready.flatMap((r) => r.providers)) {
      provider.close().then(
        () => this.log.info({ provider: provider.name }, `provider '${provider.name}' closed: no call uses its previous configuration any more`),
        (error: unknown) => this.log.warn({ provider: provider.name, err: error }, `closing the replaced provider '${provider.name}' failed`),
      );
    }
  }
}
