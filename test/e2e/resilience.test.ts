import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayConfig } from '../../src/config/types.js';
import type { Gateway } from '../../src/gateway.js';
import { DEFAULT_CIRCUIT_BREAKER } from '../../src/config/constants.js';
import { systemClock } from '../../src/util/clock.js';
import { mulberry32 } from '../../src/util/random.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { config, model, provider, startTestGateway } from '../helpers/gateway.js';
import { RecordingClock } from '../helpers/recording-clock.js';
import { refusedUrl, startFaultyServer } from '../simulators/faulty-tcp.js';
import { replyJson, replySse, startOpenAIUpstream } from '../simulators/openai-upstream.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

const OK_BODY = { id: 'c', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'served' }, finish_reason: 'stop' }] };
const frame = (delta: Record<string, unknown>, finish: string | null = null): string =>
  `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;

async function gatewayWith(cfg: GatewayConfig, clock = new RecordingClock()): Promise<{ gateway: Gateway; clock: RecordingClock }> {
  const gateway = await startTestGateway(cfg, { clock, random: mulberry32(7) });
  cleanups.push(() => gateway.close());
  return { gateway, clock };
}

async function upstream(handler: Parameters<typeof startOpenAIUpstream>[0]) {
  const server = await startOpenAIUpstream(handler);
  cleanups.push(() => server.close());
  return server;
}

async function chat(gateway: Gateway, body: Record<string, unknown> = {}): Promise<{ status: number; headers: Headers; text: string; json: () => { error: { code: string; message: string } } }> {
  const response = await fetch(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }], ...body }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) as { error: { code: string; message: string } } };
}

function single(baseUrl: string, overrides: Record<string, unknown> = {}): GatewayConfig {
  return config([provider({ name: 'up', kind: 'openai-compatible', baseUrl, ...overrides })], [model('m', ['up/m'])]);
}

describe('retries with backoff', () => {
  it('connection refused: three attempts with jittered, growing backoff, then 502 naming the provider', async () => {
    const { gateway, clock } = await gatewayWith(single(await refusedUrl()));
    const result = await chat(gateway);
    expect(result.status).toBe(502);
    expect(result.json().error.code).toBe('upstream_unavailable');
    expect(result.json().error.message).toContain("'up'");
    expect(result.headers.get('x-tollgate-attempts')).toBe('3');
    expect(clock.sleeps).toHaveLength(2);
    expect(clock.sleeps[0]).toBeGreaterThanOrEqual(0);
    expect(clock.sleeps[0]).toBeLessThan(5);
    expect(clock.sleeps[1]).toBeLessThan(10);
  });

  it('reset before headers is retried up to the attempt limit, then 502', async () => {
    const faulty = await startFaultyServer({ kind: 'reset_before_headers' });
    cleanups.push(() => faulty.close());
    const { gateway } = await gatewayWith(single(faulty.url));
    const result = await chat(gateway);
    expect(result.status).toBe(502);
    expect(faulty.requests).toBe(3);
  });

  it('429 with Retry-After in seconds waits exactly that long, then succeeds', async () => {
    let calls = 0;
    const server = await upstream((_req, res) => {
      calls++;
      if (calls === 1) return replyJson(res, 429, { error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' } }, { 'retry-after': '1' });
      return replyJson(res, 200, OK_BODY);
    });
    const { gateway, clock } = await gatewayWith(single(server.url));
    const result = await chat(gateway);
    expect(result.status).toBe(200);
    expect(result.headers.get('x-tollgate-attempts')).toBe('2');
    expect(clock.sleeps).toEqual([1_000]);
  });

  it('429 with Retry-After as an HTTP date waits until that date', async () => {
    let calls = 0;
    const server = await upstream((_req, res) => {
      calls++;
      if (calls === 1) return replyJson(res, 429, { error: { message: 'slow down' } }, { 'retry-after': new Date(Date.now() + 2_000).toUTCString() });
      return replyJson(res, 200, OK_BODY);
    });
    const { gateway, clock } = await gatewayWith(single(server.url, { retry: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20, multiplier: 2, maxRetryAfterMs: 5_000, budget: { ratio: 0.2, windowMs: 10_000, minPerSecond: 10 } } }));
    const result = await chat(gateway);
    expect(result.status).toBe(200);
    expect(clock.sleeps).toHaveLength(1);
    // HTTP dates have whole seconds: the wait is between 1 and 2 s.
    expect(clock.sleeps[0]).toBeGreaterThan(900);
    expect(clock.sleeps[0]).toBeLessThanOrEqual(2_000);
  });

  it('a Retry-After beyond the cap fails at once with 429 and passes the Retry-After on', async () => {
    const server = await upstream((_req, res) => replyJson(res, 429, { error: { message: 'come back in an hour' } }, { 'retry-after': '3600' }));
    const { gateway, clock } = await gatewayWith(single(server.url));
    const result = await chat(gateway);
    expect(result.status).toBe(429);
    expect(result.headers.get('retry-after')).toBe('3600');
    expect(server.requests).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
  });

  it('401 is never retried and is reported as the gateway configuration problem', async () => {
    const server = await upstream((_req, res) => replyJson(res, 401, { error: { message: 'Incorrect API key sk-abc' } }));
    const { gateway } = await gatewayWith(single(server.url));
    const result = await chat(gateway);
    expect(result.status).toBe(502);
    expect(result.json().error.code).toBe('upstream_auth_failed');
    expect(result.text).not.toContain('sk-abc');
    expect(server.requests).toHaveLength(1);
  });

  it('hang before the first byte: each attempt times out, the client gets 504', async () => {
    const faulty = await startFaultyServer({ kind: 'hang' });
    cleanups.push(() => faulty.close());
    const { gateway } = await gatewayWith(single(faulty.url, { timeouts: { connectMs: 1_000, firstByteMs: 150, idleMs: 1_000, totalMs: 30_000 } }));
    const result = await chat(gateway);
    expect(result.status).toBe(504);
    expect(result.json().error.code).toBe('upstream_timeout');
    expect(result.json().error.message).toContain('first byte');
    expect(faulty.requests).toBe(3);
  });

  it('a client that goes away cancels a pending backoff at once', async () => {
    const server = await upstream((_req, res) => replyJson(res, 503, { error: { message: 'busy' } }, { 'retry-after': '1' }));
    const clock = new FakeClock();
    const { gateway } = await gatewayWith(single(server.url), clock as unknown as RecordingClock);
    const controller = new AbortController();
    const pending = fetch(`${gateway.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'm', messages: [] }), signal: controller.signal }).catch((e: unknown) => e);
    for (let i = 0; i < 100 && clock.pendingSleeps === 0; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(clock.pendingSleeps).toBe(1);
    controller.abort();
    await pending;
    for (let i = 0; i < 100 && clock.pendingSleeps > 0; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(clock.pendingSleeps).toBe(0);
    await clock.advance(5_000);
    expect(server.requests).toHaveLength(1);
  });
});

