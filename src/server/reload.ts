/**
 * Applies a reloaded configuration to a running gateway (SIGHUP, or a
 * watched file). The new file is loaded and validated first; a file that is
 * invalid, or whose providers or routes cannot be built, is rejected with
 * one log line and the running configuration stays. A valid one replaces,
 * from the next call on: routes, providers (new ones started, removed or
 * changed ones closed once their calls are over), prices, tenants declared
 * in the file (with their budgets and guardrails), the log level and the
 * resilience settings. What is bound at start-up (the listener, the store,
 * auth, notifications) keeps its running value and is logged as needing a
 * restart. Reloads run one at a time.
 */
import type { Logger } from 'pino';
import { ConfigError } from '../config/errors.js';
import { diffConfig, effectiveConfig, type ConfigChanges } from '../config/diff.js';
import type { CircuitBreakerConfig, GatewayConfig, TenantConfig } from '../config/types.js';
import type { PriceBook } from '../metering/pricing.js';
import { preloadEncodings } from '../metering/tokenizer.js';
import { createProvider } from '../providers/registry.js';
import type { Provider, ProviderDependencies } from '../providers/types.js';
import { Router } from '../routing/router.js';
import type { ReloadMetrics } from '../telemetry/reload-metrics.js';
import type { LiveConfig } from './live-config.js';

export type ReloadOutcome =
  | { readonly result: 'ok'; readonly generation: number; readonly changes: ConfigChanges }
  | { readonly result: 'rejected'; readonly reason: string }
  /** The gateway is shutting down: nothing was read. */
  | { readonly result: 'skipped'; readonly reason: string };

export interface ReloaderDeps {
  readonly live: LiveConfig;
  readonly log: Logger;
  readonly metrics: ReloadMetrics;
  readonly prices: PriceBook;
  readonly tenancy: { reconfigure(tenants: readonly TenantConfig[]): Promise<void> };
  readonly states: { retire(provider: string, circuitBreaker: CircuitBreakerConfig): void };
  readonly providerDeps: ProviderDependencies;
  readonly shuttingDown: () => boolean;
  readonly now?: () => number;
}

export class Reloader {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: ReloaderDeps) {}

  /**
   * Loads the configuration with `load` (which throws a ConfigError for an
   * invalid file) and applies it; one reload at a time, in the order asked.
   */
  reload(load: () => GatewayConfig): Promise<ReloadOutcome> {
    const next = this.queue.then(() => this.run(load));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async run(load: () => GatewayConfig): Promise<ReloadOutcome> {
    const { log, metrics, live } = this.deps;
    if (this.deps.shuttingDown()) {
      log.info('configuration reload skipped: the gateway is shutting down');
      return { result: 'skipped', reason: 'shutting down' };
    }
    let next: GatewayConfig;
    try {
      next = load();
    } catch (error) {
      return this.reject(error instanceof ConfigError ? error.message : `cannot load the configuration: ${messageOf(error)}`, error instanceof ConfigError ? { source: error.source, problems: error.problems } : { err: error });
    }
    const current = live.config;
    const changes = diffConfig(current, next);
    const effective = effectiveConfig(current, next);
    let built: { router: Router; providers: Map<string, Provider>; started: Provider[] };
    try {
      built = await this.build(effective, changes);
    } catch (error) {
      return this.reject(`configuration in ${next.source} cannot be applied: ${messageOf(error)}`, { err: error });
    }
    try {
      if (changes.live.includes('tenants')) await this.deps.tenancy.reconfigure(effective.tenants);
    } catch (error) {
      await closeAll(built.started);
      return this.reject(`configuration in ${next.source} cannot be applied: the tenants could not be written to the store: ${messageOf(error)}`, { err: error });
    }

    // From here on nothing fails: the new configuration is served from the next call on.
    const retired = [...changes.providers.removed, ...changes.providers.changed].map((name) => live.providers.get(name)).filter((p): p is Provider => p !== undefined);
    for (const name of changes.providers.changed) {
      const old = live.providers.get(name);
      if (old !== undefined) this.deps.states.retire(name, old.circuitBreaker);
    }
    if (changes.live.includes('pricing')) this.deps.prices.replace(effective.pricing.models, effective.pricing.useDefaults);
    if (changes.live.includes('logging')) log.level = effective.logging.level;
    const generation = live.swap({ config: effective, router: built.router, providers: built.providers }, retired);
    preloadEncodings(effective.models.flatMap((m) => m.route.map((d) => d.model)));
    metrics.reloads.labels('ok').inc();
    metrics.loaded((this.deps.now ?? Date.now)());
    this.report(generation, effective.source, changes, live.callsOnEarlierConfig);
    return { result: 'ok', generation, changes };
  }

  /** The providers and router of `config`: unchanged providers are kept, added and changed ones started. */
  private async build(config: GatewayConfig, changes: ConfigChanges): Promise<{ router: Router; providers: Map<string, Provider>; started: Provider[] }> {
    const fresh = new Set([...changes.providers.added, ...changes.providers.changed]);
    const providers = new Map<string, Provider>();
    const started: Provider[] = [];
    try {
      for (const provider of config.providers) {
        const kept = fresh.has(provider.name) ? undefined : this.deps.live.providers.get(provider.name);
        if (kept !== undefined) {
          providers.set(provider.name, kept);
          continue;
        }
        const created = await createProvider(provider, this.deps.providerDeps);
        started.push(created);
        providers.set(provider.name, created);
      }
      return { router: new Router(config.models, providers), providers, started };
    } catch (error) {
      await closeAll(started);
      throw error;
    }
  }

  private reject(message: string, details: Record<string, unknown>): ReloadOutcome {
    this.deps.metrics.reloads.labels('rejected').inc();
    this.deps.log.error(details, `configuration reload rejected; the running configuration stays. ${message}`);
    return { result: 'rejected', reason: message };
  }

  private report(generation: number, source: string, changes: ConfigChanges, earlierCalls: number): void {
    const { routes, providers } = changes;
    this.deps.log.info(
      {
        config: source,
        generation,
        routes_added: routes.added,
        routes_removed: routes.removed,
        routes_changed: routes.changed,
        providers_added: providers.added,
        providers_removed: providers.removed,
        providers_changed: providers.changed,
        changed: changes.live,
        calls_on_earlier_config: earlierCalls,
      },
      `configuration reloaded (${summary(changes)}); calls in flight finish on the configuration they started with`,
    );
    if (changes.needsRestart.length > 0) {
      this.deps.log.warn(
        { needs_restart: changes.needsRestart },
        `configuration reload: ${changes.needsRestart.join(', ')} changed in the file and needs a restart; the running value stays until then`,
      );
    }
  }
}

function summary(changes: ConfigChanges): string {
  const parts: string[] = [];
  const named = (what: string, c: ConfigChanges['routes']): void => {
    if (c.added.length > 0) parts.push(`${what} added: ${c.added.join(', ')}`);
    if (c.removed.length > 0) parts.push(`${what} removed: ${c.removed.join(', ')}`);
    if (c.changed.length > 0) parts.push(`${what} changed: ${c.changed.join(', ')}`);
  };
  named('routes', changes.routes);
  named('providers', changes.providers);
  if (changes.live.length > 0) parts.push(`changed: ${changes.live.join(', ')}`);
  return parts.length === 0 ? 'no changes' : parts.join('; ');
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function closeAll(providers: readonly Provider[]): Promise<void> {
  await Promise.allSettled(providers.map((p) => p.close()));
}
