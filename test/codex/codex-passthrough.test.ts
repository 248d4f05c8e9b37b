/**
 * Codex CLI against streams that do not end the way they should: a
 * pass-through Responses stream cut off, stalled or truncated by the upstream,
 * and an answer ended early by a token ceiling (pass-through and translated).
 * Every Codex scenario runs at the pinned and at the newest Codex version;
 * every gateway checks the streams it sends (`validateStreams`) and the test
 * fails on any 'broke its protocol' warning in its log.
 *
 * The simulated upstream streams follow the Responses event shapes recorded
 * in test/fixtures/responses-upstream (see the facts and sources in its
 * README: OpenAI's `ResponseStreamEvent` union in the official SDK, the
 * Streaming API responses guide, recorded streams): `event:` lines repeating
 * the `type`, `sequence_number` from 0, the whole response object on the
 * lifecycle events, `content_part.added` before the first text delta, usage
 * with `input_tokens_details.cached_tokens` and
 * `output_tokens_details.reasoning_tokens`. The Chat Completions stream
 * follows vLLM's OpenAI-compatible server (role chunk, content deltas, a
 * finish chunk, a usage-only chunk, `[DONE]`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ProviderConfig } from '../../src/config/types.js';
import { SseParser } from '../../src/framing/index.js';
import type { RequestPolicy } from '../../src/pipeline/contracts.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { validateResponsesSse } from '../../src/translators/openai-responses/index.js';
import { config, model, provider, startTestGateway } from '../helpers/gateway.js';
import { tokenCeilingPolicy } from '../helpers/policies.js';
import { replyJson, startOpenAIUpstream } from '../simulators/openai-upstream.js';
import type { OpenAIUpstream, RecordedRequest } from '../simulators/openai-upstream.js';
import { CODEX_LATEST, CODEX_VERSION, codexExec, ensureCodex } from './codex-cli.js';
import type { CodexRun } from './codex-cli.js';

const MODEL = 'gpt-test';
const PROVIDER = 'openai';
const RESPONSE_ID = 'resp_upstream_1';
const ITEM_ID = 'msg_upstream_1';
const PROTOCOL_WARNING = 'the stream sent to the client broke its protocol';
const TEST_TIMEOUT_MS = 120_000;
/** The upstream goes quiet for longer than this in the idle scenario. */
const IDLE_MS = 300;

/** The start of the answer the broken upstreams send before they fail. */
const OPENING = ['The first ', 'part of ', 'the answer ', 'arrives'];
/** A long answer: a ceiling of 5 tokens cuts it after the first few words. */
const LONG_ANSWER = 'Alpha bravo charlie delta echo foxtrot golf hotel india juliett kilo lima mike november oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu.';
const LONG_WORDS = LONG_ANSWER.split(/(?<= )/);

/** What the gateway tells the client, per way of breaking (src/errors/gateway-error.ts). */
const INTERRUPTED = `The upstream provider '${PROVIDER}' broke off its reply midway`;
const TIMED_OUT = `The upstream provider '${PROVIDER}' did not answer in time (idle timeout after ${IDLE_MS} ms)`;
const TRUNCATED = `The upstream provider '${PROVIDER}' ended the stream before the response was complete (its final event never came)`;

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

// ---- the captured gateway log

interface LogEntry {
  readonly msg?: string;
  readonly path?: string;
  readonly violations?: string[];
  readonly [key: string]: unknown;
}

interface CapturedLog {
  readonly log: ReturnType<typeof createLogger>;
  readonly entries: LogEntry[];
  /** Resolves once `condition` holds over the entries (re-checked on every new line); rejects after `timeoutMs`. */
  until(condition: () => boolean, what: string, timeoutMs?: number): Promise<void>;
}

function captureLog(): CapturedLog {
  const entries: LogEntry[] = [];
  const waiters = new Set<() => void>();
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n')) if (line !== '') entries.push(JSON.parse(line) as LogEntry);
      for (const wake of waiters) wake();
      callback();
    },
  });
  return {
    log: createLogger({ level: 'info' }, sink),
    entries,
    until(condition, what, timeoutMs = 10_000) {
      return new Promise<void>((resolve, reject) => {
        const check = (): boolean => {
          if (!condition()) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`the gateway logged no ${what} within ${timeoutMs} ms`));
        }, timeoutMs);
        if (!check()) waiters.add(check);
      });
    },
  };
}

