/**
 * The resolved configuration: validated, defaults applied, environment
 * interpolated. Everything downstream reads only these readonly types.
 */

export type ProviderKind = 'openai' | 'openai-compatible' | 'ollama' | 'mock';

export interface ProviderConfigBase {
  readonly name: string;
  readonly kind: ProviderKind;
  /** Absolute URL without a trailing slash, e.g. `https://api.openai.com/v1` or `http://127.0.0.1:11434`. */
  readonly baseUrl: string;
  /** Secret; never logged. Empty string means no Authorization header. */
  readonly apiKey: string;
  /** Extra static headers sent upstream (e.g. an in-house auth header). Values are secrets for logging purposes. */
  readonly headers: Readonly<Record<string, string>>;
  /** Body fields merged into every upstream request (the client's own values win). */
  readonly requestDefaults: Readonly<Record<string, unknown>>;
  /** Maximum concurrent connections to this upstream. */
  readonly maxConnections: number;
  readonly timeouts: {
    /** TCP/TLS connect. */
    readonly connectMs: number;
    /** Until response headers arrive (covers model load and prefill). */
    readonly firstByteMs: number;
    /** Between two body reads of a streaming response. */
    readonly idleMs: number;
  };
}

export interface OpenAIProviderConfig extends ProviderConfigBase {
  readonly kind: 'openai';
  readonly organization?: string;
  readonly project?: string;
}

export interface OpenAICompatibleProviderConfig extends ProviderConfigBase {
  readonly kind: 'openai-compatible';
}

export interface OllamaProviderConfig extends ProviderConfigBase {
  readonly kind: 'ollama';
  /** Ollama `keep_alive` (e.g. "5m"); omitted when undefined. */
  readonly keepAlive?: string;
}

export interface MockModelScript {
  /** Fixed reply text; default: a deterministic reply derived from the prompt. */
  readonly reply?: string;
  /** Tool calls the model makes on its first turn (when the last message is not a tool result). */
  readonly toolCalls?: readonly { readonly name: string; readonly arguments: Readonly<Record<string, unknown>> }[];
  /** Reasoning text streamed before the answer, as `reasoning_content`. */
  readonly reasoning?: string;
}

export interface MockProviderConfig extends ProviderConfigBase {
  readonly kind: 'mock';
  /** Delay before the response starts, in ms. */
  readonly latencyMs: number;
  /** Streaming speed; 0 means as fast as possible. */
  readonly tokensPerSecond: number;
  /** Per-upstream-model scripts; the key `*` applies to any model without its own. */
  readonly scripts: Readonly<Record<string, MockModelScript>>;
}

export type ProviderConfig = OpenAIProviderConfig | OpenAICompatibleProviderConfig | OllamaProviderConfig | MockProviderConfig;

export interface DeploymentConfig {
  /** Provider name (must exist in `providers`). */
  readonly provider: string;
  /** Model name sent upstream; may contain `*`, replaced by the part a wildcard route matched. */
  readonly model: string;
  /** Relative weight for load balancing among deployments (default 1). */
  readonly weight: number;
}

export interface ModelConfig {
  /** The name clients send. May contain one `*` wildcard (e.g. `ollama/*`). */
  readonly name: string;
  readonly aliases: readonly string[];
  /** Ordered: the first deployment is the primary, the rest are fallbacks. */
  readonly route: readonly DeploymentConfig[];
  /** Context window in tokens, when known (used by `codex-config`). */
  readonly contextWindow?: number;
  readonly description?: string;
}

export interface ServerConfig {
  readonly host: string;
  readonly port: number;
  /** Maximum request body in bytes (default 10 MiB). */
  readonly bodyLimitBytes: number;
  /** Seconds to wait for in-flight requests on shutdown. */
  readonly shutdownGraceMs: number;
  /**
   * After this long without anything to send, a streaming client whose
   * protocol has a progress event (Responses: `response.in_progress`) gets one,
   * and again at this interval. 0 disables it.
   */
  readonly streamKeepaliveMs: number;
}

export interface LoggingConfig {
  readonly level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

export interface StoreConfig {
  readonly kind: 'sqlite';
  /** Path of the SQLite database file. */
  readonly path: string;
}

export interface GatewayConfig {
  readonly server: ServerConfig;
  readonly logging: LoggingConfig;
  readonly store: StoreConfig;
  readonly providers: readonly ProviderConfig[];
  readonly models: readonly ModelConfig[];
  /** Where this configuration came from: a file path, or `embedded default`. */
  readonly source: string;
}
