/**
 * A policy's stream hook ends responses at N output tokens on all four
 * relays (translated and passed through, streamed and not). What the client
 * receives is a well-formed response ended at its ceiling — Chat
 * `finish_reason: "length"` (read by the official SDK), Responses
 * `response.incomplete` with reason `max_output_tokens` (checked by the
 * validator and read by the SDK) — and the upstream stops generating.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelConfig } from '../../src/config/types.js';
import type { Gateway } from '../../src/gateway.js';
import { startMockUpstream } from '../../src/providers/mock/simulator.js';
import type { MockUpstream } from '../../src/providers/mock/simulator.js';
import { validateResponsesSse } from '../../src/translators/openai-responses/index.js';
import { config, provider, startTestGateway } from '../helpers/gateway.js';
import { countingObserver, tokenCeilingPolicy } from '../helpers/policies.js';

const CEILING = 8;
/** 300 words at 100 a second: the ceiling is reached long before the upstream would finish. */
const LONG = 'tell me everything [mock:words=300] [mock:tps=100]';

function route(name: string, api?: 'chat' | 'responses'): ModelConfig {
  return { name, aliases: [], balancing: 'weighted', route: [{ provider: 'up', model: 'm', weight: 1, priority: 1, ...(api === undefined ? {} : { api }) }] };
}

let upstream: MockUpstream;
let gateway: Gateway;
let client: OpenAI;
const observer = countingObserver();
const policy = tokenCeilingPolicy(CEILING);

beforeAll(async () => {
  upstream = await startMockUpstream({ latencyMs: 0, tokensPerSecond: 0, scripts: {} });
  gateway = await startTestGateway(
    config([provider({ name: 'up', kind: 'openai', baseUrl: upstream.url, apiKey: 'sk-test' })], [route('pt'), route('tr-to-chat', 'chat'), route('tr-to-responses', 'responses')]),
    { policies: [policy], observers: [observer], validateStreams: true },
  );
  client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});

afterAll(async () => {
  await gateway.close();
  await upstream.close();
});

