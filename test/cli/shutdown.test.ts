/**
 * Shutdown over the real process boundary: a `tollgate start` child, a real
 * upstream simulator streaming slowly, 50 open streams (Chat and Responses,
 * passed through and translated), a real SIGTERM. /readyz answers 503 from
 * the signal on; streams that finish before the deadline are complete, the
 * others end with their protocol's terminal event; a request sent on a
 * kept-alive connection during the drain gets a 503 and the connection
 * closes; the ledger file has one row per call (ok / shutdown); exit code 0.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SseParser } from '../../src/framing/index.js';
import { startMockUpstream } from '../../src/providers/mock/simulator.js';
import type { MockUpstream } from '../../src/providers/mock/simulator.js';
import { validateResponsesSse } from '../../src/translators/openai-responses/validator.js';
import { buildIfNeeded, startGatewayProcess } from './support/gateway-process.js';
import type { GatewayProcess } from './support/gateway-process.js';

const work = mkdtempSync(join(tmpdir(), 'tollgate-shutdown-'));
const env = { PATH: process.env['PATH'] ?? '', HOME: work };
const DELAY_MS = 1_500;
const GRACE_MS = 6_000;
/** Deltas per second of the simulated model. */
const TPS = 10;
/** Finishes about 4 s after it starts: within the deadline (delay + grace after the signal). */
const SHORT_WORDS = 40;
/** Would take minutes: still open at the deadline. */
const LONG_WORDS = 3_000;

type Format = 'chat' | 'responses';
interface Shape {
  readonly format: Format;
  readonly model: 'pt' | 'to-chat' | 'to-responses';
}
/** Pass-through and translated, for each client format (a Chat client translated to the Responses API and back). */
const SHAPES: readonly Shape[] = [
  { format: 'chat', model: 'pt' },
  { format: 'chat', model: 'to-responses' },
  { format: 'responses', model: 'pt' },
  { format: 'responses', model: 'to-chat' },
];

interface Stream {
  readonly id: string;
  readonly shape: Shape;
  readonly long: boolean;
  status: number;
  text: string;
  firstDelta: boolean;
  endedAt: number;
  error: string | undefined;
}

function requestBody(shape: Shape, long: boolean, id: string): string {
  const text = `${id} [mock:words=${long ? LONG_WORDS : SHORT_WORDS}] [mock:tps=${TPS}]`;
  return JSON.stringify(
    shape.format === 'chat' ? { model: shape.model, stream: true, messages: [{ role: 'user', content: text }] } : { model: shape.model, stream: true, input: text },
  );
}

const path = (format: Format): string => (format === 'chat' ? '/v1/chat/completions' : '/v1/responses');

