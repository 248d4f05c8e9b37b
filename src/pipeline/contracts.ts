/**
 * The contracts of the request pipeline. Every proxied call goes through the
 * same stages, in this order:
 *
 *   authenticate → resolve → admit → attempt → settle
 *
 * - authenticate: from the request's headers, before its body is read or
 *   routed, yields the read-only Principal (or refuses with 401);
 * - resolve: the model name to a route, among the models the principal may use;
 * - admit: RequestPolicy instances in order; each may refuse (throw a
 *   GatewayError), edit the request (RequestEdit), hand back an
 *   AdmissionHandle to settle at the end, and watch the output (StreamHook);
 * - attempt: retries, fallbacks and the commit point (see attempt.ts);
 * - settle: every admission handle and every observer hears the call's one
 *   CallOutcome, exactly once, whatever path ended it.
 *
 * Features plug in here (metering is a CallObserver; tenancy an
 * Authenticator and policies) and import from this module, never from the
 * HTTP layer.
 */
import type { Logger } from 'pino';
import type { BudgetConfig, GuardrailsConfig } from '../config/types.js';
import type { GatewayError } from '../errors/index.js';
import type { IRChunk, IRRequest, IRUsage, WireFormat } from '../ir/index.js';
import type { JsonObject } from '../protocols/json.js';
import type { Deployment, ResolvedRoute } from '../routing/router.js';

/** Requests and tokens per minute allowed to one key or one tenant. */
export interface RateLimit {
  readonly scope: 'key' | 'tenant';
  /** The key's public id, or the tenant's name. */
  readonly id: string;
  readonly rpm: number | undefined;
  readonly tpm: number | undefined;
}

/** One budget of one owner: a tenant's (or a key's) spending limit over a period. */
export interface BudgetRef {
  /** Unique and stable: `tenant:<name>:<period>` or `key:<id>:<period>`. */
  readonly id: string;
  readonly scope: 'tenant' | 'key';
  /** The tenant's name or the key's id. */
  readonly owner: string;
  /** The tenant the budget belongs to (for a key's budget, the key's tenant). */
  readonly tenant: string;
  readonly config: BudgetConfig;
}

/** Model-name patterns; see Principal.modelScopes. */
export type ModelScope = readonly string[];

/** Who is calling. Established once by the authenticate stage; read-only afterwards. */
export interface Principal {
  /** The tenant: the `tenant` label of metrics and the tenant of ledger rows (a bounded set). */
  readonly tenant: string;
  /** The virtual key's public id; undefined for anonymous callers. */
  readonly keyId: string | undefined;
  /**
   * The models the caller may use, as lists of model-name patterns (`*`
   * matches any run of characters): a name is allowed when it matches some
   * pattern of every list (a tenant's list, narrowed by its key's). No lists:
   * every model.
   */
  readonly modelScopes: readonly ModelScope[];
  /** The rate limits that apply to the caller (its key's, its tenant's); empty for none. */
  readonly rateLimits: readonly RateLimit[];
  /** The budgets that apply to the caller (its key's, then its tenant's); empty for none. Built once per key, not per request. */
  readonly budgets: readonly BudgetRef[];
  /** The cost guardrails of the caller's key and tenant (key first); the strictest setting wins. Empty for none. */
  readonly guardrails: readonly GuardrailsConfig[];
}

export type RequestHeaders = Readonly<Record<string, string | string[] | undefined>>;

/** The authenticate stage. Throws a GatewayError (401) to refuse. */
export interface Authenticator {
  authenticate(headers: RequestHeaders): Principal | Promise<Principal>;
}

/** Per-request state of the HTTP exchange, shared by the stages. */
export interface RequestContext {
  readonly requestId: string;
  /** performance.now() at arrival: for durations. */
  readonly startedAt: number;
  /** Date.now() at arrival: for records. */
  readonly startedAtEpochMs: number;
  readonly log: Logger;
  /** Aborted when the client goes away: cancels upstream work and waits. */
  readonly signal: AbortSignal;
  /** For the access log line: the model asked for and the route that served it. */
  model: string | undefined;
  route: string | undefined;
  /** The client went away before its response was complete (cheaper than `signal` on the hot path). */
  readonly clientGone: boolean;
  /** The one listener told when the client goes away (the upstream attempt in flight); undefined to stop. */
  onClientGone(listener: (() => void) | undefined): void;
}

/** A typed change a policy makes to the request. */
export interface RequestEdit {
  /** Serve another model (a downgrade): the call is routed again, among the models the principal may use. */
  readonly model?: string;
  /** Lower the output-token ceiling to at most this (a client's lower ceiling stands). */
  readonly maxOutputTokens?: number;
}

/** What the model produced, for counting tokens when the upstream reported no usage. Computed only when asked. */
export interface OutputCapture {
  /**
   * The output's text. `share` (default 1) is the part of the output the text
   * covers when only part of a long output was kept: counts from it are
   * scaled up by 1 / share.
   */
  text(): { readonly completion: string; readonly reasoning: string; readonly share?: number };
}

