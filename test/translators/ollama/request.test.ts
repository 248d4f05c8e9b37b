import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../../src/errors/index.js';
import type { IRRequest } from '../../../src/ir/index.js';
import { irToOllamaRequest, ollamaUpstreamCodec } from '../../../src/translators/ollama/index.js';

function request(fields: Partial<IRRequest> = {}): IRRequest {
  return { model: 'llama3.2', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], stream: false, extra: {}, ...fields };
}

function invalid(fn: () => unknown): InvalidRequestError {
  try {
    fn();
  } catch (err) {
    if (err instanceof InvalidRequestError) return err;
    throw err;
  }
  throw new Error('expected an InvalidRequestError');
}

const PNG_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

describe('irToOllamaRequest', () => {
  it('is the request builder of the ollama-chat upstream codec', () => {
    expect(ollamaUpstreamCodec.buildRequest(request(), {})).toEqual(irToOllamaRequest(request(), {}));
  });

  it('maps a minimal request and always streams', () => {
    expect(irToOllamaRequest(request(), {})).toEqual({
      model: 'llama3.2',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
  });

  it('maps system, user, assistant (with reasoning) messages and joins text parts', () => {
    const body = irToOllamaRequest(
      request({
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: [{ type: 'text', text: 'line one' }, { type: 'text', text: 'line two' }] },
          { role: 'assistant', content: 'Sure.', reasoning: 'The user wants brevity.' },
          { role: 'assistant', content: 'No reasoning here.', reasoning: '' },
        ],
      }),
      {},
    );
    expect(body.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'line one\nline two' },
      { role: 'assistant', content: 'Sure.', thinking: 'The user wants brevity.' },
      { role: 'assistant', content: 'No reasoning here.' },
    ]);
  });

  describe('images', () => {
    it('sends data URL images as raw base64 in images', () => {
      const body = irToOllamaRequest(
        request({
          messages: [
            {
              role: 'user',
              content: [
                { type: 'text', text: 'what is in this image?' },
                { type: 'image', url: `data:image/png;base64,${PNG_BASE64}`, detail: 'high' },
                { type: 'image', url: `data:image/jpeg;name=a.jpg;BASE64,${PNG_BASE64}` },
              ],
            },
          ],
        }),
        {},
      );
      expect(body.messages).toEqual([{ role: 'user', content: 'what is in this image?', images: [PNG_BASE64, PNG_BASE64] }]);
    });

    it('refuses an http(s) image URL with a message that says what to send instead', () => {
      const err = invalid(() =>
        irToOllamaRequest(
          request({ messages: [{ role: 'user', content: [{ type: 'text', text: 'x' }, { type: 'image', url: 'https://example.com/cat.png' }] }] }),
          {},
        ),
      );
      expect(err.status).toBe(400);
      expect(err.param).toBe('messages[0].content[1]');
      expect(err.message).toContain('https:');
      expect(err.message).toContain('Ollama cannot fetch');
      expect(err.message).toContain('base64 data: URL');
    });

    it('refuses a data URL that is not base64', () => {
      const err = invalid(() =>
        irToOllamaRequest(request({ messages: [{ role: 'user', content: [{ type: 'image', url: 'data:image/svg+xml,%3Csvg%3E' }] }] }), {}),
      );
      expect(err.message).toContain('not base64');
    });
  });

  describe('tools', () => {
    it('maps tools, with an empty object schema when parameters are absent', () => {
      const weather = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
      const body = irToOllamaRequest(
        request({
          tools: [
            { name: 'get_weather', description: 'Get the weather in a given city', parameters: weather, strict: true },
            { name: 'now' },
          ],
        }),
        {},
      );
      expect(body.tools).toEqual([
        { type: 'function', function: { name: 'get_weather', description: 'Get the weather in a given city', parameters: weather } },
        { type: 'function', function: { name: 'now', parameters: { type: 'object', properties: {} } } },
      ]);
    });

    it('honours tool_choice none (no tools) and a named choice (only that tool)', () => {
      const tools = [{ name: 'a' }, { name: 'b' }];
      expect(irToOllamaRequest(request({ tools, toolChoice: 'none' }), {})).not.toHaveProperty('tools');
      expect(irToOllamaRequest(request({ tools, toolChoice: { name: 'b' } }), {}).tools).toEqual([
        { type: 'function', function: { name: 'b', parameters: { type: 'object', properties: {} } } },
      ]);
      expect(invalid(() => irToOllamaRequest(request({ tools, toolChoice: { name: 'c' } }), {})).param).toBe('tool_choice');
    });

    it('round-trips a tool call: object arguments, call ids, and tool_name looked up from the call', () => {
      const body = irToOllamaRequest(
        request({
          messages: [
            { role: 'user', content: [{ type: 'text', text: 'weather in Toronto and Paris?' }] },
            {
              role: 'assistant',
              content: '',
              toolCalls: [
                { id: 'call_1', name: 'get_weather', arguments: '{"city":"Toronto"}' },
                { id: 'call_2', name: 'get_time', arguments: ' ' },
              ],
            },
            { role: 'tool', toolCallId: 'call_1', content: '11 degrees celsius' },
            { role: 'tool', toolCallId: 'call_2', name: 'clock', content: [{ type: 'text', text: '10:00' }] },
            { role: 'tool', toolCallId: 'call_unknown', content: 'orphan' },
          ],
        }),
        {},
      );
      expect(body.messages).toEqual([
        { role: 'user', content: 'weather in Toronto and Paris?' },
        {
          role: 'assistant',
          content: '',
          tool_calls: [
            { id: 'call_1', function: { name: 'get_weather', arguments: { city: 'Toronto' } } },
            { id: 'call_2', function: { name: 'get_time', arguments: {} } },
          ],
        },
        { role: 'tool', content: '11 degrees celsius', tool_name: 'get_weather', tool_call_id: 'call_1' },
        { role: 'tool', content: '10:00', tool_name: 'clock', tool_call_id: 'call_2' },
        { role: 'tool', content: 'orphan', tool_call_id: 'call_unknown' },
      ]);
    });

    it('refuses tool call arguments that are not a JSON object, naming the call', () => {
      for (const args of ['{"city": "Tor', '[1,2]', '"text"']) {
        const err = invalid(() =>
          irToOllamaRequest(
            request({
              messages: [
                { role: 'user', content: [{ type: 'text', text: 'x' }] },
                { role: 'assistant', content: '', toolCalls: [{ id: 'call_9', name: 'get_weather', arguments: args }] },
              ],
            }),
            {},
          ),
        );
        expect(err.message).toContain("'call_9' (get_weather)");
        expect(err.message).toContain('messages[1]');
        expect(err.param).toBe('messages[1].tool_calls[0].function.arguments');
      }
    });
  });

  describe('sampling and format', () => {
    it('maps max tokens, temperature, top_p, seed and stop into options', () => {
      const body = irToOllamaRequest(request({ maxTokens: 100, temperature: 0, topP: 0.9, seed: 42, stop: ['\n', 'user:'] }), {});
      expect(body.options).toEqual({ num_predict: 100, temperature: 0, top_p: 0.9, seed: 42, stop: ['\n', 'user:'] });
    });

    it('omits an empty stop list', () => {
      expect(irToOllamaRequest(request({ stop: [] }), {})).not.toHaveProperty('options');
    });

    it('maps json_object to format "json" and json_schema to the schema', () => {
      const schema = { type: 'object', properties: { age: { type: 'integer' } }, required: ['age'] };
      expect(irToOllamaRequest(request({ responseFormat: { type: 'json_object' } }), {}).format).toBe('json');
      expect(irToOllamaRequest(request({ responseFormat: { type: 'json_schema', name: 'person', schema } }), {}).format).toEqual(schema);
      expect(irToOllamaRequest(request({ responseFormat: { type: 'text' } }), {})).not.toHaveProperty('format');
    });
  });

  describe('thinking', () => {
    it.each([
      ['low', 'low'],
      ['medium', 'medium'],
      ['high', 'high'],
      ['xhigh', 'high'],
      ['minimal', false],
      ['none', false],
    ])('maps reasoning effort %s to think %s', (effort, think) => {
      expect(irToOllamaRequest(request({ reasoningEffort: effort }), {}).think).toBe(think);
    });

    it('refuses an unknown reasoning effort', () => {
      expect(invalid(() => irToOllamaRequest(request({ reasoningEffort: 'extreme' }), {})).param).toBe('reasoning_effort');
    });

    it('honours think from the client when no reasoning effort is given, and validates it', () => {
      expect(irToOllamaRequest(request({ extra: { think: true } }), {}).think).toBe(true);
      expect(irToOllamaRequest(request({ extra: { think: 'max' } }), {}).think).toBe('max');
      expect(irToOllamaRequest(request({ reasoningEffort: 'low', extra: { think: true } }), {}).think).toBe('low');
      expect(invalid(() => irToOllamaRequest(request({ extra: { think: 'lots' } }), {})).param).toBe('think');
    });
  });

  describe('defaults and client extras', () => {
    const defaults = { options: { num_ctx: 32768, temperature: 0.6, top_k: 20 }, keep_alive: '5m', think: 'medium' };

    it('applies provider defaults underneath', () => {
      expect(irToOllamaRequest(request(), defaults)).toEqual({
        model: 'llama3.2',
        messages: [{ role: 'user', content: 'hi' }],
        stream: true,
        keep_alive: '5m',
        think: 'medium',
        options: { num_ctx: 32768, temperature: 0.6, top_k: 20 },
      });
    });

    it('merges options key by key: defaults < client options < named fields', () => {
      const body = irToOllamaRequest(
        request({ temperature: 0.2, maxTokens: 64, extra: { options: { num_ctx: 8192, temperature: 1, num_predict: 10, min_p: 0.05 } } }),
        defaults,
      );
      expect(body.options).toEqual({ num_ctx: 8192, temperature: 0.2, top_k: 20, num_predict: 64, min_p: 0.05 });
    });

    it('lets the client keep_alive and think win over the defaults', () => {
      const body = irToOllamaRequest(request({ extra: { keep_alive: 0, think: false } }), defaults);
      expect(body.keep_alive).toBe(0);
      expect(body.think).toBe(false);
    });

    it('never lets defaults override the model, messages or streaming, and does not mutate them', () => {
      const frozen = Object.freeze({ model: 'other', messages: [], stream: false, options: Object.freeze({ num_ctx: 4096 }) });
      const body = irToOllamaRequest(request({ temperature: 0.5 }), frozen);
      expect(body).toMatchObject({ model: 'llama3.2', stream: true, options: { num_ctx: 4096, temperature: 0.5 } });
      expect(frozen.options).toEqual({ num_ctx: 4096 });
    });

    it('forwards no other client extras', () => {
      const body = irToOllamaRequest(request({ extra: { truncate: false, logit_bias: { 1: 2 }, options: { num_ctx: 2048 } } }), {});
      expect(Object.keys(body).sort()).toEqual(['messages', 'model', 'options', 'stream']);
    });

    it('refuses malformed options and keep_alive', () => {
      expect(invalid(() => irToOllamaRequest(request({ extra: { options: [1] } }), {})).param).toBe('options');
      expect(invalid(() => irToOllamaRequest(request({ extra: { keep_alive: { minutes: 5 } } }), {})).param).toBe('keep_alive');
    });
  });
});
