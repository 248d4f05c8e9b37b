import { describe, expect, it } from 'vitest';
import { dashboardExpressions, ruleExpressions, substituteVariables, variableQueryToPromql, withoutThreshold } from './support/promql-sources.js';

describe('withoutThreshold', () => {
  it.each([
    ['sum(rate(x[5m])) > 0.05', ['sum(rate(x[5m]))']],
    ['(\n  sum(rate(e{status="error"}[5m]))\n/\n  sum(rate(e[5m]))\n) > 0.05\n', ['sum(rate(e{status="error"}[5m]))\n/\n  sum(rate(e[5m]))']],
    ['up{job="tollgate"} == 0', ['up{job="tollgate"}']],
    ['max by (provider, model) (llm_circuit_open) >= 1', ['max by (provider, model) (llm_circuit_open)']],
    ['x > bool 3', ['x']],
    ['(a > 1)', ['a']],
    ['a > 1 and on() b < 2', ['a', 'b']],
    ['a > 1 unless on(x) b', ['a']],
    ['a or b > 3', ['a', 'b']],
    ['sum(x{route=~"/v1/(a|b)", s!="a > b"}) > 3', ['sum(x{route=~"/v1/(a|b)", s!="a > b"})']],
    ['(a) * (b) > 3', ['(a) * (b)']],
    ['histogram_quantile(0.95, sum by (le) (rate(h[5m])))', ['histogram_quantile(0.95, sum by (le) (rate(h[5m])))']],
    ['sorted_or_not > 1', ['sorted_or_not']],
  ])('%s', (expr, expected) => {
    expect(withoutThreshold(expr)).toEqual(expected);
  });
});

describe('Grafana variables', () => {
  const values = new Map([['provider', '.*']]);

  it('replaces every syntax and the built-in intervals', () => {
    expect(substituteVariables('rate(x{p=~"$provider", q=~"${provider}", r=~"${provider:regex}", s=~"[[provider]]"}[$__rate_interval])', values)).toBe(
      'rate(x{p=~".*", q=~".*", r=~".*", s=~".*"}[5m])',
    );
  });

  it('rejects an unknown variable, so a new one cannot slip through untested', () => {
    expect(() => substituteVariables('x{a=~"$nope"}', values)).toThrow(/unknown Grafana variable \$nope/);
  });

  it('turns label_values into a query with one series per value', () => {
    expect(variableQueryToPromql('label_values(llm_requests_total{provider=~".*"}, model)')).toBe('count by (model) (llm_requests_total{provider=~".*"})');
    expect(variableQueryToPromql('label_values(tenant)')).toBe('count by (tenant) ({tenant!=""})');
    expect(() => variableQueryToPromql('metrics(llm_.*)')).toThrow(/unsupported/);
  });
});

describe('expression discovery', () => {
  it('walks nested rows, skips hidden targets and reads variable queries', () => {
    const dashboard = {
      templating: {
        list: [
          { name: 'datasource', type: 'datasource', query: 'prometheus' },
          { name: 'provider', type: 'query', query: { query: 'label_values(m, provider)' } },
          { name: 'tenant', type: 'query', definition: 'label_values(m{provider=~"$provider"}, tenant)', query: '' },
        ],
      },
      panels: [
        { title: 'A', targets: [{ refId: 'A', expr: 'a{provider=~"$provider"}' }, { refId: 'B', expr: 'hidden', hide: true }] },
        { type: 'row', title: 'R', panels: [{ title: 'B', targets: [{ refId: 'A', expr: 'b{tenant=~"$tenant"}' }] }] },
      ],
    };
    expect(dashboardExpressions(dashboard)).toEqual([
      { origin: 'variable $provider', expr: 'count by (provider) (m)' },
      { origin: 'variable $tenant', expr: 'count by (tenant) (m{provider=~".*"})' },
      { origin: 'panel "A" target A', expr: 'a{provider=~".*"}' },
      { origin: 'panel "B" target A', expr: 'b{tenant=~".*"}' },
    ]);
  });

  it('takes recording rules, their series and alert conditions from a rule file', () => {
    const rules = { groups: [{ name: 'g', rules: [{ record: 'r:x:rate5m', expr: 'sum(rate(x[5m]))' }, { alert: 'A', expr: 'r:x:rate5m > 3', for: '5m' }] }] };
    expect(ruleExpressions(rules)).toEqual([
      { origin: 'recording rule r:x:rate5m', expr: 'sum(rate(x[5m]))' },
      { origin: 'recorded series r:x:rate5m', expr: 'r:x:rate5m' },
      { origin: 'alert A', expr: 'r:x:rate5m' },
    ]);
  });
});
