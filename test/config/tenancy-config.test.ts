import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfigText } from '../../src/config/index.js';

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
      { name: 'team-a', models: ['gpt-oss:*', 'gpt-5*'], rpm: 600, tpm: 2_000_000, metadata: {} },
      { name: 'local', models: undefined, rpm: undefined, tpm: undefined, metadata: { owner: 'ops' } },
    ]);
  });

  it('defaults to no auth and no tenants', () => {
    const config = parseConfigText(BASE, 't.yaml', {});
    expect(config.auth).toEqual({ adminToken: undefined, anonymousTenant: undefined, trustedProxy: undefined });
    expect(config.tenants).toEqual([]);
  });

  it('explains a short admin token without showing it, a duplicate tenant, an undeclared anonymous tenant, a bad name', () => {
    const found = problems(`${BASE}auth: { admin_token: hunter2, anonymous_tenant: guests }\ntenants:\n  - { name: a }\n  - { name: a }\n  - { name: "a b" }\n  - { name: c, rpm: 0 }\n`);
    expect(found.join('\n')).not.toContain('hunter2');
    expect(found.some((p) => p.startsWith('auth.admin_token') && p.includes('at least 16 characters'))).toBe(true);
    expect(found.some((p) => p.startsWith('auth.anonymous_tenant') && p.includes("'guests' is not declared under tenants"))).toBe(true);
    expect(found.some((p) => p.startsWith('tenants[1].name') && p.includes('declared twice'))).toBe(true);
    expect(found.some((p) => p.startsWith('tenants[2].name') && p.includes('expected a tenant name'))).toBe(true);
    expect(found.some((p) => p.startsWith('tenants[3].rpm'))).toBe(true);
  });
});
