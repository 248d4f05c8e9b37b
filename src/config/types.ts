import type { PricingConfig } from './pricing-schema.js';
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
    /**
     * The whole exchange with one deployment of this provider: every attempt
     * and backoff wait, up to the last byte of the response. 0 means no limit.
     */
    readonly totalMs: number;
  };
  /** Retry policy for this provider's deployments: `resilience.retry` with this provider's overrides applied. */
  readonly retry: RetryConfig;
  /** Circuit breaker for each of this provider's deployments: `resilience.circuit_breaker` with overrides applied. */
  readonly circuitBreaker: CircuitBreakerConfig;
}

export interface OpenAIProviderConfig extends ProviderConfigBase {
  readonly kind: 'openai';
  readonly organization?: string;
  readonly project?: string;
}

export interface OpenAICompatibleProviderConfig extends ProviderConfigBase {
  readonly kind: 'openai-compatible';
  /** The field translated requests carry their output-token limit in (default `max_tokens`). */
  readonly maxTokensField?: 'max_tokens' | 'max_completion_tokens';
  /** Send earlier assistant reasoning back as `reasoning_content` (default off). */
  readonly sendReasoning?: boolean;
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
  /** Relative weight for load balancing among deployments of equal priority (default 1). */
  readonly weight: number;
  /**
   * Lower is tried first; deployments of equal priority are balanced with each
   * other. Default: the entry's position in the route (1, 2, 3, …), which
   * makes the first the primary and the rest fallbacks in order.
   */
  readonly priority: number;
  /** This deployment's context window in tokens when it differs from the model's (e.g. a smaller `num_ctx`). */
  readonly contextWindow?: number;
  /**
   * The one API of the provider this upstream model speaks, when it does not
   * speak all of them (OpenAI's codex-mini-latest and o1-pro answer only on the
   * Responses API): requests in the other format are translated to it.
   */
  readonly api?: 'chat' | 'responses';
}

/** How requests are spread over deployments of equal priority. */
export type BalancingStrategy = 'weighted' | 'least_inflight';

export interface ModelConfig {
  /** The name clients send. May contain one `*` wildcard (e.g. `ollama/*`). */
  readonly name: string;
  readonly aliases: readonly string[];
  /** In configuration order; `priority` decides the order of attempts. */
  readonly route: readonly DeploymentConfig[];
  /** Among deployments of equal priority (default `weighted`). */
  readonly balancing: BalancingStrategy;
  /**
   * Context window in tokens, when known (used by `codex-config`, and for
   * deployments without their own: a `context_length_exceeded` falls back
   * only to a deployment with a larger window).
   */
  readonly contextWindow?: number;
  readonly description?: string;
  /** Cost guardrails of every call to this model (see GuardrailsConfig). */
  readonly guardrails?: GuardrailsConfig;
}

export interface ServerConfig {
  readonly host: string;
  readonly port: number;
  /** Maximum request body in bytes (default 10 MiB). */
  readonly bodyLimitBytes: number;
  /** On shutdown, how long calls in flight may finish once the gateway stops accepting new ones; the rest are then ended. */
  readonly shutdownGraceMs: number;
  /** On shutdown, how long the listener keeps serving (with /readyz answering 503) before draining starts. */
  readonly shutdownDelayMs: number;
  /**
   * After this long without anything to send, a streaming client whose
   * protocol has a progress event (Responses: `response.in_progress`) gets one,
   * and again at this interval. 0 disables it.
   */
  readonly streamKeepaliveMs: number;
  /** Time to receive a request's headers; then 408 and the connection closes. */
  readonly headersTimeoutMs: number;
  /** Time to receive a whole request (headers and body) from its first byte; then 408 and the connection closes. */
  readonly requestTimeoutMs: number;
  /**
   * Client connections held at once; more are refused with 503. 0: no
   * limit. `auto`: the process's open-file limit less the upstream pools
   * (each provider's `max_connections`) and a reserve.
   */
  readonly maxConnections: number | 'auto';
  /** Largest non-streamed upstream reply relayed (default 64 MiB); a larger one is a 502. */
  readonly upstreamReplyLimitBytes: number;
  /**
   * Most output text (characters) a streamed response may hold for the
   * events that repeat it whole at the end (Responses: the done item and
   * `response.completed`); a longer one ends with an `output_too_large`
   * failure. Default DEFAULT_STREAM_OUTPUT_LIMIT_BYTES (2 MiB).
   */
  readonly streamOutputLimitBytes?: number;
}

