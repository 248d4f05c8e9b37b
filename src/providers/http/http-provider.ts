import { Pool } from 'undici';
import type { ProviderConfig } from '../../config/types.js';
import type { WireFormat } from '../../ir/index.js';
import type { JsonObject } from '../../protocols/json.js';
import type { UpstreamRequestOptions } from '../../translators/types.js';
import type { Provider } from '../types.js';
import { Redactor } from '../../upstream/redact.js';

/** What distinguishes one HTTP provider kind from another. */
export interface HttpProviderSpec {
  /** Format → path relative to the configured base URL's path. First is preferred for translation. */
  readonly paths: ReadonlyArray<readonly [WireFormat, string]>;
  /** Credential and identification headers for this kind. */
  readonly authHeaders: (config: ProviderConfig) => Record<string, string>;
  readonly listModels?: (provider: Provider, signal: AbortSignal) => Promise<readonly string[]>;
  /** Options for the requests translated for this provider (default: none). */
  readonly requestOptions?: UpstreamRequestOptions;
}

/** Keep-alive pooled connections; one pool per provider, shared by every request. */
function createPool(origin: string, config: ProviderConfig): Pool {
  return new Pool(origin, {
    connections: config.maxConnections,
    connectTimeout: config.timeouts.connectMs,
    headersTimeout: config.timeouts.firstByteMs,
    bodyTimeout: config.timeouts.idleMs,
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 600_000,
    pipelining: 1,
  });
}

export function createHttpProvider(config: ProviderConfig, spec: HttpProviderSpec): Provider {
  const url = new URL(config.baseUrl);
  const origin = url.origin;
  const basePath = url.pathname.replace(/\/+$/, '');
  const paths = new Map<WireFormat, string>(spec.paths.map(([format, path]) => [format, `${basePath}${path}`]));
  const credentials = spec.authHeaders(config);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream, application/x-ndjson',
    'user-agent': 'tollgate',
    ...config.headers,
    ...credentials,
  };
  // Computed once: every configured header value counts as a secret (operators put credentials there).
  const redactor = Redactor.for({ apiKey: config.apiKey, headerValues: [...Object.values(config.headers), ...Object.values(credentials)], baseUrl: config.baseUrl });
  const dispatcher = createPool(origin, config);
  const provider: Provider = {
    name: config.name,
    kind: config.kind,
    formats: spec.paths.map(([format]) => format),
    origin,
    dispatcher,
    headers,
    redactor,
    requestDefaults: config.requestDefaults as JsonObject,
    requestOptions: spec.requestOptions ?? {},
    timeouts: config.timeouts,
    retry: config.retry,
    circuitBreaker: config.circuitBreaker,
    pathFor(format: WireFormat): string {
      const path = paths.get(format);
      if (path === undefined) throw new Error(`provider ${config.name} does not speak ${format}`);
      return path;
    },
    async close(): Promise<void> {
      await dispatcher.close();
    },
  };
  if (spec.listModels) {
    const list = spec.listModels;
    provider.listModels = (signal) => list(provider, signal);
  }
  return provider;
}

export function bearer(apiKey: string): Record<string, string> {
  return apiKey === '' ? {} : { authorization: `Bearer ${apiKey}` };
}
