import { describe, expect, it } from 'vitest';
import { UpstreamError } from '../../../src/errors/index.js';
import type { IRChunk } from '../../../src/ir/index.js';
import type { JsonObject, JsonValue } from '../../../src/protocols/json.js';
import { ResponsesResponseAccumulator, responsesClientCodec } from '../../../src/translators/openai-responses/index.js';
import { GOLDEN_CASES, decodeReads, encodeToText, parseEvents, readBytes, setupFor, testDeps } from './helpers.js';

/** Ids replaced by their order of first appearance, so two id sources compare. */
function normaliseIds(value: JsonValue, seen = new Map<string, string>()): JsonValue {
  if (Array.isArray(value)) return value.map((v) => normaliseIds(v, seen));
  if (value === null || typeof value !== 'object') return value;
  const out: JsonObject = {};
  for (const [key, member] of Object.entries(value)) {
    if (key === 'id' && typeof member === 'string') {
      if (!seen.has(member)) seen.set(member, `id${seen.size}`);
      out[key] = seen.get(member) ?? '';
    } else out[key] = normaliseIds(member, seen);
  }
  return out;
}

function accumulate(chunks: readonly IRChunk[], setup: ReturnType<typeof setupFor> = {}): JsonObject {
  const accumulator = new ResponsesResponseAccumulator({ requestedModel: 'client-model', includeUsage: false, ...setup }, 'test-provider', testDeps());
  for (const chunk of chunks) accumulator.push(chunk);
  return accumulator.result();
}

describe('ResponsesResponseAccumulator', () => {
  const finished = GOLDEN_CASES.filter((c) => !/error|truncated/.test(c.name));

  it.each(finished)('builds the same response as the stream ends with ($name)', (c) => {
    const chunks = decodeReads(c.upstream, [readBytes(c.file)]);
    const setup = setupFor(c);
    const events = parseEvents(encodeToText(chunks, setup));
    const streamed = events[events.length - 1]?.['response'] as JsonObject;
    const body = accumulate(chunks, setup);
    expect(normaliseIds(body['output'] ?? null)).toEqual(normaliseIds(streamed['output'] ?? null));
    for (const key of ['object', 'status', 'incomplete_details', 'usage', 'model', 'created_at', 'error', 'store', 'tools']) {
      expect(body[key], key).toEqual(streamed[key]);
    }
  });

  it('reports a token ceiling as incomplete and fills missing usage with zeros', () => {
    const body = accumulate([{ type: 'start', id: 'x', model: 'up', created: 5 }, { type: 'text', delta: 'a' }, { type: 'finish', reason: 'length' }]);
    expect(body).toMatchObject({
      id: 'resp_2',
      object: 'response',
      created_at: 5,
      status: 'incomplete',
      incomplete_details: { reason: 'max_output_tokens' },
      output: [{ type: 'message', id: 'msg_1', status: 'incomplete', content: [{ type: 'output_text', text: 'a' }] }],
      usage: { input_tokens: 0, input_tokens_details: { cached_tokens: 0 }, output_tokens: 0, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 0 },
    });
  });

  it('throws an UpstreamError with the code of an error chunk', () => {
    const accumulator = new ResponsesResponseAccumulator({ requestedModel: 'm', includeUsage: false }, 'local');
    accumulator.push({ type: 'start', id: 'x', model: 'up', created: 5 });
    accumulator.push({ type: 'text', delta: 'a' });
    accumulator.push({ type: 'error', message: 'engine died', code: 'upstream_error' });
    accumulator.push({ type: 'text', delta: 'ignored' });
    let error: unknown;
    try {
      accumulator.result();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({ status: 502, code: 'upstream_error', message: 'engine died', provider: 'local' });
  });

  it('is what the client codec creates', () => {
    expect(responsesClientCodec.format).toBe('openai-responses');
    const accumulator = responsesClientCodec.createAccumulator({ requestedModel: 'asked', includeUsage: false });
    accumulator.push({ type: 'start', id: 'x', model: 'up', created: 5 });
    accumulator.push({ type: 'text', delta: 'hi' });
    accumulator.push({ type: 'finish', reason: 'stop' });
    expect(accumulator.result()).toMatchObject({ model: 'asked', status: 'completed', output: [{ type: 'message', content: [{ text: 'hi' }] }] });
    expect(responsesClientCodec.parseRequest({ model: 'm', input: 'x' }).messages).toHaveLength(1);
    expect(responsesClientCodec.createStreamEncoder({ requestedModel: 'm', includeUsage: true }).push({ type: 'start', id: '', model: '', created: 1 })).toContain(
      'event: response.created\n',
    );
  });
});
