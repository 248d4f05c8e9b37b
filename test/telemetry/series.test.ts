import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { CounterFamily, GaugeFamily, HistogramFamily } from '../../src/telemetry/series.js';

const BUCKETS = [0.005, 0.1, 1, 10];

describe('metric series: the exposition prom-client would write', () => {
  it('exports counters, gauges and histograms exactly as prom-client does for the same updates', async () => {
    const theirs = new Registry();
    const ours = new Registry();
    const counter = new Counter({ name: 'c_total', help: 'a counter', labelNames: ['provider', 'status'] as const, registers: [theirs] });
    const gauge = new Gauge({ name: 'g', help: 'a gauge', labelNames: ['tenant'] as const, registers: [theirs] });
    const histogram = new Histogram({ name: 'h_seconds', help: 'a "histogram"\nwith a newline', labelNames: ['route', 'code'] as const, buckets: BUCKETS, registers: [theirs] });
    const counterFamily = new CounterFamily('c_total', 'a counter', ['provider', 'status'], ours);
    const gaugeFamily = new GaugeFamily('g', 'a gauge', ['tenant'], ours);
    const histogramFamily = new HistogramFamily('h_seconds', 'a "histogram"\nwith a newline', ['route', 'code'], BUCKETS, ours);

    const observations = [0, 0.005, 0.0050001, 0.1, 0.5, 1, 9.99, 10, 10.01, 1e6];
    for (const value of observations) {
      histogram.labels('/v1/chat', '200').observe(value);
      histogramFamily.labels('/v1/chat', '200').observe(value);
    }
    histogram.labels('weird "route"\\', '499').observe(0.2);
    histogramFamily.labels('weird "route"\\', '499').observe(0.2);
    for (const [provider, status, by] of [['a', 'ok', 1], ['a', 'ok', 2.5], ['b', 'error', 1]] as const) {
      counter.labels(provider, status).inc(by);
      counterFamily.labels(provider, status).inc(by);
    }
    gauge.labels('t1').set(3);
    gauge.labels('t1').inc(2);
    gauge.labels('t2').dec(1);
    gaugeFamily.labels('t1').set(3);
    gaugeFamily.labels('t1').inc(2);
    gaugeFamily.labels('t2').dec(1);

    expect(await ours.metrics()).toBe(await theirs.metrics());
  });

  it('ignores values that would corrupt a series instead of throwing on the request path', () => {
    const registry = new Registry();
    const counter = new CounterFamily('x_total', 'x', ['a'], registry).labels('1');
    counter.inc(-1);
    counter.inc(Number.NaN);
    counter.inc(Infinity);
    counter.inc(2);
    const histogram = new HistogramFamily('y', 'y', [], [1], registry).labels();
    histogram.observe(Number.NaN);
    histogram.observe(0.5);
    expect(counter.value).toBe(2);
    expect(histogram.count).toBe(1);
    expect(() => new CounterFamily('z_total', 'z', ['a', 'b'], registry).labels('only one')).toThrow(/takes 2 label values/);
  });

  it('runs collect before each export and forgets every series on reset', async () => {
    const registry = new Registry();
    const gauge = new GaugeFamily('daily', 'd', ['tenant'], registry);
    let calls = 0;
    gauge.collect = () => {
      calls++;
      gauge.labels('t').set(calls);
    };
    expect(await registry.metrics()).toContain('daily{tenant="t"} 1');
    expect(await registry.metrics()).toContain('daily{tenant="t"} 2');
    registry.resetMetrics();
    gauge.collect = undefined;
    expect(await registry.metrics()).not.toContain('tenant="t"');
  });
});
