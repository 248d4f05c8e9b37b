import type { Dispatcher } from 'undici';
import type { ProviderConfig, ProviderKind } from '../config/types.js';
import type { WireFormat } from '../ir/index.js';
import type { JsonObject } from '../protocols/json.js';
import type { UpstreamRequestOptions } from '../translators/types.js';
import type { Redactor } from '../upstream/redact.js';

/**
 * A configured upstream, ready to take calls. Everything a request needs is
 * computed here once, at start-up: origin, paths, headers with credentials,
 * the connection pool. Generic code never asks which kind a provider is; it
 * asks which formats it speaks.
 */
export interface Provider {
  readonly name: string;
  readonly kind: ProviderKind;
  /**
   * Formats the upstream speaks. A client format found here is passed through
   * raw; otherwise the request is translated to the first one.
   */
  readonly formats: readonly WireFormat[];
  /** e.g. `http://127.0.0.1:11434` */
  readonly origin: string;
  readonly dispatcher: Dispatcher;
  /** Headers sent on every upstream call: content type, credentials, configured extras. */
  readonly headers: Readonly<Record<string, string>>;
  /** This provider's secrets (API key, credential header values, base URL user info), redacted from everything its upstream sends. */
  readonly redactor: Redactor;
  readonly requestDefaults: Readonly<JsonObject>;
  /** How requests translated for this provider are built (its codec's options). */
  readonly requestOptions: UpstreamRequestOptions;
  readonly timeouts: ProviderConfig['timeouts'];
  readonly retry: ProviderConfig['retry'];
  readonly circuitBreaker: ProviderConfig['circuitBreaker'];
  /** The request path (with the base URL's path) for a format this provider speaks. */
  pathFor(format: WireFormat): string;
  /** Model names the upstream offers, for wildcard routes in `GET /v1/models`; undefined when it cannot list them. */
  listModels?(signal: AbortSignal): Promise<readonly string[]>;
  close(): Promise<void>;
}

export interface ProviderDependencies {
  readonly onWarning: (message: string) => void;
}

/** One per provider kind: how to turn its configuration into a Provider. */
export interface ProviderDefinition<C extends ProviderConfig = ProviderConfig> {
  readonly kind: C['kind'];
  create(config: C, deps: ProviderDependencies): Promise<Provider>;
}
