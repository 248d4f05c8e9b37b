import { describe, expect, it } from 'vitest';
import { ConfigError, describeRoutes, parseConfigText } from '../../src/config/index.js';

const BASE = 'providers: [{ name: local, kind: ollama }]\nmodels: [{ name: m, route: [local/m] }]\n';

function problems(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfigText(text, 'bad.yaml', env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.message.split('\n').slice(1).map((line) => line.trim());
  }
  throw new Error('expected a ConfigError');
}

describe('auth and tenants in the configuration', () => {
  it('reads the contract shape, secrets from the environment', () => {
    const text = `${BASE}auth:
  admin_token: "\${TOLLGATE_ADMIN_TOKEN}"
  anonymous_tenant: local
  trusted_proxy: { secret: "\${TOLLGATE_PROXY_SECRET}" }
tenants:
  - { name: team-a, models: ["gpt-oss:*", "gpt-5*"], rpm: 600, tpm: 2000000 }
  - { name: local, metadata: { owner: ops } }
`;
    const config = parseConfigText(text, 't.yaml', { TOLLGATE_ADMIN_TOKEN: 'admin-token-0123456789abcdef', TOLLGATE_PROXY_SECRET: 'proxy-secret-0123456789' });
    expect(config.auth).toEqual({ adminToken: 'admin-token-0123456789abcdef', anonymousTenant: 'local', trustedProxy: { secret: 'proxy-secret-0123456789' } });
    expect(config.tenants).toEqual([
      { name: 'team-a', models: ['gpt-oss:*', 'gpt-5*'], rpm: 600, tpm: 2_000_000, metadata: {}, budgets: [] },
      { name: 'local', models: undefined, rpm: undefined, tpm: undefined, metadata: { owner: 'ops' }, budgets: [] },
    ]);
  });

  it('check-config says who may call', () => {
    const open = parseConfigText(BASE, 't.yaml', {});
    expect(describeRoutes(open)).toContain('Access: open until the first key is created (every caller is tenant default); admin API off');
    const keyed = parseConfigText(`${BASE}auth: { admin_token: admin-token-0123456789abcdef }\ntenants:\n  - { name: a, rpm: 5 }\n  - { name: b }\n`, 't.yaml', {});
    expect(describeRoutes(keyed)).toContain('Access: virtual keys required; tenants a (5 rpm), b; admin API on (/admin/v1)');
    expect(describeRoutes(keyed)).not.toContain('admin-token-0123456789abcdef');
    const budgeted = parseConfigText(`${BASE}tenants:\n  - { name: a, budgets: [{ period: month, limit_usd: 500 }, { period: day, limit_usd: 40 }], guardrails: { max_output_tokens: 8000 } }\n`, 't.yaml', {});
    expect(describeRoutes(budgeted)).toContain('tenants a ($500 a month, $40 a day, output cut at 8000 tokens)');
  });

  it('defaults to no auth and no tenants', () => {
    const config = parseConfigText(BASE, 't.yaml', {});
    expect(config.auth).toEqual({ adminToken: undefined, anonymousTenant: undefined, trustedProxy: undefined });
    expect(config.tenants).toEqual([]);
  });

  it('explains a short admin token without showing it, a bad tenant name, a zero limit', () => {
    const found = problems(`${BASE}auth: { admin_token: hunter2 }\ntenants:\n  - { name: "a b" }\n  - { name: c, rpm: 0 }\n`);
    expect(found.join('\n')).not.toContain('hunter2');
    expect(found).toEqual([
      'auth.admin_token (line 3:22): expected an admin token of at least 16 characters (the value is not shown): generate one with `openssl rand -hex 32`',
      'tenants[0].name (line 5:13): expected a tenant name: 1 to 64 letters, digits, `.`, `_` or `-`, starting with a letter or digit',
      'tenants[1].rpm (line 6:21): expected a number >= 1, got 0',
    ]);
  });

  it('explains a tenant declared twice and an anonymous tenant that is not declared', () => {
    const found = problems(`${BASE}auth: { anonymous_tenant: guests }\ntenants:\n  - { name: a }\n  - { name: a }\n`);
    expect(found.some((p) => p.startsWith('tenants[1].name') && p.includes("tenant 'a' is declared twice"))).toBe(true);
    expect(found.some((p) => p.startsWith('auth.anonymous_tenant') && p.includes("'guests' is not declared under tenants"))).toBe(true);
  });
});
