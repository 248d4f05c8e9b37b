import { describe, expect, it } from 'vitest';
import type { IRChunk } from '../../../src/ir/index.js';
import { OllamaStreamDecoder, ollamaErrorCode, ollamaUpstreamCodec } from '../../../src/translators/ollama/index.js';
import { testDecoder } from './golden.js';

const encoder = new TextEncoder();

function decode(lines: readonly string[], decoder: OllamaStreamDecoder = testDecoder()): IRChunk[] {
  const out: IRChunk[] = [];
  for (const line of lines) out.push(...decoder.push(encoder.encode(line)));
  out.push(...decoder.end());
  return out;
}

function content(text: string, extra: Record<string, unknown> = {}): string {
  return `${JSON.stringify({ model: 'm', created_at: '2025-01-01T00:00:00.5Z', message: { role: 'assistant', content: text, ...extra }, done: false })}\n`;
}

function done(fields: Record<string, unknown> = {}): string {
  return `${JSON.stringify({ model: 'm', created_at: '2025-01-01T00:00:01Z', message: { role: 'assistant', content: '' }, done: true, done_reason: 'stop', prompt_eval_count: 3, eval_count: 2, ...fields })}\n`;
}

const START = { type: 'start', id: 'chatcmpl-test', model: 'm', created: 1735689600 };

function texts(chunks: readonly IRChunk[], type: 'text' | 'reasoning'): string {
  return chunks.map((chunk) => (chunk.type === type ? chunk.delta : '')).join('');
}

