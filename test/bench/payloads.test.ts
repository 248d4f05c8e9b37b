import { describe, expect, it } from 'vitest';
import { chatJson, chatSse, fullText, ollamaJson, ollamaNdjson, responsesJson, responsesSse } from '../../bench/payloads.mjs';
import type { IRChunk, IRUsage, WireFormat } from '../../src/ir/index.js';
import { validateResponsesSse } from '../../src/translators/openai-responses/index.js';
import { upstreamCodecFor } from '../../src/translators/registry.js';

/** Decodes a benchmark reply with the gateway's own upstream decoder, one network read per event (as a paced stream arrives). */
function decode(format: WireFormat, events: readonly Buffer[]): IRChunk[] {
  const codec = upstreamCodecFor(format);
  if (!codec) throw new Error(`no upstream codec for ${format}`);
  const decoder = codec.createStreamDecoder();
  const chunks = events.flatMap((event) => decoder.push(event));
  chunks.push(...decoder.end());
  return chunks;
}

function summary(chunks: readonly IRChunk[]): { text: string; usage: IRUsage | undefined; finish: string | undefined; errors: string[] } {
  let text = '';
  let usage: IRUsage | undefined;
  let finish: string | undefined;
  const errors: string[] = [];
  for (const chunk of chunks) {
    if (chunk.type === 'text') text += chunk.delta;
    else if (chunk.type === 'usage') usage = chunk.usage;
    else if (chunk.type === 'finish') finish = chunk.reason;
    else if (chunk.type === 'error') errors.push(`${chunk.code}: ${chunk.message}`);
  }
  return { text, usage, finish, errors };
}

// The benchmark is only as true as its upstream: the gateway's decoders, which are tested
// against recorded-style fixtures, must read the benchmark's replies as complete answers.
describe('benchmark upstream replies', () => {
  for (const n of [1, 50, 500]) {
    it(`Chat SSE with ${n} events decodes to the whole text, a stop and the usage`, () => {
      const events = chatSse(n);
      expect(events).toHaveLength(n + 4);
      const result = summary(decode('openai-chat', events));
      expect(result).toMatchObject({ text: fullText(n), finish: 'stop', errors: [] });
      expect(result.usage).toMatchObject({ promptTokens: 27, completionTokens: n, totalTokens: 27 + n });
    });

    it(`Responses SSE with ${n} deltas decodes to the whole text and the usage, and passes the stream validator`, () => {
      const events = responsesSse(n);
      const result = summary(decode('openai-responses', events));
      expect(result).toMatchObject({ text: fullText(n), finish: 'stop', errors: [] });
      expect(result.usage).toMatchObject({ promptTokens: 27, completionTokens: n, totalTokens: 27 + n });
      expect(validateResponsesSse(Buffer.concat(events).toString('utf8'))).toEqual([]);
    });

    it(`Ollama NDJSON with ${n} lines decodes to the whole text and the token counts`, () => {
      const result = summary(decode('ollama-chat', ollamaNdjson(n)));
      expect(result).toMatchObject({ text: fullText(n), finish: 'stop', errors: [] });
      expect(result.usage).toMatchObject({ promptTokens: 27, completionTokens: n, totalTokens: 27 + n });
    });
  }

  it('non-streamed replies carry the whole text and the usage', () => {
    const chat = JSON.parse(Buffer.concat(chatJson(50)).toString('utf8')) as { choices: { message: { content: string } }[]; usage: { completion_tokens: number } };
    expect(chat.choices[0]?.message.content).toBe(fullText(50));
    expect(chat.usage.completion_tokens).toBe(50);
    const responses = JSON.parse(Buffer.concat(responsesJson(50)).toString('utf8')) as { status: string; usage: { output_tokens: number } };
    expect(responses).toMatchObject({ status: 'completed', usage: { output_tokens: 50 } });
    const ollama = JSON.parse(Buffer.concat(ollamaJson(50)).toString('utf8')) as { done: boolean; message: { content: string }; eval_count: number };
    expect(ollama).toMatchObject({ done: true, message: { content: fullText(50) }, eval_count: 50 });
  });
});
