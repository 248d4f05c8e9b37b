/**
 * Memory per stream is bounded by a small constant, and no stream blocks the
 * event loop: a 150 MiB stream through a real gateway process
 * (`bin/tollgate.js start`, its RSS read from /proc/<pid>/status) raises its
 * RSS by less than 32 MB, while `/healthz`, polled every 50 ms by a separate
 * process, answers within 100 ms throughout. Three streams:
 *
 * - pass-through Chat (the bytes relayed raw; the relay keeps only the head
 *   and tail of the stream for its end-of-stream reads);
 * - translated to Chat from Ollama NDJSON (decoded and re-encoded, nothing
 *   held but a bounded sample for a token estimate);
 * - translated to Responses from a Chat upstream: the Responses encoder
 *   repeats the whole output in its final events, so what it may hold is
 *   bounded by `server.stream_output_limit`; an upstream that streams past it
 *   is stopped and the client gets `response.failed` naming the limit.
 *
 * The figures are printed (`stream memory:`) for the record. For a closer
 * look: STREAM_MIB=600 streams longer, GW_NODE_ARGS='--trace-gc' (or
 * '--cpu-prof --cpu-prof-dir DIR') passes flags to the gateway process.
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOpenAIUpstream } from '../simulators/openai-upstream.js';
import type { OpenAIUpstream } from '../simulators/openai-upstream.js';

const root = new URL('../..', import.meta.url).pathname;
const bin = join(root, 'bin', 'tollgate.js');
const STREAM_BYTES = Number(process.env['STREAM_MIB'] ?? 150) * 1024 * 1024;
const RSS_LIMIT_BYTES = 32 * 1024 * 1024;
const HEALTHZ_LIMIT_MS = 100;
/** The default, written out. */
const OUTPUT_LIMIT = '2mb';

/** `count` Chat chunks of `delta`, one SSE event each (the shape OpenAI and vLLM stream). */
function chatBlock(delta: string, count: number): Buffer {
  const event = `data: ${JSON.stringify({ id: 'chatcmpl-mem', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'm', choices: [{ index: 0, delta: { content: delta }, logprobs: null, finish_reason: null }] })}\n\n`;
  return Buffer.from(event.repeat(count));
}
const CHAT_END = `data: ${JSON.stringify({ id: 'chatcmpl-mem', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'm', choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }] })}\n\ndata: ${JSON.stringify({ id: 'chatcmpl-mem', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'm', choices: [], usage: { prompt_tokens: 5, completion_tokens: 123, total_tokens: 128 } })}\n\ndata: [DONE]\n\n`;

const CHAT_END_NO_USAGE = `data: ${JSON.stringify({ id: 'chatcmpl-mem', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'm', choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }] })}\n\ndata: [DONE]\n\n`;

/** Ollama's /api/chat NDJSON lines (docs/api.md): content lines, then the final line with done: true and the counts. */
function ollamaBlock(delta: string, count: number): Buffer {
  return Buffer.from(`${JSON.stringify({ model: 'm', created_at: '2024-01-01T00:00:00Z', message: { role: 'assistant', content: delta }, done: false })}\n`.repeat(count));
}
const OLLAMA_END = `${JSON.stringify({ model: 'm', created_at: '2024-01-01T00:00:00Z', message: { role: 'assistant', content: '' }, done: true, done_reason: 'stop', prompt_eval_count: 5, eval_count: 123 })}\n`;

const DELTA = 'The quick brown fox jumps over the lazy dog, again. ';

/** Writes `block` until `total` bytes are sent (with backpressure), then `end`; stops when the gateway goes away. */
async function streamBlocks(res: ServerResponse, contentType: string, block: Buffer, total: number, end: string): Promise<void> {
  res.writeHead(200, { 'content-type': contentType });
  // One close listener for the whole stream (one per wait would pile up on a long stream).
  const closed = once(res, 'close');
  closed.catch(() => undefined);
  for (let sent = 0; sent < total; sent += block.length) {
    if (res.destroyed) return;
    if (!res.write(block)) await Promise.race([once(res, 'drain'), closed]);
  }
  if (!res.destroyed) res.end(end);
}

interface Poller {
  stop(): Promise<{ max: number; p50: number; count: number }>;
}

/** Polls `/healthz` every 50 ms from its own process (the test's own loop is busy with the stream). */
function pollHealthz(url: string): Poller {
  const script = `
    const http = require('node:http');
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const times = [];
    let stop = false;
    process.stdin.on('end', () => { stop = true; });
    process.stdin.resume();
    const get = () => new Promise((resolve, reject) => http.get(${JSON.stringify(`${url}/healthz`)}, { agent }, (r) => { r.resume(); r.on('end', resolve); }).on('error', reject));
    (async () => {
      while (!stop) {
        const t = performance.now();
        await get();
        const took = performance.now() - t;
        times.push(took);
        if (took < 50) await new Promise((r) => setTimeout(r, 50 - took));
      }
      times.sort((a, b) => a - b);
      process.stdout.write(JSON.stringify({ max: times.at(-1) ?? 0, p50: times[Math.floor(times.length / 2)] ?? 0, count: times.length }));
      agent.destroy();
    })();`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (data: Buffer) => (out += data.toString()));
  return {
    async stop() {
      child.stdin.end();
      await once(child, 'exit');
      return JSON.parse(out) as { max: number; p50: number; count: number };
    },
  };
}

