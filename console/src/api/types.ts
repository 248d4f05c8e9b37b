/** The admin API's objects as the console reads them (snake_case, times in Unix seconds unless noted). */

export interface Session {
  readonly object: 'session';
  readonly csrf_token: string;
  readonly expires_at: number;
}

export interface List<T> {
  readonly object: 'list';
  readonly data: readonly T[];
}

export interface BudgetWire {
  readonly period: 'day' | 'month';
  readonly limit_usd: number;
  readonly soft: readonly number[];
  readonly timezone: string;
  readonly reset_at: string;
}

export interface Tenant {
  readonly object: 'tenant';
  readonly name: string;
  readonly models: readonly string[] | null;
  readonly rpm: number | null;
  readonly tpm: number | null;
  readonly budgets: readonly BudgetWire[];
  readonly source: 'config' | 'api';
  readonly created_at: number;
  readonly updated_at: number;
}

export type KeyStatus = 'active' | 'expired' | 'revoked';

export interface ApiKey {
  readonly object: 'api_key';
  readonly id: string;
  readonly tenant: string;
  readonly name: string | null;
  readonly redacted_key: string;
  readonly last_four: string;
  readonly models: readonly string[] | null;
  readonly rpm: number | null;
  readonly tpm: number | null;
  readonly expires_at: number | null;
  readonly budgets: readonly BudgetWire[];
  readonly created_at: number;
  readonly revoked_at: number | null;
  readonly previous_key_valid_until: number | null;
  readonly status: KeyStatus;
  /** Only in the answers of create and rotate. */
  readonly key?: string;
}

export interface Budget {
  readonly object: 'budget';
  readonly scope: 'tenant' | 'key';
  readonly owner: string;
  readonly tenant: string;
  readonly key_id: string | null;
  readonly period: 'day' | 'month';
  readonly timezone: string;
  readonly reset_at: string;
  readonly soft: readonly number[];
  readonly limit_usd: number;
  readonly spent_usd: number;
  readonly reserved_usd: number;
  readonly remaining_usd: number;
  readonly used_ratio: number;
  readonly period_start: number;
  readonly resets_at: number;
}

export interface UsageRow {
  readonly day?: string;
  readonly tenant?: string;
  readonly key_id?: string | null;
  readonly model?: string;
  readonly requests: number;
  readonly errors: number;
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly cached_tokens: number;
  readonly reasoning_tokens: number;
  readonly cost_usd: number;
}

export interface SeriesPoint {
  readonly requests: number;
  readonly errors: number;
  readonly input_tokens: number;
  readonly output_tokens: number;
  readonly cost_usd: number;
  readonly latency_p50_ms: number | null;
  readonly latency_p95_ms: number | null;
}

export interface SeriesBucket extends SeriesPoint {
  /** ISO instant of the bucket's start. */
  readonly start: string;
}

export interface Timeseries {
  readonly object: 'timeseries';
  readonly bucket: 'hour' | 'day';
  readonly from: string;
  readonly to: string;
  readonly tenant: string | null;
  readonly model: string | null;
  readonly data: readonly SeriesBucket[];
  readonly total: SeriesPoint;
  /** Asked with `group_by=model`: the range per route model, most requests first. */
  readonly groups?: readonly (SeriesPoint & { readonly model: string })[];
}

export type CircuitState = 'closed' | 'open' | 'half_open';

export interface Deployment {
  readonly provider: string;
  readonly provider_kind: string;
  readonly model: string;
  readonly priority: number;
  readonly weight: number;
  readonly role: 'primary' | 'fallback';
  readonly api: string | null;
  readonly circuit: {
    readonly state: CircuitState;
    readonly consecutive_failures: number;
    /** ISO instant, or null. */
    readonly retry_at: string | null;
    readonly recent_requests: number;
    readonly recent_failures: number;
  } | null;
  readonly in_flight: number;
}

export interface Route {
  readonly model: string;
  readonly aliases: readonly string[];
  readonly wildcard: boolean;
  readonly balancing: string;
  readonly context_window: number | null;
  readonly description: string | null;
  readonly deployments: readonly Deployment[];
}

export interface Provider {
  readonly name: string;
  readonly kind: string;
  readonly base_url: string;
  readonly max_connections: number | null;
}

export interface RouteList {
  readonly object: 'list';
  readonly data: readonly Route[];
  readonly providers: readonly Provider[];
}

export type CallStatus = 'ok' | 'error' | 'client_error' | 'cancelled' | 'shutdown';

/** One `event: request` of the live feed; `time` in Unix seconds with milliseconds. */
export interface FeedEvent {
  readonly time: number;
  readonly request_id: string;
  readonly tenant: string;
  readonly key_id: string | null;
  readonly model: string;
  readonly route_model: string;
  readonly provider: string | null;
  readonly upstream_model: string | null;
  readonly status: CallStatus;
  readonly http_status: number;
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly cost_usd: number;
  readonly latency_ms: number;
  readonly ttft_ms: number | null;
}
