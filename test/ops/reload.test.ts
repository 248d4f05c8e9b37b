/**
 * gateway.reload in process, against a real upstream simulator: routes and
 * providers added and removed, a stream started before a reload finishing on
 * its old route (its provider closed only afterwards), rejected files leaving
 * the running configuration in place, settings that need a restart, prices,
 * tenants, the log level, resilience settings, and the reload metrics.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/index.js';
import type { GatewayConfig } from '../../src/config/types.js';
import { startGateway, type Gateway } from '../../src/gateway.js';
import { startMockUpstream, type MockUpstream } from '../../src/providers/mock/simulator.js';
import { validateResponsesSse } from '../../src/translators/openai-responses/validator.js';
import { capturedLog } from '../helpers/log-capture.js';
import { startFaultyServer } from '../simulators/faulty-tcp.js';

let upstream: MockUpstream;
let other: MockUpstream;

beforeAll(async () => {
  upstream = await startMockUpstream({ latencyMs: 0, tokensPerSecond: 0, scripts: {} });
  other = await startMockUpstream({ latencyMs: 0, tokensPerSecond: 0, scripts: {} });
});

afterAll(async () => {
  await upstream.close();
  await other.close();
});

interface Yaml {
  readonly server?: string;
  readonly logging?: string;
  readonly pricing?: string;
  readonly tenants?: string;
  readonly resilience?: string;
  readonly providers?: readonly string[];
  readonly models?: readonly string[];
}

const UP = () => `{ name: up, kind: openai, base_url: "${upstream.url}", api_key: sk-test }`;
const UP2 = () => `{ name: up2, kind: openai, base_url: "${other.url}", api_key: sk-test }`;

function yaml(parts: Yaml = {}): string {
  return [
    `server: ${parts.server ?? '{ host: 127.0.0.1, port: 0 }'}`,
    `logging: ${parts.logging ?? '{ level: info }'}`,
    'store: { path: ":memory:" }',
    ...(parts.pricing === undefined ? [] : [`pricing: ${parts.pricing}`]),
    ...(parts.tenants === undefined ? [] : [`tenants: ${parts.tenants}`]),
    ...(parts.resilience === undefined ? [] : [`resilience: ${parts.resilience}`]),
    'providers:',
    ...(parts.providers ?? [UP()]).map((p) => `  - ${p}`),
    'models:',
    ...(parts.models ?? ['{ name: one, route: [up/m] }']).map((m) => `  - ${m}`),
    '',
  ].join('\n');
}

const load = (text: string) => (): GatewayConfig => parseConfigText(text, 'tollgate.yaml', {});

let gateway: Gateway | undefined;
let lines: string[] = [];

async function start(parts: Yaml = {}): Promise<Gateway> {
  const captured = capturedLog('info');
  lines = captured.lines;
  gateway = await startGateway(load(yaml(parts))(), { log: captured.log, host: '127.0.0.1', port: 0 });
  return gateway;
}

afterEach(async () => {
  await gateway?.close({ now: true });
  gateway = undefined;
});

/** A log line's message ('' when it has none). */
function msg(line: Record<string, unknown>): string {
  return typeof line['msg'] === 'string' ? line['msg'] : '';
}

function logged(): Array<Record<string, unknown>> {
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
}

function chat(url: string, modelName: string, content = 'hello', headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: modelName, messages: [{ role: 'user', content }] }),
  });
}

async function metric(gw: Gateway, name: string): Promise<string> {
  return await gw.metrics.registry.getSingleMetricAsString(name);
}

