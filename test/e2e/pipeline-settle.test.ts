/**
 * The settle guarantee, over the real HTTP interface: for every way a call
 * can end, and for every client format × streamed or not × passed through or
 * translated, exactly one observer `onEnd`, exactly one settlement of every
 * admission handle, and exactly one ledger row.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteUsageLedger } from '../../src/store/sqlite/usage-ledger.js';
import { GatewayError } from '../../src/errors/index.js';
import type { Gateway } from '../../src/gateway.js';
import type { Call, CallOutcome, RequestPolicy } from '../../src/pipeline/contracts.js';
import { startMockUpstream } from '../../src/providers/mock/simulator.js';
import type { MockUpstream } from '../../src/providers/mock/simulator.js';
import type { GatewayConfig, ModelConfig } from '../../src/config/types.js';
import { config, provider, startTestGateway } from '../helpers/gateway.js';
import { countingAdmission, countingObserver } from '../helpers/policies.js';

type Format = 'chat' | 'responses';
type Path = 'passthrough' | 'translated';
interface Shape {
  readonly format: Format;
  readonly stream: boolean;
  readonly path: Path;
}

const SHAPES: Shape[] = (['chat', 'responses'] as const).flatMap((format) =>
  [false, true].flatMap((stream) => (['passthrough', 'translated'] as const).map((path) => ({ format, stream, path }))),
);

const label = (s: Shape): string => `${s.format} ${s.stream ? 'stream' : 'json'} ${s.path}`;

/** Route entries narrowed to one API make the gateway translate: a Chat client to the Responses API and back. */
function route(name: string, providerName: string, api?: 'chat' | 'responses'): ModelConfig {
  return { name, aliases: [], balancing: 'weighted', route: [{ provider: providerName, model: 'm', weight: 1, priority: 1, ...(api === undefined ? {} : { api }) }] };
}

function modelFor(shape: Shape, prefix = ''): string {
  if (shape.path === 'passthrough') return `${prefix}pt`;
  return `${prefix}${shape.format === 'chat' ? 'tr-to-responses' : 'tr-to-chat'}`;
}

function body(shape: Shape, text: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const model = modelFor(shape, typeof extra['prefix'] === 'string' ? extra['prefix'] : '');
  const { prefix: _prefix, ...rest } = extra;
  return shape.format === 'chat'
    ? { model, stream: shape.stream, messages: [{ role: 'user', content: text }], ...rest }
    : { model, stream: shape.stream, input: text, ...rest };
}

const endpoint = (shape: Shape): string => (shape.format === 'chat' ? '/v1/chat/completions' : '/v1/responses');

