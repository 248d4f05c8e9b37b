import { describe, expect, it } from 'vitest';
import { ChunkLog } from '../../src/pipeline/relay/chunk-log.js';
import { UsageSniffer } from '../../src/pipeline/relay/usage-sniffer.js';
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

/** Feeds the reads as the pass-through relay does: every read logged, the peek until the first event is whole. */
function sniff(format: 'openai-chat' | 'openai-responses', parts: Buffer[]): UsageSniffer {
  const log = new ChunkLog();
  const sniffer = new UsageSniffer(usageReaderFor(format)!, log);
  for (const part of parts) {
    log.add(part);
    if (!sniffer.started) sniffer.peek(part);
  }
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
    for (const parts of splitsAt(chat)) expect(sniff('openai-chat', parts).ending().usage).toEqual(expected);
    const bytes = Buffer.from(chat);
    expect(sniff('openai-chat', [...bytes].map((b) => Buffer.from([b]))).ending().usage).toEqual(expected);
  });

  it('finds Responses usage in response.completed wherever the stream is split', () => {
    for (const parts of splitsAt(responses)) {
      expect(sniff('openai-responses', parts).ending().usage).toEqual({ promptTokens: 20, completionTokens: 5, totalTokens: 25, cachedPromptTokens: 0, reasoningTokens: 2 });
    }
  });

  it('tells an error as the very first event from one later in the stream', () => {
    const first = sniff('openai-chat', [Buffer.from('data: {"error":{"message":"overloaded","code":"server_error"}}\n\n')]);
    expect(first.started).toBe(true);
    expect(first.firstError).toEqual({ message: 'overloaded', code: 'server_error' });
    expect(first.ending().error).toEqual({ message: 'overloaded', code: 'server_error' });
    const later = chat.replace('data: [DONE]', 'data: {"error":{"message":"engine died"}}\n\ndata: [DONE]');
    for (const parts of splitsAt(later)) {
      const sniffer = sniff('openai-chat', parts);
      expect(sniffer.firstError).toBeUndefined();
      expect(sniffer.ending().error?.message).toBe('engine died');
      expect(sniffer.ending().usage?.promptTokens).toBe(11);
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

  it('reads the final events of CRLF streams and of streams with comments and trailing blank lines', () => {
    const crlf = chat.replaceAll('\n', '\r\n');
    for (const parts of splitsAt(crlf).filter((_, i) => i % 7 === 0)) expect(sniff('openai-chat', parts).ending().usage?.promptTokens).toBe(11);
    const noisy = responses + ': keep-alive\n\n\n\n';
    const ending = sniff('openai-responses', [Buffer.from(noisy)]).ending();
    expect(ending.sawTerminal).toBe(true);
    expect(ending.usage?.reasoningTokens).toBe(2);
  });

  it('reads a final event far longer than the first search window, split over many reads', () => {
    const text = 'x'.repeat(300_000);
    const big = responses.replace('"status":"completed",', `"status":"completed","output":[{"type":"message","content":[{"type":"output_text","text":"${text}"}]}],`);
    const bytes = Buffer.from(big);
    const reads: Buffer[] = [];
    for (let at = 0; at < bytes.length; at += 7_919) reads.push(bytes.subarray(at, at + 7_919));
    const ending = sniff('openai-responses', reads).ending();
    expect(ending.sawTerminal).toBe(true);
    expect(ending.error).toBeUndefined();
    expect(ending.usage?.promptTokens).toBe(20);
  });

  it('reads a final event longer than the tail the log keeps, from the kept start of its line and its end', () => {
    const text = 'x'.repeat(2_000_000);
    const big = responses.replace('"status":"completed",', `"status":"completed","output":[{"type":"message","content":[{"type":"output_text","text":"${text}"}]}],`);
    const bytes = Buffer.from(big);
    const reads: Buffer[] = [];
    for (let at = 0; at < bytes.length; at += 65_536) reads.push(bytes.subarray(at, at + 65_536));
    const sniffer = sniff('openai-responses', reads);
    const ending = sniffer.ending();
    expect(ending.sawTerminal).toBe(true);
    expect(ending.usage?.promptTokens).toBe(20);
    // A stream cut in a long text delta, before its terminal event.
    const beforeIt = sniff('openai-responses', [Buffer.from(responses.slice(0, responses.indexOf('event: response.completed')) + 'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","delta":"' + text)]).ending();
    expect(beforeIt.sawTerminal).toBe(false);
  });

  it('takes a Chat finish_reason as the end when [DONE] is missing, even before the usage chunk, and adds the [DONE]', () => {
    const noDone = chat.replace('data: [DONE]\n\n', '');
    const ending = sniff('openai-chat', [Buffer.from(noDone)]).ending();
    expect(ending).toMatchObject({ sawTerminal: true, error: undefined, missingClose: 'data: [DONE]\n\n' });
    expect(ending.usage?.promptTokens).toBe(11);
    const noFinish = noDone.replace('"finish_reason":"stop"', '"finish_reason":null');
    expect(sniff('openai-chat', [Buffer.from(noFinish)]).ending().sawTerminal).toBe(false);
    // Text that reads like [DONE] inside content is not the closing event.
    const lookalike = 'data: {"id":"c","choices":[{"index":0,"delta":{"content":"data: [DONE]"}}]}\n\n';
    expect(sniff('openai-chat', [Buffer.from(lookalike)]).ending().sawTerminal).toBe(false);
    expect(sniff('openai-chat', [Buffer.from(chat)]).ending().missingClose).toBeUndefined();
  });

  it('tells a Responses stream cut before its terminal event, and one that ended with response.failed', () => {
    const cut = responses.slice(0, responses.indexOf('event: response.completed'));
    const truncated = sniff('openai-responses', [Buffer.from(cut)]).ending();
    expect(truncated).toEqual({ usage: undefined, error: undefined, sawTerminal: false });
    const failed = cut + 'event: response.failed\ndata: {"type":"response.failed","sequence_number":2,"response":{"id":"resp_1","status":"failed","error":{"code":"server_error","message":"model crashed"}}}\n\n';
    const ending = sniff('openai-responses', splitsAt(failed)[100]!).ending();
    expect(ending.sawTerminal).toBe(true);
    expect(ending.error).toEqual({ message: 'model crashed', code: 'server_error' });
  });

  it('reads a Responses top-level error event (message and code at the top), first or last', () => {
    const errorEvent = 'event: error\ndata: {"type":"error","code":"rate_limit_exceeded","message":"slow down","param":null,"sequence_number":0}\n\n';
    const first = sniff('openai-responses', [Buffer.from(errorEvent)]);
    expect(first.firstError).toEqual({ message: 'slow down', code: 'rate_limit_exceeded' });
    const cut = responses.slice(0, responses.indexOf('event: response.completed'));
    expect(sniff('openai-responses', [Buffer.from(cut + errorEvent.replace('"sequence_number":0', '"sequence_number":9'))]).ending().error).toEqual({ message: 'slow down', code: 'rate_limit_exceeded' });
    // Data that names no message is still described.
    expect(sniff('openai-chat', [Buffer.from('data: {"error":{}}\n\n')]).firstError).toEqual({ message: 'the upstream reported an error in its stream', code: 'upstream_error' });
  });

  it('finds no usage in a Chat stream that reports none, whatever its length', () => {
    const content = chat.split('\n\n')[0]! + '\n\n';
    const long = content.repeat(5_000) + 'data: [DONE]\n\n';
    expect(sniff('openai-chat', [Buffer.from(long)]).ending()).toEqual({ usage: undefined, error: undefined, sawTerminal: true });
  });
});

describe('ChunkLog', () => {
  it('returns the last n bytes across reads, as a view when one read holds them', () => {
    const log = new ChunkLog();
    const whole = Buffer.from('abcdefghijklmnopqrstuvwxyz');
    const reads: Buffer[] = [];
    for (let at = 0; at < whole.length; at += 5) reads.push(whole.subarray(at, at + 5));
    for (const read of reads) log.add(read);
    expect(log.bytes).toBe(26);
    for (let n = 0; n <= 30; n++) expect(log.last(n).toString()).toBe(whole.subarray(Math.max(0, 26 - n)).toString());
    expect(log.last(1).buffer).toBe(reads.at(-1)!.buffer);
    expect(new ChunkLog().last(10).length).toBe(0);
  });

  it('keeps only a head and a tail of a long stream, and the start of the line that runs into the tail', () => {
    const log = new ChunkLog(10, 20);
    const reads = ['0123456789', 'abcde\nLINE', '-HEAD-xxxx', 'yyyyyyyyyy', 'zzzzzzzzzz', 'end\n'].map((text) => Buffer.from(text));
    for (const read of reads) log.add(read);
    expect(log.bytes).toBe(reads.reduce((sum, read) => sum + read.length, 0));
    expect(log.dropped).toBe(20);
    const [head, tail] = log.runs();
    expect(Buffer.concat(head!).toString()).toBe('0123456789');
    expect(Buffer.concat(tail!).toString()).toBe('yyyyyyyyyyzzzzzzzzzzend\n');
    expect(log.available).toBe(24);
    expect(log.lineHead.toString()).toBe('LINE-HEAD-xxxx');
    expect(log.last(100).toString()).toBe('yyyyyyyyyyzzzzzzzzzzend\n');
  });
});
