import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway.js';
import { config, model, provider, startTestGateway } from '../helpers/gateway.js';
import { startOllamaSimulator } from '../simulators/ollama.js';
import type { OllamaSimulator } from '../simulators/ollama.js';

let gateway: Gateway;
let ollama: OllamaSimulator;

async function post(path: string, body: unknown): Promise<Response> {
  const response = await fetch(`${gateway.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  await response.arrayBuffer();
  return response;
}

async function metricsText(): Promise<string> {
  return (await fetch(`${gateway.url}/metrics`)).text();
}

/** The value of one series in the exposition text, 0 when absent. */
function value(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

beforeAll(async () => {
  ollama = await startOllamaSimulator({ chunkDelayMs: 0, handler: () => ({ kind: 'reply', content: ['Hi ', 'there.'], promptEvalCount: 11, evalCount: 4 }) });
  gateway = await startTestGateway(
    config(
      [provider({ name: 'sim', kind: 'mock' }), provider({ name: 'local', kind: 'ollama', baseUrl: ollama.url })],
      [model('demo', ['sim/demo']), model('ollama/*', ['local/*'])],
    ),
  );
});

afterAll(async () => {
  await gateway.close();
  await ollama.close();
});

describe('metrics', () => {
  it('count requests and tokens per provider, route model and tenant, streamed or not, in every format', async () => {
    await post('/v1/chat/completions', { model: 'demo', messages: [{ role: 'user', content: 'one two three' }] });
    await post('/v1/chat/completions', { model: 'demo', stream: true, messages: [{ role: 'user', content: 'one two three' }] });
    await post('/v1/responses', { model: 'demo', input: 'one two three', stream: true });
    await post('/v1/chat/completions', { model: 'ollama/qwen3:8b', stream: true, messages: [{ role: 'user', content: 'hello' }] });
    await post('/v1/responses', { model: 'ollama/llama3.2', input: 'hello' });
    await post('/v1/chat/completions', { model: 'demo', messages: [{ role: 'user', content: 'fail [mock:status=503]' }] });
    const text = await metricsText();
    expect(value(text, 'llm_requests_total{provider="sim",model="demo",tenant="default",status="ok"}')).toBe(3);
    expect(value(text, 'llm_requests_total{provider="sim",model="demo",tenant="default",status="error"}')).toBe(1);
    expect(value(text, 'llm_requests_total{provider="local",model="ollama/*",tenant="default",status="ok"}')).toBe(2);
    expect(value(text, 'llm_tokens_total{provider="local",model="ollama/*",phase="prompt",tenant="default"}')).toBe(22);
    expect(value(text, 'llm_tokens_total{provider="local",model="ollama/*",phase="completion",tenant="default"}')).toBe(8);
    // The simulated model reports usage on all three paths: JSON body, injected stream usage, response.completed.
    expect(value(text, 'llm_tokens_total{provider="sim",model="demo",phase="completion",tenant="default"}')).toBeGreaterThan(0);
    expect(value(text, 'llm_time_to_first_token_seconds_count{provider="sim",model="demo"}')).toBe(3);
    expect(value(text, 'http_request_duration_seconds_count{method="POST",route="/v1/chat/completions",status_code="200"}')).toBe(3);
    expect(value(text, 'llm_inflight_requests{provider="sim"}')).toBe(0);
    expect(value(text, 'llm_prompt_chars_count{tenant="default"}')).toBe(6);
  });

  it('strips the usage chunk the gateway asked for when the client did not', async () => {
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'demo', stream: true, messages: [{ role: 'user', content: 'no usage please' }] }),
    });
    const body = await response.text();
    expect(body).not.toContain('"usage":{');
    expect(body.trimEnd().endsWith('data: [DONE]')).toBe(true);
    const asked = await (
      await fetch(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        body: JSON.stringify({ model: 'demo', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'usage please' }] }),
      })
    ).text();
    expect(asked).toContain('"usage":{');
  });

  it('keeps label sets bounded: a thousand bogus models and paths add no series', async () => {
    const series = (text: string): Set<string> =>
      new Set(
        text
          .split('\n')
          .filter((l) => /^(llm_|http_)/.test(l))
          .map((l) => l.slice(0, l.lastIndexOf(' ')))
          .filter((l) => !l.includes('route="/metrics"')),
      );
    const before = series(await metricsText());
    await Promise.all(
      Array.from({ length: 1_000 }, (_, i) =>
        i % 2 === 0
          ? post('/v1/chat/completions', { model: `bogus-${i}`, messages: [{ role: 'user', content: 'x' }] })
          : fetch(`${gateway.url}/random/path/${i}`).then((r) => r.arrayBuffer()),
      ),
    );
    const after = await metricsText();
    expect(after).not.toMatch(/bogus-\d+/);
    expect(after).not.toMatch(/random\/path/);
    const added = [...series(after)].filter((s) => !before.has(s));
    // Only two new (route, status) pairs: /v1/chat/completions 404 and unmatched 404, each one histogram (15 buckets + Inf + sum + count).
    expect(new Set(added.map((s) => s.replace(/_(bucket|sum|count)\{/, '{').replace(/le="[^"]*",?/, '')))).toEqual(
      new Set(['http_request_duration_seconds{method="POST",route="/v1/chat/completions",status_code="404"}', 'http_request_duration_seconds{method="GET",route="unmatched",status_code="404"}']),
    );
    expect(added).toHaveLength(2 * 18);
  });
});
