import type { Logger } from 'pino';
import type { IRUsage } from '../ir/index.js';
import type { CallObserver, CallOutcome, PreparedCall } from '../server/pipeline.js';
import type { UsageLedger } from '../store/usage-ledger.js';
import type { CallStatusLabel, GatewayMetrics } from '../telemetry/metrics.js';
import { promptChars } from '../translators/prompt-size.js';
import { clientCodecFor } from '../translators/registry.js';
import type { PriceBook, UnpricedWarnings } from './pricing.js';
import { cost } from './pricing.js';
import { estimateUsage } from './tokenizer.js';
import { buildUsageRecord } from './usage-record.js';

/** The `status` label of `llm_requests_total` for an outcome. */
export function statusLabel(outcome: CallOutcome): CallStatusLabel {
  if (outcome.status === 'client_closed') return 'cancelled';
  if (outcome.status === 'ok') return 'ok';
  // 429 is the upstream's limit, not a mistake in the client's request.
  return outcome.httpStatus >= 400 && outcome.httpStatus < 500 && outcome.httpStatus !== 429 ? 'client_error' : 'error';
}

export interface MeteringDeps {
  readonly metrics: GatewayMetrics;
  readonly prices: PriceBook;
  readonly unpriced: UnpricedWarnings;
  readonly ledger: UsageLedger | undefined;
  readonly log: Logger;
}

/**
 * Counts the upstream's tokens with a real tokenizer when it reported none:
 * no usage in the reply, or the client left before it came. Only calls where
 * the model produced something (or was cut off) are counted.
 */
function estimatedUsage(call: PreparedCall, outcome: CallOutcome, upstreamModel: string): IRUsage | undefined {
  if (!outcome.output || (outcome.status === 'error' && outcome.timeToFirstByteMs === undefined)) return undefined;
  const request = clientCodecFor(call.clientFormat)?.parseRequest(call.body);
  if (!request) return undefined;
  const { completion, reasoning } = outcome.output.text();
  return estimateUsage(upstreamModel, request, completion, reasoning);
}

/**
 * The metering of every finished call: Prometheus metrics, cost from the
 * price book, today's running cost, and one usage-ledger row (queued; the
 * ledger writes in batches off the request path).
 */
export function createMeteringObserver(deps: MeteringDeps): CallObserver {
  const { metrics } = deps;
  return {
    onEnd(call, outcome) {
      const deployment = outcome.deployment;
      const provider = deployment?.provider.name ?? 'none';
      const tenant = call.ctx.tenant;
      const bound = metrics.forCall(provider, call.route.name, tenant);
      bound.requests[statusLabel(outcome)].inc();
      bound.upstreamDuration.observe(outcome.upstreamDurationMs / 1000);
      if (outcome.timeToFirstByteMs !== undefined && outcome.status === 'ok') bound.timeToFirstToken.observe(outcome.timeToFirstByteMs / 1000);
      metrics.promptCharsFor(tenant).observe(promptChars(call.clientFormat, call.body));

      let usage = outcome.usage;
      let estimated = false;
      if (usage === undefined && deployment) {
        try {
          usage = estimatedUsage(call, outcome, deployment.model);
        } catch (error) {
          deps.log.warn({ err: error, req_id: call.ctx.requestId }, 'could not estimate usage');
        }
        if (usage !== undefined) {
          estimated = true;
          bound.usageEstimated.inc();
        }
      }
      let costUsd = 0;
      if (usage) {
        bound.tokens.prompt.inc(usage.promptTokens);
        bound.tokens.completion.inc(usage.completionTokens);
        if (usage.cachedPromptTokens) bound.tokens.cached_prompt.inc(usage.cachedPromptTokens);
        if (usage.reasoningTokens) bound.tokens.reasoning.inc(usage.reasoningTokens);
        if (deployment) {
          const price = deps.prices.priceFor({ name: provider, kind: deployment.provider.kind }, deployment.model);
          if (price === undefined) {
            bound.unpriced.inc();
            deps.unpriced.warnOnce(provider, deployment.model);
          } else costUsd = cost(price, usage);
        }
        // Series exist from the first priced or unpriced call, so dashboards show a flat 0 rather than nothing.
        bound.cost.inc(costUsd);
        metrics.addCost(tenant, costUsd);
      }
      deps.ledger?.append(
        buildUsageRecord({
          requestId: call.ctx.requestId,
          tenant,
          routeModel: call.route.name,
          deployment: deployment ? { provider, upstreamModel: deployment.model } : undefined,
          startedAt: call.ctx.startedAtEpochMs,
          durationMs: outcome.durationMs,
          timeToFirstByteMs: outcome.timeToFirstByteMs,
          status: statusLabel(outcome),
          httpStatus: outcome.httpStatus,
          usage,
          estimated,
          costUsd,
        }),
      );
    },
  };
}
