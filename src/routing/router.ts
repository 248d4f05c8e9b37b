import type { BalancingStrategy, DeploymentConfig, GuardrailsConfig, ModelConfig } from '../config/types.js';
import { ModelNotFoundError } from '../errors/index.js';
import type { WireFormat } from '../ir/index.js';
import type { Provider } from '../providers/types.js';

export interface Deployment {
  readonly provider: Provider;
  /** Model name sent upstream. */
  readonly model: string;
  /** Identity for circuit breaking and in-flight counts: `provider/model`. */
  readonly key: string;
  readonly weight: number;
  /** Lower is tried first; equal priorities are balanced. */
  readonly priority: number;
  /** This deployment's context window, when known (the route's otherwise). */
  readonly contextWindow: number | undefined;
  /** The formats this deployment may be sent (the provider's, narrowed by the route entry's `api`). */
  readonly formats: readonly WireFormat[];
}

export interface ResolvedRoute {
  /** The configured model entry's name: a bounded label for metrics and logs (`ollama/*` for any wildcard match). */
  readonly name: string;
  /** In configuration order; `priority` decides the order of attempts. */
  readonly deployments: readonly Deployment[];
  readonly contextWindow: number | undefined;
  readonly balancing: BalancingStrategy;
  /** The model entry's cost guardrails (see GuardrailsConfig); undefined for none. */
  readonly guardrails: GuardrailsConfig | undefined;
}

interface WildcardRoute {
  readonly config: ModelConfig;
  readonly prefix: string;
  readonly suffix: string;
}

const API_FORMATS: Readonly<Record<NonNullable<DeploymentConfig['api']>, WireFormat>> = { chat: 'openai-chat', responses: 'openai-responses' };

function splitWildcard(pattern: string): { prefix: string; suffix: string } | undefined {
  const star = pattern.indexOf('*');
  return star < 0 ? undefined : { prefix: pattern.slice(0, star), suffix: pattern.slice(star + 1) };
}

function capture(name: string, prefix: string, suffix: string): string | undefined {
  if (name.length <= prefix.length + suffix.length || !name.startsWith(prefix) || !name.endsWith(suffix)) return undefined;
  return name.slice(prefix.length, name.length - suffix.length);
}

/**
 * Maps the model name a client sends to the deployments that can serve it.
 * Exact names and aliases are resolved with one map lookup to routes built at
 * start-up; wildcard patterns are tried in configuration order after that.
 */
export class Router {
  private readonly exact = new Map<string, ResolvedRoute>();
  private readonly wildcards: WildcardRoute[] = [];
  private readonly names: string[] = [];

  constructor(
    models: readonly ModelConfig[],
    private readonly providers: ReadonlyMap<string, Provider>,
  ) {
    for (const model of models) {
      const wildcard = splitWildcard(model.name);
      if (wildcard) {
        this.wildcards.push({ config: model, ...wildcard });
        continue;
      }
      const route: ResolvedRoute = {
        name: model.name,
        deployments: model.route.map((d) => this.deployment(d, d.model, model)),
        contextWindow: model.contextWindow,
        balancing: model.balancing,
        guardrails: model.guardrails,
      };
      for (const name of [model.name, ...model.aliases]) {
        this.exact.set(name, route);
        this.names.push(name);
      }
    }
  }

  private deployment(config: DeploymentConfig, model: string, route: ModelConfig): Deployment {
    const provider = this.provider(config.provider);
    const formats = config.api === undefined ? provider.formats : provider.formats.filter((f) => f === API_FORMATS[config.api!]);
    if (formats.length === 0) throw new Error(`route '${route.name}': provider '${provider.name}' does not speak the ${config.api} API`);
    return {
      provider,
      formats,
      model,
      key: `${config.provider}/${model}`,
      weight: config.weight,
      priority: config.priority,
      contextWindow: config.contextWindow ?? route.contextWindow,
    };
  }

  private provider(name: string): Provider {
    const provider = this.providers.get(name);
    // The config loader checks this; reaching here means the two disagree.
    if (!provider) throw new Error(`route names unknown provider '${name}'`);
    return provider;
  }

  /** Whether a client may name this model (an exact name, an alias or a wildcard match). */
  has(requested: string): boolean {
    return this.exact.has(requested) || this.wildcards.some((w) => capture(requested, w.prefix, w.suffix) !== undefined);
  }

  /** Throws ModelNotFoundError listing what is available. */
  resolve(requested: string): ResolvedRoute {
    const route = this.exact.get(requested);
    if (route) return route;
    for (const wildcard of this.wildcards) {
      const part = capture(requested, wildcard.prefix, wildcard.suffix);
      if (part === undefined) continue;
      return {
        name: wildcard.config.name,
        deployments: wildcard.config.route.map((d) => this.deployment(d, d.model.replace('*', part), wildcard.config)),
        contextWindow: wildcard.config.contextWindow,
        balancing: wildcard.config.balancing,
        guardrails: wildcard.config.guardrails,
      };
    }
    throw new ModelNotFoundError(requested, this.advertisedNames());
  }

  /** Concrete names and aliases, then wildcard patterns. */
  advertisedNames(): string[] {
    return [...this.names, ...this.wildcards.map((w) => w.config.name)];
  }

  concreteNames(): readonly string[] {
    return this.names;
  }

  /**
   * For each wildcard route whose primary deployment is itself a pattern,
   * the client-facing names of the models its provider offers.
   */
  async discoverWildcardNames(signal: AbortSignal): Promise<string[]> {
    const found = await Promise.allSettled(
      this.wildcards.map(async (wildcard) => {
        const primary = wildcard.config.route[0];
        const upstreamPattern = primary === undefined ? undefined : splitWildcard(primary.model);
        if (!primary || !upstreamPattern) return [];
        const provider = this.provider(primary.provider);
        if (!provider.listModels) return [];
        const upstreamNames = await provider.listModels(signal);
        return upstreamNames.flatMap((upstream) => {
          const part = capture(upstream, upstreamPattern.prefix, upstreamPattern.suffix);
          return part === undefined ? [] : [`${wildcard.prefix}${part}${wildcard.suffix}`];
        });
      }),
    );
    return found.flatMap((result) => (result.status === 'fulfilled' ? result.value : []));
  }
}