/** One call through the pipeline, from its resolution to its settlement. */
export interface Call {
  readonly ctx: RequestContext;
  readonly principal: Principal;
  readonly clientFormat: WireFormat;
  /** The model name the client sent. */
  readonly requestedModel: string;
  readonly stream: boolean;
  /** The body as the client sent it: the parsed object and its text. */
  readonly client: { readonly body: Readonly<JsonObject>; readonly text: string };
  /**
   * The body to forward: `client.body` itself until an edit changes it, then
   * a copy (never edited in place: while it is still `client.body`,
   * pass-through sends the client's own text with only the model spliced in).
   */
  readonly body: Readonly<JsonObject>;
  /** The route serving the call (after any model edit). */
  readonly route: ResolvedRoute;
  /** The output-token ceiling set by policies, when one did. */
  readonly maxOutputTokens: number | undefined;
  /** The output-token ceiling the call goes out with (the client's, lowered by policies); undefined for none. Reads the body, not the IR. */
  outputCeiling(): number | undefined;
  /**
   * The request in the internal model, built on first use and then shared
   * by policies, translation and metering. Throws the client's 400 when the
   * body cannot be read. Read-only: change the request with a RequestEdit.
   */
  ir(): Readonly<IRRequest>;
  /** Token usage estimated with the tokenizer from what was produced (for calls the upstream reported none for). */
  estimateUsage(output: OutputCapture, upstreamModel: string): IRUsage | undefined;
}

/** A delta of output, as a stream hook sees it. */
export type OutputDelta = Extract<IRChunk, { type: 'text' | 'reasoning' | 'tool_call' }>;

/**
 * What a stream hook decides after a delta: go on; end the response now as if
 * the model had hit its ceiling; or end a stream with an error (a budget used
 * up mid-stream: the terminal error event, `response.failed` for Responses).
 * A non-streamed response is never failed by a hook (its output is produced
 * and billed already): `fail` ends it like `length`.
 */
export type StreamVerdict = 'continue' | { readonly end: 'length' } | { readonly fail: GatewayError };

/**
 * Watches one call's output as it passes, on every relay (streamed or not,
 * translated or passed through). Asking for one makes pass-through streams
 * decode their events, so a policy returns a hook only for calls it must
 * watch.
 */
export interface StreamHook {
  /** `outputTokens`: the running count of output tokens, this delta included. */
  onOutput(delta: OutputDelta, outputTokens: number): StreamVerdict;
}

/**
 * Something to settle when the call is over (a budget reservation, a
 * concurrency slot). Settled exactly once, with the call's outcome, on every
 * path. Errors are logged, never passed to the client.
 */
export interface AdmissionHandle {
  settle(outcome: CallOutcome): void | Promise<void>;
}

/** What a policy hands back when it admits a call. */
export interface Admission {
  readonly edit?: RequestEdit;
  /** Headers the call's response carries, success or failure (the caller's rate-limit state, …). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly handle?: AdmissionHandle;
  readonly hook?: StreamHook;
}

/** The admit stage: runs before anything is sent upstream (budgets, rate limits, access rules). Throw a GatewayError to refuse. */
export interface RequestPolicy {
  readonly name: string;
  admit(call: Call): Admission | undefined | Promise<Admission | undefined>;
}

/** `shutdown`: the gateway was shutting down and ended the call (a terminal event or a 503). */
export type CallStatus = 'ok' | 'error' | 'client_closed' | 'shutdown';

export interface CallOutcome {
  readonly status: CallStatus;
  /** HTTP status the client got (499 when it went away first). */
  readonly httpStatus: number;
  readonly errorCode: string | undefined;
  /** The stage the call ended in: `admit` for refusals (nothing was sent upstream). */
  readonly stage: 'admit' | 'attempt';
  /** Set when a stream hook ended the output early. */
  readonly endedEarly: 'length' | undefined;
  readonly deployment: Deployment | undefined;
  /** Upstream attempts sent. */
  readonly attempts: number;
  /** Usage as the upstream reported it, else as estimated with the tokenizer; undefined when the model produced nothing. */
  readonly usage: IRUsage | undefined;
  /** `usage` was counted by the gateway: the upstream reported none (or the client left first, or a hook ended the call). */
  readonly usageEstimated?: boolean;
  /** What the model produced, for counting tokens when `usage` is missing. */
  readonly output: OutputCapture | undefined;
  readonly durationMs: number;
  /** From the upstream request being sent to the end of the exchange. */
  readonly upstreamDurationMs: number;
  /** From the request's arrival to the first byte sent to the client. */
  readonly timeToFirstByteMs: number | undefined;
}

/** Watches calls: `onStart` per upstream attempt sent, `onEnd` exactly once per call, on every path. */
export interface CallObserver {
  onStart?(call: Call, deployment: Deployment, attempt: number): void;
  onEnd(call: Call, outcome: CallOutcome): void;
}
