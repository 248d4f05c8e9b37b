import { describe, expect, it } from 'vitest';
import type { IRRequest } from '../../../src/ir/index.js';
import {
  MIN_MAX_OUTPUT_TOKENS,
  ResponsesStreamDecoder,
  irToResponsesRequest,
  responsesUpstreamCodec,
} from '../../../src/translators/openai-responses/upstream.js';

function ir(overrides: Partial<IRRequest> = {}): IRRequest {
  return { model: 'codex-mini-latest', messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }], stream: false, extra: {}, ...overrides };
}

describe('irToResponsesRequest: conversation', () => {
  it('maps a whole tool-using conversation to input items, in order', () => {
    const body = irToResponsesRequest(
      ir({
        messages: [
          { role: 'system', content: 'You are terse.' },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is in this image, and the weather in Paris?' },
              { type: 'image', url: 'https://example.com/cat.png', detail: 'low' },
              { type: 'image', url: 'data:image/png;base64,iVBORw0KGgo=' },
            ],
          },
          {
            role: 'assistant',
            content: 'Looking it up.',
            reasoning: 'The user wants two things.',
            toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' }],
          },
          { role: 'tool', toolCallId: 'call_1', name: 'get_weather', content: '{"temp":21}' },
          { role: 'system', content: 'Answer in French.' },
          { role: 'assistant', content: 'Un chat. Il fait 21 °C.' },
          { role: 'user', content: [{ type: 'text', text: 'Merci' }] },
        ],
      }),
      {},
    );
    expect(body['input']).toEqual([
      { type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'You are terse.' }] },
      {
        type: 'message',
        role: 'user',
        content: [
          { type: 'input_text', text: 'What is in this image, and the weather in Paris?' },
          { type: 'input_image', image_url: 'https://example.com/cat.png', detail: 'low' },
          { type: 'input_image', image_url: 'data:image/png;base64,iVBORw0KGgo=' },
        ],
      },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Looking it up.' }] },
      { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
      { type: 'function_call_output', call_id: 'call_1', output: '{"temp":21}' },
      // A later system message stays where it was said.
      { type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'Answer in French.' }] },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Un chat. Il fait 21 °C.' }] },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Merci' }] },
    ]);
    expect(body).not.toHaveProperty('instructions');
    // Reasoning is never sent back.
    expect(JSON.stringify(body)).not.toContain('two things');
  });

  it('sends an assistant turn that only called tools as function_call items, without an empty message', () => {
    const body = irToResponsesRequest(
      ir({
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'Weather in Paris and Tokyo?' }] },
          {
            role: 'assistant',
            content: '',
            toolCalls: [
              { id: 'call_a', name: 'get_weather', arguments: '{"city":"Paris"}' },
              { id: 'call_b', name: 'get_weather', arguments: '{"city":"Tokyo"}' },
            ],
          },
          { role: 'tool', toolCallId: 'call_a', content: '21' },
          { role: 'tool', toolCallId: 'call_b', content: '18' },
        ],
      }),
      {},
    );
    expect((body['input'] as unknown[]).slice(1)).toEqual([
      { type: 'function_call', call_id: 'call_a', name: 'get_weather', arguments: '{"city":"Paris"}' },
      { type: 'function_call', call_id: 'call_b', name: 'get_weather', arguments: '{"city":"Tokyo"}' },
      { type: 'function_call_output', call_id: 'call_a', output: '21' },
      { type: 'function_call_output', call_id: 'call_b', output: '18' },
    ]);
  });

  it('keeps an empty assistant message that called no tools', () => {
    const body = irToResponsesRequest(ir({ messages: [{ role: 'assistant', content: '' }] }), {});
    expect(body['input']).toEqual([{ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: '' }] }]);
  });

  it('sends a tool result given as content parts as an input_text / input_image list', () => {
    const body = irToResponsesRequest(
      ir({
        messages: [
          {
            role: 'tool',
            toolCallId: 'call_1',
            content: [
              { type: 'text', text: 'Screenshot:' },
              { type: 'image', url: 'data:image/png;base64,AAAA', detail: 'high' },
            ],
          },
        ],
      }),
      {},
    );
    expect(body['input']).toEqual([
      {
        type: 'function_call_output',
        call_id: 'call_1',
        output: [
          { type: 'input_text', text: 'Screenshot:' },
          { type: 'input_image', image_url: 'data:image/png;base64,AAAA', detail: 'high' },
        ],
      },
    ]);
  });
});

