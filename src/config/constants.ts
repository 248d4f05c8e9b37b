/** Default values shared by the schema, the embedded default and the docs. */
import type { ProviderKind } from './types.js';

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 8787;
export const DEFAULT_BODY_LIMIT_BYTES = 10 * 1024 * 1024;
export const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;
/** Codex CLI's idle timeout is 300 s; a real event well before that keeps a slow model's stream alive. */
export const DEFAULT_STREAM_KEEPALIVE_MS = 20_000;
export const DEFAULT_STORE_PATH = './tollgate.sqlite';
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
