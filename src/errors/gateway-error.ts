/**
 * Every failure a client can see is a GatewayError: a stable `code`, an honest
 * HTTP `status`, the OpenAI error `type`, and a message that says what went
 * wrong and what to do. `cause` is for logs only and never reaches a client.
 */
export interface GatewayErrorOptions {
  readonly param?: string | null;
  readonly cause?: unknown;
  /** Extra response headers (for example `Retry-After`). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Extra fields of the error object that clients read (Codex: `resets_at` of a usage limit). */
  readonly fields?: Readonly<Record<string, string | number>>;
}

export class GatewayError extends Error {
  readonly status: number;
  readonly type: string;
  readonly code: string;
  readonly param: string | null;
  readonly headers: Readonly<Record<string, string>>;
  readonly fields: Readonly<Record<string, string | number>> | undefined;

  constructor(status: number, type: string, code: string, message: string, options: GatewayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.status = status;
    this.type = type;
    this.code = code;
    this.param = options.param ?? null;
    this.headers = options.headers ?? {};
    this.fields = options.fields;
  }
}

export class InvalidRequestError extends GatewayError {
  constructor(message: string, options: GatewayErrorOptions & { code?: string } = {}) {
    super(400, 'invalid_request_error', options.code ?? 'invalid_request', message, options);
  }
}

export class InvalidJsonError extends GatewayError {
  constructor(detail: string) {
    super(
      400,
      'invalid_request_error',
      'invalid_json',
      `The request body is not valid JSON (${detail}). Send a JSON object with Content-Type: application/json.`,
    );
  }
}

export class PayloadTooLargeError extends GatewayError {
  constructor(limitBytes: number) {
    super(
      413,
      'invalid_request_error',
      'request_too_large',
      `The request body exceeds the gateway limit of ${limitBytes} bytes. Send a smaller request, or raise server.body_limit in the gateway configuration.`,
    );
  }
}

export class ModelNotFoundError extends GatewayError {
  constructor(model: string, available: readonly string[]) {
    const list = available.length > 0 ? available.join(', ') : '(none configured)';
    super(
      404,
      'invalid_request_error',
      'model_not_found',
      `The model '${model}' does not exist on this gateway. Available models: ${list}.`,
      { param: 'model' },
    );
  }
}

/** The caller may not use the model it named. */
export class ModelNotAllowedError extends GatewayError {
  constructor(model: string, allowed: readonly string[]) {
    const list = allowed.length > 0 ? allowed.join(', ') : '(none)';
    super(403, 'invalid_request_error', 'model_not_allowed', `Your key may not use the model '${model}'. Models it may use: ${list}.`, { param: 'model' });
  }
}

export class RouteNotFoundError extends GatewayError {
  constructor(method: string, path: string) {
    super(
      404,
      'invalid_request_error',
      'not_found',
      `No route for ${method} ${path}. Available endpoints: POST /v1/chat/completions, POST /v1/responses, GET /v1/models, GET /healthz, GET /readyz, GET /metrics.`,
    );
  }
}

export class MethodNotAllowedError extends GatewayError {
  readonly allowed: readonly string[];
  constructor(method: string, path: string, allowed: readonly string[]) {
    super(
      405,
      'invalid_request_error',
      'method_not_allowed',
      `${method} is not allowed on ${path}; use ${allowed.join(' or ')}.`,
      { headers: { allow: allowed.join(', ') } },
    );
    this.allowed = allowed;
  }
}

export class UnsupportedMediaTypeError extends GatewayError {
  constructor(contentType: string) {
    super(
      415,
      'invalid_request_error',
      'unsupported_media_type',
      `Content-Type '${contentType}' is not supported; send the request body as application/json.`,
    );
  }
}

/** The upstream answered with an error status that the client may be shown. */
export class UpstreamError extends GatewayError {
  readonly provider: string;
  readonly upstreamStatus: number | undefined;
  constructor(
    status: number,
    code: string,
    message: string,
    provider: string,
    upstreamStatus: number | undefined,
    options: GatewayErrorOptions & { type?: string } = {},
  ) {
    super(status, options.type ?? 'upstream_error', code, message, options);
    this.provider = provider;
    this.upstreamStatus = upstreamStatus;
  }
}

