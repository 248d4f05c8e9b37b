/**
 * What a configuration reload changes. Pure functions over two resolved
 * configurations: which routes and providers were added, removed or changed,
 * which other live sections changed, and which settings changed in the file
 * but can only take effect at a restart (they keep their running value).
 */
import type { GatewayConfig, ModelConfig, ProviderConfig } from './types.js';

export interface NamedChanges {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly changed: readonly string[];
}

export interface ConfigChanges {
  /** Model entries (the names clients send), by name. */
  readonly routes: NamedChanges;
  /** Providers by name; `changed` includes a change of the resilience settings they inherit. */
  readonly providers: NamedChanges;
  /** Other sections applied live that changed: `pricing`, `tenants`, `logging`, `resilience`. */
  readonly live: readonly string[];
  /** Settings that changed in the file but keep their running value until a restart, as YAML paths (`server.port`). */
  readonly needsRestart: readonly string[];
}

/**
 * Sections a reload applies. `models` and `providers` are diffed by name;
 * `resilience` reaches the gateway through each provider's resolved settings.
 * Everything else (server, store, auth, notifications, and sections added
 * later) is bound at start-up: listeners, pools and stores hold it.
 */
const LIVE_SECTIONS: ReadonlySet<string> = new Set(['models', 'providers', 'pricing', 'tenants', 'logging', 'resilience', 'source'] satisfies readonly (keyof GatewayConfig)[]);
/** Parts of a live section that are bound at start-up all the same (the budget policy reads `pricing.unpriced` once). */
const RESTART_ONLY_IN_LIVE: Readonly<Record<string, readonly string[]>> = { pricing: ['unpriced'] };

/** Compares two values of a resolved configuration (plain data: objects, arrays, primitives, in schema order). */
function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function byName<T extends { readonly name: string }>(current: readonly T[], next: readonly T[]): NamedChanges {
  const before = new Map(current.map((item) => [item.name, item]));
  const after = new Map(next.map((item) => [item.name, item]));
  return {
    added: [...after.keys()].filter((name) => !before.has(name)),
    removed: [...before.keys()].filter((name) => !after.has(name)),
    changed: [...after].filter(([name, item]) => before.has(name) && !same(before.get(name), item)).map(([name]) => name),
  };
}

/** `shutdownGraceMs` → `shutdown_grace`: the YAML key a resolved setting was read from. */
function yamlKey(key: string): string {
  return key
    .replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)
    .replace(/_(ms|bytes)$/, '');
}

/** The changed settings of one restart-only section, as YAML paths (the section itself when it appeared or went). */
function changedPaths(section: string, before: unknown, after: unknown): string[] {
  if (same(before, after)) return [];
  if (!isRecord(before) || !isRecord(after)) return [section];
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((key) => !same(before[key], after[key])).map((key) => `${section}.${yamlKey(key)}`);
}

function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function diffConfig(current: GatewayConfig, next: GatewayConfig): ConfigChanges {
  const live: string[] = [];
  const needsRestart: string[] = [];
  // Spread: the sections as a plain record, to walk them whatever sections later releases add.
  const before: Readonly<Record<string, unknown>> = { ...current };
  const after: Readonly<Record<string, unknown>> = { ...next };
  for (const section of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (!LIVE_SECTIONS.has(section)) {
      needsRestart.push(...changedPaths(section, before[section], after[section]));
      continue;
    }
    if (section === 'models' || section === 'providers' || section === 'source') continue;
    const fixed = RESTART_ONLY_IN_LIVE[section] ?? [];
    const beforeLive = withoutKeys(before[section], fixed);
    const afterLive = withoutKeys(after[section], fixed);
    if (!same(beforeLive, afterLive)) live.push(section);
    for (const key of fixed) {
      if (!same(recordOf(before[section])[key], recordOf(after[section])[key])) needsRestart.push(`${section}.${yamlKey(key)}`);
    }
  }
  return {
    routes: byName<ModelConfig>(current.models, next.models),
    providers: byName<ProviderConfig>(current.providers, next.providers),
    live,
    needsRestart,
  };
}

function recordOf(value: unknown): Readonly<Record<string, unknown>> {
  return isRecord(value) ? value : {};
}

function withoutKeys(value: unknown, keys: readonly string[]): unknown {
  if (!isRecord(value) || keys.length === 0) return value;
  return Object.fromEntries(Object.entries(value).filter(([key]) => !keys.includes(key)));
}

/**
 * The configuration a reload runs on: `next`, with every setting that needs a
 * restart kept at its running value, so that what the gateway reports
 * (`gateway.config`) is what it does.
 */
export function effectiveConfig(current: GatewayConfig, next: GatewayConfig): GatewayConfig {
  // Every section not named here (server, store, redis, auth, notifications, any added later) keeps its running value.
  return Object.freeze({
    ...current,
    models: next.models,
    providers: next.providers,
    tenants: next.tenants,
    logging: next.logging,
    resilience: next.resilience,
    source: next.source,
    // The budget policy reads `unpriced` once, at start-up (RESTART_ONLY_IN_LIVE).
    pricing: Object.freeze({ ...next.pricing, unpriced: current.pricing.unpriced }),
  });
}

/** True when nothing at all changed. */
export function isUnchanged(changes: ConfigChanges): boolean {
  const { routes, providers } = changes;
  return [routes, providers].every((c) => c.added.length + c.removed.length + c.changed.length === 0) && changes.live.length === 0 && changes.needsRestart.length === 0;
}
