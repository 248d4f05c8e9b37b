import type { Metric, Registry } from 'prom-client';

/*
 * The metrics touched on every request, kept as plain numbers.
 *
 * prom-client re-validates and re-hashes the label set on every `inc` and
 * `observe`, even through a child from `labels()`: about a microsecond each,
 * a dozen times per request. Here a series is an object the request path
 * holds and adds to; label values are joined into a key once, when the
 * series is created. prom-client still owns the registry and the exposition
 * format: a family answers the registry's `get()` with the same value list
 * prom-client's own Counter, Gauge and Histogram produce, so the text
 * Prometheus scrapes is unchanged.
 */

type Labels = Record<string, string>;

interface ExportedValue {
  readonly labels: Labels;
  readonly value: number;
  readonly metricName?: string;
  readonly sharedLabels?: Labels;
}

export class CounterSeries {
  value = 0;

  /** Adds `by` (non-negative, finite; anything else is ignored rather than thrown on the request path). */
  inc(by = 1): void {
    if (by >= 0 && by !== Infinity) this.value += by;
  }
}

export class GaugeSeries {
  value = 0;

  inc(by = 1): void {
    if (Number.isFinite(by)) this.value += by;
  }

  dec(by = 1): void {
    if (Number.isFinite(by)) this.value -= by;
  }

  set(value: number): void {
    if (Number.isFinite(value)) this.value = value;
  }
}

export class HistogramSeries {
  /** Observations per bucket (not cumulative); the last slot is above every bound (+Inf). */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) return;
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }
}

/** One metric name with its labelled series, registered on a prom-client registry. */
abstract class SeriesFamily<S> {
  abstract readonly type: 'counter' | 'gauge' | 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, { readonly labels: Labels; readonly series: S }>();

  /** Called before each export (e.g. to roll a daily gauge over). */
  collect: (() => void) | undefined;

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    registry: Registry,
  ) {
    // The registry reads name, help, type and get() (and calls reset()); nothing else of a Metric.
    registry.registerMetric(this as unknown as Metric);
  }

  /** The series for these label values, in `labelNames` order; created on first use. Hold on to it. */
  labels(...values: string[]): S {
    if (values.length !== this.labelNames.length) throw new Error(`${this.name} takes ${this.labelNames.length} label values, got ${values.length}`);
    const key = values.join('\u0000');
    let entry = this.series.get(key);
    if (entry === undefined) {
      const labels: Labels = {};
      this.labelNames.forEach((name, i) => (labels[name] = values[i]!));
      entry = { labels, series: this.create() };
      this.series.set(key, entry);
    }
    return entry.series;
  }

  reset(): void {
    this.series.clear();
  }

  get(): Promise<{ name: string; help: string; type: string; values: ExportedValue[]; aggregator: string }> {
    this.collect?.();
    const values: ExportedValue[] = [];
    for (const { labels, series } of this.series.values()) this.export(labels, series, values);
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator });
  }

  protected abstract create(): S;
  protected abstract export(labels: Labels, series: S, out: ExportedValue[]): void;
}

export class CounterFamily extends SeriesFamily<CounterSeries> {
  readonly type = 'counter';

  protected create(): CounterSeries {
    return new CounterSeries();
  }

  protected export(labels: Labels, series: CounterSeries, out: ExportedValue[]): void {
    out.push({ labels, value: series.value });
  }
}

export class GaugeFamily extends SeriesFamily<GaugeSeries> {
  readonly type = 'gauge';

  protected create(): GaugeSeries {
    return new GaugeSeries();
  }

  protected export(labels: Labels, series: GaugeSeries, out: ExportedValue[]): void {
    out.push({ labels, value: series.value });
  }
}

export class HistogramFamily extends SeriesFamily<HistogramSeries> {
  readonly type = 'histogram';

  constructor(name: string, help: string, labelNames: readonly string[], readonly buckets: readonly number[], registry: Registry) {
    super(name, help, labelNames, registry);
  }

  protected create(): HistogramSeries {
    return new HistogramSeries(this.buckets);
  }

  // As prom-client exports a histogram: cumulative `_bucket` series with `le` first, then `_sum` and `_count`.
  protected export(labels: Labels, series: HistogramSeries, out: ExportedValue[]): void {
    const bucketName = `${this.name}_bucket`;
    let cumulative = 0;
    this.buckets.forEach((bound, i) => {
      cumulative += series.counts[i]!;
      out.push({ labels: { le: String(bound) }, value: cumulative, metricName: bucketName, sharedLabels: labels });
    });
    out.push({ labels: { le: '+Inf' }, value: series.count, metricName: bucketName, sharedLabels: labels });
    out.push({ labels: {}, value: series.sum, metricName: `${this.name}_sum`, sharedLabels: labels });
    out.push({ labels: {}, value: series.count, metricName: `${this.name}_count`, sharedLabels: labels });
  }
}
