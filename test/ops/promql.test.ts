/**
 * Every PromQL expression shipped in deploy/ (dashboard panels and variables,
 * recording rules, alert conditions without their thresholds) must return
 * data from a real Prometheus scraping a real gateway after ordinary traffic.
 * The expressions are read from the files, so a new panel or rule is covered
 * without touching this test; a metric renamed on one side fails here.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway.js';
import type { Principal } from '../../src/pipeline/contracts.js';
import { startMockUpstream } from '../../src/providers/mock/simulator.js';
import type { MockUpstream } from '../../src/providers/mock/simulator.js';
import { config, model, provider, startTestGateway } from '../helpers/gateway.js';
import { freePort, requireBinary, waitFor } from './support/processes.js';
import { dashboardExpressions, ruleExpressions } from './support/promql-sources.js';
import type { PromqlSource } from './support/promql-sources.js';
import { ALERT_RULES, DASHBOARD, hasData, readYaml, startPrometheus } from './support/stack.js';
import type { Prometheus } from './support/stack.js';
import { abandonedStream, chat, expectStatus, responses } from './support/traffic.js';

const sources: readonly PromqlSource[] = [
  ...dashboardExpressions(JSON.parse(readFileSync(DASHBOARD, 'utf8'))),
  ...ruleExpressions(readYaml(ALERT_RULES)),
];

/** How long expressions may take to produce data once two scrapes saw the traffic (rule evaluation, rate windows). */
const SETTLE_MS = 15_000;

let dir: string;
let chatOnly: MockUpstream | undefined;
let gateway: Gateway | undefined;
let prometheus: Prometheus | undefined;
const outcomes = new Map<PromqlSource, string>();

/** One round of every kind of traffic the dashboard shows. */
async function trafficWave(url: string): Promise<void> {
  const ok = await Promise.all([
    chat(url, 'demo-model', 'hello there'),
    chat(url, 'demo-model', 'stream this please [mock:think]', true),
    responses(url, 'demo-model', 'hello responses'),
    responses(url, 'demo-model', 'stream responses', true),
    // web_search cannot run on a Chat Completions upstream: dropped, counted.
    responses(url, 'chat-only', 'search something', false, { tools: [{ type: 'web_search' }] }),
    // The first deployment refuses connections: retries, then a fallback.
    chat(url, 'with-fallback', 'fall back please'),
    // Kind `openai` with a model the price table does not know: costed at 0 and counted.
    chat(url, 'unpriced-model', 'what does this cost'),
  ]);
  ok.forEach((exchange, i) => expectStatus(exchange, 200, `request ${i} of the traffic wave`));
  expectStatus(await chat(url, 'no-such-model', 'who am I'), 404, 'unknown model');
  const failed = await chat(url, 'flaky-model', 'fail [mock:status=503]');
  if (failed.status < 500) throw new Error(`an upstream 503 should fail the call, got ${failed.status}: ${failed.body}`);
  await abandonedStream(url, 'demo-model');
}

beforeAll(async () => {
  requireBinary('prometheus');
  dir = mkdtempSync(join(tmpdir(), 'tollgate-promql-'));
  chatOnly = await startMockUpstream({ latencyMs: 0, tokensPerSecond: 0, scripts: {} });
  const closedPort = await freePort();
  const base = config(
    [
      provider({ name: 'demo', kind: 'mock' }),
      provider({ name: 'chatonly', kind: 'openai-compatible', baseUrl: chatOnly.url }),
      provider({ name: 'broken', kind: 'openai-compatible', baseUrl: `http://127.0.0.1:${closedPort}/v1` }),
      provider({ name: 'hosted', kind: 'openai', baseUrl: chatOnly.url, apiKey: 'sk-test' }),
    ],
    [
      model('demo-model', ['demo/demo-model']),
      // Its own deployment, so the injected failures do not open the circuit of demo-model.
      model('flaky-model', ['demo/flaky-model']),
      model('chat-only', ['chatonly/chat-only']),
      model('with-fallback', ['broken/unreachable', 'demo/fallback-model']),
      model('unpriced-model', ['hosted/gpt-unpriced']),
    ],
  );
  // A budget for the anonymous callers' tenant, so the budget gauges have series.
  const budget = { period: 'month' as const, limitUsd: 1_000, soft: [0.5], timeZone: 'UTC', reset: { hour: 0, minute: 0 } };
  // Declared tenants turn keys on; the traffic carries none, so every caller is that tenant.
  const everyone: Principal = { tenant: 'default', keyId: undefined, modelScopes: [], rateLimits: [], budgets: [], guardrails: [] };
  gateway = await startTestGateway(
    { ...base, tenants: [{ name: 'default', models: undefined, rpm: undefined, tpm: undefined, metadata: {}, budgets: [budget] }] },
    { authenticator: { authenticate: () => everyone } },
  );
  const target = new URL(gateway.url).host;
  prometheus = await startPrometheus({ dir, targets: [target], ruleFiles: [ALERT_RULES] });
  const prom = prometheus;
  await waitFor('the first scrape of the gateway', 15_000, async () => {
    const up = await prom.query('up{job="tollgate"} == 1');
    return hasData(up) ? true : undefined;
  }, prom);

  // Three waves a scrape apart, so counters grow between samples and rates are not all zero.
  for (let wave = 0; wave < 3; wave++) {
    await trafficWave(gateway.url);
    if (wave < 2) await sleep(1_100);
  }
  const trafficDone = Date.now() / 1000;
  await waitFor('two scrapes after the traffic', 10_000, async () => {
    const result = await prom.query(`timestamp(up{job="tollgate"}) >= ${trafficDone + 1}`);
    return hasData(result) ? true : undefined;
  }, prom);

  // Poll until every expression returns data or the time is up; the tests below report each one.
  const pending = new Set(sources);
  const deadline = Date.now() + SETTLE_MS;
  while (pending.size > 0 && Date.now() < deadline) {
    await Promise.all(
      [...pending].map(async (source) => {
        try {
          if (hasData(await prom.query(source.expr))) {
            pending.delete(source);
            outcomes.delete(source);
          } else outcomes.set(source, 'no data');
        } catch (error) {
          outcomes.set(source, error instanceof Error ? error.message : String(error));
        }
      }),
    );
    if (pending.size > 0) await sleep(500);
  }
}, 75_000);

afterAll(async () => {
  await prometheus?.stop();
  await gateway?.close();
  await chatOnly?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('PromQL in deploy/ against a live gateway', () => {
  it('found the expressions to check', () => {
    expect(sources.filter((s) => s.origin.startsWith('panel')).length).toBeGreaterThanOrEqual(15);
    expect(sources.filter((s) => s.origin.startsWith('alert')).length).toBeGreaterThanOrEqual(5);
  });

  it.each(sources.map((source) => [source.origin, source.expr.replace(/\s+/g, ' '), source] as const))('%s returns data: %s', (_origin, _expr, source) => {
    expect(outcomes.get(source), `${source.origin}: ${source.expr}`).toBeUndefined();
  });
});