/**
 * Waits until the gateway finished `count` Responses requests (the access-log
 * line is written when the response closes, after the relay settled and ran
 * its stream check), then asserts that no stream broke its protocol.
 */
async function expectNoProtocolViolation(logs: CapturedLog, count = 1): Promise<void> {
  const served = (): LogEntry[] => logs.entries.filter((e) => e.msg === 'request' && e.path === '/v1/responses');
  await logs.until(() => served().length >= count, `access line for ${count} /v1/responses request(s)`);
  expect(served()).toHaveLength(count);
  const warnings = logs.entries.filter((e) => e.msg === PROTOCOL_WARNING);
  expect(warnings.map((w) => w.violations)).toEqual([]);
}

// ---- the simulated upstreams

const sse = (type: string, members: Record<string, unknown>): string => `event: ${type}\ndata: ${JSON.stringify({ type, ...members })}\n\n`;

function responseObject(status: string, output: unknown[], usage: unknown): Record<string, unknown> {
  return {
    id: RESPONSE_ID,
    object: 'response',
    created_at: 1_755_712_345,
    status,
    background: false,
    error: null,
    incomplete_details: null,
    instructions: null,
    max_output_tokens: null,
    model: 'gpt-4.1-mini-2025-04-14',
    output,
    parallel_tool_calls: true,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    service_tier: 'auto',
    store: false,
    temperature: 1,
    text: { format: { type: 'text' }, verbosity: 'medium' },
    tool_choice: 'auto',
    tools: [],
    top_p: 1,
    truncation: 'disabled',
    usage,
    user: null,
    metadata: {},
  };
}

/** `response.created` … `response.content_part.added`, then one text delta per entry of `deltas` (sequence numbers from 0). */
function openingFrames(deltas: readonly string[]): string[] {
  const ref = { item_id: ITEM_ID, output_index: 0, content_index: 0 };
  let seq = 0;
  const frames = [
    sse('response.created', { sequence_number: seq++, response: responseObject('in_progress', [], null) }),
    sse('response.in_progress', { sequence_number: seq++, response: responseObject('in_progress', [], null) }),
    sse('response.output_item.added', { sequence_number: seq++, output_index: 0, item: { id: ITEM_ID, type: 'message', status: 'in_progress', content: [], role: 'assistant' } }),
    sse('response.content_part.added', { sequence_number: seq++, ...ref, part: { type: 'output_text', annotations: [], logprobs: [], text: '' } }),
  ];
  for (const delta of deltas) frames.push(sse('response.output_text.delta', { sequence_number: seq++, ...ref, delta, logprobs: [] }));
  return frames;
}

/** A whole, well-formed Responses stream for `words`, ending with `response.completed` and usage. */
function completeFrames(words: readonly string[]): string[] {
  const frames = openingFrames(words);
  const text = words.join('');
  const ref = { item_id: ITEM_ID, output_index: 0, content_index: 0 };
  const part = { type: 'output_text', annotations: [], logprobs: [], text };
  const item = { id: ITEM_ID, type: 'message', status: 'completed', content: [part], role: 'assistant' };
  const usage = { input_tokens: 120, input_tokens_details: { cached_tokens: 0 }, output_tokens: 40, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 160 };
  let seq = frames.length;
  frames.push(
    sse('response.output_text.done', { sequence_number: seq++, ...ref, text, logprobs: [] }),
    sse('response.content_part.done', { sequence_number: seq++, ...ref, part }),
    sse('response.output_item.done', { sequence_number: seq++, output_index: 0, item }),
    sse('response.completed', { sequence_number: seq++, response: responseObject('completed', [item], usage) }),
  );
  return frames;
}

/** Writes the frames one by one; `then` runs once the last one has been handed to the socket. */
function writeFrames(res: ServerResponse, frames: readonly string[], then: () => void): void {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  frames.forEach((frame, i) => (i === frames.length - 1 ? res.write(frame, then) : res.write(frame)));
}