/** Waits until the upstream has seen `count` abandoned responses: the gateway stopped it. */
async function upstreamAborted(count: number): Promise<void> {
  const end = Date.now() + 3_000;
  while (upstream.stats.aborted < count) {
    if (Date.now() > end) throw new Error(`the upstream was not aborted (aborted: ${upstream.stats.aborted})`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function wordCount(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

/** The outcome of the last call, once settled. */
async function lastOutcome(id: string) {
  const end = Date.now() + 3_000;
  while (!observer.ends.has(id)) {
    if (Date.now() > end) throw new Error('the call was not settled');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return observer.ends.get(id)![0]!;
}

describe.each([
  { path: 'passthrough', chatModel: 'pt', responsesModel: 'pt' },
  { path: 'translated', chatModel: 'tr-to-responses', responsesModel: 'tr-to-chat' },
])('a stream hook ends the answer at $path', ({ chatModel, responsesModel }) => {
  it('Chat, streamed (with usage asked for): finish_reason length, then the usage chunk, then [DONE]', async () => {
    const aborted = upstream.stats.aborted;
    const id = `hook-chat-stream-${chatModel}`;
    const stream = await client.chat.completions.create(
      { model: chatModel, stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: LONG }] },
      { headers: { 'x-request-id': id } },
    );
    let text = '';
    let finish: string | null | undefined;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      if (choice?.delta.content) text += choice.delta.content;
      if (choice?.finish_reason) finish = choice.finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(finish).toBe('length');
    expect(wordCount(text)).toBeGreaterThan(0);
    expect(wordCount(text)).toBeLessThan(30);
    // The hook counts delta by delta; the usage counts the whole text, which can merge a token across two deltas.
    expect(usage?.completion_tokens).toBeGreaterThanOrEqual(CEILING - 1);
    await upstreamAborted(aborted + 1);
    const outcome = await lastOutcome(id);
    expect(outcome.status).toBe('ok');
    expect(outcome.endedEarly).toBe('length');
    expect(outcome.usageEstimated).toBe(true);
    // The ledger books what the client was told.
    expect(outcome.usage?.completionTokens).toBe(usage?.completion_tokens);
    expect(outcome.usage?.promptTokens).toBe(usage?.prompt_tokens);
  });

  it('Chat, not streamed: a whole completion with finish_reason length', async () => {
    const aborted = upstream.stats.aborted;
    const id = `hook-chat-json-${chatModel}`;
    const completion = await client.chat.completions.create({ model: chatModel, messages: [{ role: 'user', content: LONG }] }, { headers: { 'x-request-id': id } });
    expect(completion.choices[0]?.finish_reason).toBe('length');
    const text = completion.choices[0]?.message.content ?? '';
    expect(wordCount(text)).toBeGreaterThan(0);
    expect(wordCount(text)).toBeLessThan(30);
    expect(completion.usage?.completion_tokens).toBeGreaterThanOrEqual(CEILING - 1);
    await upstreamAborted(aborted + 1);
    expect((await lastOutcome(id)).endedEarly).toBe('length');
  });

  it('Responses, streamed: response.incomplete (max_output_tokens) that passes the validator and the SDK', async () => {
    const aborted = upstream.stats.aborted;
    const id = `hook-responses-stream-${responsesModel}`;
    const response = await fetch(`${gateway.url}/v1/responses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': id },
      body: JSON.stringify({ model: responsesModel, stream: true, input: LONG }),
    });
    const body = await response.text();
    expect(validateResponsesSse(body)).toEqual([]);
    const types = [...body.matchAll(/^event: (\S+)$/gm)].map((m) => m[1]);
    expect(types.filter((t) => t === 'response.created')).toHaveLength(1);
    expect(types.at(-1)).toBe('response.incomplete');
    const last = JSON.parse(body.trim().split('\n').at(-1)!.slice('data: '.length)) as { response: { incomplete_details: { reason: string }; output: Array<{ content?: Array<{ text: string }> }> } };
    expect(last.response.incomplete_details.reason).toBe('max_output_tokens');
    const text = last.response.output.flatMap((item) => item.content ?? []).map((part) => part.text).join('');
    expect(wordCount(text)).toBeGreaterThan(0);
    expect(wordCount(text)).toBeLessThan(30);
    await upstreamAborted(aborted + 1);
    expect((await lastOutcome(id)).endedEarly).toBe('length');

    // The official SDK reads the same kind of stream to its end.
    const sdkStream = client.responses.stream({ model: responsesModel, input: LONG });
    const final = await sdkStream.finalResponse();
    expect(final.status).toBe('incomplete');
    expect(final.incomplete_details?.reason).toBe('max_output_tokens');
    expect(wordCount(final.output_text)).toBeLessThan(30);
  });

  it('Responses, not streamed: an incomplete response', async () => {
    const aborted = upstream.stats.aborted;
    const id = `hook-responses-json-${responsesModel}`;
    const response = await client.responses.create({ model: responsesModel, input: LONG }, { headers: { 'x-request-id': id } });
    expect(response.status).toBe('incomplete');
    expect(response.incomplete_details?.reason).toBe('max_output_tokens');
    expect(wordCount(response.output_text)).toBeGreaterThan(0);
    expect(wordCount(response.output_text)).toBeLessThan(30);
    await upstreamAborted(aborted + 1);
    expect((await lastOutcome(id)).endedEarly).toBe('length');
  });
});

describe('a call no hook watches', () => {
  it('is relayed in full', async () => {
    const unwatched = await startTestGateway(config([provider({ name: 'up', kind: 'openai', baseUrl: upstream.url, apiKey: 'sk-test' })], [route('pt')]));
    try {
      const sdk = new OpenAI({ baseURL: `${unwatched.url}/v1`, apiKey: 'unused', maxRetries: 0 });
      const completion = await sdk.chat.completions.create({ model: 'pt', messages: [{ role: 'user', content: 'short [mock:words=40]' }] });
      expect(completion.choices[0]?.finish_reason).toBe('stop');
      expect(wordCount(completion.choices[0]?.message.content ?? '')).toBe(40);
    } finally {
      await unwatched.close();
    }
  });
});