describe('gateway.reload', () => {
  it('adds a route and a provider: the new model serves from the next request on', async () => {
    const gw = await start();
    expect((await chat(gw.url, 'two')).status).toBe(404);
    const outcome = await gw.reload(load(yaml({ providers: [UP(), UP2()], models: ['{ name: one, route: [up/m] }', '{ name: two, route: [up2/m] }'] })));
    expect(outcome).toMatchObject({ result: 'ok', generation: 2, changes: { routes: { added: ['two'], removed: [], changed: [] }, providers: { added: ['up2'], removed: [], changed: [] } } });
    const served = await chat(gw.url, 'two');
    expect(served.status).toBe(200);
    expect(served.headers.get('x-tollgate-provider')).toBe('up2');
    expect((await chat(gw.url, 'one')).headers.get('x-tollgate-provider')).toBe('up');
    expect(gw.router.has('two')).toBe(true);
    expect(gw.providers.has('up2')).toBe(true);
    const line = logged().find((l) => msg(l).startsWith('configuration reloaded'));
    expect(line).toMatchObject({ routes_added: ['two'], providers_added: ['up2'], generation: 2 });
    expect(line === undefined ? '' : msg(line)).toContain('routes added: two');
    expect(await metric(gw, 'tollgate_config_reloads_total')).toContain('tollgate_config_reloads_total{result="ok"} 1');
  });

  it('a stream started before a reload that removes its route finishes on it; its provider closes only afterwards', async () => {
    const gw = await start({ providers: [UP(), UP2()], models: ['{ name: one, route: [up/m] }', '{ name: two, route: [up2/m] }'] });
    const response = await fetch(`${gw.url}/v1/responses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'two', stream: true, input: 'long [mock:words=40] [mock:tps=40]' }),
    });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = decoder.decode((await reader.read()).value as Uint8Array);

    const outcome = await gw.reload(load(yaml())); // `two` and `up2` are gone
    expect(outcome).toMatchObject({ result: 'ok', changes: { routes: { removed: ['two'] }, providers: { removed: ['up2'] } } });
    expect((await chat(gw.url, 'two')).status).toBe(404);
    expect(logged().find((l) => msg(l) === "provider 'up2' closed: no call uses its previous configuration any more")).toBeUndefined();
    expect(logged().find((l) => msg(l).startsWith('configuration reloaded'))?.['calls_on_earlier_config']).toBe(1);

    for (;;) {
      const read = await reader.read();
      if (read.done) break;
      text += decoder.decode(read.value as Uint8Array, { stream: true });
    }
    expect(validateResponsesSse(text)).toEqual([]);
    expect(text).toContain('"type":"response.completed"');
    // The close follows the stream's settlement.
    for (let i = 0; i < 50 && !logged().some((l) => msg(l).startsWith("provider 'up2' closed")); i++) await new Promise((r) => setTimeout(r, 20));
    expect(logged().some((l) => msg(l).startsWith("provider 'up2' closed"))).toBe(true);
  });

  it('a call routed before a reload may still fall back to a provider the reload removed', async () => {
    // The primary never answers; its first-byte timeout sends the call to the fallback after the reload removed it.
    const hanging = await startFaultyServer({ kind: 'hang' });
    try {
      const slow = `{ name: slow, kind: openai, base_url: "${hanging.url}", api_key: sk-test, timeouts: { first_byte: 600ms }, retry: { max_attempts: 1 } }`;
      const gw = await start({ providers: [slow, UP2(), UP()], models: ['{ name: one, route: [up/m] }', '{ name: two, route: [slow/m, up2/m] }'] });
      const calling = chat(gw.url, 'two', 'fallback after the reload');
      while (hanging.requests === 0) await new Promise((r) => setTimeout(r, 10));
      const outcome = await gw.reload(load(yaml({ providers: [slow, UP()], models: ['{ name: one, route: [up/m] }', '{ name: two, route: [slow/m] }'] })));
      expect(outcome).toMatchObject({ result: 'ok', changes: { providers: { removed: ['up2'] }, routes: { changed: ['two'] } } });
      const response = await calling;
      expect(response.status, await response.clone().text()).toBe(200);
      expect(response.headers.get('x-tollgate-provider')).toBe('up2');
      await response.text();
    } finally {
      await gateway?.close({ now: true });
      gateway = undefined;
      await hanging.close();
    }
  });

  it('rejects an invalid file with the YAML path and line; the running routes keep serving', async () => {
    const gw = await start();
    const broken = yaml({ models: ['{ name: one, route: [nowhere/m] }'] });
    const outcome = await gw.reload(load(broken));
    expect(outcome.result).toBe('rejected');
    const line = logged().find((l) => l['level'] === 'error' || l['level'] === 50);
    const text = line === undefined ? '' : msg(line);
    expect(text).toMatch(/^configuration reload rejected; the running configuration stays\. Invalid configuration in tollgate\.yaml/);
    expect(text).toMatch(/models\[0\]\.route\[0\] \(line \d+:\d+\)/);
    expect((await chat(gw.url, 'one')).status).toBe(200);
    expect(gw.config.models.map((m) => m.name)).toEqual(['one']);
    const counted = await metric(gw, 'tollgate_config_reloads_total');
    expect(counted).toContain('tollgate_config_reloads_total{result="rejected"} 1');
    expect(counted).toContain('tollgate_config_reloads_total{result="ok"} 0');
  });

  it('rejects a file that cannot be read, and reloads one at a time in the order asked', async () => {
    const gw = await start();
    const results = await Promise.all([
      gw.reload(() => {
        throw new Error('EACCES');
      }),
      gw.reload(load(yaml({ models: ['{ name: one, route: [up/m] }', '{ name: uno, route: [up/m] }'] }))),
      gw.reload(load(yaml({ models: ['{ name: one, route: [up/m] }', '{ name: uno, route: [up/m] }', '{ name: eins, route: [up/m] }'] }))),
    ]);
    expect(results.map((r) => r.result)).toEqual(['rejected', 'ok', 'ok']);
    expect(results[0]).toMatchObject({ reason: 'cannot load the configuration: EACCES' });
    expect(results[2]).toMatchObject({ generation: 3, changes: { routes: { added: ['eins'] } } });
  });

  it('keeps what needs a restart and says so; the log level changes live', async () => {
    const gw = await start();
    const before = await metric(gw, 'tollgate_config_last_reload_timestamp_seconds');
    await new Promise((r) => setTimeout(r, 20));
    const outcome = await gw.reload(load(yaml({ server: '{ host: 0.0.0.0, port: 9999, shutdown_grace: 3s }', logging: '{ level: warn }' })));
    expect(outcome).toMatchObject({ result: 'ok', changes: { live: ['logging'] } });
    expect(gw.config.server.port).toBe(0);
    expect(gw.config.server.host).toBe('127.0.0.1');
    expect(gw.config.logging.level).toBe('warn');
    const warning = logged().find((l) => Array.isArray(l['needs_restart']));
    expect(warning?.['needs_restart']).toEqual(['server.host', 'server.port', 'server.shutdown_grace']);
    expect(warning === undefined ? '' : msg(warning)).toContain('server.host, server.port, server.shutdown_grace changed in the file and needs a restart');
    // At warn, an info line is no longer written.
    const count = lines.length;
    await gw.reload(load(yaml({ server: '{ host: 0.0.0.0, port: 9999, shutdown_grace: 3s }', logging: '{ level: warn }' })));
    expect(lines.slice(count).map((l) => (JSON.parse(l) as { msg: string }).msg).filter((m) => m.startsWith('configuration reloaded'))).toEqual([]);
    expect(await metric(gw, 'tollgate_config_last_reload_timestamp_seconds')).not.toEqual(before);
  });

  it('prices apply to calls from the reload on', async () => {
    const gw = await start({ pricing: '{ models: [{ provider: up, model: m, input: 1000000, output: 1000000 }] }' });
    expect((await chat(gw.url, 'one')).status).toBe(200);
    const costOf = async (): Promise<number> => Number(/llm_cost_usd_total\{[^}]*\} ([0-9.e+-]+)/.exec(await metric(gw, 'llm_cost_usd_total'))?.[1] ?? 'NaN');
    const first = await costOf();
    expect(first).toBeGreaterThan(0);
    await gw.reload(load(yaml({ pricing: '{ models: [{ provider: up, model: m, input: 0, output: 0 }] }' })));
    expect((await chat(gw.url, 'one')).status).toBe(200);
    expect(await costOf()).toBe(first);
  });

  it('tenants declared by the new file apply from the next request (authentication turns on)', async () => {
    const gw = await start();
    expect((await chat(gw.url, 'one')).status).toBe(200);
    const outcome = await gw.reload(load(yaml({ tenants: '[{ name: team-a, rpm: 5 }]' })));
    expect(outcome).toMatchObject({ result: 'ok', changes: { live: ['tenants'] } });
    expect((await chat(gw.url, 'one')).status).toBe(401);
    expect((await gw.tenancy.getTenant('team-a')).rpm).toBe(5);
    await gw.reload(load(yaml({ tenants: '[{ name: team-a, rpm: 7 }]' })));
    expect((await gw.tenancy.getTenant('team-a')).rpm).toBe(7);
  });

  it('a resilience change replaces the providers that inherit it; the old one is closed', async () => {
    const gw = await start();
    const old = gw.providers.get('up');
    const outcome = await gw.reload(load(yaml({ resilience: '{ retry: { max_attempts: 1 } }' })));
    expect(outcome).toMatchObject({ result: 'ok', changes: { live: ['resilience'], providers: { changed: ['up'] } } });
    const replaced = gw.providers.get('up');
    expect(replaced).not.toBe(old);
    expect(replaced?.retry.maxAttempts).toBe(1);
    expect((await chat(gw.url, 'one')).status).toBe(200);
    for (let i = 0; i < 50 && !logged().some((l) => msg(l).startsWith("provider 'up' closed")); i++) await new Promise((r) => setTimeout(r, 20));
    expect(logged().some((l) => msg(l).startsWith("provider 'up' closed"))).toBe(true);
  });

  it('is skipped once the gateway shuts down', async () => {
    const gw = await start();
    const closing = gw.close();
    const outcome = await gw.reload(load(yaml({ models: ['{ name: one, route: [up/m] }', '{ name: two, route: [up/m] }'] })));
    expect(outcome.result).toBe('skipped');
    await closing;
    gateway = undefined;
  });
});
