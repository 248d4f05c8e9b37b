/**
 * One reload reaches every replica: two gateways sharing Redis and reading
 * the same configuration file; the file changes and one of them reloads
 * (SIGHUP, or its watcher): the other reloads its own copy within a second
 * and serves the new route. A replica reloaded because another announced it
 * does not announce again.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import type { GatewayConfig } from '../../src/config/types.js';
import { startGateway, type Gateway } from '../../src/gateway.js';
import { capturedLog } from '../helpers/log-capture.js';
import { REDIS_URL, removePrefix, uniquePrefix, waitFor } from '../helpers/redis.js';

const prefix = uniquePrefix('reload');
let dir: string;
let file: string;
let a: Gateway;
let b: Gateway;
const logs = { a: capturedLog(), b: capturedLog() };
const ANNOUNCED = 'another replica reloaded its configuration: reloading this one';
/** How many times a gateway logged that another replica's reload made it reload. */
const followed = (capture: { readonly lines: string[] }): number => capture.lines.filter((line) => (JSON.parse(line) as { msg?: unknown }).msg === ANNOUNCED).length;

function write(models: readonly string[]): void {
  writeFileSync(
    file,
    [
      'server: { host: 127.0.0.1, port: 0 }',
      `store: { path: "${join(dir, 'tollgate.db')}" }`,
      `redis: { url: "${REDIS_URL}", key_prefix: "${prefix}" }`,
      'providers:',
      '  - { name: sim, kind: mock }',
      'models:',
      ...models.map((name) => `  - { name: ${name}, route: [sim/${name}] }`),
      '',
    ].join('\n'),
  );
}

const load = (): GatewayConfig => loadConfig({ path: file, env: {} });

async function status(gateway: Gateway, model: string): Promise<number> {
  const response = await fetch(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
  });
  await response.text();
  return response.status;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tollgate-reload-replicas-'));
  file = join(dir, 'tollgate.yaml');
  write(['first']);
  a = await startGateway(load(), { log: logs.a.log, host: '127.0.0.1', port: 0, loadConfig: load });
  b = await startGateway(load(), { log: logs.b.log, host: '127.0.0.1', port: 0, loadConfig: load });
});

afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
  await removePrefix(prefix);
  rmSync(dir, { recursive: true, force: true });
});

describe('a reload across replicas', () => {
  it('one replica reloads, the other follows within a second, without announcing again', async () => {
    expect(await status(b, 'second')).toBe(404);
    write(['first', 'second']);
    const outcome = await a.reload(load);
    expect(outcome.result).toBe('ok');
    const tookMs = await waitFor(async () => (await status(b, 'second')) === 200, 1_000);
    expect(tookMs).toBeLessThan(1_000);
    expect(followed(logs.b)).toBe(1);
    // `b` did not announce its own reload back: `a` reloaded once, by hand.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(followed(logs.a)).toBe(0);
  });

  it('a rejected reload is not announced', async () => {
    writeFileSync(file, 'models: [ { name: broken');
    expect((await a.reload(load)).result).toBe('rejected');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(followed(logs.b)).toBe(1);
    expect(await status(b, 'second')).toBe(200);
  });
});