/** The upstream could not be reached or broke the connection. */
export class UpstreamUnavailableError extends GatewayError {
  readonly provider: string;
  constructor(provider: string, detail: string, options: GatewayErrorOptions = {}) {
    super(
      502,
      'upstream_error',
      'upstream_unavailable',
      `The upstream provider '${provider}' could not be reached (${detail}). Check that it is running and that its base_url in the gateway configuration is right.`,
      options,
    );
    this.provider = provider;
  }
}

/** The upstream's reply began and then the connection broke. */
export class UpstreamInterruptedError extends GatewayError {
  readonly provider: string;
  constructor(provider: string, detail: string, cause: unknown) {
    const reason = /\(([^)]+)\)/.exec(detail)?.[1] ?? 'connection lost';
    super(
      502,
      'upstream_error',
      'upstream_interrupted',
      `The upstream provider '${provider}' broke off its reply midway (${reason}). The answer is incomplete; send the request again.`,
      { cause },
    );
    this.provider = provider;
  }
}

export class UpstreamTimeoutError extends GatewayError {
  readonly provider: string;
  constructor(provider: string, phase: string, timeoutMs: number) {
    super(
      504,
      'upstream_error',
      'upstream_timeout',
      `The upstream provider '${provider}' did not answer in time (${phase} timeout after ${timeoutMs} ms). Try again; if it persists, check the provider or raise its timeouts.`,
    );
    this.provider = provider;
  }
}

/** The upstream's reply could not be understood (bad framing, bad JSON). */
export class UpstreamProtocolError extends GatewayError {
  readonly provider: string;
  constructor(provider: string, detail: string, options: GatewayErrorOptions & { code?: string } = {}) {
    super(
      502,
      'upstream_error',
      options.code ?? 'upstream_protocol_error',
      `The upstream provider '${provider}' sent a reply the gateway could not read (${detail}).`,
      options,
    );
    this.provider = provider;
  }
}

/** A successful (2xx) upstream reply that is not the JSON object its API promises: HTML, a truncated or garbled body. */
export class UpstreamInvalidResponseError extends GatewayError {
  readonly provider: string;
  constructor(provider: string, received: string) {
    super(
      502,
      'upstream_error',
      'upstream_invalid_response',
      `The upstream provider '${provider}' answered with something other than the JSON object its API returns (${received}); it was not relayed. Try again; if it persists, an operator should check that provider's base_url and the server behind it.`,
    );
    this.provider = provider;
  }
}

/** A non-streamed upstream reply larger than the gateway holds. */
export class UpstreamResponseTooLargeError extends GatewayError {
  readonly provider: string;
  constructor(provider: string, limitBytes: number, configKey: string) {
    super(
      502,
      'upstream_error',
      'upstream_response_too_large',
      `The upstream provider '${provider}' sent a reply larger than the gateway's limit of ${limitBytes} bytes; it was not relayed. Ask for a shorter answer or stream it (stream: true), or an operator can raise ${configKey} in the gateway configuration.`,
    );
    this.provider = provider;
  }
}

/**
 * The gateway is shutting down: a request that arrives while it drains, or a
 * call still open at the shutdown deadline. Another instance (or this one,
 * restarted) serves the request sent again.
 */
export class ServerShuttingDownError extends GatewayError {
  constructor(ended: boolean) {
    super(
      503,
      'server_error',
      'server_shutting_down',
      ended
        ? 'The gateway is shutting down and ended this request before it was complete. Send the request again; it will be served by an instance that is running.'
        : 'The gateway is shutting down and accepts no new requests. Send the request again; it will be served by an instance that is running.',
      { headers: { 'retry-after': '1', connection: 'close' } },
    );
  }
}

export class InternalError extends GatewayError {
  constructor(cause: unknown) {
    super(500, 'server_error', 'internal_error', 'The gateway hit an internal error. Try again; if it persists, report it with the x-request-id.', {
      cause,
    });
  }
}

/** The usage ledger cannot record more calls: its store fails and its buffer is full (`store.when_full: refuse`). */
export class LedgerUnavailableError extends GatewayError {
  static readonly CODE = 'usage_ledger_unavailable';
  constructor(detail: string) {
    super(
      503,
      'server_error',
      LedgerUnavailableError.CODE,
      `The gateway cannot record usage, so it refuses new requests: ${detail}. Retry later; the operator must make the usage store (store.path or store.url) writable again, or set store.when_full: serve_unmetered.`,
      { headers: { 'retry-after': '10' } },
    );
  }
}

/**
 * The store replicas share rate limits through (Redis) cannot be reached and
 * `redis.when_unavailable` is `fail_closed`: a call with a rate limit is
 * refused rather than let through uncounted. Retrying soon is right: the
 * connection is re-established in the background.
 */
