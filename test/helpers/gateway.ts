import { DEFAULT_PRICING } from '../../src/config/pricing-schema.js';
import pino from 'pino';
import { DEFAULT_CIRCUIT_BREAKER, DEFAULT_RETRY } from '../../src/config/constants.js';
import type { GatewayConfig, ModelConfig, ProviderConfig, ProviderKind, ResilienceConfig, RetryConfig } from '../../src/config/types.js';
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

/** The production retry policy with waits short enough for tests. */
export const TEST_RETRY: RetryConfig = { ...DEFAULT_RETRY, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 1_000 };

export const TEST_RESILIENCE: ResilienceConfig = { retry: TEST_RETRY, circuitBreaker: DEFAULT_CIRCUIT_BREAKER };

/** A resolved provider config with test-friendly defaults (short timeouts and backoff). */
export function provider(input: ProviderInput): ProviderConfig {
  const base = {
    baseUrl: BASE_URLS[input.kind],
    apiKey: '',
    headers: {},
    requestDefaults: {},
    maxConnections: 16,
    timeouts: { connectMs: 2_000, firstByteMs: 5_000, idleMs: 5_000, totalMs: 30_000 },
    retry: TEST_RESILIENCE.retry,
    circuitBreaker: TEST_RESILIENCE.circuitBreaker,
    ...(input.kind === 'mock' ? { latencyMs: 0, tokensPerSecond: 0, scripts: {} } : {}),
  };
  return { ...base, ...input } as ProviderConfig;
}

/** `route` entries as `provider/model` strings, like the YAML. */
export function model(name: string, route: string[], extra: Partial<ModelConfig> = {}): ModelConfig {
  return {
    name,
    aliases: [],
    route: route.map((entry, index) => {
      const slash = entry.indexOf('/');
      return { provider: entry.slice(0, slash), model: entry.slice(slash + 1), weight: 1, priority: index + 1 };
    }),
    balancing: 'weighted',
    ...extra,
  };
}

export function config(providers: ProviderConfig[], models: ModelConfig[], server: Partial<GatewayConfig['server']> = {}): GatewayConfig {
  return {
    server: { host: '127.0.0.1', port: 0, bodyLimitBytes: 10 * 1024 * 1024, shutdownGraceMs: 1_000, shutdownDelayMs: 0, streamKeepaliveMs: 20_000, headersTimeoutMs: 30_000, requestTimeoutMs: 60_000, maxConnections: 768, upstreamReplyLimitBytes: 64 * 1024 * 1024, ...server },
    auth: { adminToken: undefined, anonymousTenant: undefined, trustedProxy: undefined },
    tenants: [],
    notifications: {},
    logging: { level: 'silent' },
    store: { kind: 'sqlite', path: ':memory:' },
    resilience: TEST_RESILIENCE,
    pricing: DEFAULT_PRICING,
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