/** How the upstream's stream ends after the opening events. */
type Breakage = 'cut' | 'stall' | 'truncate';

const BREAKAGES: ReadonlyArray<{ readonly breakage: Breakage; readonly name: string; readonly message: string; readonly code: string }> = [
  { breakage: 'cut', name: 'connection destroyed', message: INTERRUPTED, code: 'upstream_interrupted' },
  { breakage: 'stall', name: 'upstream stalls (idle timeout)', message: TIMED_OUT, code: 'upstream_timeout' },
  { breakage: 'truncate', name: 'body ends, no terminal event', message: TRUNCATED, code: 'upstream_truncated' },
];

async function upstreamFor(handler: (req: RecordedRequest, res: ServerResponse) => void, expectedPath: string): Promise<OpenAIUpstream> {
  const upstream = await startOpenAIUpstream((req, res) => {
    if (req.method !== 'POST' || req.path !== expectedPath) {
      replyJson(res, 404, { error: { message: `Invalid URL (${req.method} ${req.path})`, type: 'invalid_request_error', param: null, code: null } });
      return;
    }
    handler(req, res);
  });
  cleanups.push(() => upstream.close());
  return upstream;
}

/** An OpenAI upstream answering `POST /v1/responses` with the opening of an answer, then breaking as told. */
function brokenResponsesUpstream(breakage: Breakage): Promise<OpenAIUpstream> {
  return upstreamFor((_req, res) => {
    writeFrames(res, openingFrames(OPENING), () => {
      if (breakage === 'cut') res.destroy();
      else if (breakage === 'truncate') res.end();
      // 'stall': nothing more, until the gateway gives up and aborts.
    });
  }, '/v1/responses');
}

/** An OpenAI upstream streaming the long answer as a complete Responses stream. */
function longResponsesUpstream(): Promise<OpenAIUpstream> {
  return upstreamFor((_req, res) => writeFrames(res, completeFrames(LONG_WORDS), () => res.end()), '/v1/responses');
}

function chatFrame(delta: Record<string, unknown>, finish: string | null = null): string {
  return `data: ${JSON.stringify({ id: 'chatcmpl-upstream-1', object: 'chat.completion.chunk', created: 1_755_712_345, model: MODEL, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })}\n\n`;
}

/** An OpenAI-compatible (vLLM-like) upstream streaming the long answer as Chat Completions chunks. */
function longChatUpstream(): Promise<OpenAIUpstream> {
  return upstreamFor((_req, res) => {
    const usage = { prompt_tokens: 120, completion_tokens: 40, total_tokens: 160 };
    writeFrames(
      res,
      [
        chatFrame({ role: 'assistant', content: '' }),
        ...LONG_WORDS.map((word) => chatFrame({ content: word })),
        chatFrame({}, 'stop'),
        `data: ${JSON.stringify({ id: 'chatcmpl-upstream-1', object: 'chat.completion.chunk', created: 1_755_712_345, model: MODEL, choices: [], usage })}\n\n`,
        'data: [DONE]\n\n',
      ],
      () => res.end(),
    );
  }, '/v1/chat/completions');
}

// ---- the gateway and its clients

interface Setup {
  readonly upstream: OpenAIUpstream;
  readonly gatewayUrl: string;
  readonly logs: CapturedLog;
}

async function gatewayFor(upstream: OpenAIUpstream, kind: 'openai' | 'openai-compatible', policies: readonly RequestPolicy[] = []): Promise<Setup> {
  const logs = captureLog();
  const upstreamProvider: ProviderConfig = provider({
    name: PROVIDER,
    kind,
    baseUrl: upstream.url,
    apiKey: 'sk-test',
    timeouts: { connectMs: 2_000, firstByteMs: 5_000, idleMs: IDLE_MS, totalMs: 60_000 },
  });
  const gateway = await startTestGateway(config([upstreamProvider], [model(MODEL, [`${PROVIDER}/${MODEL}`])]), { log: logs.log, validateStreams: true, policies });
  cleanups.push(() => gateway.close());
  return { upstream, gatewayUrl: gateway.url, logs };
}