describe('the retry budget under an outage', () => {
  it('100 concurrent 503s make no more retries than the budget allows (each retry taken when decided)', async () => {
    const server = await upstream((_req, res) => replyJson(res, 503, { error: { message: 'overloaded' } }));
    // ratio 0 and 5/s over 10 s: a budget of exactly 50 retries. The breaker is off so that only the budget limits retries.
    const cfg = single(server.url, {
      retry: { maxAttempts: 3, baseDelayMs: 30, maxDelayMs: 60, multiplier: 2, maxRetryAfterMs: 5_000, budget: { ratio: 0, windowMs: 10_000, minPerSecond: 5 } },
      circuitBreaker: { ...DEFAULT_CIRCUIT_BREAKER, enabled: false },
    });
    // The real clock: retries decided together wait together, as they do in production.
    const gateway = await startTestGateway(cfg, { clock: systemClock, random: mulberry32(7) });
    cleanups.push(() => gateway.close());
    const results = await Promise.all(Array.from({ length: 100 }, () => chat(gateway)));
    expect(new Set(results.map((r) => `${r.status} ${r.json().error.code}`))).toEqual(new Set(['502 upstream_error']));
    expect(server.requests.length).toBe(150);
  });
});

describe('streams: no retry after the first byte', () => {
  it('reset mid-body ends the Chat stream with an error event and [DONE], after one attempt', async () => {
    const faulty = await startFaultyServer({ kind: 'reset_mid_body', body: frame({ role: 'assistant', content: 'partial' }) });
    cleanups.push(() => faulty.close());
    const { gateway } = await gatewayWith(single(faulty.url));
    const result = await chat(gateway, { stream: true });
    expect(result.status).toBe(200);
    expect(result.text).toContain('"content":"partial"');
    expect(result.text).toMatch(/data: \{"error":\{"message":"The upstream provider 'up' broke off its reply midway/);
    expect(result.text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    expect(faulty.requests).toBe(1);
  });

  it('a drip-feed slower than the idle timeout ends the stream with a timeout error', async () => {
    const faulty = await startFaultyServer({ kind: 'drip', first: frame({ role: 'assistant', content: 'first' }), next: frame({ content: '.' }), intervalMs: 10_000 });
    cleanups.push(() => faulty.close());
    const { gateway } = await gatewayWith(single(faulty.url, { timeouts: { connectMs: 1_000, firstByteMs: 1_000, idleMs: 150, totalMs: 30_000 } }));
    const result = await chat(gateway, { stream: true });
    expect(result.text).toContain('"content":"first"');
    expect(result.text).toContain('upstream_timeout');
    expect(result.text).toContain('idle timeout');
    expect(faulty.requests).toBe(1);
  });

  it('a stream that keeps trickling past the total timeout is ended with a timeout error', async () => {
    // Each event arrives well within the idle timeout; the exchange as a whole outlives its total.
    const faulty = await startFaultyServer({ kind: 'drip', first: frame({ role: 'assistant', content: 'first' }), next: frame({ content: '.' }), intervalMs: 50 });
    cleanups.push(() => faulty.close());
    const { gateway } = await gatewayWith(single(faulty.url, { timeouts: { connectMs: 1_000, firstByteMs: 1_000, idleMs: 1_000, totalMs: 400 } }));
    const started = performance.now();
    const result = await chat(gateway, { stream: true });
    const elapsed = performance.now() - started;
    expect(result.text).toContain('"content":"first"');
    expect(result.text).toContain('"content":"."');
    expect(result.text).toContain('upstream_timeout');
    expect(result.text).toMatch(/total/);
    expect(result.text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    expect(elapsed).toBeGreaterThanOrEqual(350);
    expect(elapsed).toBeLessThan(3_000);
    expect(faulty.requests).toBe(1);
  });

  it('an error as the very first event of a stream is still retried (peek before commit)', async () => {
    let calls = 0;
    const server = await upstream((_req, res) => {
      calls++;
      if (calls === 1) return replySse(res, ['data: {"error":{"message":"engine overloaded","code":"server_error"}}\n\n', 'data: [DONE]\n\n']);
      return replySse(res, [frame({ role: 'assistant', content: 'fine' }), frame({}, 'stop'), 'data: [DONE]\n\n']);
    });
    const { gateway } = await gatewayWith(single(server.url));
    const result = await chat(gateway, { stream: true });
    expect(result.status).toBe(200);
    expect(result.text).toContain('"content":"fine"');
    expect(result.text).not.toContain('overloaded');
    expect(result.headers.get('x-tollgate-attempts')).toBe('2');
  });
});

describe('fallbacks and circuit breaking', () => {
  it('falls back to the next deployment when the primary is down, and says who served', async () => {
    const secondary = await upstream((_req, res) => replyJson(res, 200, OK_BODY));
    const cfg = config(
      [provider({ name: 'primary', kind: 'openai-compatible', baseUrl: await refusedUrl() }), provider({ name: 'secondary', kind: 'openai-compatible', baseUrl: secondary.url })],
      [model('m', ['primary/big', 'secondary/small'])],
    );
    const { gateway } = await gatewayWith(cfg);
    const result = await chat(gateway);
    expect(result.status).toBe(200);
    expect(result.headers.get('x-tollgate-provider')).toBe('secondary');
    expect(result.headers.get('x-tollgate-model')).toBe('small');
    expect(result.headers.get('x-tollgate-attempts')).toBe('4');
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(metrics).toContain('llm_fallbacks_total{model="m",from_provider="primary",to_provider="secondary"} 1');
    expect(metrics).toContain('llm_retries_total{provider="primary",model="m"} 2');
  });

  it('a 503 storm opens the circuit: later requests skip the failing deployment, visible in readyz and metrics', async () => {
    const storm = await upstream((_req, res) => replyJson(res, 503, { error: { message: 'overloaded' } }));
    const healthy = await upstream((_req, res) => replyJson(res, 200, OK_BODY));
    const cfg = config(
      [provider({ name: 'storm', kind: 'openai-compatible', baseUrl: storm.url }), provider({ name: 'healthy', kind: 'openai-compatible', baseUrl: healthy.url })],
      [model('m', ['storm/a', 'healthy/b'])],
    );
    const { gateway } = await gatewayWith(cfg);
    for (let i = 0; i < 2; i++) expect((await chat(gateway)).headers.get('x-tollgate-provider')).toBe('healthy');
    const stormRequestsAfterTwo = storm.requests.length;
    // Five consecutive failures open the circuit: the second request's third attempt is never sent.
    expect(stormRequestsAfterTwo).toBe(5);
    const third = await chat(gateway);
    expect(third.headers.get('x-tollgate-provider')).toBe('healthy');
    expect(third.headers.get('x-tollgate-attempts')).toBe('1');
    expect(storm.requests.length).toBe(stormRequestsAfterTwo);
    const ready = (await (await fetch(`${gateway.url}/readyz`)).json()) as { deployments: Record<string, { state: string }> };
    expect(ready.deployments['storm/a']?.state).toBe('open');
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(metrics).toContain('llm_circuit_open{provider="storm",model="a"} 1');
  });

  it('a streaming Responses client gets the final failure as response.failed, never an HTTP 5xx', async () => {
    const { gateway } = await gatewayWith(single(await refusedUrl()));
    const response = await fetch(`${gateway.url}/v1/responses`, { method: 'POST', body: JSON.stringify({ model: 'm', input: 'hi', stream: true }) });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-tollgate-error')).toBe('upstream_unavailable');
    const text = await response.text();
    const failed = text.split('\n').find((l) => l.includes('"response.failed"'));
    expect(failed).toBeDefined();
    const event = JSON.parse(failed!.slice(6)) as { response: { error: { code: string; message: string } } };
    expect(event.response.error.code).toBe('invalid_prompt');
    expect(event.response.error.message).toContain('[upstream_unavailable]');
  });
});
