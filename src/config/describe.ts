/**
 * A readable summary of a resolved configuration for `tollgate check-config`.
 * It shows where every model name goes and which upstreams exist, but never a
 * secret: API keys appear as set/unset, headers by name only, and credentials
 * embedded in a base URL are masked.
 */
import { formatBytes, formatDuration } from './units.js';
import type { DeploymentConfig, GatewayConfig, ProviderConfig } from './types.js';

export function describeRoutes(config: GatewayConfig): string {
  const { server, store, logging } = config;
  const lines: string[] = [
    `Configuration: ${config.source}`,
    `Server: http://${hostForUrl(server.host)}:${server.port} (body limit ${formatBytes(server.bodyLimitBytes)}, shutdown grace ${formatDuration(server.shutdownGraceMs)}, log level ${logging.level})`,
    `Store: ${store.kind} ${store.path}`,
    '',
    'Models (first deployment is the primary, the rest are fallbacks in order):',
  ];

  const modelRows: string[][] = [['NAME', 'MODEL', 'CONTEXT', 'ROUTE']];
  for (const model of config.models) {
    const context = model.contextWindow === undefined ? '-' : String(model.contextWindow);
    const route = model.route.map(formatDeployment).join(' -> ');
    modelRows.push([model.name, model.name, context, route]);
    for (const alias of model.aliases) modelRows.push([alias, `(alias of ${model.name})`, context, route]);
  }
  lines.push(...table(modelRows).map((row) => `  ${row}`), '', 'Providers:');

  const providerRows: string[][] = [['NAME', 'KIND', 'BASE URL', 'API KEY', 'DETAILS']];
  for (const provider of config.providers) {
    providerRows.push([provider.name, provider.kind, describeBaseUrl(provider), provider.apiKey === '' ? 'unset' : 'set', providerDetails(provider)]);
  }
  lines.push(...table(providerRows).map((row) => `  ${row}`));
  return lines.join('\n');
}

function formatDeployment(deployment: DeploymentConfig): string {
  const target = `${deployment.provider}/${deployment.model}`;
  return deployment.weight === 1 ? target : `${target} (weight ${deployment.weight})`;
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

function providerDetails(provider: ProviderConfig): string {
  const details: string[] = [];
  const headerNames = Object.keys(provider.headers);
  if (headerNames.length > 0) details.push(`headers: ${headerNames.join(', ')}`);
  const t = provider.timeouts;
  details.push(`timeouts: connect ${formatDuration(t.connectMs)}, first byte ${formatDuration(t.firstByteMs)}, idle ${formatDuration(t.idleMs)}`);
  details.push(`max connections ${provider.maxConnections}`);
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

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** Left-aligned columns separated by two spaces; the last column is not padded. */
function table(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd());
}