export class RateLimitStoreUnavailableError extends GatewayError {
  static readonly CODE = 'rate_limit_store_unavailable';
  constructor(cause: unknown) {
    super(503, 'server_error', RateLimitStoreUnavailableError.CODE, 'The gateway cannot reach its shared rate-limit store (Redis); try again shortly.', {
      cause,
      headers: { 'retry-after': '2' },
    });
  }
}

/** Anything thrown that is not a GatewayError becomes an InternalError: details stay in logs. */
export function toGatewayError(err: unknown): GatewayError {
  return err instanceof GatewayError ? err : new InternalError(err);
}

/** Why a request was not authenticated: each reason has its own code, so a client (and its user) can tell them apart. */
export type AuthenticationFailure = 'missing' | 'malformed' | 'unknown' | 'revoked' | 'expired' | 'rotated' | 'unknown_tenant';

const AUTHENTICATION_MESSAGES: Readonly<Record<AuthenticationFailure, readonly [code: string, message: string]>> = {
  missing: ['missing_api_key', 'No API key was sent. Send your Tollgate key as `Authorization: Bearer tg_…` (or `x-api-key: tg_…`); ask your gateway administrator for one.'],
  malformed: ['invalid_api_key', 'The API key is not a Tollgate key (expected `tg_<id>_<secret>`). Check that the client sends the key your gateway administrator gave you, not an upstream provider key.'],
  unknown: ['invalid_api_key', 'The API key is not known to this gateway. Check the key, or ask your gateway administrator for a new one.'],
  revoked: ['revoked_api_key', 'The API key was revoked. Ask your gateway administrator for a new one.'],
  expired: ['expired_api_key', 'The API key has expired. Ask your gateway administrator for a new one.'],
  rotated: ['expired_api_key', 'The API key was rotated and its grace period is over. Use the new key your gateway administrator was given.'],
  unknown_tenant: ['invalid_api_key', 'The tenant named by the trusted proxy is not known to this gateway. Declare it under tenants, or create it through the admin API.'],
};

/** 401: the caller is not who it needs to be. Never echoes the key it sent. */
export class AuthenticationError extends GatewayError {
  readonly reason: AuthenticationFailure;
  constructor(reason: AuthenticationFailure, detail?: string) {
    const [code, message] = AUTHENTICATION_MESSAGES[reason];
    super(401, 'invalid_request_error', code, detail === undefined ? message : `${message} (${detail})`, { headers: { 'www-authenticate': 'Bearer realm="tollgate"' } });
    this.reason = reason;
  }
}

/** The client did not send its whole request (headers, or headers and body) in time. */
export class RequestTimeoutError extends GatewayError {
  constructor(part: 'headers' | 'request', timeoutMs: number) {
    const what = part === 'headers' ? 'request headers' : 'whole request (headers and body)';
    super(
      408,
      'invalid_request_error',
      'request_timeout',
      `The ${what} did not arrive within ${timeoutMs} ms, so the gateway closes the connection. Send the request without pausing, or raise server.${part}_timeout in the gateway configuration.`,
    );
  }
}

/** The gateway holds as many client connections as it is configured to; this one is refused. */
export class TooManyConnectionsError extends GatewayError {
  constructor(limit: number) {
    super(
      503,
      'server_error',
      'too_many_connections',
      `The gateway already holds its limit of ${limit} client connections. Retry shortly, reuse connections (keep-alive), or raise server.max_connections in the gateway configuration.`,
      { headers: { 'retry-after': '1' } },
    );
  }
}

/** A streamed response's output passed what the gateway holds for one stream (see server.stream_output_limit). */
export class StreamOutputTooLargeError extends GatewayError {
  constructor(limit: number) {
    super(
      502,
      'server_error',
      'output_too_large',
      `The response's output passed the gateway's limit of ${limit} characters held per stream (server.stream_output_limit), so it was ended there. Ask for a shorter answer, or raise the limit.`,
    );
  }
}

/** The request body nests arrays and objects deeper than the gateway reads. */
export class JsonTooDeepError extends GatewayError {
  constructor(limit: number) {
    super(
      400,
      'invalid_request_error',
      'json_too_deep',
      `The request body nests objects and arrays more than ${limit} levels deep, the gateway's limit. Flatten the deepest part (usually a tool's parameters schema; real schemas need far fewer levels).`,
    );
  }
}

