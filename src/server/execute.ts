import type { ServerResponse } from 'node:http';
import { GatewayError, UpstreamTimeoutError, UpstreamUnavailableError } from '../errors/index.js';
import type { Deployment } from '../routing/router.js';
import { orderDeployments } from '../routing/balancer.js';
import { breakerOutcome } from '../routing/circuit-breaker.js';
import type { DeploymentStates } from '../routing/deployment-state.js';
import type { GatewayMetrics } from '../telemetry/metrics.js';
import { clientCodecFor } from '../translators/registry.js';
import { classifyFailure, decideRetry, shouldFallback } from '../upstream/retry-policy.js';
import type { Clock } from '../util/clock.js';
import type { RandomSource } from '../util/random.js';
import { forward, responseHeaders } from './forward.js';
import type { ForwardOptions } from './forward.js';
import type { CallObserver, CallOutcome, PreparedCall } from './pipeline.js';
import type { AttemptReport } from './relay/relay.js';
import { sendError } from './respond.js';

export interface ExecuteDeps extends ForwardOptions {
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly states: DeploymentStates;
  readonly metrics: GatewayMetrics;
  readonly observers: readonly CallObserver[];
}

class CircuitOpenError extends GatewayError {
  constructor(model: string, retryInMs: number | undefined) {
    const seconds = retryInMs === undefined ? undefined : Math.max(1, Math.ceil(retryInMs / 1000));
    super(
      503,
      'upstream_error',
      'upstream_unavailable',
      `Every upstream of '${model}' is failing and is being rested${seconds === undefined ? '' : ` for about ${seconds} s`}. Try again later.`,
      { headers: seconds === undefined ? {} : { 'retry-after': String(seconds) } },
    );
  }
}

/**
 * Runs one prepared call to completion over the route's deployments: in
 * balanced priority order, skipping open circuits; retrying a deployment
 * with backoff while the policy, the retry budget and the deadline allow;
 * falling back to the next deployment on failures another one can fix; and
 * never once the client has received a byte. Observers hear the final
 * outcome exactly once.
 */
export async function execute(res: ServerResponse, call: PreparedCall, deps: ExecuteDeps): Promise<void> {
  const { clock, states, metrics } = deps;
  const order = orderDeployments(call.route.deployments, { strategy: call.route.balancing, random: deps.random, health: (d) => states.health(d.key) });
  const plan = order.deployments;
  let attempts = 0;
  let lastError: GatewayError | undefined;
  let lastDeployment: Deployment | undefined;
  let lastReport: AttemptReport | undefined;

  deployments: for (let index = 0; index < plan.length; index++) {
    const deployment = plan[index]!;
    const { provider } = deployment;
    if (lastDeployment) metrics.fallbacks.labels(call.route.name, lastDeployment.provider.name, provider.name).inc();
    lastDeployment = deployment;
    const state = states.get(deployment.key, { circuitBreaker: provider.circuitBreaker, retryBudget: provider.retry.budget });
    const deadline = provider.timeouts.totalMs > 0 ? clock.now() + provider.timeouts.totalMs : undefined;
    for (let attempt = 0; ; attempt++) {
      const lease = state.begin({ force: order.allOpen && attempt === 0 });
      if (!lease) {
        lastError ??= new CircuitOpenError(call.route.name, state.breaker.nextAttemptAt === null ? undefined : state.breaker.nextAttemptAt - clock.now());
        continue deployments;
      }
      if (attempt === 0) state.budget.onRequest();
      else {
        state.budget.onRetry();
        metrics.forCall(provider.name, call.route.name, call.ctx.tenant).retries.inc();
      }
      attempts++;
      let relay;
      try {
        relay = forward(res, call, deployment, deps, attempts);
      } catch (error) {
        // The request could not be built for this upstream (a client error): nothing was sent.
        lease.end('neutral');
        throw error;
      }
      metrics.inflightFor(provider.name).inc();
      const totalTimer =
        deadline === undefined ? undefined : setTimeout(() => relay.abort(new UpstreamTimeoutError(provider.name, 'total', provider.timeouts.totalMs)), Math.max(0, deadline - clock.now()));
      const report = await relay.done;
      if (totalTimer) clearTimeout(totalTimer);
      metrics.inflightFor(provider.name).dec();
      lastReport = report;
      const result = report.result;

      if (result.kind !== 'failed') {
        lease.end(result.kind === 'ok' ? 'success' : 'neutral');
        finish(call, deps.observers, deployment, report, result.kind === 'ok' ? 200 : 499, result.kind === 'ok' ? 'ok' : 'client_closed', undefined);
        return;
      }
      const failure = classifyFailure({ error: result.error });
      lease.end(breakerOutcome(failure.kind, provider.circuitBreaker.countRateLimits));
      if (result.committed) {
        finish(call, deps.observers, deployment, report, 200, 'error', result.error.code);
        return;
      }
      lastError = result.error;
      const decision = decideRetry({
        attempt,
        error: result.error,
        headers: result.upstreamHeaders,
        policy: provider.retry,
        random: deps.random,
        remainingMs: deadline === undefined ? undefined : deadline - clock.now(),
        budget: state.budget,
      });
      if (decision.retry) {
        call.ctx.log.info({ provider: provider.name, model: deployment.model, attempt: attempts, delay_ms: Math.round(decision.delayMs), code: result.error.code }, 'retrying upstream');
        try {
          await clock.sleep(decision.delayMs, call.ctx.signal);
        } catch {
          finish(call, deps.observers, deployment, report, 499, 'client_closed', 'client_closed');
          return;
        }
        continue;
      }
      const later = plan.slice(index + 1);
      const fallback = shouldFallback(
        { code: result.error.code, upstreamStatus: upstreamStatusOf(result.error) },
        { contextWindow: deployment.contextWindow, laterContextWindows: later.map((d) => d.contextWindow) },
      );
      if (later.length > 0 && fallback) {
        call.ctx.log.info({ from: deployment.key, to: later[0]!.key, code: result.error.code, reason: decision.reason }, 'falling back');
        continue deployments;
      }
      break deployments;
    }
  }

  const error = lastError ?? new UpstreamUnavailableError(call.route.name, 'no deployment could be tried');
  sendFinalError(res, call, error, lastDeployment, attempts);
  finish(call, deps.observers, lastDeployment, lastReport, error.status, 'error', error.code);
}

