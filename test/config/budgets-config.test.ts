import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfigText } from '../../src/config/index.js';

const BASE = 'providers: [{ name: local, kind: ollama }]\nmodels: [{ name: m, route: [local/m] }]\n';

function problems(text: string): string[] {
  try {
    parseConfigText(text, 'bad.yaml', {});
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.message.split('\n').slice(1).map((line) => line.trim());
  }
  throw new Error('expected a ConfigError');
}

describe('tenant budgets in the configuration', () => {
  it('reads the contract shape, with UTC midnight by default', () => {
    const config = parseConfigText(
      `${BASE}tenants:
  - name: team-a
    budgets:
      - { period: month, limit_usd: 500, soft: [0.5, 0.8], timezone: Europe/Berlin }
      - { period: day, limit_usd: 40, reset_at: "08:30" }
`,
      't.yaml',
      {},
    );
    expect(config.tenants[0]?.budgets).toEqual([
      { period: 'month', limitUsd: 500, soft: [0.5, 0.8], timeZone: 'Europe/Berlin', reset: { hour: 0, minute: 0 } },
      { period: 'day', limitUsd: 40, soft: [], timeZone: 'UTC', reset: { hour: 8, minute: 30 } },
    ]);
  });

  it('explains each mistake with its path', () => {
    const found = problems(`${BASE}tenants:
  - name: a
    budgets:
      - { period: week, limit_usd: 0, soft: [0.8, 0.5], timezone: Mars/Olympus, reset_at: "25:00" }
  - name: b
    budgets: [{ period: day, limit_usd: 1 }, { period: day, limit_usd: 2 }]
`);
    const text = found.join('\n');
    expect(text).toMatch(/tenants\[0\]\.budgets\[0\]\.period .*expected 'day' or 'month'/);
    expect(text).toMatch(/tenants\[0\]\.budgets\[0\]\.limit_usd .*above 0/);
    expect(text).toMatch(/tenants\[0\]\.budgets\[0\]\.soft .*ascending/);
    expect(text).toMatch(/tenants\[0\]\.budgets\[0\]\.timezone .*IANA time zone/);
    expect(text).toMatch(/tenants\[0\]\.budgets\[0\]\.reset_at .*HH:MM/);
    expect(text).toMatch(/tenants\[1\]\.budgets .*at most one budget per period/);
  });
});