function memoryOf(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

let upstream: OpenAIUpstream;
let child: ChildProcessWithoutNullStreams;
let url = '';
let work = '';
/** Bytes the upstream streams for the next request (small for warm-up requests). */
let upstreamBytes = 0;
/** Whether the upstream ends its stream with usage (without, the gateway counts the tokens itself). */
let sendUsage = true;

beforeAll(async () => {
  execFileSync(process.execPath, [join(root, 'scripts', 'build-if-needed.mjs')], { stdio: 'inherit' });
  const chat = chatBlock(DELTA, 256);
  const ollama = ollamaBlock(DELTA, 256);
  upstream = await startOpenAIUpstream(async (req, res) => {
    if (req.path.endsWith('/chat/completions')) await streamBlocks(res, 'text/event-stream', chat, upstreamBytes, sendUsage ? CHAT_END : CHAT_END_NO_USAGE);
    else if (req.path === '/api/chat') await streamBlocks(res, 'application/x-ndjson', ollama, upstreamBytes, OLLAMA_END);
    else res.writeHead(404).end();
  });
  work = mkdtempSync(join(tmpdir(), 'tollgate-mem-'));
  const configFile = join(work, 'tollgate.yaml');
  writeFileSync(
    configFile,
    [
      'server: { host: 127.0.0.1, port: 0, stream_output_limit: ' + OUTPUT_LIMIT + ' }',
      'logging: { level: info }',
      `store: { kind: sqlite, path: ${JSON.stringify(join(work, 'ledger.sqlite'))} }`,
      'providers:',
      `  - { name: up, kind: openai-compatible, base_url: ${JSON.stringify(upstream.url)} }`,
      `  - { name: ol, kind: ollama, base_url: ${JSON.stringify(upstream.url.replace(/\/v1$/, ''))} }`,
      'models:',
      '  - { name: m, route: [up/m] }',
      '  - { name: o, route: [ol/m] }',
      '',
    ].join('\n'),
  );
  child = spawn(process.execPath, [...(process.env['GW_NODE_ARGS']?.split(' ').filter(Boolean) ?? []), bin, 'start', '--config', configFile], { cwd: work, env: { ...process.env, OPENAI_API_KEY: '' } });
  child.stderr.resume();
  const lines = createInterface({ input: child.stdout });
  url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('gateway did not report its address')), 15_000);
    lines.on('line', (line) => {
      if (process.env['GW_NODE_ARGS'] && !line.startsWith('{')) console.log(line);
      try {
        const entry = JSON.parse(line) as { url?: string };
        if (entry.url) {
          clearTimeout(timer);
          resolve(entry.url);
        }
      } catch {
        // Not a log line.
      }
    });
    child.on('exit', (code) => reject(new Error(`gateway exited with ${code}`)));
  });
}, 120_000);

