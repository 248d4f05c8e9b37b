/**
 * What a failed upstream attempt means for the next step: try the same
 * deployment again (retry), try the next deployment (fallback), or give up.
 * The input is what `classify.ts` produces (a GatewayError with a stable
 * `code`, and `upstreamStatus` on an UpstreamError), a raw transport error
 * (undici / Node `code`s), or a bare upstream HTTP status.
 */
import { GatewayError, UpstreamError } from '../errors/index.js';

export type FailureKind =
  /** Connection refused/reset, DNS, TLS, socket errors. */
  | 'network'
  /** Connect, first-byte or idle timeouts; HTTP 408. */
  | 'timeout'
  /** HTTP 429 that is a rate limit: it clears by itself. */
  | 'rate_limited'
  /** HTTP 429 `insufficient_quota`: billing, does not clear by waiting seconds. */
  | 'quota'
  /** HTTP 5xx. */
  | 'server'
  /** HTTP 401/403: the gateway's credentials for this upstream are wrong. */
  | 'auth'
  /** HTTP 404 from the upstream: this deployment does not serve the model. */
  | 'not_found'
  /** HTTP 409: a conflict the upstream reports as transient. */
  | 'conflict'
  /** The prompt does not fit the deployment's context window. */
  | 'context_length'
  /** Any other 4xx: the request itself is wrong; another try gets the same answer. */
  | 'client'
  /** The upstream's reply could not be read. */
  | 'protocol'
  /** The exchange was aborted on purpose (the client went away, shutdown). */
  | 'cancelled'
  /** A failure inside the gateway, not the upstream's. */
  | 'gateway';

export interface FailureClass {
  readonly kind: FailureKind;
  /** Worth another attempt on the same deployment. */
  readonly retryable: boolean;
  /**
   * Worth trying the next deployment of the route. `context_length` is
   * false here: it depends on the context windows, see {@link shouldFallback}.
   */
  readonly fallback: boolean;
  /** The upstream HTTP status, when the failure was an HTTP response. */
  readonly status: number | undefined;
}

/** RFC 9110 statuses that say "try again": timeout, conflict, rate limit, and the transient 5xx. */
const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 409, 429, 500, 502, 503, 504]);

/** Kinds after which another deployment may well succeed. */
const FALLBACK_KINDS: ReadonlySet<FailureKind> = new Set<FailureKind>(['network', 'timeout', 'rate_limited', 'quota', 'server', 'auth', 'not_found', 'conflict', 'protocol']);

const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EPROTO',
  'UND_ERR_SOCKET',
]);

