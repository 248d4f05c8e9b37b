import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { CounterFamily, GaugeFamily, HistogramFamily } from './series.js';
import type { CounterSeries, GaugeSeries, HistogramSeries } from './series.js';

const HTTP_METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
const TTFT_BUCKETS = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120];
const DAY_MS = 86_400_000;
const PROMPT_CHAR_BUCKETS = [100, 1_000, 10_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_000_000];

/** What the budget gauges read of a budget's status (a BudgetStatus satisfies it). */
export interface BudgetUsage {
  readonly ref: { readonly id: string; readonly tenant: string };
  readonly limitUsd: number;
  readonly settledUsd: number;
}

export type CallStatusLabel = 'ok' | 'error' | 'client_error' | 'cancelled' | 'shutdown';
export type TokenPhase = 'prompt' | 'completion' | 'cached_prompt' | 'reasoning';

/** Metric series bound once per (provider, model, tenant): label handling happens once, not per request. */
export interface CallMetricsChildren {
  readonly requests: Readonly<Record<CallStatusLabel, CounterSeries>>;
  readonly tokens: Readonly<Record<TokenPhase, CounterSeries>>;
  readonly cost: CounterSeries;
  readonly upstreamDuration: HistogramSeries;
  readonly timeToFirstToken: HistogramSeries;
  readonly usageEstimated: CounterSeries;
  readonly unpriced: CounterSeries;
  readonly retries: CounterSeries;
}

