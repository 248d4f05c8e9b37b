import { describe, expect, it } from 'vitest';
import { UsageSniffer } from '../../src/server/relay/usage-sniffer.js';
import { usageReaderFor } from '../../src/translators/usage-readers.js';

const chat = [
  'data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"}}],"usage":null}\n\n',
  'data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":null}\n\n',
  'data: {"id":"c","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":11,"completion_tokens":7,"total_tokens":18,"prompt_tokens_details":{"cached_tokens":4}}}\n\n',
  'data: [DONE]\n\n',
].join('');

const responses = [
  'event: response.created\ndata: {"type":"response.created","sequence_number":0,"response":{"id":"resp_1","status":"in_progress","usage":null}}\n\n',
  'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":1,"delta":"Hi"}\n\n',
  'event: response.completed\ndata: {"type":"response.completed","sequence_number":2,"response":{"id":"resp_1","status":"completed","usage":{"input_tokens":20,"output_tokens":5,"total_tokens":25,"input_tokens_details":{"cached_tokens":0},"output_tokens_details":{"reasoning_tokens":2}}}}\n\n',
].join('');

function sniff(format: 'openai-chat' | 'openai-responses', parts: Buffer[]): UsageSniffer {
  const sniffer = new UsageSniffer(usageReaderFor(format)!);
  for (const part of parts) sniffer.observe(part);
  return sniffer;
}

function splitsAt(text: string): Buffer[][] {
  const bytes = Buffer.from(text);
  const out: Buffer[][] = [];
  for (let i = 1; i < bytes.length; i++) out.push([bytes.subarray(0, i), bytes.subarray(i)]);
  return out;
}

describe('UsageSniffer on raw relayed bytes', () => {
  it('finds Chat usage wherever the stream is split (every byte offset, and byte by byte)', () => {
    const expected = { promptTokens: 11, completionTokens: 7, totalTokens: 18, cachedPromptTokens: 4 };
    for (const parts of splitsAt(chat)) expect(sniff('openai-chat', parts).usage).toEqual(expected);
    const bytes = Buffer.from(chat);
    expect(sniff('openai-chat', [...bytes].map((b) => Buffer.from([b]))).usage).toEqual(expected);
  });

  it('finds Responses usage in response.completed wherever the stream is split', () => {
    for (const parts of splitsAt(responses)) {
      expect(sniff('openai-responses', parts).usage).toEqual({ promptTokens: 20, completionTokens: 5, totalTokens: 25, cachedPromptTokens: 0, reasoningTokens: 2 });
    }
  });

  it('tells an error as the very first event from one later in the stream', () => {
    const first = sniff('openai-chat', [Buffer.from('data: {"error":{"message":"overloaded","code":"server_error"}}\n\n')]);
    expect(first.started).toBe(true);
    expect(first.errorFirst).toBe(true);
    expect(first.error).toEqual({ message: 'overloaded', code: 'server_error' });
    const later = chat.replace('data: [DONE]', 'data: {"error":{"message":"engine died"}}\n\ndata: [DONE]');
    for (const parts of splitsAt(later)) {
      const sniffer = sniff('openai-chat', parts);
      expect(sniffer.errorFirst).toBe(false);
      expect(sniffer.error?.message).toBe('engine died');
    }
  });

  it('strips exactly the usage-only Chat event from a read', () => {
    const strip = usageReaderFor('openai-chat')!.stripUsageEvents!;
    const parts = strip(Buffer.from(chat))!;
    const kept = Buffer.concat(parts).toString();
    expect(kept).not.toContain('"usage":{');
    expect(kept).toContain('"content":"Hi"');
    expect(kept.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(strip(Buffer.from('data: {"choices":[{"delta":{}}]}\n\n'))).toBeUndefined();
  });
});
