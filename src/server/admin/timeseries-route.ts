/**
 * `GET /admin/v1/timeseries`: requests, errors, tokens, cost and latency
 * percentiles per UTC hour or day, read from the ledger's hourly rollup (so
 * thirty days of a busy gateway answer in milliseconds), for the console's
 * charts. The query is parsed strictly: an unknown parameter, a time that is
 * neither an ISO-8601 instant nor epoch milliseconds, an empty range or one
 * of more than MAX_BUCKETS buckets is refused with a 400 naming it.
 */
import { z } from 'zod';
import { TIMESERIES_BUCKET_MS, type TimeseriesBucket, type TimeseriesQuery, type TimeseriesSums, type UsageLedger } from '../../metering/usage-ledger.js';
import { AdminInputError } from '../../tenancy/admin-input.js';

/** Most buckets one answer holds (83 days by hour, 5 years by day). */
export const MAX_BUCKETS = 2_000;
/** Buckets answered when `from` is not given. */
const DEFAULT_BUCKETS: Readonly<Record<TimeseriesBucket, number>> = { hour: 24, day: 30 };

const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2})$/;
const EPOCH_MS = /^\d{1,15}$/;

const instant = z.string().transform((text, ctx) => {
  const ms = EPOCH_MS.test(text) ? Number(text) : INSTANT.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(ms)) {
    ctx.addIssue({ code: 'custom', message: `expected an ISO-8601 instant (2026-12-04T10:00:00Z) or epoch milliseconds, got '${text}'` });
    return z.NEVER;
  }
  return ms;
});

const timeseriesQuery = z.strictObject({
  bucket: z.enum(['hour', 'day'], { error: 'expected hour or day' }).default('hour'),
  from: instant.optional(),
  to: instant.optional(),
  tenant: z.string().min(1).optional(),
  model: z.string().min(1).optional(),
  group_by: z.enum(['model', 'tenant'], { error: 'expected model or tenant' }).optional(),
});

/** The query of a time series: `from` rounded down and `to` up to the bucket's boundaries (UTC), defaults filled in. */
export function parseTimeseriesQuery(input: Readonly<Record<string, string>>, now: number): TimeseriesQuery {
  const result = timeseriesQuery.safeParse(input);
  if (!result.success) throw new AdminInputError(result.error.issues.map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message)));
  const { bucket, from, to, tenant, model, group_by: groupBy } = result.data;
  const width = TIMESERIES_BUCKET_MS[bucket];
  // The bucket now is in: it ends at the next boundary.
  const end = to === undefined ? Math.floor(now / width) * width + width : Math.ceil(to / width) * width;
  const start = from === undefined ? end - DEFAULT_BUCKETS[bucket] * width : Math.floor(from / width) * width;
  if (start >= end) throw new AdminInputError([`from: must be before to (got from ${new Date(start).toISOString()}, to ${new Date(end).toISOString()} on ${bucket} boundaries)`]);
  const buckets = (end - start) / width;
  if (buckets > MAX_BUCKETS) throw new AdminInputError([`from: the range holds ${buckets} ${bucket} buckets, more than the ${MAX_BUCKETS} one answer may hold: narrow it or use a wider bucket`]);
  return { bucket, start, end, tenant, model, groupBy };
}

interface SumsView {
  readonly requests: number;
  readonly errors: number;
  readonly input_tokens: number;
  readonly output_tokens: number;
  readonly cost_usd: number;
  readonly latency_p50_ms: number | null;
  readonly latency_p95_ms: number | null;
}

export interface TimeseriesView {
  readonly object: 'timeseries';
  readonly bucket: TimeseriesBucket;
  readonly from: string;
  readonly to: string;
  readonly tenant: string | null;
  readonly model: string | null;
  readonly data: ReadonlyArray<{ readonly start: string } & SumsView>;
  readonly total: SumsView;
  /** With `group_by`: the range's sums per route model (`model`) or per tenant (`tenant`), most requests first. */
  readonly groups?: ReadonlyArray<Readonly<Record<string, string | number | null>>>;
}

function sumsView(s: TimeseriesSums): SumsView {
  return {
    requests: s.requests,
    errors: s.errors,
    input_tokens: s.inputTokens,
    output_tokens: s.outputTokens,
    cost_usd: s.costUsd,
    latency_p50_ms: s.latencyP50Ms,
    latency_p95_ms: s.latencyP95Ms,
  };
}

export async function timeseriesAnswer(ledger: UsageLedger, input: Readonly<Record<string, string>>, now: number): Promise<TimeseriesView> {
  const query = parseTimeseriesQuery(input, now);
  const series = await ledger.timeseries(query);
  return {
    object: 'timeseries',
    bucket: query.bucket,
    from: new Date(query.start).toISOString(),
    to: new Date(query.end).toISOString(),
    tenant: query.tenant ?? null,
    model: query.model ?? null,
    data: series.points.map((point) => ({ start: new Date(point.start).toISOString(), ...sumsView(point) })),
    total: sumsView(series.total),
    ...(query.groupBy === undefined ? {} : { groups: (series.groups ?? []).map((group) => ({ [query.groupBy!]: group.name, ...sumsView(group) })) }),
  };
}