/**
 * Every metric the gateway exports, on one registry owned by the gateway
 * instance (no global default registry: two gateways in one process, as in
 * tests, must not share series). Names are a contract with dashboards and
 * alert rules; label values always come from bounded sets (configured
 * providers, route names and tenants, route templates).
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly bound = new Map<string, CallMetricsChildren>();
  private readonly todayCost = new Map<string, number>();
  /** The UTC day (days since the epoch) the running cost belongs to: a number compare per call, no dates. */
  private costDay = Math.floor(Date.now() / DAY_MS);

  // Registered in the order they are exported.
  readonly httpDuration = new HistogramFamily(
    'http_request_duration_seconds',
    'HTTP exchanges by route template, whole duration (streams until the last byte; 499 when the client left first).',
    ['method', 'route', 'status_code'],
    DURATION_BUCKETS,
    this.registry,
  );

  readonly requests = new CounterFamily(
    'llm_requests_total',
    'Finished LLM calls. status: ok, error (gateway or upstream failure), client_error (a 4xx the client caused), cancelled (the client went away).',
    ['provider', 'model', 'tenant', 'status'],
    this.registry,
  );

  readonly tokens = new CounterFamily(
    'llm_tokens_total',
    'Tokens by phase: prompt, completion, cached_prompt and reasoning (the last two where the upstream reports them).',
    ['provider', 'model', 'phase', 'tenant'],
    this.registry,
  );

  readonly cost = new CounterFamily('llm_cost_usd_total', 'Cost in USD from the pricing table.', ['provider', 'model', 'tenant'], this.registry);

  readonly promptChars = new HistogramFamily(
    'llm_prompt_chars',
    'Characters of prompt text per request, to spot abnormally long prompts.',
    ['tenant'],
    PROMPT_CHAR_BUCKETS,
    this.registry,
  );

  readonly estimatedCostToday = new GaugeFamily('llm_estimated_cost_usd', "Today's running cost total in USD (UTC day), reset at midnight UTC.", ['tenant'], this.registry);

  readonly upstreamDuration = new HistogramFamily('llm_upstream_duration_seconds', 'Duration of upstream exchanges.', ['provider', 'model'], DURATION_BUCKETS, this.registry);

  readonly timeToFirstToken = new HistogramFamily(
    'llm_time_to_first_token_seconds',
    'From the request arriving to the first content byte sent to the client.',
    ['provider', 'model'],
    TTFT_BUCKETS,
    this.registry,
  );

  readonly retries = new CounterFamily('llm_retries_total', 'Upstream attempts that were retries of an earlier failed attempt.', ['provider', 'model'], this.registry);

  readonly fallbacks = new Counter({
    name: 'llm_fallbacks_total',
    help: 'Moves from one deployment of a route to the next.',
    labelNames: ['model', 'from_provider', 'to_provider'] as const,
    registers: [this.registry],
  });

  readonly inflight = new GaugeFamily('llm_inflight_requests', 'Upstream calls in flight.', ['provider'], this.registry);

  readonly usageEstimated = new CounterFamily(
    'llm_usage_estimated_total',
    'Requests whose usage was counted with the tokenizer because the upstream reported none or the client disconnected.',
    ['provider', 'model'],
    this.registry,
  );

  readonly unpriced = new CounterFamily('llm_unpriced_requests_total', 'Requests to a model with no price in the pricing table (costed at 0).', ['provider', 'model'], this.registry);

  readonly circuitOpen = new Gauge({
    name: 'llm_circuit_open',
    help: "1 while a deployment's circuit breaker is open or half-open, 0 when closed.",
    labelNames: ['provider', 'model'] as const,
    registers: [this.registry],
  });

  readonly droppedTools = new Counter({
    name: 'llm_dropped_tools_total',
    help: 'Tools dropped from requests because the upstream protocol has no equivalent (e.g. web_search on a Chat Completions upstream).',
    labelNames: ['tool', 'provider'] as const,
    registers: [this.registry],
  });

  readonly ledgerWriteErrors = new Counter({
    name: 'tollgate_ledger_write_errors_total',
    help: 'Failed attempts to write usage rows to the store (the rows are kept in memory and retried with backoff).',
    registers: [this.registry],
  });

  readonly ledgerRowsDropped = new Counter({
    name: 'tollgate_ledger_rows_dropped_total',
    help: 'Usage rows lost. reason: overflow (the buffer was full while the store failed), rejected (the store refused the row itself), closed (unwritten at shutdown).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly connectionsRefused = new Counter({
    name: 'http_connections_refused_total',
    help: 'Client connections the gateway refused or closed for the client\'s sake: over server.max_connections, headers or request not received in time, malformed HTTP.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  /** Read at scrape time; the composition root points it at the ledger. */
  ledgerBuffered: () => number = () => 0;

  readonly ledgerBufferedRows: Gauge = new Gauge({
    name: 'tollgate_ledger_buffered_rows',
    help: 'Usage rows waiting in memory to be written to the store.',
    registers: [this.registry],
    collect: (): void => this.ledgerBufferedRows.set(this.ledgerBuffered()),
  });

  readonly notifications = new Counter({
    name: 'tollgate_notifications_total',
    help: 'Delivery attempts of notifications (budget alerts, daily summaries) per channel. outcome: delivered, retried (failed, tried again later), failed (given up), interrupted (the gateway stopped during the send; not sent again).',
    labelNames: ['channel', 'kind', 'outcome'] as const,
    registers: [this.registry],
  });

  /** Read at scrape time; the composition root points it at the notification outbox. */
  notificationsBacklog: () => number | Promise<number> = () => 0;

  readonly notificationsPending: Gauge = new Gauge({
    name: 'tollgate_notifications_pending',
    help: 'Notifications waiting for a channel or being sent (all replicas sharing the store).',
    registers: [this.registry],
    collect: async (): Promise<void> => {
      this.notificationsPending.set(await this.notificationsBacklog());
    },
  });

  /** Read at scrape time (nothing is counted per request); the composition root points it at the budgets. */
  budgetStatuses: () => readonly BudgetUsage[] | Promise<readonly BudgetUsage[]> = () => [];

  readonly budgetUsedRatio: Gauge = this.budgetGauge('tollgate_budget_used_ratio', "Settled spend / limit of each budget in its current period (1 = used up; in-flight reservations not counted). budget: the budget's id.", (s) => s.settledUsd / s.limitUsd);

  readonly budgetLimit: Gauge = this.budgetGauge('tollgate_budget_limit_usd', 'The limit of each budget in USD.', (s) => s.limitUsd);

  readonly budgetSpent: Gauge = this.budgetGauge('tollgate_budget_spent_usd', 'Settled spend of each budget in its current period, in USD.', (s) => s.settledUsd);

  constructor(options: { readonly defaultMetrics: boolean } = { defaultMetrics: true }) {
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry });
    this.estimatedCostToday.collect = () => this.rollCostDay(Date.now());
  }

  /** The children for one (provider, route model, tenant), created on first use. */
  forCall(provider: string, model: string, tenant: string): CallMetricsChildren {
    const key = `${provider}\u0000${model}\u0000${tenant}`;
    let children = this.bound.get(key);
    if (!children) {
      children = {
        requests: {
          ok: this.requests.labels(provider, model, tenant, 'ok'),
          error: this.requests.labels(provider, model, tenant, 'error'),
          client_error: this.requests.labels(provider, model, tenant, 'client_error'),
          cancelled: this.requests.labels(provider, model, tenant, 'cancelled'),
          shutdown: this.requests.labels(provider, model, tenant, 'shutdown'),
        },
        tokens: {
          prompt: this.tokens.labels(provider, model, 'prompt', tenant),
          completion: this.tokens.labels(provider, model, 'completion', tenant),
          cached_prompt: this.tokens.labels(provider, model, 'cached_prompt', tenant),
          reasoning: this.tokens.labels(provider, model, 'reasoning', tenant),
        },
        cost: this.cost.labels(provider, model, tenant),
        upstreamDuration: this.upstreamDuration.labels(provider, model),
        timeToFirstToken: this.timeToFirstToken.labels(provider, model),
        usageEstimated: this.usageEstimated.labels(provider, model),
        unpriced: this.unpriced.labels(provider, model),
        retries: this.retries.labels(provider, model),
      };
      this.bound.set(key, children);
    }
    return children;
  }

  private readonly httpChildren = new Map<string, HistogramSeries>();
  private readonly tenantChildren = new Map<string, HistogramSeries>();
  private readonly inflightChildren = new Map<string, GaugeSeries>();

  observeHttp(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${route} ${status}`;
    let child = this.httpChildren.get(key);
    if (!child) {
      // Bounded: known methods, route templates, status codes.
      child = this.httpDuration.labels(HTTP_METHODS.has(method) ? method : 'other', route, String(status));
      if (HTTP_METHODS.has(method)) this.httpChildren.set(key, child);
    }
    child.observe(seconds);
  }

  promptCharsFor(tenant: string): HistogramSeries {
    let child = this.tenantChildren.get(tenant);
    if (!child) this.tenantChildren.set(tenant, (child = this.promptChars.labels(tenant)));
    return child;
  }

  inflightFor(provider: string): GaugeSeries {
    let child = this.inflightChildren.get(provider);
    if (!child) this.inflightChildren.set(provider, (child = this.inflight.labels(provider)));
    return child;
  }

  /** Adds to today's running cost of a tenant (resets at UTC midnight). */
  addCost(tenant: string, usd: number, now = Date.now()): void {
    this.rollCostDay(now);
    const total = (this.todayCost.get(tenant) ?? 0) + usd;
    this.todayCost.set(tenant, total);
    this.estimatedCostToday.labels(tenant).set(total);
  }

  /** Warm start after a restart: today's totals as recorded in the ledger. */
  seedTodayCost(totals: ReadonlyMap<string, number>, now = Date.now()): void {
    this.rollCostDay(now);
    for (const [tenant, usd] of totals) {
      this.todayCost.set(tenant, usd);
      this.estimatedCostToday.labels(tenant).set(usd);
    }
  }

  private rollCostDay(now: number): void {
    const day = Math.floor(now / DAY_MS);
    if (day === this.costDay) return;
    this.costDay = day;
    for (const tenant of this.todayCost.keys()) {
      this.todayCost.set(tenant, 0);
      this.estimatedCostToday.labels(tenant).set(0);
    }
  }

  /** A gauge per budget, filled from `budgetStatuses` when scraped (a budget no longer configured disappears). */
  private budgetGauge(name: string, help: string, value: (usage: BudgetUsage) => number): Gauge {
    const gauge: Gauge = new Gauge({
      name,
      help,
      labelNames: ['tenant', 'budget'] as const,
      registers: [this.registry],
      collect: async (): Promise<void> => {
        const statuses = await this.budgetStatuses();
        gauge.reset();
        for (const usage of statuses) gauge.labels(usage.ref.tenant, usage.ref.id).set(value(usage));
      },
    });
    return gauge;
  }

  async render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
