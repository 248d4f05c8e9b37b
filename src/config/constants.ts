/** Default values shared by the schema, the embedded default and the docs. */
import type { BalancingStrategy, CircuitBreakerConfig, LedgerWhenFull, ProviderKind, RetryConfig } from './types.js';

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 8787;
export const DEFAULT_BODY_LIMIT_BYTES = 10 * 1024 * 1024;
/** Largest non-streamed upstream reply held and relayed (a long answer is a few hundred KB). */
export const DEFAULT_UPSTREAM_REPLY_LIMIT_BYTES = 64 * 1024 * 1024;
export const DEFAULT_SHUTDOWN_GRACE_MS = 30_000;
/** 0: the listener closes at the signal; set it to the time a load balancer needs to see /readyz fail. */
export const DEFAULT_SHUTDOWN_DELAY_MS = 0;
/** Codex CLI's idle timeout is 300 s; a real event well before that keeps a slow model's stream alive. */
export const DEFAULT_STREAM_KEEPALIVE_MS = 20_000;
/** Time to receive a request's headers, counted from the connection's first byte (or its opening). */
export const DEFAULT_HEADERS_TIMEOUT_MS = 30_000;
/** Time to receive a whole request, headers and body, from its first byte: a full 10 MiB body at 1.5 Mbit/s. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;
/** Client connections held at once when the open-file limit cannot be read (`max_connections: auto`). */
export const FALLBACK_CLIENT_MAX_CONNECTIONS = 768;
/** Descriptors `max_connections: auto` leaves for the store, logs, DNS and the process itself. */
export const RESERVED_DESCRIPTORS = 64;
/** Output a streamed response may hold for its final events (Responses): far above any model's output ceiling (128k tokens is ~0.5 MiB). */
export const DEFAULT_STREAM_OUTPUT_LIMIT_BYTES = 2 * 1024 * 1024;
export const DEFAULT_STORE_PATH = './tollgate.sqlite';
/** About 17 minutes of rows at 100 requests/s, ~31 MB of heap (~314 bytes a row, measured on Node 20). */
export const DEFAULT_LEDGER_MAX_BUFFERED_ROWS = 100_000;
export const LEDGER_WHEN_FULL = ['refuse', 'serve_unmetered'] as const satisfies readonly LedgerWhenFull[];
/** A gateway that bills tenants does not serve what it cannot bill. */
export const DEFAULT_LEDGER_WHEN_FULL: LedgerWhenFull = 'refuse';

/** PostgreSQL store: connections a process holds at most (each replica has its own pool). */
export const DEFAULT_POSTGRES_POOL_SIZE = 10;
/** PostgreSQL store: longest a statement runs before the server cancels it (the request path must not hang on the store). */
export const DEFAULT_POSTGRES_STATEMENT_TIMEOUT_MS = 5_000;
/** PostgreSQL store: longest a new connection (TCP, TLS, authentication) may take. */
export const DEFAULT_POSTGRES_CONNECT_TIMEOUT_MS = 5_000;
export const DEFAULT_LOG_LEVEL = 'info';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const PROVIDER_KINDS = ['openai', 'openai-compatible', 'ollama', 'mock'] as const satisfies readonly ProviderKind[];

export const OPENAI_BASE_URL = 'https://api.openai.com/v1';
export const OLLAMA_BASE_URL = 'http://127.0.0.1:11434';

export const DEFAULT_MAX_CONNECTIONS = 64;
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_IDLE_TIMEOUT_MS = 60_000;

/**
 * Time to response headers. Local and self-hosted servers may load a model
 * from disk before the first byte, so they get twice OpenAI's budget.
 */
export const DEFAULT_FIRST_BYTE_TIMEOUT_MS: Readonly<Record<ProviderKind, number>> = {
  openai: 60_000,
  'openai-compatible': 120_000,
  ollama: 120_000,
  mock: 120_000,
};

/**
 * The whole exchange with a deployment (all attempts, up to the last byte).
 * Local models load slowly and generate slowly on small GPUs, so they get
 * twice OpenAI's budget; both stay well above one Codex turn's usual length.
 */
export const DEFAULT_TOTAL_TIMEOUT_MS: Readonly<Record<ProviderKind, number>> = {
  openai: 300_000,
  'openai-compatible': 600_000,
  ollama: 600_000,
  mock: 600_000,
};

/**
 * Retries: few and spread out. Codex CLI already retries 5xx and transport
 * errors (4 requests per turn, 5 turns), so every retry here multiplies; the
 * budget keeps the product bounded during an outage.
 */
export const DEFAULT_RETRY: RetryConfig = {
  maxAttempts: 3,
  baseDelayMs: 250,
  maxDelayMs: 8_000,
  multiplier: 2,
  // OpenAI's rate-limit 429s carry Retry-After of a few seconds; waiting longer belongs to a fallback or the client.
  maxRetryAfterMs: 20_000,
  budget: { ratio: 0.2, windowMs: 10_000, minPerSecond: 3 },
};

export const DEFAULT_CIRCUIT_BREAKER: CircuitBreakerConfig = {
  enabled: true,
  consecutiveFailures: 5,
  failureRate: 0.5,
  minRequests: 10,
  windowMs: 60_000,
  coolDownMs: 30_000,
  maxCoolDownMs: 300_000,
  countRateLimits: false,
};

export const BALANCING_STRATEGIES = ['weighted', 'least_inflight'] as const satisfies readonly BalancingStrategy[];
export const DEFAULT_BALANCING: BalancingStrategy = 'weighted';

/**
 * Output tokens a streamed call without a ceiling (Codex never sends one)
 * reserves at a time when its budget cannot hold the most the model could
 * produce: the hold grows by this much as the output passes it.
 */
export const DEFAULT_BUDGET_OUTPUT_RESERVE = 4_096;

/**
 * The most output a route without a configured context window is taken to
 * produce in one response, for the worst case a call without a ceiling
 * reserves (OpenAI's largest output limit today, 128k tokens).
 */
export const ASSUMED_MAX_OUTPUT_TOKENS = 128_000;

/** What a call to a model without a price does for a caller with a budget (see PricingConfig.unpriced). */
export const DEFAULT_UNPRICED_WITH_BUDGET = 'refuse';