const TIMEOUT_CODES: ReadonlySet<string> = new Set([
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

const ABORT_CODES: ReadonlySet<string> = new Set(['ABORT_ERR', 'UND_ERR_ABORTED']);

/**
 * OpenSSL certificate verification failures. They are TLS errors, but the
 * same certificate fails the same way on every attempt, so they are not
 * retried (another deployment may still work).
 */
function isCertificateCode(code: string): boolean {
  return code.includes('CERT') || code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' || code === 'ERR_TLS_CERT_ALTNAME_INVALID';
}

function make(kind: FailureKind, status: number | undefined, retryable: boolean): FailureClass {
  return { kind, retryable, fallback: FALLBACK_KINDS.has(kind), status };
}

/** Classifies an upstream HTTP status on its own. */
export function classifyStatus(status: number): FailureClass {
  const retryable = RETRYABLE_STATUSES.has(status);
  if (status >= 500) return make('server', status, retryable);
  if (status === 429) return make('rate_limited', status, true);
  if (status === 401 || status === 403) return make('auth', status, false);
  if (status === 404) return make('not_found', status, false);
  if (status === 408) return make('timeout', status, true);
  if (status === 409) return make('conflict', status, true);
  if (status >= 400) return make('client', status, false);
  // An API that answers a POST with 1xx-3xx is misconfigured (e.g. an http->https redirect).
  return make('protocol', status, false);
}

/**
 * Classifies a GatewayError code, with the upstream status when the error
 * came from an upstream response (undefined for the gateway's own errors).
 * Stream-level error codes of the Responses API (`server_error`,
 * `rate_limit_exceeded`, …) are understood too.
 */
export function classifyCode(code: string, upstreamStatus: number | undefined): FailureClass {
  switch (code) {
    case 'context_length_exceeded':
      return make('context_length', upstreamStatus, false);
    case 'insufficient_quota':
      return make('quota', upstreamStatus, false);
    case 'upstream_auth_failed':
      return make('auth', upstreamStatus, false);
    case 'upstream_unavailable':
      return make('network', undefined, true);
    case 'upstream_timeout':
      return make('timeout', undefined, true);
    case 'upstream_protocol_error':
      return make('protocol', upstreamStatus, false);
    case 'upstream_invalid_response':
      // A 2xx that is not the API's JSON (an HTML error page, a garbled body): the deployment
      // failed like a 5xx, and the next answer may well be right.
      return make('server', upstreamStatus, true);
    case 'upstream_response_too_large':
      // The same request would get the same reply from this deployment: not retried; another may differ.
      return make('protocol', upstreamStatus, false);
    default:
      break;
  }
  if (upstreamStatus !== undefined) return classifyStatus(upstreamStatus);
  switch (code) {
    case 'rate_limit_exceeded':
      return make('rate_limited', undefined, true);
    case 'server_error':
    case 'upstream_error':
      return make('server', undefined, true);
    default:
      // The gateway's own errors (invalid_request, model_not_found, internal_error, …).
      return make('gateway', undefined, false);
  }
}

/** Finds a Node/undici error `code` on the error or its `cause` chain (fetch wraps them). */
function transportCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Classifies a raw transport error (not yet turned into a GatewayError). */
export function classifyTransportFailure(error: unknown): FailureClass {
  const name = error instanceof Error ? error.name : undefined;
  if (name === 'TimeoutError') return make('timeout', undefined, true);
  if (name === 'AbortError') return make('cancelled', undefined, false);
  const code = transportCode(error);
  if (code === undefined) return make('gateway', undefined, false);
  if (TIMEOUT_CODES.has(code)) return make('timeout', undefined, true);
  if (ABORT_CODES.has(code)) return make('cancelled', undefined, false);
  if (isCertificateCode(code)) return make('network', undefined, false);
  if (NETWORK_CODES.has(code) || code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL')) return make('network', undefined, true);
  return make('gateway', undefined, false);
}

/** A failed attempt: an error (GatewayError or raw transport error) or a bare upstream status. */
export interface FailureInput {
  readonly error?: unknown;
  readonly status?: number | undefined;
}

export function classifyFailure(input: FailureInput): FailureClass {
  const { error } = input;
  if (error instanceof GatewayError) {
    const upstreamStatus = error instanceof UpstreamError ? error.upstreamStatus : undefined;
    const result = classifyCode(error.code, upstreamStatus);
    if (result.kind === 'network') {
      const code = transportCode(error.cause);
      if (code !== undefined && isCertificateCode(code)) return make('network', undefined, false);
    }
    return result;
  }
  if (error !== undefined) return classifyTransportFailure(error);
  if (input.status !== undefined) return classifyStatus(input.status);
  return make('gateway', undefined, false);
}

export interface FallbackContext {
  /** Context window of the deployment that failed, when known. */
  readonly contextWindow?: number | undefined;
  /** Context windows of the deployments still to try, in order (undefined = unknown). */
  readonly laterContextWindows?: readonly (number | undefined)[];
}

/**
 * Whether a failure justifies moving on to the next deployment: rate limits
 * and quota (another account or server), 5xx, network, timeouts, rejected
 * credentials, a model the deployment does not have, an unreadable reply;
 * and `context_length_exceeded` only when a later deployment is known to
 * have a larger context window than this one. Client errors do not: the
 * next deployment would reject the same request.
 */
export function shouldFallback(failure: { readonly code: string; readonly upstreamStatus?: number | undefined } | FailureClass, context: FallbackContext = {}): boolean {
  const result = 'kind' in failure ? failure : classifyCode(failure.code, failure.upstreamStatus);
  if (result.kind !== 'context_length') return result.fallback;
  const current = context.contextWindow;
  if (current === undefined) return false;
  return (context.laterContextWindows ?? []).some((window) => window !== undefined && window > current);
}
