import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { InternalError, InvalidRequestError, toGatewayError } from '../errors/index.js';
import type { GatewayError } from '../errors/index.js';
import type { WireFormat } from '../ir/index.js';
import type { JsonObject } from '../protocols/json.js';
import type { Router } from '../routing/router.js';
import { clientCodecFor } from '../translators/registry.js';
import { attemptCall } from './attempt.js';
import type { AttemptDeps } from './attempt.js';
import { PipelineCall } from './call.js';
import type { TokenEstimator } from './call.js';
import type { Admission, Authenticator, CallOutcome, Principal, RequestContext, RequestHeaders, RequestPolicy } from './contracts.js';
import { callOutcome } from './outcome.js';
import { namesFor, resolveRoute } from './resolve.js';
import { sendFailure } from './respond.js';
import { Settlement } from './settle.js';

export interface PipelineDeps extends AttemptDeps {
  readonly log: Logger;
  readonly router: Router;
  readonly authenticator: Authenticator;
  readonly policies: readonly RequestPolicy[];
  readonly tokens: TokenEstimator;
}

/** A proxied request whose caller is authenticated and whose body has been read. */
export interface CallRequest {
  readonly ctx: RequestContext;
  readonly principal: Principal;
  readonly clientFormat: WireFormat;
  readonly client: { readonly body: Readonly<JsonObject>; readonly text: string };
}

/**
 * The request pipeline: authenticate → resolve → admit → attempt → settle
 * (see contracts.ts). The HTTP layer authenticates first (before it reads a
 * body), then hands the request to `run`, which owns every later stage and
 * settles the call exactly once on every path.
 */
export class Pipeline {
  /** Calls between resolve and settle: what shutdown waits for, and ends at its deadline. */
  private readonly open = new Set<PipelineCall>();
  /** Set once the gateway ends every call (shutdown): later calls end at once too. */
  private stopping: GatewayError | undefined;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly deps: PipelineDeps) {}

  /** Calls in flight. */
  get openCalls(): number {
    return this.open.size;
  }

  /** Resolves when no call is in flight. */
  whenIdle(): Promise<void> {
    if (this.open.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Ends every call in flight with `error`, through its own stages: a stream
   * under way ends with its protocol's terminal event, a call not yet
   * answered gets the error, the upstream request is aborted, and each call
   * settles with status `shutdown`. Calls that start afterwards end the same
   * way at once.
   */
  stopAll(error: GatewayError): void {
    this.stopping ??= error;
    for (const call of this.open) call.stop(error);
  }

  /** The authenticate stage, from the headers alone. */
  authenticate(headers: RequestHeaders): Principal | Promise<Principal> {
    return this.deps.authenticator.authenticate(headers);
  }

  /** The model names the principal may use, as listed by `GET /v1/models` (wildcard routes expanded best-effort). */
  async modelNames(principal: Principal, signal: AbortSignal): Promise<string[]> {
    const { router } = this.deps;
    const discovered = await router.discoverWildcardNames(signal);
    return namesFor(principal, [...new Set([...router.concreteNames(), ...discovered])]);
  }

  /**
   * Resolves, admits, attempts and settles one call. Throws only before the
   * call exists (a body without a model, an unknown model): those are
   * answered by the HTTP layer and are not calls.
   */
  async run(res: ServerResponse, request: CallRequest): Promise<void> {
    const { deps } = this;
    const { ctx, principal, client } = request;
    const codec = clientCodecFor(request.clientFormat);
    if (codec === undefined) throw new InvalidRequestError(`The gateway does not accept ${request.clientFormat} requests.`);
    const { model, stream } = readTarget(client.body);
    ctx.model = model;
    const route = resolveRoute(deps.router, principal, model);
    ctx.route = route.name;
    const call = new PipelineCall({ ctx, principal, codec, requestedModel: model, stream, client, route, tokens: deps.tokens });
    const settlement = new Settlement(call, deps.observers, deps.log);
    let outcome: CallOutcome;
    let admitted = false;
    this.open.add(call);
    if (this.stopping !== undefined) call.stop(this.stopping);
    try {
      // Policies that answer at once cost no promise: the common gateway pays little for the stage.
      if (deps.policies.length > 0) {
        const pending = this.admit(call, settlement, 0);
        if (pending !== undefined) await pending;
      }
      admitted = true;
      outcome = ctx.clientGone ? callOutcome(call, { stage: 'admit', status: 'client_closed', httpStatus: 499, errorCode: 'client_closed' }) : await attemptCall(res, call, deps);
    } catch (thrown) {
      const error = toGatewayError(thrown);
      // A stack is worth logging only for a failure nobody foresaw; a refusal (the ledger full, shutting down) is a line.
      if (error instanceof InternalError) ctx.log.error({ err: thrown }, 'call failed');
      else if (error.status >= 500) ctx.log.warn({ code: error.code, status: error.status }, error.message);
      else ctx.log.info({ code: error.code, status: error.status }, error.message);
      const sent = sendFailure(res, call, error, { 'x-request-id': ctx.requestId }, false);
      outcome = callOutcome(call, { stage: admitted ? 'attempt' : 'admit', status: sent ? 'error' : 'client_closed', httpStatus: sent ? error.status : 499, errorCode: error.code });
    } finally {
      this.open.delete(call);
    }
    settlement.settle(outcome);
    if (this.idleWaiters.length > 0 && this.open.size === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  /**
   * The admit stage: policies in order; each may refuse (throw), edit, hand
   * back a handle and watch the output. Runs synchronously while the policies
   * answer synchronously; returns a promise only from the first that does not.
   */
  private admit(call: PipelineCall, settlement: Settlement, from: number): Promise<void> | undefined {
    const { policies } = this.deps;
    for (let index = from; index < policies.length; index++) {
      const admission = policies[index]!.admit(call);
      if (admission instanceof Promise) {
        return admission.then((resolved) => {
          this.apply(call, settlement, resolved);
          return this.admit(call, settlement, index + 1);
        });
      }
      this.apply(call, settlement, admission);
    }
    return undefined;
  }

  private apply(call: PipelineCall, settlement: Settlement, admission: Admission | undefined): void {
    if (admission === undefined) return;
    // The handle first: if applying the edit refuses the call, the handle is still settled.
    if (admission.handle) settlement.add(admission.handle);
    if (admission.hook) call.hooks.push(admission.hook);
    if (admission.headers) for (const [name, value] of Object.entries(admission.headers)) (call.extraHeaders ??= []).push(name, value);
    if (admission.edit) call.apply(admission.edit, (model) => resolveRoute(this.deps.router, call.principal, model));
  }
}

function readTarget(body: Readonly<JsonObject>): { model: string; stream: boolean } {
  const model = body['model'];
  if (typeof model !== 'string' || model.length === 0) {
    throw new InvalidRequestError("The request needs a 'model' string naming one of the gateway's models (see GET /v1/models).", { param: 'model', code: 'missing_model' });
  }
  const stream = body['stream'];
  if (stream !== undefined && stream !== null && typeof stream !== 'boolean') throw new InvalidRequestError("'stream' must be a boolean.", { param: 'stream' });
  return { model, stream: stream === true };
}

