/**
 * `tollgate tenants|keys create|update` with budget and guardrail flags, run
 * as a user runs them (the real binary): on the store and against a running
 * gateway (--url), each flag changing its own setting, --no-budgets and
 * --no-guardrails clearing, --json printing the API's objects, one-line
 * errors. A change through --url is listed by the gateway at once.
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
const work = mkdtempSync(join(tmpdir(), 'tollgate-cost-cli-'));
const configPath = join(work, 'tollgate.yaml');
writeFileSync(
  configPath,
  [
    `store: { path: ${join(work, 'store.sqlite')} }`,
    'auth: { admin_token: "${TOLLGATE_ADMIN_TOKEN}" }',
    'tenants:',
    '  - { name: team-config, budgets: [{ period: month, limit_usd: 100 }] }',
    'providers: [{ name: sim, kind: mock }]',
    'models: [{ name: demo, route: [sim/demo] }]',
    '',
  ].join('\n'),
);
const env = { ...process.env, TOLLGATE_ADMIN_TOKEN: ADMIN_TOKEN, TOLLGATE_CONFIG: '' };

async function tollgate(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, ...args], { cwd: work, env, encoding: 'utf8' });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

async function json<T = Record<string, unknown>>(args: string[]): Promise<T> {
  const result = await tollgate([...args, '--json']);
  expect(result.stderr).toBe('');
  return JSON.parse(result.stdout) as T;
}

let gateway: Gateway;
beforeAll(async () => {
  execFileSync(process.execPath, [join(root, 'scripts', 'build-if-needed.mjs')], { stdio: 'inherit' });
  gateway = await startTestGateway(loadConfig({ path: configPath, env, demo: false }));
});
afterAll(async () => {
  await gateway.close();
});

const written = (period: string, limit: number, extra: Record<string, unknown> = {}) => ({ period, limit_usd: limit, soft: [], timezone: 'UTC', reset_at: '00:00', ...extra });

describe.each([
  ['the store', () => ['--config', configPath]],
  ['a running gateway', () => ['--url', gateway.url]],
] as const)('budgets and guardrails with the CLI, on %s', (where, target) => {
  const tenant = `team-${where === 'the store' ? 'store' : 'url'}`;

  it('creates a tenant with budgets and guardrails, changes one setting at a time, clears them', async () => {
    const created = await json(['tenants', 'create', tenant, '--budget', 'month:500', '--budget', 'day:40,soft=0.5/0.8,timezone=Europe/Berlin,reset_at=06:00', '--max-output-tokens', '8000', ...target()]);
    expect(created).toMatchObject({
      name: tenant,
      budgets: [written('month', 500), written('day', 40, { soft: [0.5, 0.8], timezone: 'Europe/Berlin', reset_at: '06:00' })],
      guardrails: { max_output_tokens: 8000 },
    });
    // One budget replaced (its period), the other kept; one guardrail added, the other kept.
    const updated = await json(['tenants', 'update', tenant, '--budget', 'day:25', '--downgrade', 'gpt-5->gpt-5-mini@0.2', '--downgrade', 'gpt-5*->demo@0.05,budget=day', ...target()]);
    expect(updated).toMatchObject({
      budgets: [written('month', 500), written('day', 25)],
      guardrails: {
        max_output_tokens: 8000,
        downgrade: [
          { when_remaining_below: 0.2, from: 'gpt-5', to: 'gpt-5-mini' },
          { when_remaining_below: 0.05, budget: 'day', from: 'gpt-5*', to: 'demo' },
        ],
      },
    });
    const text = await tollgate(['tenants', 'update', tenant, '--no-guardrails', '--clamp-min-output-tokens', '256', ...target()]);
    expect(text.stdout).toBe(`Updated tenant '${tenant}'.\n  budgets: month $500.00 (resets 00:00 UTC), day $25.00 (resets 00:00 UTC)\n  guardrails: clamp to at least 256 output tokens\n`);
    const cleared = await json(['tenants', 'update', tenant, '--no-budgets', '--no-guardrails', ...target()]);
    expect(cleared).toMatchObject({ budgets: [], guardrails: null });
    expect(await json(['tenants', 'show', tenant, ...target()].filter((a) => a !== '--json'))).toMatchObject({ budgets: [], guardrails: null });
  });

  it('creates a key with its own budget, updates and clears its settings; shows it', async () => {
    const key = await json<{ id: string; key: string }>(['keys', 'create', '--tenant', 'team-config', '--name', 'ci', '--budget', 'day:5', '--max-prompt-tokens', '100000', ...target()]);
    expect(key).toMatchObject({ budgets: [written('day', 5)], guardrails: { max_prompt_tokens: 100_000 } });
    const updated = await json(['keys', 'update', key.id, '--name', 'ci-runner', '--rpm', '60', '--expires', '30d', '--budget', 'month:50', '--chat-refusal-status', '402', ...target()]);
    expect(updated).toMatchObject({ name: 'ci-runner', rpm: 60, budgets: [written('day', 5), written('month', 50)], guardrails: { max_prompt_tokens: 100_000, chat_refusal_status: 402 } });
    expect(updated['expires_at']).toBeGreaterThan(Date.now() / 1000 + 29 * 86_400);
    const cleared = await json(['keys', 'update', key.id, '--rpm', 'none', '--expires', 'never', '--no-budgets', '--no-guardrails', ...target()]);
    expect(cleared).toMatchObject({ rpm: null, expires_at: null, budgets: [], guardrails: null, name: 'ci-runner' });
    const shown = await tollgate(['keys', 'show', key.id, ...target()]);
    expect(JSON.parse(shown.stdout)).toMatchObject({ id: key.id, budgets: [] });
  });

  it('refuses bad flags and input with one line and exit 1', async () => {
    const key = await json<{ id: string }>(['keys', 'create', '--tenant', 'team-config', ...target()]);
    const failures: Array<[string[], RegExp]> = [
      [['keys', 'update', key.id, '--budget', 'week:5'], /^tollgate: --budget must be PERIOD:LIMIT_USD/],
      [['keys', 'update', key.id, '--budget', 'day:5,colour=red'], /^tollgate: --budget options are soft=, timezone= and reset_at=/],
      [['keys', 'update', key.id, '--budget', 'day:5', '--budget', 'day:6'], /given twice for the period 'day'/],
      [['keys', 'update', key.id, '--budget', 'day:-1,timezone=Mars/Olympus'], /budgets\.0\.limit_usd: expected an amount in USD above 0; budgets\.0\.timezone: expected an IANA time zone/],
      [['keys', 'update', key.id, '--downgrade', 'gpt-5'], /^tollgate: --downgrade must be FROM->TO@SHARE/],
      [['keys', 'update', key.id, '--max-output-tokens', 'lots'], /--max-output-tokens must be a positive integer, got 'lots'/],
      [['keys', 'update', key.id], /needs something to change/],
      [['keys', 'update', 'nobodyatall1', '--rpm', '1'], /^tollgate: No key 'nobodyatall1'/],
      [['tenants', 'update', 'team-config', '--no-budgets'], /declared in the configuration file/],
    ];
    // Independent of one another: run at once, as separate processes.
    const results = await Promise.all(failures.map(([args]) => tollgate([...args, ...target()])));
    for (const [i, [args, message]] of failures.entries()) {
      const result = results[i]!;
      expect(result.code, args.join(' ')).toBe(1);
      expect(result.stderr.split('\n').filter((line) => line !== '')).toHaveLength(1);
      expect(result.stderr, args.join(' ')).toMatch(message);
    }
    await tollgate(['keys', 'revoke', key.id, ...target()]);
    const revoked = await tollgate(['keys', 'update', key.id, '--rpm', '1', ...target()]);
    expect(revoked.code).toBe(1);
    expect(revoked.stderr).toMatch(/^tollgate: Key '[a-z0-9]+' is revoked/);
  }, 60_000);
});

describe('a change through --url', () => {
  it('is listed by the gateway’s budget view at once', async () => {
    const key = await json<{ id: string }>(['keys', 'create', '--tenant', 'team-config', '--url', gateway.url]);
    await tollgate(['keys', 'update', key.id, '--budget', 'day:3', '--url', gateway.url]);
    const response = await fetch(`${gateway.url}/admin/v1/budgets?tenant=team-config`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    const listed = ((await response.json()) as { data: Array<Record<string, unknown>> }).data;
    expect(listed.map((b) => [b['key_id'], b['period'], b['limit_usd']])).toEqual(expect.arrayContaining([[null, 'month', 100], [key.id, 'day', 3]]));
  });
});
