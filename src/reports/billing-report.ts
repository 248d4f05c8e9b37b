/**
 * The billing report: per tenant, what was called, by whom and through which
 * model, what it cost, and how much of it the gateway estimated. Its shape is
 * the admin API's JSON (snake_case, stable: fields are added, never renamed);
 * the table, CSV and Markdown formats are drawn from it, so every format
 * says the same thing.
 */
import type { BillingLine, BillingSums } from '../metering/usage-ledger.js';
import { localIso, type ReportPeriod, type ReportPeriodKind } from './report-period.js';

export interface TokenCounts {
  /** Prompt tokens, cached ones included. */
  readonly input: number;
  readonly cached_input: number;
  /** Completion tokens, reasoning included. */
  readonly output: number;
  readonly reasoning: number;
}

export interface RequestCounts {
  readonly total: number;
  readonly ok: number;
  /** Failed at the gateway or the upstream. */
  readonly errors: number;
  /** Refused as the client's own mistake (4xx other than 429). */
  readonly client_errors: number;
  /** The client went away before the answer was over. */
  readonly client_closed: number;
  /** Ended by a gateway shutdown. */
  readonly shutdown: number;
}

/** The part whose tokens the gateway counted itself, because the upstream reported no usage. */
export interface EstimatedUsage {
  readonly requests: number;
  readonly tokens: TokenCounts;
  readonly cost_usd: number;
  /** estimated cost / cost, 0 to 1 (0 when nothing cost anything). */
  readonly cost_share: number;
}

export interface UsageSummary {
  readonly requests: RequestCounts;
  readonly tokens: TokenCounts;
  /** Rounded to a millionth of a dollar. */
  readonly cost_usd: number;
  readonly estimated: EstimatedUsage;
}

export interface KeyUsage extends UsageSummary {
  /** Null: calls without a virtual key (anonymous). */
  readonly key_id: string | null;
}

export interface ModelUsage extends UsageSummary {
  /** The model name clients sent. */
  readonly model: string;
  /** Who served it (or was last tried); null when no provider was reached. */
  readonly provider: string | null;
  readonly upstream_model: string | null;
}

/** One tenant × key × model × deployment: the CSV's rows. */
export interface ReportLine extends UsageSummary {
  readonly key_id: string | null;
  readonly model: string;
  readonly provider: string | null;
  readonly upstream_model: string | null;
}

export interface TenantReport extends UsageSummary {
  readonly tenant: string;
  /** By cost, highest first. */
  readonly keys: readonly KeyUsage[];
  /** By cost, highest first. */
  readonly models: readonly ModelUsage[];
  /** By key, then model, provider and upstream model. */
  readonly lines: readonly ReportLine[];
}

export interface BillingReport {
  readonly object: 'billing_report';
  readonly period: ReportPeriodKind;
  /** `YYYY-MM-DD` or `YYYY-MM`, in `timezone`. */
  readonly date: string;
  readonly timezone: string;
  /** Unix seconds; the report covers [start, end). */
  readonly start: number;
  readonly end: number;
  /** The same instants in the report's time zone, ISO 8601 with the offset. */
  readonly start_local: string;
  readonly end_local: string;
  /** False while the period is not over: its numbers can still grow. */
  readonly complete: boolean;
  /** The one tenant asked for, or null for every tenant. */
  readonly tenant: string | null;
  readonly totals: UsageSummary;
  /** Tenants with usage in the period, by name. */
  readonly tenants: readonly TenantReport[];
}

/** Sums being added up; rounded when turned into a summary. */
class Accumulator {
  private readonly counts = { total: 0, ok: 0, errors: 0, client_errors: 0, client_closed: 0, shutdown: 0 };
  private readonly tokens = { input: 0, cached_input: 0, output: 0, reasoning: 0 };
  private readonly estimatedTokens = { input: 0, cached_input: 0, output: 0, reasoning: 0 };
  private cost = 0;
  private estimatedRequests = 0;
  private estimatedCost = 0;

  add(sums: BillingSums): this {
    this.counts.total += sums.requests;
    this.counts.ok += sums.ok;
    this.counts.errors += sums.errors;
    this.counts.client_errors += sums.clientErrors;
    this.counts.client_closed += sums.clientClosed;
    this.counts.shutdown += sums.shutdown;
    this.tokens.input += sums.inputTokens;
    this.tokens.cached_input += sums.cachedInputTokens;
    this.tokens.output += sums.outputTokens;
    this.tokens.reasoning += sums.reasoningTokens;
    this.cost += sums.costUsd;
    const est = sums.estimated;
    this.estimatedRequests += est.requests;
    this.estimatedTokens.input += est.inputTokens;
    this.estimatedTokens.cached_input += est.cachedInputTokens;
    this.estimatedTokens.output += est.outputTokens;
    this.estimatedTokens.reasoning += est.reasoningTokens;
    this.estimatedCost += est.costUsd;
    return this;
  }

