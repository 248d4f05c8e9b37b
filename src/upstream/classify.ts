import type { IncomingHttpHeaders } from 'node:http';
import { GatewayError, UpstreamError, UpstreamProtocolError, UpstreamTimeoutError, UpstreamUnavailableError } from '../errors/index.js';

/** Upstreams word an overflowing prompt in many ways; these cover OpenAI, vLLM, Ollama, llama.cpp and TGI. */
const CONTEXT_LENGTH_PATTERNS: readonly RegExp[] = [
  /context[_ ]length[_ ]exceeded/i,
  /maximum context length/i,
  /context window/i,
  /exceeds? (?:the )?(?:model'?s? )?(?:context|max(?:imum)? (?:input|sequence) length)/i,
  /prompt (?:is )?too long/i,
  /input (?:is )?too long/i,
  /too many tokens/i,
  /requested \d+ tokens/i,
  /exceed_context_size/i,
];

export function looksLikeContextLengthError(message: string): boolean {
  return CONTEXT_LENGTH_PATTERNS.some((pattern) => pattern.test(message));
}

interface UpstreamErrorDetails {
  readonly message: string | undefined;
  readonly code: string | undefined;
  readonly type: string | undefined;
}

/** Reads `{"error":{"message","code","type"}}` (OpenAI, vLLM) or `{"error":"..."}` (Ollama) or `{"detail":...}` (FastAPI servers). */
export function readUpstreamErrorBody(text: string): UpstreamErrorDetails {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { message: undefined, code: undefined, type: undefined };
  }
  if (typeof parsed !== 'object' || parsed === null) return { message: undefined, code: undefined, type: undefined };
  const record = parsed as Record<string, unknown>;
  const error = record['error'] ?? record['detail'];
  if (typeof error === 'string') return { message: error, code: undefined, type: undefined };
  if (typeof error === 'object' && error !== null) {
    const e = error as Record<string, unknown>;
    return {
      message: typeof e['message'] === 'string' ? e['message'] : undefined,
      code: typeof e['code'] === 'string' ? e['code'] : undefined,
      type: typeof e['type'] === 'string' ? e['type'] : undefined,
    };
  }
  if (typeof record['message'] === 'string') return { message: record['message'], code: undefined, type: undefined };
  return { message: undefined, code: undefined, type: undefined };
}

function clip(text: string, max = 500): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/**
 * Maps an upstream HTTP error to what the client should see. Request errors
 * (400/404/413/422/429) keep the upstream's message because it is about the
 * client's own request; authentication and server errors do not, because
 * they are the gateway operator's business and may carry internals.
 */
export function classifyUpstreamStatus(
  provider: string,
  upstreamModel: string,
  status: number,
  headers: IncomingHttpHeaders,
  bodyText: string,
): GatewayError {
  const details = readUpstreamErrorBody(bodyText);
  const upstreamMessage = details.message === undefined ? undefined : clip(details.message);
  const said = upstreamMessage === undefined ? '' : `: ${upstreamMessage}`;

  if (status === 401 || status === 403) {
    return new UpstreamError(
      502,
      'upstream_auth_failed',
      `The gateway's credentials for provider '${provider}' were rejected (HTTP ${status}). This is a gateway configuration problem, not yours: an operator must check the api_key and headers of provider '${provider}'.`,
      provider,
      status,
      { type: 'server_error' },
    );
  }
  if (upstreamMessage !== undefined && (details.code === 'context_length_exceeded' || looksLikeContextLengthError(upstreamMessage))) {
    return new UpstreamError(
      400,
      'context_length_exceeded',
      `The request does not fit in the context window of '${upstreamModel}' on provider '${provider}'${said}. Shorten the conversation or use a model with a larger context window.`,
      provider,
      status,
      { type: 'invalid_request_error' },
    );
  }
  if (status === 404) {
    return new UpstreamError(
      404,
      'model_not_found',
      `Provider '${provider}' does not serve model '${upstreamModel}'${said}. Check the route in the gateway configuration (for Ollama, pull the model first).`,
      provider,
      status,
      { type: 'invalid_request_error', param: 'model' },
    );
  }
  if (status === 429) {
    const retryAfter = headers['retry-after'];
    const code = details.code === 'insufficient_quota' || details.type === 'insufficient_quota' ? 'insufficient_quota' : 'rate_limit_exceeded';
    return new UpstreamError(
      429,
      code,
      `Provider '${provider}' is rate limiting requests for '${upstreamModel}'${said}. Retry later.`,
      provider,
      status,
      { type: code === 'insufficient_quota' ? 'insufficient_quota' : 'rate_limit_error', headers: typeof retryAfter === 'string' ? { 'retry-after': retryAfter } : {} },
    );
  }
  if (status === 413) {
    return new UpstreamError(413, 'request_too_large', `Provider '${provider}' rejected the request as too large${said}.`, provider, status, {
      type: 'invalid_request_error',
    });
  }
  if (status >= 400 && status < 500) {
    return new UpstreamError(
      400,
      details.code ?? 'invalid_request',
      `Provider '${provider}' rejected the request (HTTP ${status})${said}.`,
      provider,
      status,
      { type: 'invalid_request_error' },
    );
  }
  return new UpstreamError(
    502,
    'upstream_error',
    `Provider '${provider}' failed with HTTP ${status}. Try again; if it persists, an operator should check that provider.`,
    provider,
    status,
  );
}

const TIMEOUT_CODES: Readonly<Record<string, string>> = {
  UND_ERR_HEADERS_TIMEOUT: 'first byte',
  UND_ERR_BODY_TIMEOUT: 'idle',
  UND_ERR_CONNECT_TIMEOUT: 'connect',
};

/** Maps a transport failure (refused, reset, DNS, TLS, undici timeouts) to a GatewayError. */
export function classifyTransportError(
  provider: string,
  error: Error,
  timeouts: { readonly connectMs: number; readonly firstByteMs: number; readonly idleMs: number },
): GatewayError {
  if (error instanceof GatewayError) return error;
  const code = (error as Error & { code?: unknown }).code;
  if (typeof code === 'string') {
    const phase = TIMEOUT_CODES[code];
    if (phase !== undefined) {
      const ms = phase === 'connect' ? timeouts.connectMs : phase === 'idle' ? timeouts.idleMs : timeouts.firstByteMs;
      return new UpstreamTimeoutError(provider, phase, ms);
    }
    if (code === 'ECONNREFUSED') return new UpstreamUnavailableError(provider, 'connection refused', { cause: error });
    if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return new UpstreamUnavailableError(provider, 'connection reset', { cause: error });
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new UpstreamUnavailableError(provider, 'host name not found', { cause: error });
    if (code.startsWith('ERR_TLS') || code.includes('CERT')) return new UpstreamUnavailableError(provider, 'TLS handshake failed', { cause: error });
  }
  return new UpstreamUnavailableError(provider, clip(error.message, 120), { cause: error });
}

export function protocolError(provider: string, detail: string): GatewayError {
  return new UpstreamProtocolError(provider, detail);
}
