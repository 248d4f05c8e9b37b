/**
 * Static checks of deploy/ that need no Prometheus: every metric the dashboard
 * and rules use exists on the gateway's registry, every alert is labelled,
 * documented and unit-tested both ways, and the dashboard is well formed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GatewayMetrics } from '../../src/telemetry/metrics.js';
import { dashboardExpressions, ruleExpressions } from './support/promql-sources.js';
import { ALERT_RULES, DASHBOARD, DEPLOY, readYaml } from './support/stack.js';

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function list(value: unknown): Json[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Json;
const rules = readYaml(ALERT_RULES);
const ruleTests = readYaml(join(DEPLOY, 'prometheus/alerts.test.yml'));
const docs = readFileSync(join(DEPLOY, '../docs/observability.md'), 'utf8');
const alerts = list(rules.groups).flatMap((group) => list(group.rules)).filter((rule) => typeof rule.alert === 'string');
const recorded = new Set(list(rules.groups).flatMap((group) => list(group.rules)).map((rule) => rule.record).filter((r) => typeof r === 'string'));

async function exportedMetricNames(): Promise<Set<string>> {
  const metrics = new GatewayMetrics();
  const names = new Set<string>();
  for (const metric of await metrics.registry.getMetricsAsJSON()) {
    names.add(metric.name);
    if (String(metric.type) === 'histogram') for (const suffix of ['_bucket', '_count', '_sum']) names.add(metric.name + suffix);
  }
  return names;
}

/** Metric names in an expression: identifiers followed by a selector, a range, or standing alone; not functions, labels or keywords. */
function metricNames(expr: string): string[] {
  const withoutStrings = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/\{[^}]*\}/g, '{}');
  const names = withoutStrings.match(/\b(?:llm|http|process|nodejs|tollgate)[a-z0-9_:]*/g) ?? [];
  return names.filter((name) => !recorded.has(name));
}

describe('metric names in deploy/', () => {
  it('exist on the gateway registry (the metric contract)', async () => {
    const exported = await exportedMetricNames();
    const used = new Set([...dashboardExpressions(dashboard), ...ruleExpressions(rules)].flatMap((source) => metricNames(source.expr)));
    expect(used.size).toBeGreaterThan(10);
    expect([...used].filter((name) => !exported.has(name))).toEqual([]);
  });

  it('every contract metric is documented in docs/observability.md', async () => {
    const metrics = new GatewayMetrics({ defaultMetrics: false });
    const names = (await metrics.registry.getMetricsAsJSON()).map((m) => m.name);
    expect(names.length).toBeGreaterThanOrEqual(15);
    expect(names.filter((name) => !docs.includes(`\`${name}\``))).toEqual([]);
  });
});

describe('alert rules', () => {
  it.each(alerts.map((rule) => [String(rule.alert), rule] as const))('%s is labelled, annotated and documented', (name, rule) => {
    const labels = isRecord(rule.labels) ? rule.labels : {};
    const annotations = isRecord(rule.annotations) ? rule.annotations : {};
    expect(['page', 'ticket']).toContain(labels.severity);
    expect(labels.team).toBe('tollgate');
    for (const key of ['summary', 'description', 'runbook']) expect(typeof annotations[key], `${name}: annotation ${key}`).toBe('string');
    const anchor = name.toLowerCase();
    expect(String(annotations.runbook)).toContain(`docs/observability.md#${anchor}`);
    // The runbook anchor resolves: a heading with the alert's name.
    expect(docs).toMatch(new RegExp(`^#+ ${name}$`, 'm'));
  });

  it.each(alerts.map((rule) => [String(rule.alert)] as const))('%s has unit tests that fire and that do not fire', (name) => {
    const cases = list(ruleTests.tests).flatMap((test) => list(test.alert_rule_test)).filter((c) => c.alertname === name);
    const firing = cases.filter((c) => Array.isArray(c.exp_alerts) && c.exp_alerts.length > 0);
    const silent = cases.filter((c) => Array.isArray(c.exp_alerts) && c.exp_alerts.length === 0);
    expect(firing.length, `${name}: a case where it fires`).toBeGreaterThan(0);
    expect(silent.length, `${name}: a case where it does not fire`).toBeGreaterThan(0);
  });
});

describe('the Grafana dashboard', () => {
  const panels = list(dashboard.panels).flatMap((panel) => [panel, ...list(panel.panels)]);

  it('has the stable uid, a current schema and the filter variables', () => {
    expect(dashboard.uid).toBe('tollgate-overview');
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(39);
    const variables = list(isRecord(dashboard.templating) ? dashboard.templating.list : []).map((v) => v.name);
    expect(variables).toEqual(expect.arrayContaining(['datasource', 'provider', 'model', 'tenant']));
  });

  it('has unique panel ids and every query panel on the data source variable', () => {
    const ids = panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of panels.filter((p) => p.type !== 'row')) {
      expect(panel.datasource, String(panel.title)).toEqual({ type: 'prometheus', uid: '${datasource}' });
      expect(list(panel.targets).length, String(panel.title)).toBeGreaterThan(0);
    }
  });

  it('lays the panels out on the 24-column grid without overlaps', () => {
    const boxes = panels.map((panel) => {
      const grid = isRecord(panel.gridPos) ? panel.gridPos : {};
      const [x, y, w, h] = [grid.x, grid.y, grid.w, grid.h].map(Number) as [number, number, number, number];
      expect(x + w, String(panel.title)).toBeLessThanOrEqual(24);
      return { title: String(panel.title), x, y, w, h };
    });
    const overlaps = boxes.flatMap((a, i) =>
      boxes.slice(i + 1).filter((b) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h).map((b) => `${a.title} / ${b.title}`),
    );
    expect(overlaps).toEqual([]);
  });

  it('has the panels operators look for', () => {
    const titles = panels.map((panel) => String(panel.title));
    for (const title of [
      'Request rate',
      'Error rate',
      'Latency p50 / p95',
      'Time to first token p50 / p95',
      'Tokens by provider and phase',
      'Cost by tenant per day',
      'Average cost per request',
      'Retries and fallbacks',
      'In-flight requests',
      'Circuit state',
      'Dropped tools',
    ]) {
      expect(titles).toContain(title);
    }
  });
});