  get costUsd(): number {
    return this.cost;
  }

  summary(): UsageSummary {
    return {
      requests: { ...this.counts },
      tokens: { ...this.tokens },
      cost_usd: roundUsd(this.cost),
      estimated: {
        requests: this.estimatedRequests,
        tokens: { ...this.estimatedTokens },
        cost_usd: roundUsd(this.estimatedCost),
        cost_share: this.cost > 0 ? Math.round((this.estimatedCost / this.cost) * 1e4) / 1e4 : 0,
      },
    };
  }
}

/** To a millionth of a dollar: sums of floats would show noise digits. */
function roundUsd(usd: number): number {
  return Math.round(usd * 1e6) / 1e6;
}

/** Null (anonymous, no provider) sorts first, like SQL's NULLs. */
function compareNullable(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a < b ? -1 : 1;
}

/** Groups lines by `keyOf`, summing each group; the groups by cost, highest first, then by `compare`. */
function groupBy<K, T>(lines: readonly BillingLine[], keyOf: (line: BillingLine) => string, describe: (line: BillingLine) => K, compare: (a: K, b: K) => number, build: (key: K, sums: UsageSummary) => T): T[] {
  const groups = new Map<string, { key: K; sums: Accumulator }>();
  for (const line of lines) {
    const id = keyOf(line);
    let group = groups.get(id);
    if (group === undefined) groups.set(id, (group = { key: describe(line), sums: new Accumulator() }));
    group.sums.add(line);
  }
  return [...groups.values()]
    .sort((a, b) => roundUsd(b.sums.costUsd) - roundUsd(a.sums.costUsd) || compare(a.key, b.key))
    .map((g) => build(g.key, g.sums.summary()));
}

interface ModelKey {
  readonly model: string;
  readonly provider: string | null;
  readonly upstream_model: string | null;
}

const compareModels = (a: ModelKey, b: ModelKey): number => compareNullable(a.model, b.model) || compareNullable(a.provider, b.provider) || compareNullable(a.upstream_model, b.upstream_model);

function tenantReport(tenant: string, lines: readonly BillingLine[]): TenantReport {
  const sums = new Accumulator();
  for (const line of lines) sums.add(line);
  const keys = groupBy(
    lines,
    (l) => JSON.stringify(l.keyId),
    (l) => l.keyId,
    compareNullable,
    (key_id, s): KeyUsage => ({ key_id, ...s }),
  );
  const models = groupBy(
    lines,
    (l) => JSON.stringify([l.routeModel, l.provider, l.upstreamModel]),
    (l): ModelKey => ({ model: l.routeModel, provider: l.provider, upstream_model: l.upstreamModel }),
    compareModels,
    (key, s): ModelUsage => ({ ...key, ...s }),
  );
  const reportLines = [...lines]
    .sort((a, b) => compareNullable(a.keyId, b.keyId) || compareModels({ model: a.routeModel, provider: a.provider, upstream_model: a.upstreamModel }, { model: b.routeModel, provider: b.provider, upstream_model: b.upstreamModel }))
    .map((l): ReportLine => ({ key_id: l.keyId, model: l.routeModel, provider: l.provider, upstream_model: l.upstreamModel, ...new Accumulator().add(l).summary() }));
  return { tenant, ...sums.summary(), keys, models, lines: reportLines };
}

/**
 * Builds the report of `period` from the ledger's billing lines (of every
 * tenant, or of `tenant` only). `now` says whether the period is over.
 */
export function buildBillingReport(period: ReportPeriod, lines: readonly BillingLine[], tenant: string | undefined, now: number): BillingReport {
  const byTenant = new Map<string, BillingLine[]>();
  const totals = new Accumulator();
  for (const line of lines) {
    if (tenant !== undefined && line.tenant !== tenant) continue;
    totals.add(line);
    const list = byTenant.get(line.tenant);
    if (list === undefined) byTenant.set(line.tenant, [line]);
    else list.push(line);
  }
  return {
    object: 'billing_report',
    period: period.kind,
    date: period.date,
    timezone: period.timeZone,
    start: Math.floor(period.start / 1000),
    end: Math.floor(period.end / 1000),
    start_local: localIso(period.start, period.timeZone),
    end_local: localIso(period.end, period.timeZone),
    complete: now >= period.end,
    tenant: tenant ?? null,
    totals: totals.summary(),
    tenants: [...byTenant.keys()].sort().map((name) => tenantReport(name, byTenant.get(name) ?? [])),
  };
}

/** The report narrowed to one of its tenants (its totals become that tenant's). */
export function tenantOnly(report: BillingReport, tenant: TenantReport): BillingReport {
  const { keys: _keys, models: _models, lines: _lines, tenant: _name, ...totals } = tenant;
  return { ...report, tenant: tenant.tenant, totals, tenants: [tenant] };
}
