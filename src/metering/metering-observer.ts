import type { Logger } from 'pino';
import type { CallObserver, CallOutcome } from '../pipeline/contracts.js';
import type { UsageLedger } from './usage-ledger.js';
import type { CallStatusLabel, GatewayMetrics } from '../telemetry/metrics.js';
import { promptChars } from '../translators/prompt-size.js';
import type { PriceBook, UnpricedWarnings } from './pricing.js';
import { cost } from './pricing.js';
import { buildUsageRecord, type UsageRecord } from './usage-record.js';
import { refusedForLedger } from './ledger-admission.js';

/** The `status` label of `llm_requests_total` for an outcome. */
export function statusLabel(outcome: CallOutcome): CallStatusLabel {
  if (outcome.status === 'client_closed') return 'cancelled';
  if (outcome.status === 'ok') return 'ok';
  if (outcome.status === 'shutdown') return 'shutdown';
  // 429 is the upstream's limit, not a mistake in the client's request.
  return outcome.httpStatus >= 400 && outcome.httpStatus < 500 && outcome.httpStatus !== 429 ? 'client_error' : 'error';
}

export interface MeteringDeps {
  readonly metrics: GatewayMetrics;
  readonly prices: PriceBook;
  readonly unpriced: UnpricedWarnings;
  readonly ledger: UsageLedger | undefined;
  readonly log: Logger;
  /** Called with each call's ledger row once it is queued (the live feed); must return at once. */
  readonly onRecord?: (record: UsageRecord) => void;
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
      const tenant = call.principal.tenant;
      const bound = metrics.forCall(provider, call.route.name, tenant);
      bound.requests[statusLabel(outcome)].inc();
      bound.upstreamDuration.observe(outcome.upstreamDurationMs / 1000);
      if (outcome.timeToFirstByteMs !== undefined && outcome.status === 'ok') bound.timeToFirstToken.observe(outcome.timeToFirstByteMs / 1000);
      metrics.promptCharsFor(tenant).observe(promptChars(call.clientFormat, call.body));

      // The settle stage estimated what the upstream did not report.
      const usage = outcome.usage;
      const estimated = outcome.usageEstimated === true;
      if (usage !== undefined && estimated) bound.usageEstimated.inc();
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
      // A call refused because the ledger has no room has no row: it cost nothing, and there is no room.
      if (refusedForLedger(outcome)) return;
      const record = buildUsageRecord({
        requestId: call.ctx.requestId,
        tenant,
        keyId: call.principal.keyId,
        routeModel: call.route.name,
        requestedModel: call.requestedModel,
        deployment: deployment ? { provider, upstreamModel: deployment.model } : undefined,
        startedAt: call.ctx.startedAtEpochMs,
        durationMs: outcome.durationMs,
        timeToFirstByteMs: outcome.timeToFirstByteMs,
        status: statusLabel(outcome),
        httpStatus: outcome.httpStatus,
        usage,
        estimated,
        costUsd,
      });
      deps.ledger?.append(record);
      deps.onRecord?.(record);
    },
  };
}