interface StreamEvent {
  readonly type: string;
  readonly response?: { id?: string; status?: string; error?: { code?: string; message?: string } | null; incomplete_details?: { reason?: string } | null };
  readonly delta?: string;
}

/** A plain streaming Responses request; the body as received and its events. */
async function fetchResponses(gatewayUrl: string): Promise<{ status: number; text: string; events: StreamEvent[] }> {
  const response = await fetch(`${gatewayUrl}/v1/responses`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer tollgate-test-key' },
    body: JSON.stringify({ model: MODEL, input: 'Tell me the alphabet.', stream: true }),
  });
  const text = await response.text();
  const parser = new SseParser();
  const events = [...parser.push(text), ...parser.end()].map((e) => JSON.parse(e.data) as StreamEvent);
  return { status: response.status, text, events };
}

const textOf = (events: readonly StreamEvent[]): string => events.filter((e) => e.type === 'response.output_text.delta').map((e) => e.delta ?? '').join('');

function workdir(): string {
  const dir = mkdtempSync(join(new URL('../../.cache', import.meta.url).pathname, 'codex-work-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function runCodex(version: string, gatewayUrl: string): Promise<CodexRun> {
  return codexExec({ version, baseUrl: gatewayUrl, model: MODEL, prompt: 'Tell me the alphabet.', cwd: workdir(), timeoutMs: 100_000 });
}

/** The first words of the long answer, which must reach the client, and its last ones, which must not. */
const FIRST_WORDS = LONG_WORDS.slice(0, 2).join('');
const LAST_WORDS = LONG_WORDS.slice(-3).join('');

// ---- the bytes a client receives (independent of the Codex version)

describe('a broken or capped stream, read by a plain client', () => {
  it('the stream check is live: a pass-through stream that breaks the protocol is reported in the captured log', async () => {
    // The control for every "no violation" assertion below: a delta for an item never added.
    const ghost = sse('response.output_text.delta', { sequence_number: 5, item_id: 'msg_ghost', output_index: 1, content_index: 0, delta: 'boo', logprobs: [] });
    const upstream = await upstreamFor((_req, res) => writeFrames(res, [...openingFrames(['ok']), ghost], () => res.end()), '/v1/responses');
    const { gatewayUrl, logs } = await gatewayFor(upstream, 'openai');
    await fetchResponses(gatewayUrl);
    await logs.until(() => logs.entries.some((e) => e.msg === PROTOCOL_WARNING), 'protocol warning');
    expect(logs.entries.find((e) => e.msg === PROTOCOL_WARNING)?.violations?.join('\n')).toMatch(/msg_ghost|output_index 1/);
  }, TEST_TIMEOUT_MS);

  it.each(BREAKAGES)('pass-through: $name → one response.failed continuing the upstream response', async ({ breakage, message, code }) => {
    const { upstream, gatewayUrl, logs } = await gatewayFor(await brokenResponsesUpstream(breakage), 'openai');
    const { status, text, events } = await fetchResponses(gatewayUrl);
    expect(status).toBe(200);
    expect(validateResponsesSse(text), text).toEqual([]);
    expect(events.filter((e) => e.type === 'response.created')).toHaveLength(1);
    // Everything the upstream said reached the client, then the gateway's terminal event.
    expect(textOf(events)).toBe(OPENING.join(''));
    const last = events.at(-1);
    expect(last?.type).toBe('response.failed');
    expect(last?.response?.id).toBe(RESPONSE_ID);
    expect(last?.response?.error?.code).toBe('invalid_prompt');
    expect(last?.response?.error?.message).toContain(message);
    expect(last?.response?.error?.message).toContain(`[${code}]`);
    expect(upstream.requests).toHaveLength(1);
    expect(upstream.requests[0]?.headers.authorization).toBe('Bearer sk-test');
    if (breakage === 'stall') await upstream.waitForAbort(5_000);
    await expectNoProtocolViolation(logs);
  }, TEST_TIMEOUT_MS);

  it.each([
    { name: 'pass-through', kind: 'openai' as const, start: longResponsesUpstream },
    { name: 'translated from Chat', kind: 'openai-compatible' as const, start: longChatUpstream },
  ])('$name: a token ceiling ends the answer with response.incomplete (max_output_tokens)', async ({ kind, start }) => {
    const ceiling = tokenCeilingPolicy(5);
    const { upstream, gatewayUrl, logs } = await gatewayFor(await start(), kind, [ceiling]);
    const { status, text, events } = await fetchResponses(gatewayUrl);
    expect(status).toBe(200);
    expect(validateResponsesSse(text), text).toEqual([]);
    expect(events.filter((e) => e.type === 'response.created')).toHaveLength(1);
    const last = events.at(-1);
    expect(last?.type).toBe('response.incomplete');
    expect(last?.response?.incomplete_details?.reason).toBe('max_output_tokens');
    if (kind === 'openai') expect(last?.response?.id).toBe(RESPONSE_ID);
    const answer = textOf(events);
    expect(answer.startsWith(FIRST_WORDS)).toBe(true);
    expect(answer).not.toContain(LAST_WORDS);
    expect(ceiling.verdicts).toHaveLength(1);
    expect(upstream.requests).toHaveLength(1);
    await expectNoProtocolViolation(logs);
  }, TEST_TIMEOUT_MS);
});

// ---- Codex CLI, at the pinned and the newest version

describe.each([CODEX_VERSION, CODEX_LATEST])('Codex CLI %s through Tollgate', (version) => {
  beforeAll(async () => {
    await ensureCodex(version);
  }, 600_000);

  it.each(BREAKAGES)('pass-through: $name → Codex shows the gateway message after one request, without reconnecting', async ({ breakage, message, code }) => {
    const { upstream, gatewayUrl, logs } = await gatewayFor(await brokenResponsesUpstream(breakage), 'openai');
    const run = await runCodex(version, gatewayUrl);
    expect(run.code, run.stderr).not.toBe(0);
    expect(run.stderr).toContain(message);
    expect(run.stderr).toContain(`[${code}]`);
    expect(`${run.stdout}\n${run.stderr}`).not.toMatch(/Reconnecting/);
    expect(upstream.requests).toHaveLength(1);
    await expectNoProtocolViolation(logs);
  }, TEST_TIMEOUT_MS);

  it.each([
    { name: 'pass-through', kind: 'openai' as const, start: longResponsesUpstream },
    { name: 'translated from Chat', kind: 'openai-compatible' as const, start: longChatUpstream },
  ])('$name: a token ceiling ends the answer; Codex shows the partial text, counts usage and does not retry', async ({ kind, start }) => {
    const ceiling = tokenCeilingPolicy(5);
    const { upstream, gatewayUrl, logs } = await gatewayFor(await start(), kind, [ceiling]);
    const run = await runCodex(version, gatewayUrl);
    expect(upstream.requests).toHaveLength(1);
    expect(ceiling.verdicts).toHaveLength(1);
    expect(`${run.stdout}\n${run.stderr}`).not.toMatch(/Reconnecting/);
    // The partial answer is shown in the transcript (the message item the gateway closed), never the rest of it.
    const shown = /^codex\n([^\n]*)\n/m.exec(run.stderr)?.[1] ?? '';
    expect(shown.startsWith(FIRST_WORDS.trim()), run.stderr).toBe(true);
    expect(`${run.stdout}\n${run.stderr}`).not.toContain(LAST_WORDS);
    expect(run.stderr).toMatch(/^tokens used\n[\d,]+$/m);
    // Observed at 0.169.0 and 0.171.0, and not the "graceful end" the Codex PROTOCOL notes describe
    // (codex/PROTOCOL.md): no retry and the partial text is shown, but Codex reports `response.incomplete`
    // (max_output_tokens) as a failed turn, so `codex exec` prints an ERROR, exits 1 and has no final message on stdout.
    expect(run.stderr).toContain('ERROR: Incomplete response returned, reason: max_output_tokens');
    expect(run.code).toBe(1);
    expect(run.stdout.trim()).toBe('');
    await expectNoProtocolViolation(logs);
  }, TEST_TIMEOUT_MS);
});