describe('OllamaStreamDecoder', () => {
  it('is the decoder of the ollama-chat upstream codec', () => {
    expect(ollamaUpstreamCodec.format).toBe('ollama-chat');
    expect(ollamaUpstreamCodec.createStreamDecoder()).toBeInstanceOf(OllamaStreamDecoder);
  });

  it('generates chatcmpl- and call_ ids by default', () => {
    const chunks = decode(
      [content('', { tool_calls: [{ function: { name: 'f', arguments: {} } }, { function: { name: 'g', arguments: {} } }] }), done()],
      new OllamaStreamDecoder(),
    );
    const start = chunks[0];
    expect(start?.type === 'start' && start.id).toMatch(/^chatcmpl-[0-9a-f]{32}$/);
    const ids = chunks.flatMap((chunk) => (chunk.type === 'tool_call' ? [chunk.id] : []));
    expect(ids).toHaveLength(2);
    for (const id of ids) expect(id).toMatch(/^call_[0-9a-f]{32}$/);
    expect(new Set(ids).size).toBe(2);
  });

  it('handles content on the done line before usage and finish', () => {
    expect(decode([content('Hi'), done({ message: { role: 'assistant', content: '!' } })])).toEqual([
      START,
      { type: 'text', delta: 'Hi' },
      { type: 'text', delta: '!' },
      { type: 'usage', usage: { promptTokens: 3, completionTokens: 2, totalTokens: 5 } },
      { type: 'finish', reason: 'stop' },
    ]);
  });

  it('counts omitted token counts as zero (Ollama omits zero values)', () => {
    const chunks = decode([content('x'), done({ prompt_eval_count: undefined, eval_count: undefined })]);
    expect(chunks).toContainEqual({ type: 'usage', usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0 } });
  });

  it('never emits empty deltas', () => {
    const chunks = decode([content(''), content('', { thinking: '' }), content('a'), done()]);
    expect(chunks.filter((chunk) => chunk.type === 'text' || chunk.type === 'reasoning')).toEqual([{ type: 'text', delta: 'a' }]);
  });

  it('falls back to the clock when created_at is unreadable', () => {
    const line = `${JSON.stringify({ model: 'm', created_at: 'yesterday', message: { role: 'assistant', content: 'a' }, done: false })}\n`;
    expect(decode([line, done()])[0]).toEqual({ ...START, created: 1_700_000_000 });
  });

  it('serialises missing tool arguments as an empty object and keeps string arguments as they are', () => {
    const chunks = decode([
      content('', { tool_calls: [{ function: { name: 'a' } }, { function: { name: 'b', arguments: '{"x":1}' } }] }),
      done(),
    ]);
    expect(chunks.filter((chunk) => chunk.type === 'tool_call')).toEqual([
      { type: 'tool_call', index: 0, id: 'call_gen_0', name: 'a', argumentsDelta: '{}' },
      { type: 'tool_call', index: 1, id: 'call_gen_1', name: 'b', argumentsDelta: '{"x":1}' },
    ]);
  });

  it('reports length over tool calls when both happen', () => {
    const chunks = decode([content('', { tool_calls: [{ function: { name: 'a', arguments: {} } }] }), done({ done_reason: 'length' })]);
    expect(chunks[chunks.length - 1]).toEqual({ type: 'finish', reason: 'length' });
  });

  it('ignores anything after the done line', () => {
    const chunks = decode([content('a'), done(), content('late'), 'not json\n']);
    expect(chunks.map((chunk) => chunk.type)).toEqual(['start', 'text', 'usage', 'finish']);
  });

  describe('errors', () => {
    it('reports an error line before any content without a start, so the caller can still fall back', () => {
      expect(decode(['{"error":"model requires more system memory (12.0 GiB) than is available (4.0 GiB)"}\n'])).toEqual([
        { type: 'error', code: 'upstream_error', message: 'model requires more system memory (12.0 GiB) than is available (4.0 GiB)' },
      ]);
    });

    it.each([
      'the prompt is longer than the context length currently available to the model; shorten the prompt, adjust the context length in settings, or use a model with a longer context length',
      'the input length exceeds the context length',
      'input after truncation exceeds maximum context length',
      'input exceeds maximum context length and cannot be truncated further',
    ])('classifies "%s" as context_length_exceeded', (message) => {
      expect(ollamaErrorCode(message)).toBe('context_length_exceeded');
      const chunks = decode([content('a'), `${JSON.stringify({ error: message })}\n`]);
      expect(chunks[chunks.length - 1]).toEqual({ type: 'error', code: 'context_length_exceeded', message });
    });

    it('classifies other messages as upstream_error', () => {
      expect(ollamaErrorCode('an error was encountered while running the model')).toBe('upstream_error');
      expect(ollamaErrorCode('model "x" not found, try pulling it first')).toBe('upstream_error');
    });

    it('reports a line that is not JSON as upstream_protocol_error and stops', () => {
      const decoder = testDecoder();
      const out = decoder.push(encoder.encode(`${content('a')}<html>502 Bad Gateway</html>\n${content('b')}`));
      expect(out).toEqual([START, { type: 'text', delta: 'a' }, { type: 'error', code: 'upstream_protocol_error', message: 'Ollama sent a stream line that is not valid JSON.' }]);
      expect(decoder.push(encoder.encode(content('c')))).toEqual([]);
      expect(decoder.end()).toEqual([]);
    });

    it('reports JSON that is not an object, or a malformed message, as upstream_protocol_error', () => {
      expect(decode(['[1,2]\n'])).toEqual([{ type: 'error', code: 'upstream_protocol_error', message: 'Ollama sent a stream line that is not a JSON object.' }]);
      expect(decode([content('', { tool_calls: [{ function: { arguments: {} } }] })]).at(-1)).toMatchObject({ code: 'upstream_protocol_error' });
      expect(decode([content('', { tool_calls: 'f()' })]).at(-1)).toMatchObject({ code: 'upstream_protocol_error' });
      expect(decode(['{"model":"m","created_at":"2025-01-01T00:00:00Z","message":"hi","done":false}\n']).at(-1)).toMatchObject({
        code: 'upstream_protocol_error',
      });
    });

    it('reports an empty body as upstream_truncated', () => {
      expect(decode([])).toEqual([
        { type: 'error', code: 'upstream_truncated', message: 'The Ollama stream ended before its final line (done: true); the reply is incomplete.' },
      ]);
    });

    it('reports a stream that ends on a line boundary without done as upstream_truncated', () => {
      expect(decode([content('a')]).map((chunk) => chunk.type)).toEqual(['start', 'text', 'error']);
      expect(decode([content('a')]).at(-1)).toMatchObject({ code: 'upstream_truncated' });
    });

    it('accepts a complete last line without a newline', () => {
      expect(decode([content('a'), done().trimEnd()]).at(-1)).toEqual({ type: 'finish', reason: 'stop' });
    });

    it('reports an oversized line as upstream_protocol_error after the lines before it', () => {
      const decoder = new OllamaStreamDecoder({ maxLineBytes: 200, newId: () => 'id' });
      const out = decoder.push(encoder.encode(`${content('a')}${content('x'.repeat(300))}`));
      expect(out.map((chunk) => chunk.type)).toEqual(['start', 'text', 'error']);
      expect(out.at(-1)).toEqual({ type: 'error', code: 'upstream_protocol_error', message: 'Ollama sent a stream line larger than 200 bytes.' });
      expect(decoder.end()).toEqual([]);
    });
  });

  describe('<think> tags in content', () => {
    it('splits a leading think block into reasoning and text', () => {
      const chunks = decode([content('<think>\nplan</think>\n\nanswer'), done()]);
      expect(chunks.slice(1, -2)).toEqual([
        { type: 'reasoning', delta: 'plan' },
        { type: 'text', delta: 'answer' },
      ]);
    });

    it('allows whitespace before the opening tag', () => {
      const chunks = decode([content('\n'), content(' <think>r'), content('</think>t'), done()]);
      expect(texts(chunks, 'reasoning')).toBe('r');
      expect(texts(chunks, 'text')).toBe('t');
    });

    it('passes content that does not open with the tag through untouched, including later tags', () => {
      const chunks = decode([content('\n'), content('<thing> and <think>x</think>'), done()]);
      expect(chunks.slice(1, -2)).toEqual([{ type: 'text', delta: '\n<thing> and <think>x</think>' }]);
    });

    it('keeps text that only looks like the start of a closing tag', () => {
      const chunks = decode([content('<think>a </'), content('b> c</th'), content('inking'), content('</think>d'), done()]);
      expect(texts(chunks, 'reasoning')).toBe('a </b> c</thinking');
      expect(texts(chunks, 'text')).toBe('d');
    });

    it('holds back only a possible tag: reasoning streams as it arrives', () => {
      const decoder = testDecoder();
      expect(decoder.push(encoder.encode(content('<think>step one')))).toEqual([START, { type: 'reasoning', delta: 'step one' }]);
      expect(decoder.push(encoder.encode(content(' then</th')))).toEqual([{ type: 'reasoning', delta: ' then' }]);
      expect(decoder.push(encoder.encode(content('ink>ok')))).toEqual([{ type: 'text', delta: 'ok' }]);
    });

    it('releases an unterminated think block as reasoning at the end', () => {
      const chunks = decode([content('<think>still thinking</thi'), done()]);
      expect(chunks.slice(1, -2)).toEqual([
        { type: 'reasoning', delta: 'still thinking' },
        { type: 'reasoning', delta: '</thi' },
      ]);
    });

    it('releases held text before an error', () => {
      const chunks = decode([content('<thi'), '{"error":"boom"}\n']);
      expect(chunks).toEqual([START, { type: 'text', delta: '<thi' }, { type: 'error', code: 'upstream_error', message: 'boom' }]);
    });

    it('releases held text before tool calls', () => {
      const chunks = decode([content(' '), content('', { tool_calls: [{ function: { name: 'f', arguments: {} } }] }), done()]);
      expect(chunks.slice(1, 3)).toEqual([
        { type: 'text', delta: ' ' },
        { type: 'tool_call', index: 0, id: 'call_gen_0', name: 'f', argumentsDelta: '{}' },
      ]);
    });
  });
});