/** Holds admission until the client has gone (the "client left before forwarding" path). */
const waitForClientToLeave: RequestPolicy = {
  name: 'wait',
  async admit(call: Call) {
    if (!call.client.text.includes('[policy:wait]')) return undefined;
    await new Promise<void>((resolve) => {
      if (call.ctx.signal.aborted) resolve();
      else call.ctx.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    return undefined;
  },
};

const refuseMarked: RequestPolicy = {
  name: 'refuse',
  admit(call: Call) {
    if (call.client.text.includes('[policy:refuse]')) throw new GatewayError(429, 'insufficient_quota', 'insufficient_quota', 'The test budget is spent.');
    return undefined;
  },
};

let upstream: MockUpstream;

function gatewayConfig(shutdownGraceMs = 1_000): GatewayConfig {
  const timeouts = { connectMs: 1_000, firstByteMs: 400, idleMs: 400, totalMs: 30_000 };
  const retry = { ...config([], []).resilience.retry, maxAttempts: 2 };
  return config(
    [
      provider({ name: 'up', kind: 'openai', baseUrl: upstream.url, apiKey: 'sk-test', timeouts, retry }),
      provider({ name: 'slowup', kind: 'openai', baseUrl: upstream.url, apiKey: 'sk-test' }),
    ],
    [route('pt', 'up'), route('tr-to-chat', 'up', 'chat'), route('tr-to-responses', 'up', 'responses'), route('slow-pt', 'slowup'), route('slow-tr-to-chat', 'slowup', 'chat'), route('slow-tr-to-responses', 'slowup', 'responses')],
    { shutdownGraceMs },
  );
}

interface Harness {
  readonly gateway: Gateway;
  readonly observer: ReturnType<typeof countingObserver>;
  readonly admission: ReturnType<typeof countingAdmission>;
}

async function startHarness(shutdownGraceMs?: number, storePath?: string): Promise<Harness> {
  const observer = countingObserver();
  const admission = countingAdmission();
  const cfg = gatewayConfig(shutdownGraceMs);
  const gateway = await startTestGateway(storePath === undefined ? cfg : { ...cfg, store: { kind: 'sqlite', path: storePath } }, {
    observers: [observer],
    policies: [admission, waitForClientToLeave, refuseMarked],
  });
  return { gateway, observer, admission };
}

let requestCounter = 0;
const nextId = (): string => `settle-${++requestCounter}`;

async function send(h: Harness, shape: Shape, payload: Record<string, unknown>, id: string, signal?: AbortSignal): Promise<Response> {
  return fetch(`${h.gateway.url}${endpoint(shape)}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': id }, body: JSON.stringify(payload), ...(signal ? { signal } : {}) });
}

/** Reads until `predicate` holds for what was read, then aborts. */
async function readThenAbort(response: Response, controller: AbortController, predicate: (text: string) => boolean): Promise<void> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  while (!predicate(text)) {
    const read = await reader.read();
    if (read.done) break;
    text += decoder.decode(read.value as Uint8Array, { stream: true });
  }
  controller.abort();
}

async function until(condition: () => boolean, timeoutMs = 3_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error('timed out waiting for the call to settle');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** One onEnd, one settlement, one ledger row — and the three agree. */
async function expectSettledOnce(h: Harness, id: string): Promise<CallOutcome> {
  await until(() => h.observer.ends.has(id) && h.admission.settled.has(id));
  // Give a second settlement, if there were one, the chance to show up.
  await new Promise((resolve) => setTimeout(resolve, 30));
  const ends = h.observer.ends.get(id)!;
  const settled = h.admission.settled.get(id)!;
  expect(ends, 'observer onEnd calls').toHaveLength(1);
  expect(settled, 'admission handle settlements').toHaveLength(1);
  expect(settled[0]).toBe(ends[0]);
  const rows = (await h.gateway.ledger.recent(10_000)).filter((row) => row.requestId === id);
  expect(rows, 'ledger rows').toHaveLength(1);
  expect(rows[0]!.httpStatus).toBe(ends[0]!.httpStatus);
  return ends[0]!;
}

beforeAll(async () => {
  upstream = await startMockUpstream({ latencyMs: 0, tokensPerSecond: 0, scripts: {} });
});

afterAll(async () => {
  await upstream.close();
});

describe.each(SHAPES)('every exit path settles once: $format stream=$stream $path', (shape) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.gateway.close();
  });

  it('success', async () => {
    const id = nextId();
    const response = await send(h, shape, body(shape, 'hello [mock:words=12]'), id);
    expect(response.status).toBe(200);
    await response.text();
    const outcome = await expectSettledOnce(h, id);
    expect(outcome.status).toBe('ok');
    expect(outcome.usage?.completionTokens).toBeGreaterThan(0);
    expect(h.observer.starts.get(id)).toBe(1);
  });

  it('upstream failure (after the retries)', async () => {
    const id = nextId();
    const response = await send(h, shape, body(shape, 'fail [mock:status=500]'), id);
    await response.text();
    const outcome = await expectSettledOnce(h, id);
    expect(outcome.status).toBe('error');
    expect(outcome.attempts).toBe(2);
    expect(h.observer.starts.get(id)).toBe(2);
  });

  it('upstream failure after the stream began (committed)', async () => {
    const id = nextId();
    const response = await send(h, shape, body(shape, 'break [mock:words=30] [mock:fail_after=3]'), id);
    await response.text().catch(() => '');
    const outcome = await expectSettledOnce(h, id);
    expect(outcome.status).toBe('error');
  });

  it('client gone before forwarding', async () => {
    const id = nextId();
    const controller = new AbortController();
    const pending = send(h, shape, body(shape, 'wait [policy:wait]'), id, controller.signal).catch(() => undefined);
    setTimeout(() => controller.abort(), 100);
    await pending;
    const outcome = await expectSettledOnce(h, id);
    expect(outcome.status).toBe('client_closed');
    expect(outcome.stage).toBe('admit');
    expect(h.observer.starts.get(id)).toBeUndefined();
  });

  it('client gone after forwarding', async () => {
    const id = nextId();
    const controller = new AbortController();
    if (shape.stream) {
      const response = await send(h, shape, body(shape, 'slow [mock:words=200] [mock:tps=20]', { prefix: 'slow-' }), id, controller.signal);
      await readThenAbort(response, controller, (text) => text.includes('delta'));
    } else {
      const pending = send(h, shape, body(shape, 'late [mock:latency=3000]', { prefix: 'slow-' }), id, controller.signal).catch(() => undefined);
      await until(() => h.observer.starts.has(id));
      controller.abort();
      await pending;
    }
    const outcome = await expectSettledOnce(h, id);
    expect(outcome.status).toBe('client_closed');
    expect(outcome.httpStatus).toBe(499);
  });

  it('policy refusal', async () => {
    const id = nextId();
    const response = await send(h, shape, body(shape, 'no [policy:refuse]'), id);
    expect(response.status).toBe(429);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('insufficient_quota');
    const outcome = await expectSettledOnce(h, id);
    expect(outcome.stage).toBe('admit');
    expect(outcome.httpStatus).toBe(429);
    expect(h.observer.starts.get(id)).toBeUndefined();
  });

  // Pass-through sends the client's own body: only a translated call can fail to translate.
  const translated = shape.path === 'translated' ? it : undefined;
  translated?.('translation error (a request the upstream format cannot express)', async () => {
    const id = nextId();
    const invalid = shape.format === 'responses' ? { previous_response_id: 'resp_earlier' } : { messages: 'not a list' };
    const response = await send(h, shape, { ...body(shape, 'x'), ...invalid }, id);
    expect(response.status).toBe(400);
    const outcome = await expectSettledOnce(h, id);
    expect(outcome.status).toBe('error');
    expect(outcome.httpStatus).toBe(400);
  });

  it('timeout (the upstream never answers)', async () => {
    const id = nextId();
    const response = await send(h, shape, body(shape, 'silence [mock:hang]'), id);
    await response.text();
    const outcome = await expectSettledOnce(h, id);
    expect(outcome.status).toBe('error');
    expect(outcome.errorCode).toBe('upstream_timeout');
  });

  it('timeout mid-stream (the upstream stops sending)', async () => {
    const id = nextId();
    // One delta every 2 s: the idle timeout (400 ms) ends it after the first.
    const response = await send(h, shape, body(shape, 'drip [mock:words=5] [mock:tps=0.5]'), id);
    await response.text();
    const outcome = await expectSettledOnce(h, id);
    expect(outcome.status).toBe('error');
  });
});

describe.each(SHAPES)('shutdown settles calls in flight: $format stream=$stream $path', (shape) => {
  it('one onEnd, one settlement, one ledger row when the gateway closes mid-call; the call ends with status shutdown', async () => {
    const storePath = join(mkdtempSync(join(tmpdir(), 'tollgate-settle-')), 'ledger.db');
    const h = await startHarness(100, storePath);
    const id = nextId();
    const controller = new AbortController();
    const pending = send(h, shape, body(shape, 'long [mock:words=400] [mock:tps=20]', { prefix: 'slow-' }), id, controller.signal).then(async (response) => ({
      status: response.status,
      text: await response.text(),
    }));
    await until(() => h.observer.starts.has(id));
    await h.gateway.close();
    const { status, text } = await pending;
    expect(h.observer.ends.get(id), label(shape)).toHaveLength(1);
    expect(h.admission.settled.get(id)).toHaveLength(1);
    const outcome = h.observer.ends.get(id)![0]!;
    expect(outcome.status).toBe('shutdown');
    expect(outcome.errorCode).toBe('server_shutting_down');
    // The call was ended through the pipeline: a stream with its protocol's terminal event, a JSON call with a 503.
    if (!shape.stream) {
      expect(status).toBe(503);
      expect((JSON.parse(text) as { error: { code: string } }).error.code).toBe('server_shutting_down');
    } else if (shape.format === 'chat') {
      expect(status).toBe(200);
      expect(text).toContain('"code":"server_shutting_down"');
      // The gateway's own error, not the upstream's: the type says so.
      expect(text).toContain('"type":"server_error"');
      expect(text).not.toContain('upstream_error');
      expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    } else {
      expect(status).toBe(200);
      expect(text).toContain('event: response.failed');
      expect(text).toContain('"code":"server_shutting_down"');
    }
    // The row was written before close resolved: the store's file holds it.
    const reopened = SqliteUsageLedger.open(storePath, {});
    try {
      const rows = (await reopened.recent(100)).filter((row) => row.requestId === id);
      expect(rows).toHaveLength(1);
      expect(rows[0]!.status).toBe('shutdown');
    } finally {
      await reopened.close();
    }
  });
});

describe('shutdown and a call a policy holds', () => {
  it('the call settles, and its ledger row is written, before the gateway has closed', async () => {
    const storePath = join(mkdtempSync(join(tmpdir(), 'tollgate-settle-')), 'ledger.db');
    const h = await startHarness(100, storePath);
    const id = nextId();
    const shape = SHAPES[0]!;
    // Held in the admit stage until its connection closes: the drain's deadline cannot end it, closing the sockets does.
    const pending = send(h, shape, body(shape, 'held [policy:wait]'), id).catch(() => undefined);
    // Time for the request to reach the policy (nothing to observe before it settles).
    await new Promise((resolve) => setTimeout(resolve, 300));
    await h.gateway.close();
    await pending;
    expect(h.observer.ends.get(id)).toHaveLength(1);
    const reopened = SqliteUsageLedger.open(storePath, {});
    try {
      expect((await reopened.recent(100)).filter((row) => row.requestId === id)).toHaveLength(1);
    } finally {
      await reopened.close();
    }
  });
});