describe('irToResponsesRequest: parameters', () => {
  it('maps tools flat, non-strict unless asked, with an empty schema for tools without parameters', () => {
    const body = irToResponsesRequest(
      ir({
        tools: [
          { name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
          { name: 'now' },
          { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'], additionalProperties: false }, strict: true },
          { name: 'ping', strict: true },
        ],
        toolChoice: 'required',
        parallelToolCalls: false,
      }),
      {},
    );
    expect(body['tools']).toEqual([
      {
        type: 'function',
        name: 'get_weather',
        description: 'Weather for a city',
        parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        strict: false,
      },
      { type: 'function', name: 'now', parameters: { type: 'object', properties: {} }, strict: false },
      {
        type: 'function',
        name: 'lookup',
        parameters: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'], additionalProperties: false },
        strict: true,
      },
      { type: 'function', name: 'ping', parameters: { type: 'object', properties: {}, additionalProperties: false }, strict: true },
    ]);
    expect(body['tool_choice']).toBe('required');
    expect(body['parallel_tool_calls']).toBe(false);
  });

  it('maps a named tool choice to the flat function form', () => {
    expect(irToResponsesRequest(ir({ tools: [{ name: 'f' }], toolChoice: { name: 'f' } }), {})['tool_choice']).toEqual({ type: 'function', name: 'f' });
    expect(irToResponsesRequest(ir({ toolChoice: 'none' }), {})['tool_choice']).toBe('none');
  });

  it('maps sampling, token limit and reasoning effort', () => {
    const body = irToResponsesRequest(ir({ maxTokens: 2048, temperature: 0.2, topP: 0.9, reasoningEffort: 'high' }), {});
    expect(body).toMatchObject({ max_output_tokens: 2048, temperature: 0.2, top_p: 0.9, reasoning: { effort: 'high' } });
  });

  it(`raises a token limit below ${MIN_MAX_OUTPUT_TOKENS}, the smallest OpenAI accepts`, () => {
    expect(irToResponsesRequest(ir({ maxTokens: 1 }), {})['max_output_tokens']).toBe(MIN_MAX_OUTPUT_TOKENS);
    expect(irToResponsesRequest(ir({ maxTokens: 16 }), {})['max_output_tokens']).toBe(16);
  });

  it('maps response formats to text.format', () => {
    expect(irToResponsesRequest(ir({ responseFormat: { type: 'json_object' } }), {})['text']).toEqual({ format: { type: 'json_object' } });
    expect(irToResponsesRequest(ir({ responseFormat: { type: 'text' } }), {})['text']).toEqual({ format: { type: 'text' } });
    const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'], additionalProperties: false };
    expect(irToResponsesRequest(ir({ responseFormat: { type: 'json_schema', name: 'answer', schema, strict: true } }), {})['text']).toEqual({
      format: { type: 'json_schema', name: 'answer', schema, strict: true },
    });
    expect(irToResponsesRequest(ir({ responseFormat: { type: 'json_schema', name: 'answer', schema } }), {})['text']).toEqual({
      format: { type: 'json_schema', name: 'answer', schema },
    });
  });

  it('always streams and never stores, and sends nothing the IR did not set', () => {
    const body = irToResponsesRequest(ir(), {});
    expect(body).toEqual({
      model: 'codex-mini-latest',
      input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Hi' }] }],
      stream: true,
      store: false,
    });
  });

  it('drops stop, seed and the chat-only extra fields, which Responses cannot express', () => {
    const body = irToResponsesRequest(
      ir({ stop: ['\n\n'], seed: 7, extra: { logprobs: true, n: 2, frequency_penalty: 0.5, user: 'u-1', stream_options: { include_usage: true } } }),
      {},
    );
    for (const key of ['stop', 'seed', 'logprobs', 'n', 'frequency_penalty', 'user', 'stream_options', 'messages', 'max_tokens', 'response_format', 'reasoning_effort']) {
      expect(body).not.toHaveProperty(key);
    }
  });
});

describe('irToResponsesRequest: provider defaults', () => {
  it('lays defaults under the client values, merging text and reasoning member by member', () => {
    const defaults = {
      instructions: 'Be safe.',
      reasoning: { effort: 'low', summary: 'auto' },
      text: { verbosity: 'low', format: { type: 'text' } },
      max_output_tokens: 512,
      temperature: 1,
      service_tier: 'flex',
      stream: false,
      store: true,
    };
    const body = irToResponsesRequest(ir({ reasoningEffort: 'high', responseFormat: { type: 'json_object' }, temperature: 0 }), defaults);
    expect(body).toMatchObject({
      instructions: 'Be safe.',
      reasoning: { effort: 'high', summary: 'auto' },
      text: { verbosity: 'low', format: { type: 'json_object' } },
      max_output_tokens: 512,
      temperature: 0,
      service_tier: 'flex',
      stream: true,
      store: false,
    });
    // The defaults object itself is left as it was.
    expect(defaults.reasoning).toEqual({ effort: 'low', summary: 'auto' });
    expect(defaults.text.format).toEqual({ type: 'text' });
  });

  it('keeps default reasoning and text settings when the client sets neither', () => {
    const body = irToResponsesRequest(ir(), { reasoning: { summary: 'auto' }, text: { verbosity: 'high' } });
    expect(body['reasoning']).toEqual({ summary: 'auto' });
    expect(body['text']).toEqual({ verbosity: 'high' });
  });
});

describe('responsesUpstreamCodec', () => {
  it('speaks openai-responses, builds the request and makes a fresh decoder per stream', () => {
    expect(responsesUpstreamCodec.format).toBe('openai-responses');
    expect(responsesUpstreamCodec.buildRequest(ir({ maxTokens: 100 }), {})).toEqual(irToResponsesRequest(ir({ maxTokens: 100 }), {}));
    const a = responsesUpstreamCodec.createStreamDecoder();
    const b = responsesUpstreamCodec.createStreamDecoder();
    expect(a).toBeInstanceOf(ResponsesStreamDecoder);
    expect(a).not.toBe(b);
  });
});
