import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfigText } from '../../src/config/index.js';

const BASE = 'providers: [{ name: local, kind: ollama }]\nmodels: [{ name: m, route: [local/m] }]\n';

function problems(text: string, env: Record<string, string> = {}): string {
  try {
    parseConfigText(text, 'bad.yaml', env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.message;
  }
  throw new Error('expected a ConfigError');
}

describe('the notifications block', () => {
  it('reads every channel, with the daily summary at 08:00 UTC by default', () => {
    const config = parseConfigText(
      `${BASE}notifications:
  slack: { webhook_url: "\${SLACK_URL}" }
  webhook: { url: "https://billing.example.com/hooks/tollgate", headers: { authorization: "Bearer t0k3n" } }
  email: { smtp_url: "smtps://user:pa%40ss@smtp.example.com:465", from: tollgate@example.com, to: [finops@example.com, ops@example.com] }
  daily_summary: {}
`,
      't.yaml',
      { SLACK_URL: 'https://hooks.slack.com/services/T0/B0/secret' },
    );
    expect(config.notifications).toEqual({
      slack: { webhookUrl: 'https://hooks.slack.com/services/T0/B0/secret' },
      webhook: { url: 'https://billing.example.com/hooks/tollgate', headers: { authorization: 'Bearer t0k3n' } },
      email: { smtpUrl: 'smtps://user:pa%40ss@smtp.example.com:465', from: 'tollgate@example.com', to: ['finops@example.com', 'ops@example.com'] },
      dailySummary: { at: { hour: 8, minute: 0 }, timeZone: 'UTC' },
    });
  });

  it('is empty when absent: nothing is sent', () => {
    expect(parseConfigText(BASE, 't.yaml', {}).notifications).toEqual({});
  });

  it('explains each mistake with its path, without echoing a URL that may hold a secret', () => {
    const text = problems(
      `${BASE}notifications:
  slack: { webhook_url: "not a url \${SECRET}" }
  webhook: { url: "ftp://files.example.com/x", header: {} }
  email: { smtp_url: "https://smtp.example.com", from: nobody, to: [] }
  daily_summary: { at: "8am", timezone: Mars/Olympus }
`,
      { SECRET: 's3cr3t-value' },
    );
    expect(text).toMatch(/notifications\.slack\.webhook_url .*not a valid URL \(it is not shown: it may hold a secret\)/);
    expect(text).toMatch(/notifications\.webhook\.url .*got a ftp:\/\/ URL/);
    expect(text).toMatch(/notifications\.webhook.*header/);
    expect(text).toMatch(/notifications\.email\.smtp_url .*smtp:\/\/ or smtps:\/\//);
    expect(text).toMatch(/notifications\.email\.from .*e-mail address/);
    expect(text).toMatch(/notifications\.email\.to .*at least one recipient/);
    expect(text).toMatch(/notifications\.daily_summary\.at .*HH:MM/);
    expect(text).toMatch(/notifications\.daily_summary\.timezone .*IANA time zone/);
    expect(text).not.toContain('s3cr3t-value');
  });
});
