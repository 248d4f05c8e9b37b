import { describe, expect, it } from 'vitest';
import type { IRChunk } from '../../../src/ir/index.js';
import { ChatStreamDecoder } from '../../../src/translators/openai-chat/index.js';

const enc = new TextEncoder();

type Delta = Record<string, unknown>;

function chunk(delta: Delta, finishReason: string | null = null, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    created: 1700000000,
    model: 'm',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    ...extra,
  });
}

function usageChunk(usage: Record<string, unknown>): string {
  return JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1700000000, model: 'm', choices: [], usage });
}

/** Decodes data payloads sent as one SSE stream (each its own event). */
function decode(...payloads: string[]): IRChunk[] {
  const decoder = new ChatStreamDecoder();
  const text = payloads.map((p) => `data: ${p}\n\n`).join('');
  return [...decoder.push(enc.encode(text)), ...decoder.end()];
}

const START: IRChunk = { type: 'start', id: 'chatcmpl-1', model: 'm', created: 1700000000 };

function withoutStart(chunks: IRChunk[]): IRChunk[] {
  expect(chunks[0]).toEqual(START);
  return chunks.slice(1);
}

describe('ChatStreamDecoder: content and reasoning', () => {
  it('turns content deltas into text and drops empty ones', () => {
    const out = decode(chunk({ role: 'assistant', content: '' }), chunk({ content: 'Hi' }), chunk({ content: null }), chunk({}, 'stop'), '[DONE]');
    expect(withoutStart(out)).toEqual([
      { type: 'text', delta: 'Hi' },
      { type: 'finish', reason: 'stop' },
    ]);
  });

  it('reads reasoning_content and reasoning, once when a server sends both', () => {
    const out = decode(
      chunk({ reasoning_content: 'a' }),
      chunk({ reasoning: 'b' }),
      chunk({ reasoning_content: 'c', reasoning: 'c' }),
      chunk({ reasoning_content: '', reasoning: 'd' }),
      chunk({ content: 'ok' }, 'stop'),
      '[DONE]',
    );
    expect(withoutStart(out)).toEqual([
      { type: 'reasoning', delta: 'a' },
      { type: 'reasoning', delta: 'b' },
      { type: 'reasoning', delta: 'c' },
      { type: 'reasoning', delta: 'd' },
      { type: 'text', delta: 'ok' },
      { type: 'finish', reason: 'stop' },
    ]);
  });

  it('reads only choice 0', () => {
    const two = JSON.stringify({
      id: 'chatcmpl-1',
      created: 1700000000,
      model: 'm',
      choices: [
        { index: 1, delta: { content: 'other' }, finish_reason: null },
        { index: 0, delta: { content: 'mine' }, finish_reason: null },
      ],
    });
    expect(withoutStart(decode(two, chunk({}, 'stop'), '[DONE]'))).toEqual([
      { type: 'text', delta: 'mine' },
      { type: 'finish', reason: 'stop' },
    ]);
  });
});

describe('ChatStreamDecoder: <think> tags in content', () => {
  it('splits reasoning from text, with tags split across deltas', () => {
    const out = decode(
      chunk({ content: '\n<' }),
      chunk({ content: 'think' }),
      chunk({ content: '>Let me ' }),
      chunk({ content: 'see.</th' }),
      chunk({ content: 'ink>\n\nAnswer' }),
      chunk({ content: ': 42' }, 'stop'),
      '[DONE]',
    );
    expect(withoutStart(out)).toEqual([
      { type: 'reasoning', delta: 'Let me ' },
      { type: 'reasoning', delta: 'see.' },
      { type: 'text', delta: 'Answer' },
      { type: 'text', delta: ': 42' },
      { type: 'finish', reason: 'stop' },
    ]);
  });

  it('handles a whole think block in one delta', () => {
    expect(withoutStart(decode(chunk({ content: '<think>hmm</think>yes' }, 'stop'), '[DONE]'))).toEqual([
      { type: 'reasoning', delta: 'hmm' },
      { type: 'text', delta: 'yes' },
      { type: 'finish', reason: 'stop' },
    ]);
  });

  it('leaves a <think> that is not at the start of the content alone', () => {
    expect(withoutStart(decode(chunk({ content: 'Use ' }), chunk({ content: '<think>tags</think>' }, 'stop'), '[DONE]'))).toEqual([
      { type: 'text', delta: 'Use ' },
      { type: 'text', delta: '<think>tags</think>' },
      { type: 'finish', reason: 'stop' },
    ]);
  });

  it('releases a held prefix that turns out not to be a tag', () => {
    expect(withoutStart(decode(chunk({ content: '<thi' }), chunk({ content: 'ng>' }), chunk({ content: '<b>' }, 'stop'), '[DONE]'))).toEqual([
      { type: 'text', delta: '<thing>' },
      { type: 'text', delta: '<b>' },
      { type: 'finish', reason: 'stop' },
    ]);
  });

  it('keeps "<" inside reasoning that is not a closing tag', () => {
    expect(withoutStart(decode(chunk({ content: '<think>a <' }), chunk({ content: 'b</think>c' }, 'stop'), '[DONE]'))).toEqual([
      { type: 'reasoning', delta: 'a ' },
      { type: 'reasoning', delta: '<b' },
      { type: 'text', delta: 'c' },
      { type: 'finish', reason: 'stop' },
    ]);
  });

  it('flushes an unclosed think block as reasoning at finish, and a held prefix as text', () => {
    expect(withoutStart(decode(chunk({ content: '<think>still thinking </th' }), chunk({}, 'length'), '[DONE]'))).toEqual([
      { type: 'reasoning', delta: 'still thinking ' },
      { type: 'reasoning', delta: '</th' },
      { type: 'finish', reason: 'length' },
    ]);
    expect(withoutStart(decode(chunk({ content: '<thi' }), chunk({}, 'stop'), '[DONE]'))).toEqual([
      { type: 'text', delta: '<thi' },
      { type: 'finish', reason: 'stop' },
    ]);
  });

  it('passes content straight through once the upstream sent separate reasoning', () => {
    expect(withoutStart(decode(chunk({ reasoning_content: 'r' }), chunk({ content: '\n\n' }), chunk({ content: 'x' }, 'stop'), '[DONE]'))).toEqual([
      { type: 'reasoning', delta: 'r' },
      { type: 'text', delta: '\n\n' },
      { type: 'text', delta: 'x' },
      { type: 'finish', reason: 'stop' },
    ]);
  });
});

