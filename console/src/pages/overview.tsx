/** Today at a glance: tiles for the totals and charts per hour or day, from /admin/v1/timeseries. */
import { useMemo, useState } from 'preact/hooks';
import type { List, Tenant, Timeseries } from '../api/types.js';
import { useApi } from '../components/api-context.js';
import { Chart } from '../components/chart.js';
import { ErrorNote } from '../components/error-note.js';
import { formatCount, formatDuration, formatPercent, formatTokens, formatUsd } from '../lib/format.js';
import { bucketSeconds, overviewWindow, type OverviewRange } from '../lib/time-range.js';
import { useLoad } from '../lib/use-load.js';

const RANGES: readonly { readonly id: OverviewRange; readonly label: string }[] = [
  { id: 'today', label: 'Today' },
  { id: '24h', label: '24 h' },
  { id: '30d', label: '30 d' },
];

const EMPTY_NOTE: Record<OverviewRange, string> = { today: 'No calls yet today.', '24h': 'No calls in the last 24 hours.', '30d': 'No calls in the last 30 days.' };

const count = (v: number | null): string => (v === null ? '—' : formatCount(v));
const tokens = (v: number | null): string => (v === null ? '—' : formatTokens(v));
const usd = (v: number | null): string => (v === null ? '—' : formatUsd(v));

function Tile({ label, value, detail }: { label: string; value: string; detail?: string }) {
  // `tile-requests`, `tile-p95-latency`…: a stable handle for tests and for scripts reading the page.
  const testId = `tile-${label.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/-$/, '')}`;
  return (
    <div class="tile card" data-testid={testId}>
      <dt>{label}</dt>
      <dd>
        <span class="tile-value">{value}</span>
        {detail !== undefined && <span class="tile-detail muted">{detail}</span>}
      </dd>
    </div>
  );
}

function Charts({ series }: { series: Timeseries }) {
  const charts = useMemo(() => {
    const x = bucketSeconds(series.data.map((b) => b.start));
    const pick = (f: (b: Timeseries['data'][number]) => number | null): (number | null)[] => series.data.map(f);
    return {
      x,
      traffic: [
        { label: 'Requests', values: pick((b) => b.requests), color: '--series-1', format: count },
        { label: 'Errors', values: pick((b) => b.errors), color: '--series-2', format: count, dashed: true },
      ],
      latency: [
        { label: 'p50', values: pick((b) => b.latency_p50_ms), color: '--series-1', format: formatDuration },
        { label: 'p95', values: pick((b) => b.latency_p95_ms), color: '--series-3', format: formatDuration, dashed: true },
      ],
      tokens: [
        { label: 'Input tokens', values: pick((b) => b.input_tokens), color: '--series-1', format: tokens },
        { label: 'Output tokens', values: pick((b) => b.output_tokens), color: '--series-4', format: tokens, dashed: true },
      ],
      cost: [{ label: 'Cost', values: pick((b) => b.cost_usd), color: '--series-5', format: usd }],
    };
  }, [series]);
  return (
    <div class="charts">
      <Chart id="chart-requests" title="Requests and errors" x={charts.x} bucket={series.bucket} series={charts.traffic} unit="count" />
      <Chart id="chart-latency" title="Latency p50 and p95" x={charts.x} bucket={series.bucket} series={charts.latency} unit="ms" />
      <Chart id="chart-tokens" title="Tokens in and out" x={charts.x} bucket={series.bucket} series={charts.tokens} unit="tokens" />
      <Chart id="chart-cost" title="Cost" x={charts.x} bucket={series.bucket} series={charts.cost} unit="usd" />
    </div>
  );
}

/** Share of a model's calls that failed past which it is flagged. */
const FAILING_ERROR_RATE = 0.05;

