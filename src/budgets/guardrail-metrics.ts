/**
 * What the budget and guardrail policy did, for Prometheus: refusals by
 * reason, clamped ceilings, downgrades and outputs cut off. Registered on the
 * gateway's registry; label values are tenants and route names (bounded sets).
 */
import { Counter, type Registry } from 'prom-client';

export type RefusalReason = 'budget' | 'budget_in_stream' | 'prompt_over_limit' | 'unpriced_model';
export type CutoffReason = 'max_output_tokens' | 'budget';

export class GuardrailMetrics {
  readonly refusals: Counter<'tenant' | 'reason'>;
  readonly clamps: Counter<'tenant' | 'model'>;
  readonly downgrades: Counter<'tenant' | 'from' | 'to'>;
  readonly cutoffs: Counter<'tenant' | 'reason'>;

  constructor(registry: Registry) {
    this.refusals = new Counter({
      name: 'tollgate_budget_refusals_total',
      help: 'Calls the budget guardrails refused. reason: budget (before any upstream call), budget_in_stream (a stream ended when its budget ran out), prompt_over_limit, unpriced_model.',
      labelNames: ['tenant', 'reason'],
      registers: [registry],
    });
    this.clamps = new Counter({
      name: 'tollgate_clamped_requests_total',
      help: "Calls whose output ceiling was lowered to what the remaining budget pays for (the clamp guardrail); model is the route.",
      labelNames: ['tenant', 'model'],
      registers: [registry],
    });
    this.downgrades = new Counter({
      name: 'llm_downgrades_total',
      help: 'Calls served by a cheaper model than the one asked for (the downgrade guardrail).',
      labelNames: ['tenant', 'from', 'to'],
      registers: [registry],
    });
    this.cutoffs = new Counter({
      name: 'tollgate_output_cutoffs_total',
      help: 'Outputs the gateway ended early: at the per-request ceiling (max_output_tokens, a length finish) or when the budget ran out mid-stream (budget).',
      labelNames: ['tenant', 'reason'],
      registers: [registry],
    });
  }
}