describe('ChatStreamDecoder: tool calls', () => {
  it('emits id and name once per index even when a server repeats them', () => {
    const call = (args: string) => ({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: args } }] });
    expect(withoutStart(decode(chunk(call('{"a"')), chunk(call(':1}')), chunk({}, 'tool_calls'), '[DONE]'))).toEqual([
      { type: 'tool_call', index: 0, id: 'call_1', name: 'f', argumentsDelta: '{"a"' },
      { type: 'tool_call', index: 0, argumentsDelta: ':1}' },
      { type: 'finish', reason: 'tool_calls' },
    ]);
  });

  it('numbers calls sent without an index: an id opens the next call', () => {
    const out = decode(
      chunk({ tool_calls: [{ id: 'a', function: { name: 'f', arguments: '' } }] }),
      chunk({ tool_calls: [{ function: { arguments: '{}' } }] }),
      chunk({ tool_calls: [{ id: 'b', function: { name: 'g', arguments: '{"x":1}' } }] }),
      chunk({}, 'tool_calls'),
      '[DONE]',
    );
    expect(withoutStart(out)).toEqual([
      { type: 'tool_call', index: 0, id: 'a', name: 'f', argumentsDelta: '' },
      { type: 'tool_call', index: 0, argumentsDelta: '{}' },
      { type: 'tool_call', index: 1, id: 'b', name: 'g', argumentsDelta: '{"x":1}' },
      { type: 'finish', reason: 'tool_calls' },
    ]);
  });

  it('accepts arguments sent as an object and skips empty continuation deltas', () => {
    const out = decode(
      chunk({ tool_calls: [{ index: 0, id: 'a', function: { name: 'f', arguments: { city: 'Paris' } } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '' } }] }),
      chunk({ tool_calls: [{ index: 0 }] }),
      chunk({}, 'tool_calls'),
      '[DONE]',
    );
    expect(withoutStart(out)).toEqual([
      { type: 'tool_call', index: 0, id: 'a', name: 'f', argumentsDelta: '{"city":"Paris"}' },
      { type: 'finish', reason: 'tool_calls' },
    ]);
  });

  it('maps the legacy function_call finish reason to tool_calls', () => {
    expect(withoutStart(decode(chunk({}, 'function_call'), '[DONE]'))).toEqual([{ type: 'finish', reason: 'tool_calls' }]);
  });
});

describe('ChatStreamDecoder: usage', () => {
  it('reads cached and reasoning token details', () => {
    const out = decode(
      chunk({}, 'stop'),
      usageChunk({
        prompt_tokens: 100,
        completion_tokens: 50,
        total_tokens: 150,
        prompt_tokens_details: { cached_tokens: 64 },
        completion_tokens_details: { reasoning_tokens: 30 },
      }),
      '[DONE]',
    );
    expect(withoutStart(out)).toEqual([
      { type: 'finish', reason: 'stop' },
      { type: 'usage', usage: { promptTokens: 100, completionTokens: 50, totalTokens: 150, cachedPromptTokens: 64, reasoningTokens: 30 } },
    ]);
  });

  it('reports continuous usage stats once, with the last values', () => {
    const u = (n: number) => ({ usage: { prompt_tokens: 10, completion_tokens: n, total_tokens: 10 + n } });
    const out = decode(chunk({ content: 'a' }, null, u(1)), chunk({ content: 'b' }, null, u(2)), chunk({}, 'stop', u(3)), '[DONE]');
    expect(withoutStart(out)).toEqual([
      { type: 'text', delta: 'a' },
      { type: 'text', delta: 'b' },
      { type: 'finish', reason: 'stop' },
      { type: 'usage', usage: { promptTokens: 10, completionTokens: 3, totalTokens: 13 } },
    ]);
  });

  it('ignores usage: null', () => {
    expect(withoutStart(decode(chunk({ content: 'a' }, null, { usage: null }), chunk({}, 'stop', { usage: null }), '[DONE]'))).toEqual([
      { type: 'text', delta: 'a' },
      { type: 'finish', reason: 'stop' },
    ]);
  });
});