/** Which model is slow or failing: the range per route model. */
function ModelTable({ groups }: { groups: NonNullable<Timeseries['groups']> }) {
  return (
    <section class="card" aria-labelledby="by-model-title">
      <h2 id="by-model-title">By model</h2>
      <div class="scroll" tabIndex={0} role="region" aria-label="By model">
        <table data-testid="models">
          <thead>
            <tr>
              <th scope="col">Model</th>
              <th scope="col" class="num">Requests</th>
              <th scope="col" class="num">Errors</th>
              <th scope="col" class="num">p50</th>
              <th scope="col" class="num">p95</th>
              <th scope="col" class="num">Tokens in / out</th>
              <th scope="col" class="num">Cost</th>
            </tr>
          </thead>
          <tbody>
            {groups.map((g) => {
              const rate = g.requests === 0 ? 0 : g.errors / g.requests;
              return (
                <tr key={g.model} data-model={g.model}>
                  <th scope="row">{g.model}</th>
                  <td class="num">{formatCount(g.requests)}</td>
                  <td class="num">
                    {formatCount(g.errors)} <span class="muted small">({formatPercent(rate)})</span>
                    {rate >= FAILING_ERROR_RATE && <span class="badge badge-bad"> failing</span>}
                  </td>
                  <td class="num">{formatDuration(g.latency_p50_ms)}</td>
                  <td class="num">{formatDuration(g.latency_p95_ms)}</td>
                  <td class="num">
                    {formatTokens(g.input_tokens)} / {formatTokens(g.output_tokens)}
                  </td>
                  <td class="num">{formatUsd(g.cost_usd)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}

export function OverviewPage() {
  const api = useApi();
  const [range, setRange] = useState<OverviewRange>('today');
  // One tenant's traffic, or everyone's ('').
  const [tenant, setTenant] = useState('');
  const tenants = useLoad(() => api.get<List<Tenant>>('/tenants'), [api]);
  const { data, error, loading, fresh } = useLoad(() => {
    const window = overviewWindow(range, new Date());
    return api.get<Timeseries>('/timeseries', { bucket: window.bucket, from: window.from.toISOString(), to: window.to.toISOString(), tenant });
  }, [api, range, tenant]);

  const total = data?.total;
  // Ready once the data of the chosen range is on the page, never with the previous range's.
  const ready = data !== null && fresh;
  // The breakdown by model is its own request, sent once the charts have their data: grouping costs
  // the store more, and the charts should not wait for the table below them.
  const models = useLoad(() => {
    if (!ready) return Promise.resolve(null);
    const window = overviewWindow(range, new Date());
    return api.get<Timeseries>('/timeseries', { bucket: window.bucket, from: window.from.toISOString(), to: window.to.toISOString(), tenant, group_by: 'model' });
  }, [api, range, tenant, ready]);

  return (
    <section class="page" aria-labelledby="overview-title" data-ready={ready ? 'true' : 'false'} aria-busy={loading}>
      <div class="page-head">
        <h1 id="overview-title">Overview</h1>
        <label class="inline-label">
          Tenant{' '}
          <select value={tenant} onChange={(e) => setTenant(e.currentTarget.value)} data-testid="overview-tenant">
            <option value="">All tenants</option>
            {(tenants.data?.data ?? []).map((t) => (
              <option key={t.name} value={t.name}>
                {t.name}
              </option>
            ))}
          </select>
        </label>
        <div class="segmented" role="group" aria-label="Range">
          {RANGES.map((r) => (
            <button key={r.id} type="button" aria-pressed={range === r.id} onClick={() => setRange(r.id)}>
              {r.label}
            </button>
          ))}
        </div>
      </div>
      <ErrorNote message={error} />
      {data === null && loading && <p class="muted">Loading…</p>}
      {total !== undefined && (
        <>
          <dl class="tiles">
            <Tile label="Requests" value={formatCount(total.requests)} />
            <Tile label="Errors" value={formatCount(total.errors)} detail={total.requests === 0 ? undefined : `${formatPercent(total.errors / total.requests)} of requests`} />
            <Tile label="p50 latency" value={formatDuration(total.latency_p50_ms)} />
            <Tile label="p95 latency" value={formatDuration(total.latency_p95_ms)} />
            <Tile label="Tokens (in / out)" value={`${formatTokens(total.input_tokens)} / ${formatTokens(total.output_tokens)}`} />
            <Tile label="Cost" value={formatUsd(total.cost_usd)} />
          </dl>
          {total.requests === 0 && <p class="empty card">{EMPTY_NOTE[range]}</p>}
          {data !== null && <Charts series={data} />}
          {models.fresh && models.data?.groups !== undefined && models.data.groups.length > 0 && <ModelTable groups={models.data.groups} />}
        </>
      )}
    </section>
  );
}
