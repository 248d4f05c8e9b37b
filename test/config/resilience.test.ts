import { describe, expect, it } from 'vitest';
import { DEFAULT_CIRCUIT_BREAKER, DEFAULT_RETRY } from '../../src/config/constants.js';
import { ConfigError, describeRoutes, parseConfigText } from '../../src/config/index.js';

function problems(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfigText(text, 'bad.yaml', env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.problems.map((p) => `${p.path}${p.line === undefined ? '' : ` (line ${p.line})`}: ${p.message}`);
  }
  throw new Error('expected a ConfigError');
}

const MODELS = 'models:\n  - name: m\n    route: [local/m]\n';
const LOCAL = 'providers:\n  - name: local\n    kind: ollama\n';

describe('resilience configuration', () => {
  it('applies the documented defaults', () => {
    const text = `providers:
  - { name: local, kind: ollama }
  - { name: openai, kind: openai, api_key: k }
  - { name: vllm, kind: openai-compatible, base_url: "http://v/v1" }
${MODELS}`;
    const config = parseConfigText(text, 't.yaml', {});
    expect(config.resilience).toEqual({ retry: DEFAULT_RETRY, circuitBreaker: DEFAULT_CIRCUIT_BREAKER });
    expect(DEFAULT_RETRY).toEqual({
      maxAttempts: 3,
      baseDelayMs: 250,
      maxDelayMs: 8_000,
      multiplier: 2,
      maxRetryAfterMs: 20_000,
      budget: { ratio: 0.2, windowMs: 10_000, minPerSecond: 3 },
    });
    expect(DEFAULT_CIRCUIT_BREAKER).toEqual({
      enabled: true,
      consecutiveFailures: 5,
      failureRate: 0.5,
      minRequests: 10,
      windowMs: 60_000,
      coolDownMs: 30_000,
      maxCoolDownMs: 300_000,
      countRateLimits: false,
    });
    expect(config.providers.map((p) => [p.name, p.timeouts.totalMs])).toEqual([
      ['local', 600_000],
      ['openai', 300_000],
      ['vllm', 600_000],
    ]);
    for (const provider of config.providers) {
      expect(provider.retry).toEqual(DEFAULT_RETRY);
      expect(provider.circuitBreaker).toEqual(DEFAULT_CIRCUIT_BREAKER);
    }
    expect(config.models[0]?.balancing).toBe('weighted');
  });

  it('lays the global block over the defaults and a provider override over the global block', () => {
    const text = `resilience:
  retry:
    max_attempts: 2
    base_delay: 100ms
    budget: { ratio: 0.1 }
  circuit_breaker:
    cool_down: 10s
    count_rate_limits: true
providers:
  - name: local
    kind: ollama
    timeouts: { total: 15m }
    retry:
      max_attempts: 4
      max_retry_after: 5s
      budget: { min_per_second: 1 }
    circuit_breaker: { consecutive_failures: 2, enabled: "\${BREAKER:-true}" }
  - { name: openai, kind: openai, api_key: k, timeouts: { total: 0 } }
${MODELS}`;
    const config = parseConfigText(text, 't.yaml', { BREAKER: 'false' });
    const [local, openai] = config.providers;
    expect(config.resilience.retry).toEqual({ ...DEFAULT_RETRY, maxAttempts: 2, baseDelayMs: 100, budget: { ...DEFAULT_RETRY.budget, ratio: 0.1 } });
    expect(config.resilience.circuitBreaker).toEqual({ ...DEFAULT_CIRCUIT_BREAKER, coolDownMs: 10_000, countRateLimits: true });
    expect(openai?.retry).toEqual(config.resilience.retry);
    expect(openai?.circuitBreaker).toEqual(config.resilience.circuitBreaker);
    expect(openai?.timeouts.totalMs).toBe(0);
    expect(local?.timeouts.totalMs).toBe(900_000);
    expect(local?.retry).toEqual({
      ...DEFAULT_RETRY,
      maxAttempts: 4,
      baseDelayMs: 100,
      maxRetryAfterMs: 5_000,
      budget: { ratio: 0.1, windowMs: 10_000, minPerSecond: 1 },
    });
    expect(local?.circuitBreaker).toEqual({ ...DEFAULT_CIRCUIT_BREAKER, coolDownMs: 10_000, countRateLimits: true, consecutiveFailures: 2, enabled: false });
  });

  it('gives route entries their position as default priority, and reads priority, context_window and balancing', () => {
    const text = `providers:
  - { name: local, kind: ollama }
  - { name: vllm, kind: openai-compatible, base_url: "http://v/v1" }
models:
  - name: m
    balancing: least_inflight
    context_window: 131072
    route:
      - { provider: local, model: m, context_window: 32768 }
      - { provider: vllm, model: m, priority: 1, weight: 2 }
      - vllm/m-big
`;
    const model = parseConfigText(text, 't.yaml', {}).models[0];
    expect(model?.balancing).toBe('least_inflight');
    expect(model?.route).toEqual([
      { provider: 'local', model: 'm', weight: 1, priority: 1, contextWindow: 32_768 },
      { provider: 'vllm', model: 'm', weight: 2, priority: 1 },
      { provider: 'vllm', model: 'm-big', weight: 1, priority: 3 },
    ]);
  });

  it('reports mistakes with their path and line', () => {
    const text = `resilience:
  retry:
    max_attemps: 3
  circuit_breaker:
    failure_rate: 1.5
    window: 0
providers:
  - name: local
    kind: ollama
    retry: { max_attempts: 0, multiplier: 0.5 }
models:
  - name: m
    balancing: round_robin
    route:
      - { provider: local, model: m, priority: -1 }
`;
    expect(problems(text)).toEqual([
      "resilience.retry.max_attemps (line 3): unknown key 'max_attemps' — did you mean 'max_attempts'?",
      'resilience.circuit_breaker.failure_rate (line 5): expected a number <= 1, got 1.5',
      'resilience.circuit_breaker.window (line 6): expected a duration greater than 0',
      'providers[0].retry.max_attempts (line 10): expected a number >= 1, got 0',
      'providers[0].retry.multiplier (line 10): expected a number >= 1, got 0.5',
      'models[0].balancing (line 13): expected one of: weighted, least_inflight',
      'models[0].route[0].priority (line 15): expected a number >= 0, got -1',
    ]);
  });

  it('rejects a maximum cool-down below the cool-down, where it is configured', () => {
    expect(problems(`resilience:\n  circuit_breaker: { cool_down: 1m, max_cool_down: 30s }\n${LOCAL}${MODELS}`)).toEqual([
      'resilience.circuit_breaker.max_cool_down (line 2): expected max_cool_down to be at least cool_down',
    ]);
    expect(problems(`${LOCAL}    circuit_breaker: { cool_down: 10m }\n${MODELS}`)).toEqual([
      'providers[0].circuit_breaker (line 4): expected max_cool_down to be at least cool_down',
    ]);
  });

  it('describes the policies, the priority groups and the per-provider overrides', () => {
    const text = `providers:
  - name: local
    kind: ollama
    retry: { max_attempts: 1 }
  - { name: vllm, kind: openai-compatible, base_url: "http://v/v1" }
models:
  - name: m
    balancing: least_inflight
    route:
      - local/m
      - { provider: vllm, model: m, priority: 1, weight: 2 }
      - { provider: vllm, model: m-big, context_window: 200000 }
`;
    const output = describeRoutes(parseConfigText(text, 't.yaml', {}));
    expect(output).toContain(
      'Retries: up to 3 attempts per deployment, backoff 250ms..8s (x2, full jitter), Retry-After up to 20s, budget 20% of requests + 3/s over 10s',
    );
    expect(output).toContain('Circuit breaker: opens after 5 failures in a row or 50% of >= 10 requests in 1m, open 30s..5m');
    expect(output).toMatch(/m\s+m\s+-\s+local\/m \| vllm\/m \(weight 2\) -> vllm\/m-big \(context 200000\) \[least in-flight\]$/m);
    expect(output).toMatch(/local\s+ollama\s.*total 10m; max connections 64; retries: off \(1 attempt per deployment\)$/m);
    expect(output).toMatch(/vllm\s+openai-compatible\s.*total 10m; max connections 64$/m);
  });
});
