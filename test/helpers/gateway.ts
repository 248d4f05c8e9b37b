import pino from 'pino';
import type { GatewayConfig, ModelConfig, ProviderConfig, ProviderKind } from '../../src/config/types.js';
import { startGateway } from '../../src/gateway.js';
import type { Gateway, GatewayOptions } from '../../src/gateway.js';

type ProviderInput = { name: string; kind: ProviderKind; baseUrl?: string; apiKey?: string } & Partial<Omit<ProviderConfig, 'name' | 'kind'>> &
  Record<string, unknown>;

const BASE_URLS: Record<ProviderKind, string> = {
  openai: 'https://api.openai.com/v1',
  'openai-compatible': '',
  ollama: 'http://127.0.0.1:11434',
  mock: '',
};

/** A resolved provider config with test-friendly defaults (short timeouts). */
export function provider(input: ProviderInput): ProviderConfig {
  const base = {
    baseUrl: BASE_URLS[input.kind],
    apiKey: '',
    headers: {},
    requestDefaults: {},
    maxConnections: 16,
    timeouts: { connectMs: 2_000, firstByteMs: 5_000, idleMs: 5_000 },
    ...(input.kind === 'mock' ? { latencyMs: 0, tokensPerSecond: 0, scripts: {} } : {}),
  };
  return { ...base, ...input } as ProviderConfig;
}

/** `route` entries as `provider/model` strings, like the YAML. */
export function model(name: string, route: string[], extra: Partial<ModelConfig> = {}): ModelConfig {
  return {
    name,
    aliases: [],
    route: route.map((entry) => {
      const slash = entry.indexOf('/');
      return { provider: entry.slice(0, slash), model: entry.slice(slash + 1), weight: 1 };
    }),
    ...extra,
  };
}

export function config(providers: ProviderConfig[], models: ModelConfig[], server: Partial<GatewayConfig['server']> = {}): GatewayConfig {
  return {
    server: { host: '127.0.0.1', port: 0, bodyLimitBytes: 10 * 1024 * 1024, shutdownGraceMs: 1_000, streamKeepaliveMs: 20_000, ...server },
    logging: { level: 'silent' },
    store: { kind: 'sqlite', path: ':memory:' },
    providers,
    models,
    source: 'test',
  };
}

export const silentLog = pino({ level: 'silent' });

/** Starts a gateway on an ephemeral loopback port. */
export async function startTestGateway(cfg: GatewayConfig, options: Partial<GatewayOptions> = {}): Promise<Gateway> {
  return startGateway(cfg, { log: silentLog, port: 0, host: '127.0.0.1', ...options });
}