function upstreamStatusOf(error: GatewayError): number | undefined {
  const status = (error as GatewayError & { upstreamStatus?: unknown }).upstreamStatus;
  return typeof status === 'number' ? status : undefined;
}

/**
 * The failure the client sees once the gateway has given up. A streaming
 * client of a format with its own retry loop (Responses: Codex CLI retries
 * 5xx up to 30 times) gets it as the protocol's failure event instead of an
 * HTTP 5xx, so the two layers of retries do not multiply.
 */
function sendFinalError(res: ServerResponse, call: PreparedCall, error: GatewayError, deployment: Deployment | undefined, attempts: number): void {
  if (res.headersSent || res.destroyed) return;
  const headers = deployment ? responseHeaders(call, deployment, attempts) : { 'x-request-id': call.ctx.requestId };
  const codec = clientCodecFor(call.clientFormat);
  const failure = codec?.streamFailure;
  if (!call.stream || !codec || !failure) {
    sendError(res, error, headers);
    return;
  }
  const encoder = codec.createStreamEncoder({ requestedModel: call.requestedModel, includeUsage: false, clientBody: call.body });
  let body = encoder.push({ type: 'start', id: '', model: call.requestedModel, created: Math.floor(Date.now() / 1000) });
  body += encoder.push({ type: 'error', message: failure.message(error), code: failure.code(error) });
  body += encoder.end();
  res.writeHead(200, { ...headers, ...error.headers, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-tollgate-error': error.code });
  res.end(body);
}

function finish(
  call: PreparedCall,
  observers: readonly CallObserver[],
  deployment: Deployment | undefined,
  report: AttemptReport | undefined,
  httpStatus: number,
  status: CallOutcome['status'],
  errorCode: string | undefined,
): void {
  const now = performance.now();
  const outcome: CallOutcome = {
    status,
    httpStatus,
    errorCode,
    deployment,
    usage: report?.usage,
    output: report?.output,
    durationMs: now - call.ctx.startedAt,
    upstreamDurationMs: report ? report.endedAt - report.upstreamStartedAt : 0,
    timeToFirstByteMs: report?.committedAt === undefined ? undefined : report.committedAt - call.ctx.startedAt,
  };
  for (const observer of observers) {
    try {
      observer.onEnd(call, outcome);
    } catch (error) {
      call.ctx.log.error({ err: error }, 'call observer failed');
    }
  }
}

