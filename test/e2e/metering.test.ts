import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway.js';
import { startMockUpstream } from '../../src/providers/mock/simulator.js';
import type { MockUpstream } from '../../src/providers/mock/simulator.js';
import { config, model, provider, startTestGateway } from '../helpers/gateway.js';

let gateway: Gateway;
let upstream: MockUpstream;

/** One series' value from the exposition text (0 when absent). */
function value(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

async function post(path: string, body: unknown): Promise<void> {
  const response = await fetch(`${gateway.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  await response.arrayBuffer();
}

beforeAll(async () => {
  // The simulated model stands in for OpenAI: kind `openai` gets the shipped price table.
  upstream = await startMockUpstream({ latencyMs: 0, tokensPerSecond: 0, scripts: {} });
  const cfg = config(
    [
      provider({ name: 'openai', kind: 'openai', baseUrl: upstream.url, apiKey: 'sk-test' }),
      provider({ name: 'slow', kind: 'mock', tokensPerSecond: 200 }),
    ],
    [model('gpt-4.1-mini', ['openai/gpt-4.1-mini']), model('gpt-9', ['openai/gpt-9-preview']), model('trickle', ['slow/trickle'])],
  );
  gateway = await startTestGateway({ ...cfg, pricing: { useDefaults: true, models: [{ provider: 'slow', model: '*', input: 1, output: 2, shadow: true }] } });
});

afterAll(async () => {
  await gateway.close();
  await upstream.close();
});

describe('metering: tokens, cost and the usage ledger', () => {
  it('prices usage from the table, counts unpriced models, estimates usage of an aborted stream, and writes matching ledger rows', async () => {
    await post('/v1/chat/completions', { model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'price me [mock:words=40]' }] });
    await post('/v1/chat/completions', { model: 'gpt-4.1-mini', stream: true, messages: [{ role: 'user', content: 'price me [mock:words=40]' }] });
    await post('/v1/responses', { model: 'gpt-4.1-mini', stream: true, input: 'price me [mock:words=40]' });
    await post('/v1/chat/completions', { model: 'gpt-9', messages: [{ role: 'user', content: 'no price [mock:words=10]' }] });

    // A stream the client abandons: the upstream never sends its usage, so the gateway counts tokens itself.
    const controller = new AbortController();
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'trickle', stream: true, messages: [{ role: 'user', content: 'a long answer please [mock:words=400]' }] }),
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    let received = '';
    while (!received.includes('"content"')) received += new TextDecoder().decode((await reader.read()).value as Uint8Array | undefined);
    controller.abort();
    await new Promise((resolve) => setTimeout(resolve, 200));

    const text = await (await fetch(`${gateway.url}/metrics`)).text();
    const rows = await gateway.ledger.recent(100);
    const priced = rows.filter((r) => r.routeModel === 'gpt-4.1-mini');
    expect(priced).toHaveLength(3);
    for (const row of priced) {
      expect(row.estimated).toBe(false);
      expect(row.status).toBe('ok');
      expect(row.provider).toBe('openai');
      expect(row.upstreamModel).toBe('gpt-4.1-mini');
      expect(row.completionTokens).toBeGreaterThan(0);
      // gpt-4.1-mini: $0.40 / M input, $1.60 / M output (cached input $0.10).
      const uncached = row.promptTokens - row.cachedTokens;
      expect(row.costUsd).toBeCloseTo((uncached * 0.4 + row.cachedTokens * 0.1 + row.completionTokens * 1.6) / 1e6, 12);
    }
    const promptTotal = priced.reduce((sum, r) => sum + r.promptTokens, 0);
    const completionTotal = priced.reduce((sum, r) => sum + r.completionTokens, 0);
    const costTotal = priced.reduce((sum, r) => sum + r.costUsd, 0);
    expect(value(text, 'llm_tokens_total{provider="openai",model="gpt-4.1-mini",phase="prompt",tenant="default"}')).toBe(promptTotal);
    expect(value(text, 'llm_tokens_total{provider="openai",model="gpt-4.1-mini",phase="completion",tenant="default"}')).toBe(completionTotal);
    expect(value(text, 'llm_cost_usd_total{provider="openai",model="gpt-4.1-mini",tenant="default"}')).toBeCloseTo(costTotal, 12);

    const unpriced = rows.find((r) => r.routeModel === 'gpt-9')!;
    expect(unpriced.costUsd).toBe(0);
    expect(value(text, 'llm_unpriced_requests_total{provider="openai",model="gpt-9"}')).toBe(1);

    const aborted = rows.find((r) => r.routeModel === 'trickle')!;
    expect(aborted.status).toBe('cancelled');
    expect(aborted.estimated).toBe(true);
    expect(aborted.promptTokens).toBeGreaterThan(0);
    expect(aborted.completionTokens).toBeGreaterThan(0);
    expect(aborted.completionTokens).toBeLessThan(400);
    expect(aborted.costUsd).toBeCloseTo((aborted.promptTokens * 1 + aborted.completionTokens * 2) / 1e6, 12);
    expect(value(text, 'llm_usage_estimated_total{provider="slow",model="trickle"}')).toBe(1);
    expect(value(text, 'llm_requests_total{provider="slow",model="trickle",tenant="default",status="cancelled"}')).toBe(1);
    // The abandoned exchange is in the HTTP histogram too, as 499.
    expect(value(text, 'http_request_duration_seconds_count{method="POST",route="/v1/chat/completions",status_code="499"}')).toBe(1);

    expect(value(text, 'llm_estimated_cost_usd{tenant="default"}')).toBeCloseTo(costTotal + aborted.costUsd, 12);
    const totals = await gateway.ledger.dailyTotals(new Date().toISOString().slice(0, 10));
    expect(totals.find((t) => t.tenant === 'default')?.requests).toBe(5);
  });
});
