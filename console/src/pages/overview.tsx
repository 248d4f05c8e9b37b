/** Today at a glance: tiles for the totals and charts per hour or day, from /admin/v1/timeseries. */
import { useMemo, useState } from 'preact/hooks';
import type { Timeseries } from '../api/types.js';
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

export function OverviewPage() {
  const api = useApi();
  const [range, setRange] = useState<OverviewRange>('today');
  const { data, error, loading, fresh } = useLoad(() => {
    const window = overviewWindow(range, new Date());
    return api.get<Timeseries>('/timeseries', { bucket: window.bucket, from: window.from.toISOString(), to: window.to.toISOString() });
  }, [api, range]);
  const total = data?.total;
  // Ready once the data of the chosen range is on the page, never with the previous range's.
  const ready = data !== null && fresh;

  return (
    <section class="page" aria-labelledby="overview-title" data-ready={ready ? 'true' : 'false'} aria-busy={loading}>
      <div class="page-head">
        <h1 id="overview-title">Overview</h1>
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
        </>
      )}
    </section>
  );
}
