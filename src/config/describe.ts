/**
 * A readable summary of a resolved configuration for `tollgate check-config`.
 * It shows where every model name goes and which upstreams exist, but never a
 * secret: API keys appear as set/unset, headers by name only, and credentials
 * embedded in a base URL are masked.
 */
import { storeLocation } from './store-schema.js';
import { formatBytes, formatDuration } from './units.js';
import { maskRedisUrl } from './redis-schema.js';
import type { CircuitBreakerConfig, DeploymentConfig, GatewayConfig, ModelConfig, ProviderConfig, RetryConfig, StoreConfig } from './types.js';

function describeAccess(config: GatewayConfig): string {
  const { auth, tenants } = config;
  const parts: string[] = [];
  if (tenants.length > 0) {
    const limits = (t: GatewayConfig['tenants'][number]): string =>
      [
        t.rpm === undefined ? '' : `${t.rpm} rpm`,
        t.tpm === undefined ? '' : `${t.tpm} tpm`,
        ...(t.budgets ?? []).map((b) => `$${b.limitUsd} a ${b.period}`),
        t.guardrails?.maxOutputTokens === undefined ? '' : `output cut at ${t.guardrails.maxOutputTokens} tokens`,
      ]
        .filter(Boolean)
        .join(', ');
    parts.push(`tenants ${tenants.map((t) => (limits(t) === '' ? t.name : `${t.name} (${limits(t)})`)).join(', ')}`);
  }
  if (auth.anonymousTenant !== undefined) parts.push(`requests without a key are tenant ${auth.anonymousTenant}`);
  if (auth.trustedProxy !== undefined) parts.push('x-tollgate-tenant honoured from the trusted proxy');
  parts.push(auth.adminToken === undefined ? 'admin API off' : 'admin API on (/admin/v1)');
  const keyed = tenants.length > 0 || auth.adminToken !== undefined || auth.anonymousTenant !== undefined || auth.trustedProxy !== undefined;
  return `${keyed ? 'virtual keys required' : 'open until the first key is created (every caller is tenant default)'}; ${parts.join('; ')}`;
}

export function describeRoutes(config: GatewayConfig): string {
  const { server, store, logging } = config;
  const lines: string[] = [
    `Configuration: ${config.source}`,
    `Server: http://${hostForUrl(server.host)}:${server.port} (body limit ${formatBytes(server.bodyLimitBytes)}, shutdown grace ${formatDuration(server.shutdownGraceMs)}, log level ${logging.level})`,
    `Store: ${describeStore(store)}`,
    ...(config.redis === undefined ? [] : [`Redis: ${maskRedisUrl(config.redis.url)} (key prefix ${config.redis.keyPrefix}, ${config.redis.whenUnavailable.replace('_', ' ')} while unavailable)`]),
    `Access: ${describeAccess(config)}`,
    `Retries: ${describeRetry(config.resilience.retry)}`,
    `Circuit breaker: ${describeBreaker(config.resilience.circuitBreaker)}`,
    '',
    "Models (deployments are tried left to right; '|' joins deployments of equal priority, which are load-balanced):",
  ];

  const modelRows: string[][] = [['NAME', 'MODEL', 'CONTEXT', 'ROUTE']];
  for (const model of config.models) {
    const context = model.contextWindow === undefined ? '-' : String(model.contextWindow);
    const route = formatRoute(model);
    modelRows.push([model.name, model.name, context, route]);
    for (const alias of model.aliases) modelRows.push([alias, `(alias of ${model.name})`, context, route]);
  }
  lines.push(...table(modelRows).map((row) => `  ${row}`), '', 'Providers:');

  const providerRows: string[][] = [['NAME', 'KIND', 'BASE URL', 'API KEY', 'DETAILS']];
  for (const provider of config.providers) {
    providerRows.push([provider.name, provider.kind, describeBaseUrl(provider), provider.apiKey === '' ? 'unset' : 'set', providerDetails(provider, config)]);
  }
  lines.push(...table(providerRows).map((row) => `  ${row}`));
  return lines.join('\n');
}

/** Priority groups in order, joined by ' -> '; members of a group joined by ' | '. */
function formatRoute(model: ModelConfig): string {
  const sorted = [...model.route].sort((a, b) => a.priority - b.priority);
  const groups: string[] = [];
  let balanced = false;
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j < sorted.length && sorted[j]?.priority === sorted[i]?.priority) j++;
    if (j - i > 1) balanced = true;
    groups.push(sorted.slice(i, j).map(formatDeployment).join(' | '));
    i = j;
  }
  const route = groups.join(' -> ');
  return balanced && model.balancing === 'least_inflight' ? `${route} [least in-flight]` : route;
}

