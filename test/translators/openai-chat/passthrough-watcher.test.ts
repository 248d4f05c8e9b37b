import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SseParser, sseData } from '../../../src/framing/index.js';
import type { SseEvent } from '../../../src/framing/index.js';
import type { IRChunk, IRUsage } from '../../../src/ir/index.js';
import { ChatPassthroughWatcher, chatClientCodec } from '../../../src/translators/openai-chat/index.js';
import { FIXTURES, expectedIR, fixtureBytes } from './fixtures.js';
import type { FixtureName } from './fixtures.js';

/**
 * The watcher ends a relayed Chat Completions stream wherever it is cut:
 * every prefix of every recorded upstream stream, ended by `earlyEnd()` or
 * `failure()`, is read by the official SDK over a real socket.
 */

type Obj = Record<string, unknown>;

const USAGE: IRUsage = { promptTokens: 12, completionTokens: 7, totalTokens: 19 };

function frame(text: string | Uint8Array): SseEvent[] {
  const parser = new SseParser();
  return [...parser.push(text), ...parser.end()];
}

/** The events the upstream sent before `[DONE]` or its error event (all of them for a stream cut short). */
function upstreamEvents(name: FixtureName): { events: SseEvent[]; cut: number } {
  const events = frame(fixtureBytes(name));
  const cut = events.findIndex((e) => e.data === '[DONE]' || 'error' in (JSON.parse(e.data) as Obj));
  return { events, cut: cut < 0 ? events.length : cut };
}

function watchPrefix(events: readonly SseEvent[], k: number, includeUsage: boolean): { prefix: string; watcher: ChatPassthroughWatcher; chunks: IRChunk[] } {
  const watcher = new ChatPassthroughWatcher({ requestedModel: 'client-model', includeUsage });
  let prefix = '';
  const chunks: IRChunk[] = [];
  for (const event of events.slice(0, k)) {
    prefix += sseData(event.data, event.event);
    chunks.push(...watcher.event(event));
  }
  return { prefix, watcher, chunks };
}

/** What the relayed chunks say, read from the wire (not from the watcher). */
function relayed(events: readonly SseEvent[]): { content: string; finish: string | undefined; usage: Obj | undefined } {
  let content = '';
  let finish: string | undefined;
  let usage: Obj | undefined;
  for (const event of events) {
    if (event.data === '[DONE]') continue;
    const chunk = JSON.parse(event.data) as { choices?: { delta?: { content?: string | null }; finish_reason?: string | null }[]; usage?: Obj | null };
    const choice = chunk.choices?.[0];
    content += choice?.delta?.content ?? '';
    if (typeof choice?.finish_reason === 'string') finish = choice.finish_reason;
    if (chunk.usage) usage = chunk.usage;
  }
  return { content, finish, usage };
}

function summarize(chunks: readonly IRChunk[]): { text: string; reasoning: string; calls: Record<number, string>; finish?: string; usage?: IRUsage; error?: string } {
  const out: ReturnType<typeof summarize> = { text: '', reasoning: '', calls: {} };
  for (const c of chunks) {
    if (c.type === 'text') out.text += c.delta;
    else if (c.type === 'reasoning') out.reasoning += c.delta;
    else if (c.type === 'tool_call') out.calls[c.index] = (out.calls[c.index] ?? `${c.id ?? ''} ${c.name ?? ''} `) + c.argumentsDelta;
    else if (c.type === 'finish') out.finish = c.reason;
    else if (c.type === 'usage') out.usage = c.usage;
    else if (c.type === 'error') out.error = c.code;
  }
  return out;
}

// ---- a loopback server the official SDK reads from

let server: Server;
let client: OpenAI;
let body = '';

beforeAll(async () => {
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
    const cut = Math.floor(body.length / 2);
    res.write(body.slice(0, cut));
    res.end(body.slice(cut));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'test-key', maxRetries: 0 });
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function sdkStream(text: string, includeUsage: boolean): ReturnType<OpenAI['chat']['completions']['stream']> {
  body = text;
  return client.chat.completions.stream({
    model: 'client-model',
    messages: [{ role: 'user', content: 'x' }],
    ...(includeUsage ? { stream_options: { include_usage: true } } : {}),
  });
}

