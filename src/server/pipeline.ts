import type { Logger } from 'pino';
import type { IRChunk, IRUsage, WireFormat } from '../ir/index.js';
import type { JsonObject } from '../protocols/json.js';
import type { Deployment, ResolvedRoute } from '../routing/router.js';
import type { OutputCapture } from './relay/relay.js';

/** Per-request state shared by the steps of the pipeline. */
export interface RequestContext {
  readonly requestId: string;
  /** performance.now() at arrival: for durations. */
  readonly startedAt: number;
  /** Date.now() at arrival: for records. */
  readonly startedAtEpochMs: number;
  readonly log: Logger;
  /** Aborted when the client goes away: cancels upstream work and waits. */
  readonly signal: AbortSignal;
  /** Tenant label for metrics and the ledger; `default` for anonymous traffic. */
  tenant: string;
  /** For the access log line: the model asked for and the route that served it. */
  model: string | undefined;
  route: string | undefined;
  /** The client went away before its response was complete (cheaper than `signal` on the hot path). */
  readonly clientGone: boolean;
  /** The one listener told when the client goes away (the upstream attempt in flight); undefined to stop. */
  onClientGone(listener: (() => void) | undefined): void;
}

/** A validated request about to be forwarded. Policies may change it (clamp, downgrade) or refuse it (throw). */
export interface PreparedCall {
  readonly ctx: RequestContext;
  readonly clientFormat: WireFormat;
  /** The model name the client sent. */
  readonly requestedModel: string;
  /**
   * The client's body; the forwarder copies what it sends upstream from it.
   * A policy that changes the request replaces it with a new object (never
   * edits it in place): while it is still `client.body`, pass-through sends
   * the client's own text with only the model name spliced in.
   */
  body: Readonly<JsonObject>;
  /** The body as the client sent it: the parsed object and its text. */
  readonly client: { readonly body: Readonly<JsonObject>; readonly text: string };
  readonly stream: boolean;
  route: ResolvedRoute;
}

/** Runs before anything is sent upstream (budgets, rate limits, access rules). */
export interface RequestPolicy {
  readonly name: string;
  beforeForward(call: PreparedCall): void | Promise<void>;
}

export type CallStatus = 'ok' | 'error' | 'client_closed';

export interface CallOutcome {
  readonly status: CallStatus;
  /** HTTP status the client got (499 when it went away first). */
  readonly httpStatus: number;
  readonly errorCode: string | undefined;
  readonly deployment: Deployment | undefined;
  /** Usage as the upstream reported it; undefined when it reported none (or the client left first). */
  readonly usage: IRUsage | undefined;
  /** What the model produced, for counting tokens when `usage` is missing. */
  readonly output: OutputCapture | undefined;
  readonly durationMs: number;
  /** From the upstream request being sent to the end of the exchange. */
  readonly upstreamDurationMs: number;
  /** From the request's arrival to the first byte sent to the client. */
  readonly timeToFirstByteMs: number | undefined;
}

/**
 * Watches one forwarded call. `onChunk` sees every IR chunk of a translated
 * response (the place for a token ceiling); `onEnd` is called exactly once.
 */
export interface CallObserver {
  /** An upstream attempt was sent. */
  onStart?(call: PreparedCall, deployment: Deployment): void;
  onChunk?(call: PreparedCall, chunk: IRChunk): void;
  onEnd(call: PreparedCall, outcome: CallOutcome): void;
}
