import type { GatewayError } from '../errors/index.js';
import type { IRRequest, IRUsage, WireFormat } from '../ir/index.js';
import type { JsonObject } from '../protocols/json.js';
import type { ResolvedRoute } from '../routing/router.js';
import type { ClientCodec } from '../translators/types.js';
import type { Call, OutputCapture, Principal, RequestContext, RequestEdit, StreamHook } from './contracts.js';

/** Token counts from a real tokenizer, supplied by the composition root (metering owns the tokenizer). */
export interface TokenEstimator {
  /** A running counter of a model's output tokens (unrounded: the caller sums and rounds up). */
  outputCounter(model: string): (text: string) => number;
  estimateUsage(model: string, request: IRRequest, completion: string, reasoning: string): IRUsage;
}

export interface CallInit {
  readonly ctx: RequestContext;
  readonly principal: Principal;
  readonly codec: ClientCodec;
  readonly requestedModel: string;
  readonly stream: boolean;
  readonly client: { readonly body: Readonly<JsonObject>; readonly text: string };
  readonly route: ResolvedRoute;
  readonly tokens: TokenEstimator;
}

/**
 * The pipeline's call: what the contracts expose read-only, plus what the
 * stages themselves change (edits, hooks). Its IR is built once, on first
 * use, and shared by policies, translation and metering.
 */
export class PipelineCall implements Call {
  readonly ctx: RequestContext;
  readonly principal: Principal;
  readonly clientFormat: WireFormat;
  readonly codec: ClientCodec;
  readonly requestedModel: string;
  readonly stream: boolean;
  readonly client: { readonly body: Readonly<JsonObject>; readonly text: string };
  readonly tokens: TokenEstimator;
  body: Readonly<JsonObject>;
  route: ResolvedRoute;
  maxOutputTokens: number | undefined;
  /** Hooks that watch the output; empty for almost every call. */
  readonly hooks: StreamHook[] = [];
  /** Response headers policies added (name, value, name, value, …); undefined for almost every call. */
  extraHeaders: string[] | undefined;
  private request: IRRequest | undefined;
  /** Why the gateway ended the call from outside (shutdown); the attempt stage stops at once. */
  stoppedBy: GatewayError | undefined;
  /** The attempt in flight, aborted by `stop`. */
  private inFlight: { abort(error: GatewayError): void } | undefined;
  /** Made only when a retry waits: wakes the wait when the call is stopped. */
  private stopController: AbortController | undefined;

  constructor(init: CallInit) {
    this.ctx = init.ctx;
    this.principal = init.principal;
    this.codec = init.codec;
    this.clientFormat = init.codec.format;
    this.requestedModel = init.requestedModel;
    this.stream = init.stream;
    this.client = init.client;
    this.body = init.client.body;
    this.route = init.route;
    this.tokens = init.tokens;
  }

  /** The attempt stage's relay in flight (undefined between attempts). */
  attempting(relay: { abort(error: GatewayError): void } | undefined): void {
    this.inFlight = relay;
  }

  /**
   * Ends the call from outside the pipeline (shutdown): the attempt in flight
   * is aborted with `error`, which the relay renders as the protocol's
   * terminal event once the stream has started; a retry waiting is woken.
   */
  stop(error: GatewayError): void {
    if (this.stoppedBy !== undefined) return;
    this.stoppedBy = error;
    this.inFlight?.abort(error);
    this.stopController?.abort(error);
  }

  /** Aborted when the call is stopped; for waits between attempts only (allocated on first use). */
  get stopSignal(): AbortSignal {
    if (this.stopController === undefined) {
      this.stopController = new AbortController();
      if (this.stoppedBy !== undefined) this.stopController.abort(this.stoppedBy);
    }
    return this.stopController.signal;
  }

  ir(): Readonly<IRRequest> {
    if (this.request === undefined) {
      const request = this.codec.parseRequest(this.body);
      if (this.maxOutputTokens !== undefined) request.maxTokens = Math.min(request.maxTokens ?? Infinity, this.maxOutputTokens);
      this.request = request;
    }
    return this.request;
  }

  outputCeiling(): number | undefined {
    const own = this.codec.outputCeiling(this.body);
    if (this.maxOutputTokens === undefined) return own;
    return own === undefined ? this.maxOutputTokens : Math.min(own, this.maxOutputTokens);
  }

  /** Whether the IR was built (metering and translation share it; pass-through never needs it). */
  get hasIr(): boolean {
    return this.request !== undefined;
  }

  estimateUsage(output: OutputCapture, upstreamModel: string): IRUsage | undefined {
    const { completion, reasoning, share = 1 } = output.text();
    const usage = this.tokens.estimateUsage(upstreamModel, this.ir(), completion, reasoning);
    if (share >= 1 || share <= 0) return usage;
    // Only part of a long output was kept: the rest is counted at the same rate.
    const completionTokens = Math.ceil(usage.completionTokens / share);
    const scaled: IRUsage = { ...usage, completionTokens, totalTokens: usage.promptTokens + completionTokens };
    if (usage.reasoningTokens !== undefined) scaled.reasoningTokens = Math.ceil(usage.reasoningTokens / share);
    return scaled;
  }

  /** Applies a policy's edit: the body becomes a copy, the IR follows, a new model is routed by `reroute`. */
  apply(edit: RequestEdit, reroute: (model: string) => ResolvedRoute): void {
    if (edit.model !== undefined && edit.model !== this.route.name) {
      this.route = reroute(edit.model);
      this.ctx.route = this.route.name;
    }
    const ceiling = edit.maxOutputTokens;
    if (ceiling !== undefined && Number.isInteger(ceiling) && ceiling > 0 && ceiling < (this.maxOutputTokens ?? Infinity)) {
      const current = this.codec.outputCeiling(this.body);
      if (current === undefined || current > ceiling) this.body = this.codec.withOutputCeiling(this.body, ceiling);
      this.maxOutputTokens = ceiling;
      if (this.request !== undefined) this.request.maxTokens = Math.min(this.request.maxTokens ?? Infinity, ceiling);
    }
  }
}