afterAll(async () => {
  if (child.exitCode === null) {
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
  await upstream.close();
  rmSync(work, { recursive: true, force: true });
});

interface Run {
  readonly received: number;
  readonly ending: string;
  readonly lastEvent: string;
}

async function request(path: string, body: Record<string, unknown>): Promise<Run> {
  const response = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(response.status).toBe(200);
  const reader: ReadableStreamDefaultReader<Uint8Array> = response.body!.getReader();
  let received = 0;
  // The last 16 KiB the client received, and the type of the last event framed with an `event:` line.
  let tail = Buffer.alloc(0);
  let lastEvent = '';
  for (;;) {
    const read = await reader.read();
    if (read.done) break;
    received += read.value.length;
    const seen = Buffer.concat([tail, read.value]);
    const at = seen.lastIndexOf('\nevent: ');
    const end = at < 0 ? -1 : seen.indexOf('\n', at + 1);
    if (end > 0) lastEvent = seen.toString('utf8', at + '\nevent: '.length, end);
    tail = seen.length > 16 << 10 ? seen.subarray(seen.length - (16 << 10)) : seen;
  }
  return { received, ending: tail.toString('utf8'), lastEvent };
}

interface Figures {
  readonly before: number;
  readonly peak: number;
  /** How much higher RSS went in the second half of the stream than in its first half (memory that grows with length). */
  readonly lateGrowth: number;
  readonly hwm: number;
  readonly healthz: { max: number; p50: number; count: number };
}

/**
 * One long stream, with the gateway's RSS sampled every 20 ms and /healthz
 * polled from another process. Warm-up first: a short stream without usage
 * (the code compiled, the tokenizer used), then a long one.
 */
async function measured(path: string, body: Record<string, unknown>, bytes = STREAM_BYTES): Promise<Run & Figures & { rise: number }> {
  upstreamBytes = 1 << 20;
  sendUsage = false;
  await request(path, body);
  sendUsage = true;
  // A long warm-up stream too: the process's heap and allocator reach the size a long stream keeps them at (a cold
  // process shows a one-off rise of 30-60 MB on its first long stream: relayed reads waiting for the first full GC).
  upstreamBytes = 48 << 20;
  await request(path, body);
  upstreamBytes = bytes;
  const before = memoryOf(child.pid!).rss;
  const samples: number[] = [];
  const sampler = setInterval(() => samples.push(memoryOf(child.pid!).rss), 20);
  const poller = pollHealthz(url);
  const run = await request(path, body);
  clearInterval(sampler);
  const after = memoryOf(child.pid!);
  samples.push(after.rss);
  const half = Math.floor(samples.length / 2);
  const peak = Math.max(before, ...samples);
  const figures = {
    before,
    peak,
    lateGrowth: Math.max(...samples.slice(half)) - Math.max(before, ...samples.slice(0, half)),
    hwm: after.hwm,
    healthz: await poller.stop(),
  };
  const mb = (n: number): string => (n / 1024 / 1024).toFixed(1);
  console.log(
    `stream memory: ${path} ${String(body['model'])}: ${mb(run.received)} MiB to the client, RSS ${mb(before)} MB -> peak ${mb(peak)} MB (+${mb(peak - before)} MB; second half +${mb(figures.lateGrowth)} MB; VmHWM ${mb(after.hwm)} MB), /healthz max ${figures.healthz.max.toFixed(1)} ms p50 ${figures.healthz.p50.toFixed(1)} ms over ${figures.healthz.count} polls`,
  );
  return { ...run, ...figures, rise: peak - before };
}

/** Memory that grows with the stream's length: what the second half of the stream added. */
const LATE_GROWTH_LIMIT_BYTES = 8 * 1024 * 1024;

describe('memory per stream is bounded and the loop stays free (a real gateway process)', () => {
  it('a 150 MiB pass-through Chat stream', async () => {
    const run = await measured('/v1/chat/completions', { model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    expect(run.received).toBeGreaterThan(STREAM_BYTES);
    expect(run.ending.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(run.rise).toBeLessThan(RSS_LIMIT_BYTES);
    expect(run.lateGrowth).toBeLessThan(LATE_GROWTH_LIMIT_BYTES);
    expect(run.healthz.count).toBeGreaterThan(2);
    expect(run.healthz.max).toBeLessThan(HEALTHZ_LIMIT_MS);
  }, 120_000);

  it('a 150 MiB Ollama stream translated to Chat', async () => {
    const run = await measured('/v1/chat/completions', { model: 'o', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    expect(run.received).toBeGreaterThan(STREAM_BYTES / 2);
    expect(run.ending.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(run.ending).toContain('"finish_reason":"stop"');
    expect(run.rise).toBeLessThan(RSS_LIMIT_BYTES);
    expect(run.lateGrowth).toBeLessThan(LATE_GROWTH_LIMIT_BYTES);
    expect(run.healthz.max).toBeLessThan(HEALTHZ_LIMIT_MS);
  }, 120_000);

  it('a 150 MiB Chat stream translated to Responses ends at the output limit with response.failed', async () => {
    const run = await measured('/v1/responses', { model: 'm', stream: true, input: 'hi' });
    const last = JSON.parse(run.ending.trim().split('\n').at(-1)!.slice('data: '.length)) as { type: string; response: { status: string; error: { message: string } } };
    expect(last.type).toBe('response.failed');
    expect(last.response.error.message).toContain('server.stream_output_limit');
    expect(last.response.error.message).toContain('[output_too_large]');
    expect(run.rise).toBeLessThan(RSS_LIMIT_BYTES);
    // The output held grows with the stream up to the limit (what the limit is for): the rise is what is checked.

    expect(run.healthz.max).toBeLessThan(HEALTHZ_LIMIT_MS);
  }, 120_000);

  it('a Responses answer just under the output limit completes, its done item carrying the whole text', async () => {
    // 150 blocks of 256 events of 52 characters: 1.997 million characters of text, under the 2 MiB limit.
    const run = await measured('/v1/responses', { model: 'm', stream: true, input: 'hi' }, chatBlock(DELTA, 256).length * 150);
    expect(run.lastEvent).toBe('response.completed');
    // The output is repeated in the text's done events, the done item and response.completed.
    expect(run.received).toBeGreaterThan(4 * 150 * 256 * DELTA.length);
    expect(run.rise).toBeLessThan(RSS_LIMIT_BYTES);
    expect(run.healthz.max).toBeLessThan(HEALTHZ_LIMIT_MS);
  }, 120_000);
});