/** One streamed call on its own connection, read to its end. */
async function openStream(url: string, stream: Stream): Promise<void> {
  try {
    const response = await fetch(`${url}${path(stream.shape.format)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': stream.id },
      body: requestBody(stream.shape, stream.long, stream.id),
    });
    stream.status = response.status;
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    for (;;) {
      const read = await reader.read();
      if (read.done) break;
      stream.text += decoder.decode(read.value as Uint8Array, { stream: true });
      if (!stream.firstDelta && stream.text.includes('delta')) stream.firstDelta = true;
    }
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : '';
    stream.error = error instanceof Error ? `${error.message}${cause}` : String(error);
  }
  stream.endedAt = performance.now();
}

/** The data of every event of a Chat stream, strictly framed. */
function chatEvents(text: string): string[] {
  const parser = new SseParser();
  const events = parser.push(text);
  for (const e of parser.end()) events.push(e);
  return events.map((e) => e.data);
}

/** What one /readyz probe on a fresh connection saw: a status and the body's `shutting_down`, or a refused connection. */
function probeReadyz(url: string): Promise<{ status: number; shuttingDown: unknown } | 'refused'> {
  return new Promise((resolve) => {
    const req = request(`${url}/readyz`, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, shuttingDown: (JSON.parse(body) as { shutting_down?: unknown }).shutting_down }));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED' ? 'refused' : (`error ${error.code}` as never)));
    req.end();
  });
}

/** A non-streamed call on a fresh connection: its status, `connection` header and body. */
function post(url: string, target: string, body: string, id: string): Promise<{ status: number; connection: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${target}`, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'x-request-id': id } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A raw HTTP/1.1 connection, to send a second request on a kept-alive connection at a chosen moment. */
class RawConnection {
  private buffer = '';
  private closedFlag = false;
  private readonly socket: Socket;
  private wake: (() => void) | undefined;

  constructor(url: string) {
    const { hostname, port } = new URL(url);
    this.socket = connect(Number(port), hostname);
    this.socket.setEncoding('utf8');
    this.socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      this.wake?.();
    });
    this.socket.on('close', () => {
      this.closedFlag = true;
      this.wake?.();
    });
    this.socket.on('error', () => undefined);
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  send(method: string, target: string, body: string, id: string): void {
    this.socket.write(`${method} ${target} HTTP/1.1\r\nhost: gateway\r\ncontent-type: application/json\r\nx-request-id: ${id}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  }

  /** Waits until the buffer holds `marker`; returns and consumes the text up to and including it. */
  async until(marker: string, timeoutMs: number): Promise<string> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const at = this.buffer.indexOf(marker);
      if (at >= 0) {
        const text = this.buffer.slice(0, at + marker.length);
        this.buffer = this.buffer.slice(at + marker.length);
        return text;
      }
      if (this.closedFlag || Date.now() > end) throw new Error(`no '${JSON.stringify(marker)}' (closed: ${this.closedFlag}); got: ${this.buffer.slice(-300)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 100);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  async waitClosed(timeoutMs: number): Promise<boolean> {
    const end = Date.now() + timeoutMs;
    while (!this.closedFlag && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 20));
    return this.closedFlag;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

let upstream: MockUpstream;
let gateway: GatewayProcess;
let url = '';
let storePath = '';

/** A configuration file for a gateway in front of the simulator: `pt` passes through, `to-chat` and `to-responses` translate. */
function writeConfig(name: string, server: string, store: string): string {
  const config = join(work, `${name}.yaml`);
  writeFileSync(
    config,
    [
      `server: { host: 127.0.0.1, port: 0${server} }`,
      `store: { path: "${store}" }`,
      'logging: { level: info }',
      'providers:',
      `  - { name: up, kind: openai, base_url: "${upstream.url}", api_key: sk-test }`,
      'models:',
      '  - { name: pt, route: [up/m] }',
      '  - name: to-chat',
      '    route: [{ provider: up, model: m, api: chat }]',
      '  - name: to-responses',
      '    route: [{ provider: up, model: m, api: responses }]',
      '',
    ].join('\n'),
  );
  return config;
}

beforeAll(async () => {
  buildIfNeeded();
  upstream = await startMockUpstream({ latencyMs: 0, tokensPerSecond: TPS, scripts: {} });
  storePath = join(work, 'ledger.sqlite');
  const config = writeConfig('drain', `, shutdown_delay: ${DELAY_MS}ms, shutdown_grace: ${GRACE_MS}ms`, storePath);
  gateway = startGatewayProcess(['start', '--config', config], { cwd: work, env });
  url = String((await gateway.logLine((line) => typeof line['url'] === 'string', 20_000))['url']);
}, 120_000);

afterAll(async () => {
  gateway.kill();
  await upstream.close();
});

describe('SIGTERM with 50 open streams', () => {
  it('drains: readiness fails at once, finished streams are complete, the rest end with their terminal event, one ledger row each, exit 0', async () => {
    const streams: Stream[] = Array.from({ length: 50 }, (_, i) => ({
      id: `drain-${i}`,
      shape: SHAPES[i % SHAPES.length]!,
      long: Math.floor(i / SHAPES.length) % 2 === 1,
      status: 0,
      text: '',
      firstDelta: false,
      endedAt: 0,
      error: undefined,
    }));
    const reading = streams.map((stream) => openStream(url, stream));
    // A short stream on a raw kept-alive connection: once it ends (during the drain), a second request is sent on it.
    const raw = new RawConnection(url);
    raw.send('POST', '/v1/chat/completions', requestBody({ format: 'chat', model: 'pt' }, false, 'keepalive-1'), 'keepalive-1');

    const openBy = Date.now() + 20_000;
    while (!streams.every((s) => s.firstDelta)) {
      const broken = streams.find((s) => s.error !== undefined);
      if (broken) throw new Error(`${broken.id} failed before the signal: ${broken.error}`);
      if (Date.now() > openBy) throw new Error(`streams not all open: ${streams.filter((s) => !s.firstDelta).map((s) => s.id).join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect((await probeReadyz(url)) as unknown).toEqual({ status: 200, shuttingDown: false });

    const exited = gateway.exit(DELAY_MS + GRACE_MS + 15_000);
    gateway.child.kill('SIGTERM');
    const signalledAt = performance.now();
    await gateway.logLine((line) => line['msg'] === 'shutting down', 5_000);
    // During the delay the listener still serves, and every response closes its connection.
    const during = await post(url, '/v1/chat/completions', JSON.stringify({ model: 'pt', messages: [{ role: 'user', content: 'delay [mock:words=3]' }] }), 'during-delay');
    expect(during.status, during.body).toBe(200);
    expect(during.connection).toBe('close');

    // Readiness from the signal on: 503 while the listener still serves (the delay), then no listener at all.
    const probes: Array<Awaited<ReturnType<typeof probeReadyz>>> = [];
    const probing = (async () => {
      while (gateway.child.exitCode === null && gateway.child.signalCode === null) {
        probes.push(await probeReadyz(url));
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();

    // The kept-alive connection: its stream ends within the deadline, then a new request on it is refused.
    const first = await raw.until('\r\n0\r\n\r\n', DELAY_MS + GRACE_MS);
    expect(first).toMatch(/^HTTP\/1\.1 200 /);
    expect(first).toContain('data: [DONE]');
    expect(performance.now() - signalledAt, 'the kept-alive stream ended after the delay').toBeGreaterThan(DELAY_MS);
    raw.send('POST', '/v1/chat/completions', requestBody({ format: 'chat', model: 'pt' }, false, 'keepalive-2'), 'keepalive-2');
    const refusal = await raw.until('}}', 5_000);
    expect(refusal).toMatch(/^HTTP\/1\.1 503 /);
    expect(refusal.toLowerCase()).toContain('connection: close');
    expect(refusal.toLowerCase()).toContain('retry-after: 1');
    const refusalBody = JSON.parse(refusal.slice(refusal.indexOf('\r\n\r\n') + 4)) as { error: { code: string; type: string; message: string } };
    expect(refusalBody.error.code).toBe('server_shutting_down');
    expect(refusalBody.error.message).toMatch(/Send the request again/);
    expect(await raw.waitClosed(2_000), 'the gateway closed the kept-alive connection after the 503').toBe(true);

    await Promise.all(reading);
    const exit = await exited;
    await probing;
    raw.destroy();
    const exitAfterSignalMs = exit.afterMs - (signalledAt - gateway.spawnedAt);

    expect(exit.code, gateway.stderr()).toBe(0);
    // Ended at the deadline, not at once and not much later.
    expect(exitAfterSignalMs).toBeGreaterThan(DELAY_MS + GRACE_MS - 500);
    expect(exitAfterSignalMs).toBeLessThan(DELAY_MS + GRACE_MS + 5_000);

    expect(probes.length).toBeGreaterThan(3);
    expect(probes.filter((p) => p !== 'refused' && p.status === 200), 'no probe after the signal saw a ready gateway').toEqual([]);
    const unready = probes.filter((p) => p !== 'refused');
    expect(unready.length, 'probes answered 503 during the delay').toBeGreaterThanOrEqual(3);
    for (const p of unready) expect(p).toEqual({ status: 503, shuttingDown: true });
    expect(probes.at(-1), 'the listener is closed after the delay').toBe('refused');

    for (const stream of streams) {
      const what = `${stream.id} (${stream.shape.format} ${stream.shape.model} ${stream.long ? 'long' : 'short'})`;
      expect(stream.error, what).toBeUndefined();
      expect(stream.status, what).toBe(200);
      if (stream.shape.format === 'chat') {
        const data = chatEvents(stream.text);
        expect(data.at(-1), `${what} ends with [DONE]`).toBe('[DONE]');
        const chunks = data.slice(0, -1).map((d) => JSON.parse(d) as { error?: { code?: string; message?: string }; choices?: Array<{ finish_reason?: string | null }> });
        const finished = chunks.some((c) => c.choices?.some((choice) => typeof choice.finish_reason === 'string'));
        const errors = chunks.filter((c) => c.error !== undefined);
        if (stream.long) {
          expect(finished, `${what} has no finish_reason`).toBe(false);
          expect(errors, what).toHaveLength(1);
          expect(chunks.at(-1)?.error?.code, `${what} ends with the error event`).toBe('server_shutting_down');
          expect(chunks.at(-1)?.error?.message).toMatch(/shutting down.*Send the request again/);
        } else {
          expect(finished, `${what} is complete`).toBe(true);
          expect(errors, what).toEqual([]);
        }
      } else {
        expect(validateResponsesSse(stream.text), what).toEqual([]);
        const data = chatEvents(stream.text);
        const last = JSON.parse(data.at(-1)!) as { type: string; response: { error?: { code: string } | null } };
        if (stream.long) {
          expect(last.type, what).toBe('response.failed');
          expect(last.response.error?.code, what).toBe('server_shutting_down');
        } else expect(last.type, what).toBe('response.completed');
      }
      // The long ones were ended at the deadline, not before.
      if (stream.long) expect(stream.endedAt - signalledAt, what).toBeGreaterThan(DELAY_MS + GRACE_MS - 500);
    }

    const ending = gateway.logs.find((line) => typeof line['msg'] === 'string' && line['msg'].startsWith('shutting down: ending'));
    const longStreams = streams.filter((s) => s.long).length;
    expect(longStreams).toBe(24);
    expect(ending?.['open_calls']).toBe(longStreams);
    expect(gateway.logs.some((line) => line['msg'] === 'shut down')).toBe(true);

    const db = new Database(storePath, { readonly: true });
    try {
      const rows = db.prepare('SELECT request_id AS id, status, http_status AS httpStatus FROM usage').all() as Array<{ id: string; status: string; httpStatus: number }>;
      for (const stream of streams) {
        expect(
          rows.filter((row) => row.id === stream.id),
          stream.id,
        ).toEqual([{ id: stream.id, status: stream.long ? 'shutdown' : 'ok', httpStatus: 200 }]);
      }
      expect(rows.filter((row) => row.id === 'keepalive-1')).toEqual([{ id: 'keepalive-1', status: 'ok', httpStatus: 200 }]);
      expect(rows.filter((row) => row.id === 'during-delay')).toEqual([{ id: 'during-delay', status: 'ok', httpStatus: 200 }]);
      // The request refused during the drain was never a call.
      expect(rows).toHaveLength(52);
    } finally {
      db.close();
    }
  }, 60_000);
});

describe('a second signal during the drain', () => {
  it('ends the calls still open at once, with their terminal events, and exits 0', async () => {
    const store = join(work, 'second-signal.sqlite');
    // The default deadline (30 s): only the second signal can end these streams soon.
    const second = startGatewayProcess(['start', '--config', writeConfig('second-signal', '', store)], { cwd: work, env });
    try {
      const secondUrl = String((await second.logLine((line) => typeof line['url'] === 'string', 20_000))['url']);
      const streams: Stream[] = SHAPES.map((shape, i) => ({ id: `second-${i}`, shape, long: true, status: 0, text: '', firstDelta: false, endedAt: 0, error: undefined }));
      const reading = streams.map((stream) => openStream(secondUrl, stream));
      const openBy = Date.now() + 20_000;
      while (!streams.every((s) => s.firstDelta)) {
        if (Date.now() > openBy) throw new Error('streams not open');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const exited = second.exit(15_000);
      second.child.kill('SIGTERM');
      await second.logLine((line) => typeof line['msg'] === 'string' && line['msg'].startsWith('shutting down: no longer accepting'), 5_000);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(streams.every((s) => s.endedAt === 0), 'still streaming after the first signal').toBe(true);
      second.child.kill('SIGTERM');
      const secondAt = performance.now();
      await Promise.all(reading);
      const exit = await exited;
      expect(exit.code, second.stderr()).toBe(0);
      expect(exit.afterMs - (secondAt - second.spawnedAt), 'exit soon after the second signal').toBeLessThan(3_000);
      for (const stream of streams) {
        expect(stream.error, stream.id).toBeUndefined();
        expect(stream.text, stream.id).toContain('server_shutting_down');
        if (stream.shape.format === 'responses') expect(validateResponsesSse(stream.text), stream.id).toEqual([]);
        else expect(chatEvents(stream.text).at(-1), stream.id).toBe('[DONE]');
      }
      expect(second.logs.some((line) => line['msg'] === 'second signal: ending the calls still in flight now')).toBe(true);
      const db = new Database(store, { readonly: true });
      try {
        const rows = db.prepare('SELECT request_id AS id, status FROM usage ORDER BY request_id').all();
        expect(rows).toEqual(streams.map((s) => ({ id: s.id, status: 'shutdown' })));
      } finally {
        db.close();
      }
    } finally {
      second.kill();
    }
  }, 60_000);
});

describe('calls that finish before the deadline', () => {
  it('are complete, and the process exits as soon as they are done, not at the deadline', async () => {
    const store = join(work, 'early.sqlite');
    // The default deadline (30 s) is far away: the drain ends when the last call does.
    const early = startGatewayProcess(['start', '--config', writeConfig('early', '', store)], { cwd: work, env });
    try {
      const earlyUrl = String((await early.logLine((line) => typeof line['url'] === 'string', 20_000))['url']);
      const stream: Stream = { id: 'early-0', shape: SHAPES[3]!, long: false, status: 0, text: '', firstDelta: false, endedAt: 0, error: undefined };
      const reading = openStream(earlyUrl, stream);
      while (!stream.firstDelta && stream.error === undefined) await new Promise((resolve) => setTimeout(resolve, 20));
      const exited = early.exit(20_000);
      early.child.kill('SIGTERM');
      const signalledAt = performance.now();
      await reading;
      const exit = await exited;
      expect(exit.code, early.stderr()).toBe(0);
      expect(validateResponsesSse(stream.text)).toEqual([]);
      expect(stream.text).toContain('response.completed');
      // The stream needs about 4 s; the process then goes (teardown included), far from the 30 s deadline.
      expect(exit.afterMs - (signalledAt - early.spawnedAt)).toBeLessThan(stream.endedAt - signalledAt + 3_000);
      expect(early.logs.some((line) => typeof line['msg'] === 'string' && line['msg'].startsWith('shutting down: ending'))).toBe(false);
    } finally {
      early.kill();
    }
  }, 60_000);
});