export interface LoggingConfig {
  readonly level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

/** The usage ledger's buffer, the same for every store kind. */
interface LedgerBufferConfig {
  /** Usage rows kept in memory while the store cannot be written (the schema always sets it; default DEFAULT_LEDGER_MAX_BUFFERED_ROWS). */
  readonly maxBufferedRows?: number;
  /** What happens to new requests once that buffer is full (the schema always sets it; default DEFAULT_LEDGER_WHEN_FULL). */
  readonly whenFull?: LedgerWhenFull;
}

/** The embedded store: one SQLite file holds keys, tenants, usage and the notification outbox. */
export interface SqliteStoreConfig extends LedgerBufferConfig {
  readonly kind: 'sqlite';
  /** Path of the SQLite database file. */
  readonly path: string;
}

/** The scale-out store: a PostgreSQL database that several replicas share. */
export interface PostgresStoreConfig extends LedgerBufferConfig {
  readonly kind: 'postgres';
  /** `postgres://user:password@host:5432/db?…`; a secret: shown only with its password masked (see store/location.ts). */
  readonly url: string;
  /** Connections this process holds at most. */
  readonly poolSize: number;
  /** Longest a statement runs before the server cancels it. */
  readonly statementTimeoutMs: number;
  /** Longest a new connection may take to open. */
  readonly connectTimeoutMs: number;
}

export type StoreConfig = SqliteStoreConfig | PostgresStoreConfig;

/** How replicas share rate limits and key changes (see docs/configuration.md, `redis`). */
export interface RedisConfig {
  /** `redis://[:password@]host[:port][/db]`; holds a secret, never logged as it is. */
  readonly url: string;
  /** Put before every key and channel name, so gateways (or tests) can share a server. */
  readonly keyPrefix: string;
  /** While Redis cannot be reached: refuse rate-limited calls with 503, or count them in this replica alone. */
  readonly whenUnavailable: 'fail_closed' | 'fail_open';
  readonly connectTimeoutMs: number;
  /** A command without a reply after this long fails (and counts as Redis being unavailable for that call). */
  readonly commandTimeoutMs: number;
  /** How long a budget hold outlives the last sign of its call (renewed every third of it while the call runs). */
  readonly holdTtlMs: number;
  /** How often a replica writes its calls in flight and its heartbeat (the call journal). */
  readonly heartbeatMs: number;
  /** A replica whose heartbeat is older than this is dead: its calls in flight are written to the ledger as lost. */
  readonly deadAfterMs: number;
}

/** `refuse`: new calls get a 503 until rows can be written; `serve_unmetered`: they are served and their rows dropped (counted). */
export type LedgerWhenFull = 'refuse' | 'serve_unmetered';

export interface RetryBudgetConfig {
  /** Retries may add at most this share of the first attempts in the window (0.2 = 20 %). */
  readonly ratio: number;
  /** The sliding window over which requests and retries are counted. */
  readonly windowMs: number;
  /** Retries per second allowed regardless of traffic, so a quiet deployment can still retry. */
  readonly minPerSecond: number;
}

export interface RetryConfig {
  /** Attempts per deployment, counting the first (1 disables retries). */
  readonly maxAttempts: number;
  /** Backoff before retry n (n = 1, 2, …): uniform in [0, min(maxDelay, baseDelay × multiplier^(n-1))). */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly multiplier: number;
  /** A Retry-After up to this long is waited for; a longer one moves on to a fallback (or fails) at once. */
  readonly maxRetryAfterMs: number;
  readonly budget: RetryBudgetConfig;
}

export interface CircuitBreakerConfig {
  readonly enabled: boolean;
  /** Opens after this many failures in a row. */
  readonly consecutiveFailures: number;
  /** … or when this share of the requests in the window failed (0–1) … */
  readonly failureRate: number;
  /** … and the window holds at least this many requests. */
  readonly minRequests: number;
  readonly windowMs: number;
  /** How long the circuit stays open before a probe; doubled after each failed probe … */
  readonly coolDownMs: number;
  /** … up to this. */
  readonly maxCoolDownMs: number;
  /** Whether HTTP 429 rate limits count as failures (quota exhaustion always does). */
  readonly countRateLimits: boolean;
}

/** Global defaults; each provider's `retry` and `circuitBreaker` start from these. */
export interface ResilienceConfig {
  readonly retry: RetryConfig;
  readonly circuitBreaker: CircuitBreakerConfig;
}

/** Who may call, and who administers (see docs/tenancy.md). */
export interface AuthConfig {
  /** Bearer token of the admin API (`/admin/v1`); the admin API is off when unset. */
  readonly adminToken: string | undefined;
  /** The tenant an unauthenticated request belongs to once authentication is on; unset: such requests get 401. */
  readonly anonymousTenant: string | undefined;
  /** A proxy in front that authenticates callers itself and names their tenant in `x-tollgate-tenant`. */
  readonly trustedProxy: { readonly secret: string } | undefined;
}

/** A tenant declared in the configuration (it wins over one created through the admin API). */
export interface TenantConfig {
  readonly name: string;
  /** Model-name patterns (`*` matches any run); undefined for every model. */
  readonly models: readonly string[] | undefined;
  readonly rpm: number | undefined;
  readonly tpm: number | undefined;
  readonly metadata: Readonly<Record<string, unknown>>;
  /** Spending limits of the tenant (all its keys together); none when absent. */
  readonly budgets?: readonly BudgetConfig[];
  readonly guardrails?: GuardrailsConfig;
}

/**
 * The cost guardrails beyond the budget's block (see docs/budgets.md). Set on
 * a tenant, a key or a model; where several apply, the strictest wins (the
 * lowest ceilings, the highest clamp floor, every downgrade rule: the key's
 * first, then the tenant's, then the model's).
 */
export interface GuardrailsConfig {
  /** When the output ceiling does not fit the remaining budget, lower it to what fits, if at least this many tokens. */
  readonly clamp?: { readonly minOutputTokens: number };
  /** Ordered rules: the first that matches the requested model and the remaining budget applies. */
  readonly downgrade?: readonly DowngradeRule[];
  /** The cut-off: a request's output ends (gracefully, as a `length` finish) at this many tokens. */
  readonly maxOutputTokens?: number;
  /** A prompt of more tokens than this is refused with 400 before any upstream call. */
  readonly maxPromptTokens?: number;
  /** HTTP status of a budget refusal to Chat Completions clients: 429 `insufficient_quota` (default) or 402. */
  readonly chatRefusalStatus?: 402 | 429;
}

export interface DowngradeRule {
  /** Applies while the remaining share (0–1) of the budget is below this. */
  readonly whenRemainingBelow: number;
  /** Which budget's remaining share: `month`, `day`, or the tightest of the caller's (default). */
  readonly budget?: 'day' | 'month';
  /** The model name asked for (`*` matches any run). */
  readonly from: string;
  /** The model served instead (must be routable and allowed to the caller). */
  readonly to: string;
}

/** Where budget alerts and daily summaries go (see docs/budgets.md). */
export interface NotificationsConfig {
  /** A Slack-compatible incoming webhook. */
  readonly slack?: { readonly webhookUrl: string };
  /** A generic webhook: each notification POSTed as JSON. */
  readonly webhook?: { readonly url: string; readonly headers?: Readonly<Record<string, string>> };
  /** E-mail over SMTP (`smtp://user:pass@host:587`, `smtps://…`). */
  readonly email?: { readonly smtpUrl: string; readonly from: string; readonly to: readonly string[] };
  /** A billing summary per tenant, once a day at this time. */
  readonly dailySummary?: { readonly at: { readonly hour: number; readonly minute: number }; readonly timeZone: string };
}

/** A spending limit over a calendar period (see docs/budgets.md). */
export interface BudgetConfig {
  readonly period: 'day' | 'month';
  /** The hard limit in USD: a call that would pass it is refused. */
  readonly limitUsd: number;
  /** Shares of the limit (0–1, ascending) at which the operator is told. */
  readonly soft: readonly number[];
  /** IANA time zone the period follows (`UTC`, `Europe/Berlin`). */
  readonly timeZone: string;
  /** Time of day the period starts (for a month: on its first day). */
  readonly reset: { readonly hour: number; readonly minute: number };
}

export interface GatewayConfig {
  readonly server: ServerConfig;
  readonly auth: AuthConfig;
  readonly tenants: readonly TenantConfig[];
  /** Channels for budget alerts and daily summaries; empty: none are sent. */
  readonly notifications: NotificationsConfig;
  /** USD per million tokens per provider/model; unpriced models cost 0 and are counted. */
  readonly pricing: PricingConfig;
  readonly logging: LoggingConfig;
  readonly store: StoreConfig;
  /** Shared state of several replicas; absent: rate limits and caches live in this process. */
  readonly redis?: RedisConfig;
  readonly resilience: ResilienceConfig;
  readonly providers: readonly ProviderConfig[];
  readonly models: readonly ModelConfig[];
  /** Where this configuration came from: a file path, or `embedded default`. */
  readonly source: string;
}