describe('ChatPassthroughWatcher, every prefix of every fixture', () => {
  for (const name of FIXTURES) {
    for (const includeUsage of [true, false]) {
      it(`${name}${includeUsage ? ', include_usage' : ''}: earlyEnd() gives the SDK a finished response`, async () => {
        const { events, cut } = upstreamEvents(name);
        for (let k = 1; k <= cut; k++) {
          const where = `${name}, cut after event ${k}`;
          const { prefix, watcher } = watchPrefix(events, k, includeUsage);
          const ending = watcher.earlyEnd('length', USAGE);
          expect(ending.endsWith('data: [DONE]\n\n'), where).toBe(true);
          const seen = relayed(events.slice(0, k));
          const added = frame(ending).filter((e) => e.data !== '[DONE]');
          const first = JSON.parse(events[0]?.data ?? '{}') as Obj;
          for (const e of added) expect(JSON.parse(e.data), where).toMatchObject({ id: first['id'], created: first['created'], model: first['model'] });
          const final = await sdkStream(prefix + ending, includeUsage).finalChatCompletion();
          const choice = final.choices[0];
          expect(choice?.finish_reason, where).toBe(seen.finish ?? 'length');
          expect(choice?.message.content ?? '', where).toBe(seen.content);
          if (includeUsage) expect(final.usage, where).toEqual(seen.usage ?? { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 });
          else expect(ending.includes('usage'), where).toBe(false);
          expect(watcher.earlyEnd('length', USAGE) + watcher.failure('x', 'y'), where).toBe('');
        }
      });
    }

    it(`${name}: failure() is the error the SDK raises`, async () => {
      const { events, cut } = upstreamEvents(name);
      for (let k = 1; k <= cut; k++) {
        const where = `${name}, cut after event ${k}`;
        const { prefix, watcher } = watchPrefix(events, k, true);
        const ending = watcher.failure('upstream_truncated', 'the upstream stream ended before the response was complete');
        expect(ending, where).toBe(
          'data: {"error":{"message":"the upstream stream ended before the response was complete","type":"upstream_error","param":null,"code":"upstream_truncated"}}\n\ndata: [DONE]\n\n',
        );
        await expect(sdkStream(prefix + ending, true).finalChatCompletion(), where).rejects.toMatchObject({
          code: 'upstream_truncated',
          type: 'upstream_error',
          message: expect.stringContaining('the upstream stream ended before the response was complete') as unknown,
        });
      }
    });

    it(`${name}: event() carries what the decoder reads from the same stream`, () => {
      const watcher = new ChatPassthroughWatcher({ requestedModel: 'm', includeUsage: true });
      const chunks = frame(fixtureBytes(name)).flatMap((e) => watcher.event(e));
      const expected = summarize(expectedIR(name).filter((c) => !(c.type === 'error' && c.code === 'upstream_truncated')));
      const got = summarize(chunks);
      if (name === 'llamacpp-think-tags') {
        // Content goes out raw, `<think>` tags included: the decoder's reasoning and text are both inside it.
        expect(got.text).toBe(relayed(frame(fixtureBytes(name))).content);
        expect(got.text).toContain(expected.reasoning);
        expect(got.text.endsWith(expected.text)).toBe(true);
        expect({ ...got, text: '', reasoning: '' }).toEqual({ ...expected, text: '', reasoning: '' });
      } else {
        expect(got).toEqual(expected);
      }
    });
  }
});

describe('ChatPassthroughWatcher', () => {
  it('writes only [DONE] after the upstream error event, and nothing after [DONE]', () => {
    const events = frame(fixtureBytes('vllm-midstream-error'));
    const { watcher, chunks } = watchPrefix(events, events.length - 1, false);
    expect(chunks.at(-1)).toEqual({ type: 'error', code: 'upstream_error', message: expect.stringContaining('EngineCore') as unknown });
    expect(watcher.failure('upstream_error', 'x')).toBe('data: [DONE]\n\n');
    const done = watchPrefix(events, events.length, false).watcher;
    expect(done.failure('x', 'y') + done.earlyEnd('length', USAGE)).toBe('');
  });

  it('ends a response the client never saw with a whole one: role, finish, usage, [DONE]', async () => {
    const watcher = new ChatPassthroughWatcher({ requestedModel: 'asked-for', includeUsage: true }, { now: () => 1_700_000_000_000 });
    const ending = watcher.earlyEnd('length', undefined);
    const chunks = frame(ending).map((e) => (e.data === '[DONE]' ? e.data : (JSON.parse(e.data) as Obj)));
    expect(chunks).toHaveLength(4);
    expect(chunks[0]).toMatchObject({ object: 'chat.completion.chunk', created: 1_700_000_000, model: 'asked-for', choices: [{ delta: { role: 'assistant', content: '' } }], usage: null });
    expect((chunks[0] as Obj)['id']).toMatch(/^chatcmpl-/);
    expect(chunks[1]).toMatchObject({ id: (chunks[0] as Obj)['id'], choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'length' }] });
    expect(chunks[2]).toMatchObject({ choices: [], usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 } });
    const final = await sdkStream(ending, true).finalChatCompletion();
    expect(final.model).toBe('asked-for');
    expect(final.choices[0]?.finish_reason).toBe('length');
  });

  it('keeps the system_fingerprint and reports usage riding on the finish chunk once', () => {
    const events = frame(fixtureBytes('llamacpp-think-tags'));
    const { watcher, chunks } = watchPrefix(events, events.length - 1, true);
    expect(chunks.filter((c) => c.type === 'usage')).toEqual([{ type: 'usage', usage: { promptTokens: 17, completionTokens: 41, totalTokens: 58 } }]);
    // The finish chunk carried the final usage: nothing is added but [DONE].
    expect(watcher.earlyEnd('length', USAGE)).toBe('data: [DONE]\n\n');
    const cut = watchPrefix(events, 3, false).watcher.earlyEnd('length', USAGE);
    expect(JSON.parse(frame(cut)[0]?.data ?? '{}')).toMatchObject({ system_fingerprint: 'b6097-9515c613', model: 'DeepSeek-R1-0528-Qwen3-8B-Q4_K_M.gguf' });
  });

  it('returns [] for data that is not a chunk, and never throws', () => {
    const watcher = new ChatPassthroughWatcher({ requestedModel: 'm', includeUsage: true });
    for (const data of ['not json', '[1]', 'null', '"x"', '{}', '{"choices":"no"}', '{"choices":[null,{"index":0,"delta":"x"}]}', '{"choices":[{"delta":{"tool_calls":[1,{"index":-1}]}}]}']) {
      expect(watcher.event({ event: undefined, data, id: undefined }), data).toEqual([]);
    }
    expect(watcher.event({ event: undefined, data: '{"error":"overloaded"}', id: undefined })).toEqual([{ type: 'error', message: 'overloaded', code: 'upstream_error' }]);
  });

  it('is what the Chat client codec creates', () => {
    expect(chatClientCodec.createPassthroughWatcher({ requestedModel: 'm', includeUsage: false })).toBeInstanceOf(ChatPassthroughWatcher);
  });
});
