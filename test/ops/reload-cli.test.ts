/**
 * Configuration reload over the real process boundary: a `tollgate start`
 * child, a real upstream simulator, real signals. SIGHUP with a broken file
 * is rejected (the error names the YAML path and line, the old routes keep
 * serving, the rejected counter moves); SIGHUP with a good file that adds a
 * model serves it from the next request on while a stream started before
 * finishes complete on its old route; --watch-config reloads on a changed
 * file (and not on a rewrite with the same bytes).
 */
import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockUpstream, type MockUpstream } from '../../src/providers/mock/simulator.js';
import { validateResponsesSse } from '../../src/translators/openai-responses/validator.js';
import { buildIfNeeded, startGatewayProcess, type GatewayProcess } from '../cli/support/gateway-process.js';

const work = mkdtempSync(join(tmpdir(), 'tollgate-reload-'));
const env = { PATH: process.env['PATH'] ?? '', HOME: work };

let upstream: MockUpstream;
let other: MockUpstream;

beforeAll(async () => {
  buildIfNeeded();
  upstream = await startMockUpstream({ latencyMs: 0, tokensPerSecond: 0, scripts: {} });
  other = await startMockUpstream({ latencyMs: 0, tokensPerSecond: 0, scripts: {} });
}, 120_000);

afterAll(async () => {
  await upstream.close();
  await other.close();
});

function configText(models: readonly string[], extra: readonly string[] = []): string {
  return [
    'server: { host: 127.0.0.1, port: 0 }',
    `store: { path: "${join(work, 'ledger.sqlite')}" }`,
    'logging: { level: info }',
    'providers:',
    `  - { name: up, kind: openai, base_url: "${upstream.url}", api_key: sk-test }`,
    `  - { name: up2, kind: openai, base_url: "${other.url}", api_key: sk-test }`,
    ...extra,
    'models:',
    ...models.map((m) => `  - ${m}`),
    '',
  ].join('\n');
}

/** Writes the file as editors and ConfigMaps do: a new file renamed over the old one. */
function replaceFile(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

const msg = (line: Record<string, unknown>): string => (typeof line['msg'] === 'string' ? line['msg'] : '');

function chat(url: string, model: string): Promise<Response> {
  return fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }) });
}

async function reloadCount(url: string, result: 'ok' | 'rejected'): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const match = new RegExp(`^tollgate_config_reloads_total\\{result="${result}"\\} (\\d+)$`, 'm').exec(text);
  return Number(match?.[1] ?? NaN);
}

async function started(args: readonly string[]): Promise<{ gateway: GatewayProcess; url: string }> {
  const gateway = startGatewayProcess(args, { cwd: work, env });
  const url = String((await gateway.logLine((line) => typeof line['url'] === 'string', 20_000))['url']);
  return { gateway, url };
}

describe('SIGHUP', () => {
  it('rejects a broken file and keeps serving; applies a good one, new model at once, an open stream finishes on its old route', async () => {
    const path = join(work, 'sighup.yaml');
    writeFileSync(path, configText(['{ name: one, route: [up/m] }']));
    const { gateway, url } = await started(['start', '--config', path]);
    try {
      expect((await chat(url, 'one')).status).toBe(200);

      // A route to a provider that does not exist, on line 9.
      writeFileSync(path, configText(['{ name: one, route: [up/m] }', '{ name: two, route: [nowhere/m] }']));
      gateway.child.kill('SIGHUP');
      const rejected = await gateway.logLine((line) => msg(line).startsWith('configuration reload rejected'), 10_000);
      expect(msg(rejected)).toContain(`Invalid configuration in ${path}`);
      expect(msg(rejected)).toMatch(/models\[1\]\.route\[0\] \(line 9:\d+\): .*nowhere/);
      expect(rejected['level']).toBe('error');
      expect((await chat(url, 'one')).status).toBe(200);
      expect((await chat(url, 'two')).status).toBe(404);
      expect(await reloadCount(url, 'rejected')).toBe(1);
      expect(await reloadCount(url, 'ok')).toBe(0);

      // A stream on `one` (served by up) that is still running when the reload moves `one` to up2 and adds `two`.
      const streaming = await fetch(`${url}/v1/responses`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': 'before-reload' },
        body: JSON.stringify({ model: 'one', stream: true, input: 'long [mock:words=60] [mock:tps=30]' }),
      });
      expect(streaming.headers.get('x-tollgate-provider')).toBe('up');
      const reader = streaming.body!.getReader();
      const decoder = new TextDecoder();
      let text = decoder.decode((await reader.read()).value as Uint8Array);

      writeFileSync(path, configText(['{ name: one, route: [up2/m] }', '{ name: two, route: [up2/m] }']));
      gateway.child.kill('SIGHUP');
      const applied = await gateway.logLine((line) => msg(line).startsWith('configuration reloaded'), 10_000);
      expect(applied).toMatchObject({ routes_added: ['two'], routes_changed: ['one'], generation: 2, calls_on_earlier_config: 1 });
      const two = await chat(url, 'two');
      expect(two.status).toBe(200);
      expect(two.headers.get('x-tollgate-provider')).toBe('up2');
      expect((await chat(url, 'one')).headers.get('x-tollgate-provider')).toBe('up2');
      expect(await reloadCount(url, 'ok')).toBe(1);

      for (;;) {
        const read = await reader.read();
        if (read.done) break;
        text += decoder.decode(read.value as Uint8Array, { stream: true });
      }
      expect(validateResponsesSse(text)).toEqual([]);
      expect(text).toContain('"type":"response.completed"');
      expect(upstream.stats.requests).toBeGreaterThan(0);

      const exited = gateway.exit(15_000);
      gateway.child.kill('SIGTERM');
      expect((await exited).code, gateway.stderr()).toBe(0);
    } finally {
      gateway.kill();
    }
  }, 60_000);
});

describe('--watch-config', () => {
  it('reloads when the file changes, not when it is rewritten with the same bytes', async () => {
    const path = join(work, 'watched.yaml');
    const first = configText(['{ name: one, route: [up/m] }']);
    writeFileSync(path, first);
    const { gateway, url } = await started(['start', '--config', path, '--watch-config']);
    try {
      expect((await chat(url, 'two')).status).toBe(404);
      replaceFile(path, configText(['{ name: one, route: [up/m] }', '{ name: two, route: [up2/m] }']));
      const applied = await gateway.logLine((line) => msg(line).startsWith('configuration reloaded'), 10_000);
      expect(applied['routes_added']).toEqual(['two']);
      expect((await chat(url, 'two')).status).toBe(200);

      // Same bytes again: no reload.
      replaceFile(path, configText(['{ name: one, route: [up/m] }', '{ name: two, route: [up2/m] }']));
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(gateway.logs.filter((line) => msg(line).startsWith('configuration reload'))).toHaveLength(1);
      expect(await reloadCount(url, 'ok')).toBe(1);
    } finally {
      gateway.kill();
    }
  }, 60_000);
});