/** An HTTP/1.1 request without the Host header it must carry. */
export class MissingHostError extends GatewayError {
  constructor() {
    super(400, 'invalid_request_error', 'missing_host_header', 'The request has no Host header, which HTTP/1.1 requires. Send one (every HTTP client library does by default).');
  }
}

/** The client closed its connection before its request body arrived: nothing can be answered. */
export class ClientAbortedError extends GatewayError {
  constructor(detail: string) {
    super(499, 'invalid_request_error', 'client_closed_request', `The client closed the connection before sending the whole request body (${detail}).`);
  }
}

/** The upstream's stream ended cleanly but before its final event: the answer is incomplete. */
export class UpstreamTruncatedError extends GatewayError {
  readonly provider: string;
  constructor(provider: string, detail = 'its final event never came') {
    super(
      502,
      'upstream_error',
      'upstream_truncated',
      `The upstream provider '${provider}' ended the stream before the response was complete (${detail}). The answer is incomplete; send the request again.`,
    );
    this.provider = provider;
  }
}

/**
 * 429: a key's or tenant's requests or tokens per minute are used up. The
 * body is what both kinds of client read: `code: rate_limit_exceeded` for the
 * OpenAI SDKs, `type: usage_limit_reached` with `resets_at` for Codex, which
 * then shows the message instead of retrying.
 */
export class RateLimitError extends GatewayError {
  constructor(message: string, retryAfterSeconds: number, headers: Readonly<Record<string, string>>) {
    super(429, 'usage_limit_reached', 'rate_limit_exceeded', message, {
      headers: { ...headers, 'retry-after': String(retryAfterSeconds) },
      fields: { resets_at: Math.ceil(Date.now() / 1000) + retryAfterSeconds },
    });
  }
}

/**
 * 429: a budget cannot hold the call's worst-case cost. Responses clients
 * (Codex) get `type: usage_limit_reached` with `resets_at` and the message in
 * `x-codex-promo-message`, which Codex shows once without retrying; Chat
 * clients get `insufficient_quota`, as OpenAI answers an account out of credit.
 */
export class BudgetExceededError extends GatewayError {
  /**
   * `chatStatus`: the status Chat Completions clients get (429 `insufficient_quota`, or 402 where configured);
   * Responses clients always get 429 `usage_limit_reached`, which Codex shows once without retrying.
   */
  constructor(message: string, promo: string, resetsAtMs: number, responsesClient: boolean, chatStatus: 402 | 429 = 429) {
    const retryAfter = Math.max(1, Math.ceil((resetsAtMs - Date.now()) / 1000));
    // Codex reads `insufficient_quota` anywhere as "Quota exceeded" and drops the message: its clients get their own code.
    super(responsesClient ? 429 : chatStatus, responsesClient ? 'usage_limit_reached' : 'insufficient_quota', responsesClient ? 'budget_exceeded' : 'insufficient_quota', message, {
      headers: { 'retry-after': String(retryAfter), 'x-codex-promo-message': promo },
      fields: { resets_at: Math.ceil(resetsAtMs / 1000) },
    });
  }
}

/**
 * A budget ran out while a stream was under way (the call could not extend its
 * hold): the stream ends with this terminal error — `response.failed` with
 * `insufficient_quota` for Responses clients, which Codex shows as "Quota
 * exceeded" without retrying.
 */
export class BudgetExhaustedInStreamError extends GatewayError {
  constructor(message: string) {
    super(429, 'insufficient_quota', 'insufficient_quota', message);
  }
}

/** A prompt over a guardrail's per-request ceiling. */
export class PromptOverLimitError extends GatewayError {
  constructor(promptTokens: number, limit: number) {
    super(
      400,
      'invalid_request_error',
      'prompt_over_limit',
      `The prompt has ${promptTokens} tokens, more than the ${limit} allowed per request. Send a shorter prompt (fewer files or less history), or ask your gateway administrator to raise max_prompt_tokens.`,
      { param: 'input' },
    );
  }
}

/** A caller with a budget named a model that has no price: the gateway cannot hold its cost against the budget. */
export class UnpricedModelError extends GatewayError {
  constructor(model: string, provider: string, upstreamModel: string) {
    super(
      400,
      'invalid_request_error',
      'model_not_priced',
      `The model '${model}' (${provider}/${upstreamModel}) has no price, so its cost cannot be held against your budget. Ask your gateway administrator to add it under pricing.models (a price of 0 marks it free), or use another model.`,
      { param: 'model' },
    );
  }
}
