/**
 * `GET /admin/v1/routes`: the routes as configured (the live generation, so a
 * reload shows at once), each deployment with its circuit breaker's state on
 * this replica, and the providers without anything secret (no API key, no
 * extra headers: their values are credentials).
 */
import type { DeploymentConfig, GatewayConfig, ModelConfig, ProviderConfig } from '../../config/types.js';
import { deploymentKey, type DeploymentSnapshot } from '../../routing/deployment-state.js';

export interface CircuitView {
  readonly state: DeploymentSnapshot['state'];
  readonly consecutive_failures: number;
  /** When a probe is next admitted (ISO time); null while closed. */
  readonly retry_at: string | null;
  readonly recent_requests: number;
  readonly recent_failures: number;
}

export interface DeploymentView {
  readonly provider: string;
  readonly provider_kind: ProviderConfig['kind'] | null;
  readonly model: string;
  readonly priority: number;
  readonly weight: number;
  /** `primary` for the deployments tried first (the lowest priority), `fallback` for the rest. */
  readonly role: 'primary' | 'fallback';
  readonly api: DeploymentConfig['api'] | null;
  /** Null for a wildcard route's pattern: its circuits are per model a client named (see `active`). */
  readonly circuit: CircuitView | null;
  readonly in_flight: number;
}

export interface RouteView {
  readonly model: string;
  readonly aliases: readonly string[];
  readonly wildcard: boolean;
  readonly balancing: ModelConfig['balancing'];
  readonly context_window: number | null;
  readonly description: string | null;
  /** In the order they are attempted: by priority, then as configured. */
  readonly deployments: readonly DeploymentView[];
}

export interface ProviderView {
  readonly name: string;
  readonly kind: ProviderConfig['kind'];
  readonly base_url: string;
  readonly max_connections: number;
  readonly timeouts_ms: { readonly connect: number; readonly first_byte: number; readonly idle: number; readonly total: number };
  /** Circuits of this provider's deployments seen so far (wildcard routes make one per model named). */
  readonly deployments: readonly { readonly model: string; readonly circuit: CircuitView; readonly in_flight: number }[];
}

export interface RoutesView {
  readonly object: 'list';
  readonly data: readonly RouteView[];
  readonly providers: readonly ProviderView[];
}

function circuitView(snapshot: DeploymentSnapshot): CircuitView {
  return {
    state: snapshot.state,
    consecutive_failures: snapshot.consecutiveFailures,
    retry_at: snapshot.retryAt === null ? null : new Date(snapshot.retryAt).toISOString(),
    recent_requests: snapshot.recentRequests,
    recent_failures: snapshot.recentFailures,
  };
}

/** A deployment no call has used yet: closed and idle. */
const UNUSED: CircuitView = { state: 'closed', consecutive_failures: 0, retry_at: null, recent_requests: 0, recent_failures: 0 };

function routeView(model: ModelConfig, kinds: ReadonlyMap<string, ProviderConfig['kind']>, circuits: Readonly<Record<string, DeploymentSnapshot>>): RouteView {
  const wildcard = model.name.includes('*');
  const ordered = model.route.map((d, index) => ({ d, index })).sort((a, b) => a.d.priority - b.d.priority || a.index - b.index);
  const first = ordered[0]?.d.priority;
  return {
    model: model.name,
    aliases: model.aliases,
    wildcard,
    balancing: model.balancing,
    context_window: model.contextWindow ?? null,
    description: model.description ?? null,
    deployments: ordered.map(({ d }) => {
      const snapshot = wildcard ? undefined : circuits[deploymentKey(d.provider, d.model)];
      return {
        provider: d.provider,
        provider_kind: kinds.get(d.provider) ?? null,
        model: d.model,
        priority: d.priority,
        weight: d.weight,
        role: d.priority === first ? 'primary' : 'fallback',
        api: d.api ?? null,
        circuit: wildcard ? null : snapshot === undefined ? UNUSED : circuitView(snapshot),
        in_flight: snapshot?.inFlight ?? 0,
      };
    }),
  };
}

function providerView(provider: ProviderConfig, circuits: Readonly<Record<string, DeploymentSnapshot>>): ProviderView {
  const prefix = `${provider.name}/`;
  const deployments = Object.entries(circuits)
    .filter(([key]) => key.startsWith(prefix))
    .map(([key, snapshot]) => ({ model: key.slice(prefix.length), circuit: circuitView(snapshot), in_flight: snapshot.inFlight }))
    .sort((a, b) => a.model.localeCompare(b.model));
  return {
    name: provider.name,
    kind: provider.kind,
    base_url: provider.baseUrl,
    max_connections: provider.maxConnections,
    timeouts_ms: { connect: provider.timeouts.connectMs, first_byte: provider.timeouts.firstByteMs, idle: provider.timeouts.idleMs, total: provider.timeouts.totalMs },
    deployments,
  };
}

export function routesView(config: Pick<GatewayConfig, 'models' | 'providers'>, circuits: Readonly<Record<string, DeploymentSnapshot>>): RoutesView {
  const kinds = new Map(config.providers.map((p) => [p.name, p.kind]));
  return {
    object: 'list',
    data: config.models.map((m) => routeView(m, kinds, circuits)),
    providers: config.providers.map((p) => providerView(p, circuits)),
  };
}
