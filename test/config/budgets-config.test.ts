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

describe('guardrails and notifications in the configuration', () => {
  it('reads the contract shape on tenants and models, and every channel', () => {
    const config = parseConfigText(
      `providers: [{ name: local, kind: ollama }]
models:
  - { name: m, route: [local/m], guardrails: { max_output_tokens: 2000 } }
tenants:
  - name: team-a
    budgets:
      - { period: month, limit_usd: 500, soft: [0.5, 0.8], timezone: Europe/Berlin }
    guardrails:
      clamp: { min_output_tokens: 256 }
      downgrade: [{ when_remaining_below: 0.2, from: "gpt-5", to: "gpt-5-mini" }, { when_remaining_below: 0.1, budget: day, from: "gpt-5*", to: m }]
      max_output_tokens: 8000
      max_prompt_tokens: 100000
      chat_refusal_status: 402
notifications:
  slack: { webhook_url: "https://hooks.slack.com/services/T0/B0/secret" }
  webhook: { url: "https://billing.example.com/hooks/tollgate?source=gw", headers: { authorization: "Bearer x" } }
  email: { smtp_url: "smtp://user:pass@mail.example.com:587", from: "tollgate@example.com", to: ["finops@example.com"] }
  daily_summary: { at: "08:00", timezone: Europe/Berlin }
`,
      't.yaml',
      {},
    );
    expect(config.tenants[0]?.guardrails).toEqual({
      clamp: { minOutputTokens: 256 },
      downgrade: [
        { whenRemainingBelow: 0.2, from: 'gpt-5', to: 'gpt-5-mini' },
        { whenRemainingBelow: 0.1, budget: 'day', from: 'gpt-5*', to: 'm' },
      ],
      maxOutputTokens: 8000,
      maxPromptTokens: 100000,
      chatRefusalStatus: 402,
    });
    expect(config.models[0]?.guardrails).toEqual({ maxOutputTokens: 2000 });
    expect(config.notifications).toEqual({
      slack: { webhookUrl: 'https://hooks.slack.com/services/T0/B0/secret' },
      webhook: { url: 'https://billing.example.com/hooks/tollgate?source=gw', headers: { authorization: 'Bearer x' } },
      email: { smtpUrl: 'smtp://user:pass@mail.example.com:587', from: 'tollgate@example.com', to: ['finops@example.com'] },
      dailySummary: { at: { hour: 8, minute: 0 }, timeZone: 'Europe/Berlin' },
    });
    expect(parseConfigText(BASE, 't.yaml', {}).notifications).toEqual({});
  });

  it('explains each mistake with its path, never echoing a secret URL', () => {
    const found = problems(`${BASE}tenants:
  - name: a
    guardrails:
      clamp: { min_output_tokens: 0 }
      downgrade: [{ when_remaining_below: 2, from: gpt-5 }]
      max_output_tokens: -1
      chat_refusal_status: 403
      cut_off: 1
notifications:
  slack: { webhook_url: "ftp://secret-token@hooks" }
  email: { smtp_url: "smtp://mail", from: "not-an-address", to: [] }
  daily_summary: { at: "8am" }
`);
    const text = found.join('\n');
    expect(text).toMatch(/tenants\[0\]\.guardrails\.clamp\.min_output_tokens/);
    expect(text).toMatch(/tenants\[0\]\.guardrails\.downgrade\[0\]\.when_remaining_below/);
    expect(text).toMatch(/tenants\[0\]\.guardrails\.downgrade\[0\]\.to/);
    expect(text).toMatch(/tenants\[0\]\.guardrails\.max_output_tokens/);
    expect(text).toMatch(/chat_refusal_status.*402 or 429/);
    expect(text).toMatch(/cut_off/);
    expect(text).toMatch(/notifications\.slack\.webhook_url.*https:\/\//);
    expect(text).toMatch(/notifications\.email\.from.*e-mail address/);
    expect(text).toMatch(/notifications\.email\.to.*at least one recipient/);
    expect(text).toMatch(/notifications\.daily_summary\.at.*HH:MM/);
    expect(text).not.toContain('secret-token');
  });
});