describe('ChatStreamDecoder: errors and the end of the stream', () => {
  it('turns an error event into an error chunk with the upstream message and string code', () => {
    const error = JSON.stringify({ error: { message: 'Rate limit reached', type: 'requests', param: null, code: 'rate_limit_exceeded' } });
    expect(withoutStart(decode(chunk({ content: 'a' }), error, '[DONE]'))).toEqual([
      { type: 'text', delta: 'a' },
      { type: 'error', message: 'Rate limit reached', code: 'rate_limit_exceeded' },
    ]);
  });

  it('reports an error that arrives before any chunk without a start', () => {
    const error = JSON.stringify({ error: { message: 'bad', type: 'BadRequestError', param: null, code: 400 } });
    expect(decode(error, '[DONE]')).toEqual([{ type: 'error', message: 'bad', code: 'upstream_error' }]);
  });

  it('reports invalid JSON as upstream_protocol_error and ignores what follows', () => {
    expect(withoutStart(decode(chunk({ content: 'a' }), '{"choices": [', chunk({ content: 'b' })))).toEqual([
      { type: 'text', delta: 'a' },
      { type: 'error', message: 'the upstream sent a stream event that is not valid JSON', code: 'upstream_protocol_error' },
    ]);
    expect(decode('42')).toEqual([{ type: 'error', message: 'the upstream sent a stream event that is not a JSON object', code: 'upstream_protocol_error' }]);
  });

  it('reports a stream that ends without finish_reason or [DONE] as upstream_truncated', () => {
    expect(withoutStart(decode(chunk({ content: 'a' })))).toEqual([
      { type: 'text', delta: 'a' },
      { type: 'error', message: 'the upstream stream ended before the response was complete', code: 'upstream_truncated' },
    ]);
    expect(decode()).toEqual([{ type: 'error', message: 'the upstream stream ended before the response was complete', code: 'upstream_truncated' }]);
  });

  it('releases held content before reporting truncation', () => {
    expect(withoutStart(decode(chunk({ content: '<thi' })))).toEqual([
      { type: 'text', delta: '<thi' },
      { type: 'error', message: 'the upstream stream ended before the response was complete', code: 'upstream_truncated' },
    ]);
  });

  it('accepts a stream that finished but lost its [DONE], with usage seen on the finish chunk', () => {
    const usage = { usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } };
    expect(withoutStart(decode(chunk({ content: 'a' }), chunk({}, 'stop', usage)))).toEqual([
      { type: 'text', delta: 'a' },
      { type: 'finish', reason: 'stop' },
      { type: 'usage', usage: { promptTokens: 1, completionTokens: 2, totalTokens: 3 } },
    ]);
  });

  it('treats finish_reason abort as an upstream error', () => {
    expect(withoutStart(decode(chunk({ content: 'a' }), chunk({}, 'abort'), '[DONE]'))).toEqual([
      { type: 'text', delta: 'a' },
      { type: 'error', message: "the upstream stopped generating (finish_reason 'abort')", code: 'upstream_error' },
    ]);
  });

  it('ignores events after [DONE]', () => {
    expect(withoutStart(decode(chunk({}, 'stop'), '[DONE]', chunk({ content: 'late' })))).toEqual([{ type: 'finish', reason: 'stop' }]);
  });

  it('reports an oversized event as upstream_protocol_error', () => {
    const decoder = new ChatStreamDecoder();
    const first = decoder.push(enc.encode(`data: ${chunk({ content: 'a' })}\n\n`));
    const huge = decoder.push(enc.encode(`data: ${'x'.repeat(17 * 1024 * 1024)}`));
    expect(first).toEqual([START, { type: 'text', delta: 'a' }]);
    expect(huge).toEqual([{ type: 'error', message: `the upstream sent a stream event larger than ${16 * 1024 * 1024} bytes`, code: 'upstream_protocol_error' }]);
    expect(decoder.push(enc.encode('data: [DONE]\n\n'))).toEqual([]);
    expect(decoder.end()).toEqual([]);
  });

  it('parses events that arrive with CRLF line endings and a leading BOM', () => {
    const decoder = new ChatStreamDecoder();
    const text = `\uFEFFdata: ${chunk({ content: 'a' })}\r\n\r\n: keep-alive\r\n\r\ndata: ${chunk({}, 'stop')}\r\n\r\ndata: [DONE]\r\n\r\n`;
    expect(withoutStart([...decoder.push(enc.encode(text)), ...decoder.end()])).toEqual([
      { type: 'text', delta: 'a' },
      { type: 'finish', reason: 'stop' },
    ]);
  });
});
