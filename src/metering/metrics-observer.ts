import type { CallObserver, CallOutcome } from '../server/pipeline.js';
import type { CallStatusLabel, GatewayMetrics } from '../telemetry/metrics.js';
import { promptChars } from '../translators/prompt-size.js';

/** The `status` label of `llm_requests_total` for an outcome. */
export function statusLabel(outcome: CallOutcome): CallStatusLabel {
  if (outcome.status === 'client_closed') return 'cancelled';
  if (outcome.status === 'ok') return 'ok';
  // 429 is the upstream's limit, not a mistake in the client's request.
  return outcome.httpStatus >= 400 && outcome.httpStatus < 500 && outcome.httpStatus !== 429 ? 'client_error' : 'error';
}

/** Records every finished call in the Prometheus metrics (the contract in docs/observability.md). */
export function createMetricsObserver(metrics: GatewayMetrics): CallObserver {
  return {
    onEnd(call, outcome) {
      const provider = outcome.deployment?.provider.name ?? 'none';
      const bound = metrics.forCall(provider, call.route.name, call.ctx.tenant);
      bound.requests[statusLabel(outcome)].inc();
      bound.upstreamDuration.observe(outcome.upstreamDurationMs / 1000);
      if (outcome.timeToFirstByteMs !== undefined && outcome.status === 'ok') bound.timeToFirstToken.observe(outcome.timeToFirstByteMs / 1000);
      metrics.promptChars.labels(call.ctx.tenant).observe(promptChars(call.clientFormat, call.body));
      const usage = outcome.usage;
      if (usage) {
        bound.tokens.prompt.inc(usage.promptTokens);
        bound.tokens.completion.inc(usage.completionTokens);
        if (usage.cachedPromptTokens) bound.tokens.cached_prompt.inc(usage.cachedPromptTokens);
        if (usage.reasoningTokens) bound.tokens.reasoning.inc(usage.reasoningTokens);
      }
    },
  };
}