function formatDeployment(deployment: DeploymentConfig): string {
  const target = `${deployment.provider}/${deployment.model}`;
  const notes: string[] = [];
  if (deployment.weight !== 1) notes.push(`weight ${deployment.weight}`);
  if (deployment.contextWindow !== undefined) notes.push(`context ${deployment.contextWindow}`);
  return notes.length === 0 ? target : `${target} (${notes.join(', ')})`;
}

function describeRetry(retry: RetryConfig): string {
  if (retry.maxAttempts === 1) return 'off (1 attempt per deployment)';
  const budget = retry.budget;
  return (
    `up to ${retry.maxAttempts} attempts per deployment, backoff ${formatDuration(retry.baseDelayMs)}..${formatDuration(retry.maxDelayMs)} (x${retry.multiplier}, full jitter), ` +
    `Retry-After up to ${formatDuration(retry.maxRetryAfterMs)}, budget ${formatRatio(budget.ratio)} of requests + ${budget.minPerSecond}/s over ${formatDuration(budget.windowMs)}`
  );
}

function describeBreaker(breaker: CircuitBreakerConfig): string {
  if (!breaker.enabled) return 'off';
  return (
    `opens after ${breaker.consecutiveFailures} failures in a row or ${formatRatio(breaker.failureRate)} of >= ${breaker.minRequests} requests in ${formatDuration(breaker.windowMs)}, ` +
    `open ${formatDuration(breaker.coolDownMs)}..${formatDuration(breaker.maxCoolDownMs)}${breaker.countRateLimits ? ', 429 counts' : ''}`
  );
}

function formatRatio(ratio: number): string {
  return `${Math.round(ratio * 1000) / 10}%`;
}

function describeBaseUrl(provider: ProviderConfig): string {
  if (provider.baseUrl === '') return provider.kind === 'mock' ? '(built-in simulator)' : '(none)';
  try {
    const url = new URL(provider.baseUrl);
    if (url.username === '' && url.password === '') return provider.baseUrl;
    url.username = '***';
    url.password = '';
    return url.href.replace(/\/+$/, '');
  } catch {
    return provider.baseUrl;
  }
}

function providerDetails(provider: ProviderConfig, config: GatewayConfig): string {
  const details: string[] = [];
  const headerNames = Object.keys(provider.headers);
  if (headerNames.length > 0) details.push(`headers: ${headerNames.join(', ')}`);
  const t = provider.timeouts;
  const total = t.totalMs === 0 ? 'none' : formatDuration(t.totalMs);
  details.push(`timeouts: connect ${formatDuration(t.connectMs)}, first byte ${formatDuration(t.firstByteMs)}, idle ${formatDuration(t.idleMs)}, total ${total}`);
  details.push(`max connections ${provider.maxConnections}`);
  // Only overrides: the global lines above already describe the rest.
  const retry = describeRetry(provider.retry);
  if (retry !== describeRetry(config.resilience.retry)) details.push(`retries: ${retry}`);
  const breaker = describeBreaker(provider.circuitBreaker);
  if (breaker !== describeBreaker(config.resilience.circuitBreaker)) details.push(`circuit breaker: ${breaker}`);
  switch (provider.kind) {
    case 'ollama':
      if (provider.keepAlive !== undefined) details.push(`keep_alive ${provider.keepAlive}`);
      break;
    case 'mock':
      details.push(`latency ${formatDuration(provider.latencyMs)}`, `tokens/s ${provider.tokensPerSecond === 0 ? 'unlimited' : provider.tokensPerSecond}`);
      break;
    case 'openai':
    case 'openai-compatible':
      break;
  }
  return details.join('; ');
}

/** `sqlite ./tollgate.sqlite`, or the PostgreSQL URL with its password masked and the pool's settings. */
function describeStore(store: StoreConfig): string {
  if (store.kind === 'sqlite') return `sqlite ${storeLocation(store)}`;
  return `postgres ${storeLocation(store)} (pool ${store.poolSize}, statement timeout ${formatDuration(store.statementTimeoutMs)}, connect timeout ${formatDuration(store.connectTimeoutMs)})`;
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** Left-aligned columns separated by two spaces; the last column is not padded. */
function table(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd());
}
