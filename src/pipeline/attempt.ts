import type { ServerResponse } from 'node:http';
import { GatewayError, UpstreamTimeoutError, UpstreamUnavailableError } from '../errors/index.js';
import type { Deployment } from '../routing/router.js';
import { orderDeployments } from '../routing/balancer.js';
import { breakerOutcome } from '../routing/circuit-breaker.js';
import type { DeploymentStates } from '../routing/deployment-state.js';
import type { GatewayMetrics } from '../telemetry/metrics.js';
import { classifyFailure, decideRetry, shouldFallback } from '../upstream/retry-policy.js';
import type { Clock } from '../util/clock.js';
import type { RandomSource } from '../util/random.js';
import type { PipelineCall } from './call.js';
import type { CallObserver, CallOutcome } from './contracts.js';
import { forward, responseHeaders } from './forward.js';
import type { ForwardOptions } from './forward.js';
import { callOutcome } from './outcome.js';
import type { AttemptReport } from './relay/relay.js';
import { sendFailure } from './respond.js';

export interface AttemptDeps extends ForwardOptions {
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
 * The attempt stage: runs one admitted call over its route's deployments,
 * in balanced priority order, skipping open circuits; retrying a deployment
 * with backoff while the policy, the retry budget and the deadline allow;
 * falling back to the next deployment on failures another one can fix; and
 * never once the client has received a byte. Returns the call's outcome
 * (the settle stage hands it on); throws only what is the client's to fix
 * (a request that cannot be translated for the upstream), before anything
 * was sent.
 */
export async function attemptCall(res: ServerResponse, call: PipelineCall, deps: AttemptDeps): Promise<CallOutcome> {
  const { clock, states, metrics } = deps;
  const order = orderDeployments(call.route.deployments, { strategy: call.route.balancing, random: deps.random, health: (d) => states.health(d.key) });
  const plan = order.deployments;
  let attempts = 0;
  let lastError: GatewayError | undefined;
  let lastDeployment: Deployment | undefined;
  let lastReport: AttemptReport | undefined;
  const outcome = (deployment: Deployment | undefined, report: AttemptReport | undefined, httpStatus: number, status: CallOutcome['status'], errorCode: string | undefined, endedEarly?: 'length') =>
    callOutcome(call, { stage: 'attempt', deployment, report, httpStatus, status, errorCode, attempts, endedEarly });
  // The gateway ended the call (shutdown): a stream already under way got its terminal event
  // from the relay; otherwise the client gets the error as an HTTP response (never retried here).
  const stopped = (error: GatewayError, deployment: Deployment | undefined, report: AttemptReport | undefined, committed: boolean): CallOutcome => {
    if (committed) return outcome(deployment, report, 200, 'shutdown', error.code);
    const sent = sendFailure(res, call, error, deployment ? responseHeaders(call, deployment, attempts) : { 'x-request-id': call.ctx.requestId }, false);
    return outcome(deployment, report, sent ? error.status : 499, sent ? 'shutdown' : 'client_closed', error.code);
  };

  deployments: for (let index = 0; index < plan.length; index++) {
    const deployment = plan[index]!;
    const { provider } = deployment;
    if (lastDeployment) metrics.fallbacks.labels(call.route.name, lastDeployment.provider.name, provider.name).inc();
    lastDeployment = deployment;
    const state = states.get(deployment.key, { circuitBreaker: provider.circuitBreaker, retryBudget: provider.retry.budget });
    const deadline = provider.timeouts.totalMs > 0 ? clock.now() + provider.timeouts.totalMs : undefined;
    for (let attempt = 0; ; attempt++) {
      if (call.stoppedBy !== undefined) return stopped(call.stoppedBy, lastDeployment, lastReport, false);
      const lease = state.begin({ force: order.allOpen && attempt === 0 });
      if (!lease) {
        lastError ??= new CircuitOpenError(call.route.name, state.breaker.nextAttemptAt === null ? undefined : state.breaker.nextAttemptAt - clock.now());
        continue deployments;
      }
      // A retry was taken from the budget when it was decided (decideRetry).
      if (attempt === 0) state.budget.onRequest();
      else metrics.forCall(provider.name, call.route.name, call.principal.tenant).retries.inc();
      attempts++;
      let relay;
      try {
        relay = forward(res, call, deployment, deps, attempts);
      } catch (error) {
        // The request could not be built for this upstream (a client error): nothing was sent.
        lease.end('neutral');
        throw error;
      }
      for (const observer of deps.observers) observer.onStart?.(call, deployment, attempts);
      metrics.inflightFor(provider.name).inc();
      const totalTimer =
        deadline === undefined ? undefined : setTimeout(() => relay.abort(new UpstreamTimeoutError(provider.name, 'total', provider.timeouts.totalMs)), Math.max(0, deadline - clock.now()));
      call.attempting(relay);
      const report = await relay.done;
      call.attempting(undefined);
      if (totalTimer) clearTimeout(totalTimer);
      metrics.inflightFor(provider.name).dec();
      lastReport = report;
      const result = report.result;

      if (result.kind === 'ok') {
        lease.end('success');
        return outcome(deployment, report, 200, 'ok', undefined, result.endedEarly);
      }
      if (result.kind === 'cancelled') {
        lease.end('neutral');
        return outcome(deployment, report, 499, 'client_closed', undefined);
      }
      if (call.stoppedBy !== undefined && result.error === call.stoppedBy) {
        lease.end('neutral');
        return stopped(result.error, deployment, report, result.committed);
      }
      // Classified once: the breaker, the retry decision and the fallback read the same class.
      const failure = classifyFailure({ error: result.error });
      lease.end(breakerOutcome(failure.kind, provider.circuitBreaker.countRateLimits));
      if (result.committed) return outcome(deployment, report, 200, 'error', result.error.code);
      lastError = result.error;
      const decision = decideRetry({
        attempt,
        error: result.error,
        failure,
        headers: result.upstreamHeaders,
        policy: provider.retry,
        random: deps.random,
        remainingMs: deadline === undefined ? undefined : deadline - clock.now(),
        budget: state.budget,
      });
      if (decision.retry) {
        call.ctx.log.info({ provider: provider.name, model: deployment.model, attempt: attempts, delay_ms: Math.round(decision.delayMs), code: result.error.code }, 'retrying upstream');
        try {
          // Shutdown wakes the wait too (the next turn of the loop ends the call).
          await clock.sleep(decision.delayMs, AbortSignal.any([call.ctx.signal, call.stopSignal]));
        } catch {
          if (call.stoppedBy === undefined) return outcome(deployment, report, 499, 'client_closed', 'client_closed');
        }
        continue;
      }
      const later = plan.slice(index + 1);
      if (later.length > 0 && shouldFallback(failure, { contextWindow: deployment.contextWindow, laterContextWindows: later.map((d) => d.contextWindow) })) {
        call.ctx.log.info({ from: deployment.key, to: later[0]!.key, code: result.error.code, reason: decision.reason }, 'falling back');
        continue deployments;
      }
      break deployments;
    }
  }

  const error = lastError ?? new UpstreamUnavailableError(call.route.name, 'no deployment could be tried');
  const headers = lastDeployment ? responseHeaders(call, lastDeployment, attempts) : { 'x-request-id': call.ctx.requestId };
  const sent = sendFailure(res, call, error, headers, true);
  return outcome(lastDeployment, lastReport, sent ? error.status : 499, sent ? 'error' : 'client_closed', error.code);
}
