/**
 * `tollgate tenants|keys|usage`, run as a user runs them: the real binary,
 * against the configured store directly and against a running gateway with
 * --url and the admin token. The key printed works against the gateway.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import type { Gateway } from '../../src/gateway.js';
import { startTestGateway } from '../helpers/gateway.js';

const root = new URL('../..', import.meta.url).pathname;
const bin = join(root, 'bin', 'tollgate.js');
const ADMIN_TOKEN = 'admin-token-0123456789abcdef';
const work = mkdtempSync(join(tmpdir(), 'tollgate-admin-cli-'));
const configPath = join(work, 'tollgate.yaml');
writeFileSync(
  configPath,
  [
    `store: { path: ${join(work, 'store.sqlite')} }`,
    'auth: { admin_token: "${TOLLGATE_ADMIN_TOKEN}" }',
    'tenants:',
    '  - { name: team-a, models: ["demo*"], rpm: 100 }',
    'providers: [{ name: sim, kind: mock }]',
    'models: [{ name: demo, route: [sim/demo] }]',
    '',
  ].join('\n'),
);
const env = { ...process.env, TOLLGATE_ADMIN_TOKEN: ADMIN_TOKEN, TOLLGATE_CONFIG: '' };

async function tollgate(args: string[], extraEnv: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, ...args], { cwd: work, env: { ...env, ...extraEnv }, encoding: 'utf8' });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

let gateway: Gateway;
beforeAll(async () => {
  execFileSync(process.execPath, [join(root, 'scripts', 'build-if-needed.mjs')], { stdio: 'inherit' });
  gateway = await startTestGateway(loadConfig({ path: configPath, env, demo: false }));
});
afterAll(async () => {
  await gateway.close();
});

async function chat(key: string): Promise<number> {
  const response = await fetch(`${gateway.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: JSON.stringify({ model: 'demo', messages: [{ role: 'user', content: 'hi' }] }) });
  await response.arrayBuffer();
  return response.status;
}

describe('tollgate tenants and keys on the store', () => {
  it('creates a tenant and a key whose printed key works against the running gateway; lists them', async () => {
    const tenant = await tollgate(['tenants', 'create', 'team-b', '--rpm', '5', '--models', 'demo,other*', '--config', configPath]);
    expect(tenant).toMatchObject({ code: 0, stdout: "Created tenant 'team-b'.\n" });
    const created = await tollgate(['keys', 'create', '--tenant', 'team-b', '--name', 'laptop', '--expires', '30d', '--json', '--config', configPath]);
    expect(created.code).toBe(0);
    const key = JSON.parse(created.stdout) as { id: string; key: string; tenant: string; expires_at: number; models: string[] | null };
    expect(key).toMatchObject({ tenant: 'team-b', name: 'laptop', rpm: null });
    expect(key.expires_at).toBeGreaterThan(Date.now() / 1000 + 29 * 86_400);
    expect(key.key).toMatch(/^tg_/);
    expect(await chat(key.key)).toBe(200);
    const tenants = await tollgate(['tenants', 'list', '--config', configPath]);
    expect(tenants.stdout).toMatch(/^NAME +SOURCE +MODELS +RPM +TPM\n/);
    expect(tenants.stdout).toMatch(/team-a +config +demo\* +100 +-/);
    expect(tenants.stdout).toMatch(/team-b +api +demo,other\* +5 +-/);
    const keys = await tollgate(['keys', 'list', '--tenant', 'team-b', '--config', configPath]);
    expect(keys.stdout).toContain(key.id);
    expect(keys.stdout).toContain(`tg_${key.id}_…${key.key.slice(-4)}`);
    expect(keys.stdout).not.toContain(key.key);
  });

  it('prints the key once, with what to do with it, and refuses bad input with one line and exit 1', async () => {
    const created = await tollgate(['keys', 'create', '--tenant', 'team-a', '--config', configPath]);
    expect(created.stdout).toMatch(/Created key [a-z0-9]{12} for tenant 'team-a':\n\n {2}tg_[a-z0-9]{12}_[A-Za-z0-9]{32}\n\nStore it now/);
    const failures: Array<[string[], RegExp]> = [
      [['keys', 'create', '--tenant', 'nobody'], /^tollgate: No tenant 'nobody'/],
      [['keys', 'create'], /needs --tenant T/],
      [['keys', 'create', '--tenant', 'team-a', '--rpm', 'many'], /--rpm must be a positive integer, got 'many'/],
      [['keys', 'create', '--tenant', 'team-a', '--expires', 'yesterday'], /--expires must be a time from now/],
      [['tenants', 'create', 'bad name'], /invalid input: name: expected a tenant name/],
      [['tenants', 'create', 'team-a'], /already exists/],
      [['keys', 'revoke'], /needs a key ID/],
      [['keys', 'frobnicate'], /unknown command 'tollgate keys frobnicate'/],
    ];
    for (const [args, message] of failures) {
      const result = await tollgate([...args, '--config', configPath]);
      expect(result.code, args.join(' ')).toBe(1);
      expect(result.stderr.trim().split('\n')[0]).toMatch(message);
    }
  });

  it('revokes and rotates on the store; both show in the listing', async () => {
    const created = JSON.parse((await tollgate(['keys', 'create', '--tenant', 'team-a', '--json', '--config', configPath])).stdout) as { id: string; key: string };
    expect(await chat(created.key)).toBe(200);
    const rotated = await tollgate(['keys', 'rotate', created.id, '--grace', '1h', '--config', configPath]);
    expect(rotated.stdout).toMatch(/Rotated key .*The old key works until/s);
    const newKey = /tg_[a-z0-9]{12}_[A-Za-z0-9]{32}/.exec(rotated.stdout)![0];
    expect(await chat(newKey)).toBe(200);
    const revoked = await tollgate(['keys', 'revoke', created.id, '--config', configPath]);
    expect(revoked.stdout).toBe(`Revoked key ${created.id} (tg_${created.id}_…${newKey.slice(-4)}).\n`);
    const shown = JSON.parse((await tollgate(['keys', 'list', '--json', '--config', configPath])).stdout) as Array<{ id: string; status: string }>;
    expect(shown.find((k) => k.id === created.id)?.status).toBe('revoked');
  });
});

describe('tollgate against a running gateway (--url)', () => {
  it('needs the admin token, and applies changes at once', async () => {
    const noToken = await tollgate(['tenants', 'list', '--url', gateway.url], { TOLLGATE_ADMIN_TOKEN: '' });
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toContain('TOLLGATE_ADMIN_TOKEN');
    const wrong = await tollgate(['tenants', 'list', '--url', gateway.url], { TOLLGATE_ADMIN_TOKEN: 'admin-token-0123456789abcdeX' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('not the one configured');
    const created = JSON.parse((await tollgate(['keys', 'create', '--tenant', 'team-a', '--json', '--url', `${gateway.url}/v1`])).stdout) as { id: string; key: string };
    expect(await chat(created.key)).toBe(200);
    expect((await tollgate(['keys', 'revoke', created.id, '--url', gateway.url])).code).toBe(0);
    // Through the gateway's own admin API: refused at once, not after the cache time.
    expect(await chat(created.key)).toBe(401);
    const unreachable = await tollgate(['tenants', 'list', '--url', 'http://127.0.0.1:9']);
    expect(unreachable.stderr).toMatch(/^tollgate: cannot reach the gateway at http:\/\/127.0.0.1:9/);
  });

  it('reports usage per tenant and key, as a table or JSON', async () => {
    const created = JSON.parse((await tollgate(['keys', 'create', '--tenant', 'team-a', '--json', '--url', gateway.url])).stdout) as { id: string; key: string };
    for (let i = 0; i < 3; i++) expect(await chat(created.key)).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const rows = JSON.parse((await tollgate(['usage', '--key', created.id, '--group-by', 'tenant,key', '--json', '--url', gateway.url])).stdout) as Array<Record<string, unknown>>;
    expect(rows).toEqual([expect.objectContaining({ tenant: 'team-a', key_id: created.id, requests: 3, errors: 0 })]);
    const text = await tollgate(['usage', '--key', created.id, '--group-by', 'tenant', '--url', gateway.url]);
    expect(text.stdout).toMatch(/^TENANT +REQUESTS +ERRORS +PROMPT +OUTPUT +COST_USD\nteam-a +3 +0 /);
    const bad = await tollgate(['usage', '--group-by', 'colour', '--url', gateway.url]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("got 'colour'");
  });
});
