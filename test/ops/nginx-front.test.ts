/**
 * deploy/compose/nginx.conf, as shipped, with only the replica addresses
 * replaced: `nginx -t` accepts it, and a real nginx in front of three real
 * gateways spreads calls round robin, passes a stream through as it is
 * written (not buffered), and loses no call while one replica shuts down.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/index.js';
import { startGateway, type Gateway } from '../../src/gateway.js';
import { silentLog } from '../helpers/gateway.js';
import { freePort, requireBinary, waitFor } from './support/processes.js';

const CONF = join(import.meta.dirname, '../../deploy/compose/nginx.conf');
const shipped = readFileSync(CONF, 'utf8');
const REPLICA = /server tollgate-(\d):8787/g;

/** The shipped file with the replica names (which resolve only inside compose) and the listen port replaced. */
function rendered(addresses: readonly string[], listen: number): string {
  const text = shipped.replace(REPLICA, (_match, n: string) => `server ${addresses[Number(n) - 1] ?? 'missing'}`).replace(/listen 8080;/, `listen 127.0.0.1:${listen};`);
  expect(text).not.toContain('tollgate-');
  return text;
}

/** A gateway whose simulated model answers with its replica's name. */
function replicaConfig(name: string) {
  const yaml = [
    'server: { host: 127.0.0.1, port: 0, shutdown_grace: 5s }',
    'store: { path: ":memory:" }',
    'providers:',
    `  - { name: sim, kind: mock, tokens_per_second: 0, scripts: { "*": { reply: "${name}" } } }`,
    'models:',
    '  - { name: m, route: [sim/m] }',
    '',
  ].join('\n');
  return parseConfigText(yaml, `${name}.yaml`, {});
}

let nginxBin = '';
const work = mkdtempSync(join(tmpdir(), 'tollgate-nginx-'));

beforeAll(() => {
  nginxBin = requireBinary('nginx');
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

/** nginx with a prefix of its own: no pid file, log or temp path outside `dir`. */
function nginxArgs(dir: string): string[] {
  return ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log'), '-g', `daemon off; pid ${join(dir, 'nginx.pid')};`];
}

function prefix(name: string, conf: string): string {
  const dir = join(work, name);
  mkdirSync(join(dir, 'logs'), { recursive: true });
  writeFileSync(join(dir, 'nginx.conf'), conf);
  return dir;
}

async function chat(url: string, id: string): Promise<{ status: number; text: string }> {
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-request-id': id },
    body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: id }] }),
  });
  const body = (await response.json()) as { choices?: Array<{ message: { content: string } }> };
  return { status: response.status, text: body.choices?.[0]?.message.content ?? JSON.stringify(body) };
}

describe('deploy/compose/nginx.conf', () => {
  it('passes nginx -t', () => {
    const dir = prefix('syntax', rendered(['127.0.0.1:1', '127.0.0.1:2', '127.0.0.1:3'], 1));
    const result = spawnSync(nginxBin, ['-t', ...nginxArgs(dir)], { encoding: 'utf8' });
    expect(result.status, `${result.stdout}${result.stderr}`).toBe(0);
    expect(result.stderr).toContain('test is successful');
  });

  describe('in front of three gateways', () => {
    const replicas: Gateway[] = [];
    let nginx: ChildProcess | undefined;
    let url = '';

    beforeAll(async () => {
      for (const name of ['replica-1', 'replica-2', 'replica-3']) replicas.push(await startGateway(replicaConfig(name), { log: silentLog }));
      const listen = await freePort();
      const dir = prefix('live', rendered(replicas.map((r) => new URL(r.url).host), listen));
      nginx = spawn(nginxBin, nginxArgs(dir), { stdio: 'ignore' });
      url = `http://127.0.0.1:${listen}`;
      await waitFor('nginx', 10_000, async () => ((await fetch(`${url}/nginx-health`)).ok ? true : undefined));
    }, 30_000);

    afterAll(async () => {
      nginx?.kill('SIGQUIT');
      await Promise.all(replicas.map((r) => r.close({ now: true })));
    });

    it('spreads calls round robin over the replicas', async () => {
      const served = new Map<string, number>();
      for (let i = 0; i < 30; i++) {
        const { status, text } = await chat(url, `rr-${i}`);
        expect(status).toBe(200);
        served.set(text, (served.get(text) ?? 0) + 1);
      }
      expect(Object.fromEntries(served)).toEqual({ 'replica-1': 10, 'replica-2': 10, 'replica-3': 10 });
    });

    it('passes a stream through as the replica writes it', async () => {
      const started = performance.now();
      const response = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'slow [mock:words=20] [mock:tps=20]' }] }),
      });
      expect(response.headers.get('content-type')).toContain('text/event-stream');
      const reader = response.body!.getReader();
      const decoder = new TextDecoder();
      let text = '';
      let firstDeltaAt = 0;
      for (;;) {
        const read = await reader.read();
        if (read.done) break;
        text += decoder.decode(read.value as Uint8Array, { stream: true });
        if (firstDeltaAt === 0 && text.includes('"content"')) firstDeltaAt = performance.now() - started;
      }
      const endedAt = performance.now() - started;
      expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
      // 20 words at 20 per second: a buffering proxy would hand over everything at the end. (The gateway also
      // sends `X-Accel-Buffering: no`, which nginx honours: either alone keeps streams flowing.)
      expect(endedAt).toBeGreaterThan(800);
      expect(firstDeltaAt).toBeLessThan(endedAt - 500);
    });

    it('loses no call while a replica shuts down', async () => {
      const results: Array<{ status: number; text: string }> = [];
      const closing = (async () => {
        await new Promise((r) => setTimeout(r, 100));
        await replicas[1]!.close();
      })();
      const deadline = performance.now() + 1_500;
      for (let i = 0; performance.now() < deadline; i++) results.push(await chat(url, `during-${i}`));
      await closing;
      for (let i = 0; i < 12; i++) results.push(await chat(url, `after-${i}`));
      expect(results.length).toBeGreaterThan(20);
      expect(results.filter((r) => r.status !== 200)).toEqual([]);
      expect(results.slice(-12).every((r) => r.text !== 'replica-2')).toBe(true);
    });
  });
});
