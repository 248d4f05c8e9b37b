import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../../src/errors/index.js';
import type { IRMessage, IRRequest } from '../../../src/ir/index.js';
import type { JsonObject, JsonValue } from '../../../src/protocols/json.js';
import { MAX_GRAMMAR_IN_SCHEMA, mintReasoningState, responsesRequestToIR } from '../../../src/translators/openai-responses/index.js';

function ir(body: JsonObject): IRRequest {
  return responsesRequestToIR({ model: 'm', ...body });
}

function rejects(body: JsonObject, param: string, message?: RegExp, code = 'invalid_request'): void {
  let error: unknown;
  try {
    responsesRequestToIR(body);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(InvalidRequestError);
  const e = error as InvalidRequestError;
  expect(e.param).toBe(param);
  expect(e.code).toBe(code);
  expect(e.status).toBe(400);
  if (message) expect(e.message).toMatch(message);
}

const fn = (name: string, extra: JsonObject = {}): JsonObject => ({ type: 'function', name, parameters: { type: 'object', properties: {} }, ...extra });
const user = (text: string): JsonObject => ({ type: 'message', role: 'user', content: [{ type: 'input_text', text }] });

describe('responsesRequestToIR: messages', () => {
  it('puts instructions first as a system message and a string input as the user message', () => {
    expect(ir({ instructions: 'Be brief.', input: 'hi', stream: true })).toEqual({
      model: 'm',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: 'hi' }] },
      ],
      stream: true,
      extra: {},
    });
  });

  it('maps developer and system messages to system, and accepts easy input messages without a type', () => {
    const messages = ir({
      input: [
        { type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'rule 1' }, { type: 'input_text', text: 'rule 2' }] },
        { role: 'system', content: 'sys' },
        { role: 'user', content: 'question' },
      ],
    }).messages;
    expect(messages).toEqual([
      { role: 'system', content: 'rule 1\nrule 2' },
      { role: 'system', content: 'sys' },
      { role: 'user', content: [{ type: 'text', text: 'question' }] },
    ]);
  });

  it('keeps user images (data: and http URLs) with their detail', () => {
    const messages = ir({
      input: [
        {
          role: 'user',
          content: [
            { type: 'input_text', text: 'what is this?' },
            { type: 'input_image', image_url: 'data:image/png;base64,AAAA', detail: 'low' },
            { type: 'input_image', image_url: 'https://example.com/a.png', detail: 'original' },
            { type: 'input_image', image_url: 'http://example.com/b.png' },
          ],
        },
      ],
    }).messages;
    expect(messages[0]).toEqual({
      role: 'user',
      content: [
        { type: 'text', text: 'what is this?' },
        { type: 'image', url: 'data:image/png;base64,AAAA', detail: 'low' },
        { type: 'image', url: 'https://example.com/a.png', detail: 'high' },
        { type: 'image', url: 'http://example.com/b.png' },
      ],
    });
  });

  it('rejects inputs that cannot be translated, naming the parameter', () => {
    rejects({ model: 'm', input: [{ role: 'user', content: [{ type: 'input_image', file_id: 'file-1' }] }] }, 'input[0].content[0].file_id', /file_id/);
    rejects({ model: 'm', input: [{ role: 'user', content: [{ type: 'input_image', image_url: 'ftp://x' }] }] }, 'input[0].content[0].image_url');
    rejects({ model: 'm', input: [{ role: 'user', content: [{ type: 'input_file', file_data: 'x' }] }] }, 'input[0].content[0].type', /file input/);
    rejects({ model: 'm', input: [{ role: 'system', content: [{ type: 'input_image', image_url: 'data:,' }] }] }, 'input[0].content[0].type', /user messages only/);
    rejects({ model: 'm', input: [{ role: 'critic', content: 'x' }] }, 'input[0].role');
    rejects({ model: 'm', input: [{ role: 'user' }] }, 'input[0].content');
    rejects({ model: 'm', input: [42] }, 'input[0]');
    rejects({ model: 'm', input: [{ content: 'no type, no role' }] }, 'input[0].type');
    rejects({ model: 'm', input: [{ type: 'function_call', name: 'f', arguments: '{}' }] }, 'input[0].call_id');
    rejects({ model: 'm', input: 7 }, 'input');
    rejects({ model: 'm' }, 'input', /input is required/);
    rejects({ input: 'x' }, 'model');
    rejects({ model: 'm', input: 'x', instructions: 3 }, 'instructions');
  });

  it('merges a text message, reasoning and the calls that follow it into one assistant message', () => {
    const messages = ir({
      input: [
        user('list files and the date'),
        { type: 'reasoning', id: 'rs_1', summary: [], content: [{ type: 'reasoning_text', text: 'Two tools.' }], encrypted_content: mintReasoningState('Two tools, in parallel.') },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Checking.' }] },
        { type: 'function_call', call_id: 'c1', name: 'ls', arguments: '{}' },
        { type: 'function_call', call_id: 'c2', name: 'date', arguments: { tz: 'UTC' } },
        { type: 'function_call_output', call_id: 'c1', output: 'a.txt' },
        { type: 'function_call_output', call_id: 'c2', output: [{ type: 'input_text', text: 'Mon' }, { type: 'input_text', text: 'UTC' }] },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Done.' }, { type: 'refusal', refusal: ' No more.' }] },
      ],
      tools: [fn('ls'), fn('date')],
    }).messages;
    expect(messages).toEqual<IRMessage[]>([
      { role: 'user', content: [{ type: 'text', text: 'list files and the date' }] },
      {
        role: 'assistant',
        content: 'Checking.',
        reasoning: 'Two tools, in parallel.',
        toolCalls: [
          { id: 'c1', name: 'ls', arguments: '{}' },
          { id: 'c2', name: 'date', arguments: '{"tz":"UTC"}' },
        ],
      },
      { role: 'tool', toolCallId: 'c1', content: 'a.txt' },
      { role: 'tool', toolCallId: 'c2', content: 'Mon\nUTC' },
      { role: 'assistant', content: 'Done. No more.' },
    ]);
  });

  it('starts a new assistant message for calls after a tool output, with the reasoning that came before them', () => {
    const messages = ir({
      input: [
        user('go'),
        { type: 'function_call', call_id: 'c1', name: 'ls', arguments: '{}' },
        { type: 'function_call_output', call_id: 'c1', output: 'x' },
        { type: 'reasoning', summary: [{ type: 'summary_text', text: 'Look again.' }] },
        { type: 'function_call', call_id: 'c2', name: 'ls', arguments: '{}' },
      ],
    }).messages;
    expect(messages.slice(1)).toEqual([
      { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'ls', arguments: '{}' }] },
      { role: 'tool', toolCallId: 'c1', content: 'x' },
      { role: 'assistant', content: '', reasoning: 'Look again.', toolCalls: [{ id: 'c2', name: 'ls', arguments: '{}' }] },
    ]);
  });

  it('never sends reasoning as text: foreign encrypted_content falls back to content, then summary', () => {
    const messages = ir({
      input: [
        user('a'),
        { type: 'reasoning', summary: [{ type: 'summary_text', text: 'S' }], content: [{ type: 'reasoning_text', text: 'raw' }], encrypted_content: 'gAAAAopaque' },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'A' }] },
        { type: 'reasoning', summary: [{ type: 'summary_text', text: 'afterwards' }] },
        user('b'),
        { type: 'reasoning', summary: [{ type: 'summary_text', text: 'one' }, { type: 'summary_text', text: 'two' }], encrypted_content: null },
        { type: 'message', role: 'assistant', content: 'B' },
      ],
    }).messages;
    expect(messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'a' }] },
      // Reasoning right after an assistant message belongs to the same turn.
      { role: 'assistant', content: 'A', reasoning: 'raw\nafterwards' },
      { role: 'user', content: [{ type: 'text', text: 'b' }] },
      { role: 'assistant', content: 'B', reasoning: 'one\n\ntwo' },
    ]);
    for (const m of messages) expect(JSON.stringify(m.content)).not.toMatch(/raw|afterwards|one|two/);
  });

  it('drops reasoning that no assistant output follows', () => {
    const messages = ir({
      input: [user('a'), { type: 'reasoning', summary: [{ type: 'summary_text', text: 'lost' }] }, user('b'), { type: 'reasoning', summary: [{ type: 'summary_text', text: 'trailing' }] }],
    }).messages;
    expect(messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'a' }] },
      { role: 'user', content: [{ type: 'text', text: 'b' }] },
    ]);
  });

  it('keeps images in tool outputs as parts', () => {
    const messages = ir({
      input: [
        { type: 'function_call', call_id: 'v', name: 'view_image', arguments: '{"path":"a.png"}' },
        { type: 'function_call_output', call_id: 'v', output: [{ type: 'input_image', image_url: 'data:image/png;base64,AAAA' }] },
      ],
    }).messages;
    expect(messages[1]).toEqual({ role: 'tool', toolCallId: 'v', content: [{ type: 'image', url: 'data:image/png;base64,AAAA' }] });
  });

  it('maps custom tool calls to calls with {"input": …} arguments and their outputs to tool messages', () => {
    const messages = ir({
      tools: [{ type: 'custom', name: 'apply_patch' }],
      input: [
        { type: 'custom_tool_call', call_id: 'p1', name: 'apply_patch', input: '*** Begin Patch\n*** End Patch\n' },
        { type: 'custom_tool_call_output', call_id: 'p1', output: 'Success.' },
      ],
    }).messages;
    expect(messages).toEqual([
      { role: 'assistant', content: '', toolCalls: [{ id: 'p1', name: 'apply_patch', arguments: '{"input":"*** Begin Patch\\n*** End Patch\\n"}' }] },
      { role: 'tool', toolCallId: 'p1', content: 'Success.' },
    ]);
  });

  it('drops items no Chat upstream can take, and ignores ids', () => {
    const messages = ir({
      input: [
        user('q'),
        { type: 'item_reference', id: 'msg_0' },
        { type: 'tool_search_call', call_id: 's', execution: 'client', arguments: { query: 'x' } },
        { type: 'tool_search_output', call_id: 's', tools: [] },
        { type: 'web_search_call', id: 'ws_1', status: 'completed', action: { type: 'search', query: 'x' } },
        { type: 'compaction', encrypted_content: 'opaque' },
        { type: 'some_future_item', payload: 1 },
      ],
    }).messages;
    expect(messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'q' }] }]);
  });
});

describe('responsesRequestToIR: tools', () => {
  it('keeps function tools, flattens namespaces, offers custom tools as one-string functions and lists hosted tools as dropped', () => {
    const grammar = 'start: "x"';
    const request = ir({
      input: 'x',
      tools: [
        fn('exec_command', { description: 'Run', strict: false }),
        { type: 'web_search', external_web_access: false },
        { type: 'namespace', name: 'multi_agent_v1', description: 'Agents', tools: [fn('spawn_agent'), fn('close_agent'), { type: 'custom', name: 'note' }, { type: 'image_generation' }] },
        { type: 'custom', name: 'apply_patch', description: 'Patch files', format: { type: 'grammar', syntax: 'lark', definition: grammar } },
        { type: 'web_search' },
        { type: 'tool_search' },
        { type: 'mcp', server_label: 's' },
      ],
    });
    expect(request.tools?.map((t) => [t.name, t.origin])).toEqual([
      ['exec_command', { kind: 'function', name: 'exec_command' }],
      ['multi_agent_v1__spawn_agent', { kind: 'function', name: 'spawn_agent', namespace: 'multi_agent_v1' }],
      ['multi_agent_v1__close_agent', { kind: 'function', name: 'close_agent', namespace: 'multi_agent_v1' }],
      ['multi_agent_v1__note', { kind: 'custom', name: 'note', namespace: 'multi_agent_v1' }],
      ['apply_patch', { kind: 'custom', name: 'apply_patch' }],
    ]);
    expect(request.tools?.[0]).toMatchObject({ description: 'Run', strict: false, parameters: { type: 'object', properties: {} } });
    expect(request.tools?.[4]).toEqual({
      name: 'apply_patch',
      origin: { kind: 'custom', name: 'apply_patch' },
      description: 'Patch files',
      parameters: {
        type: 'object',
        properties: {
          input: {
            type: 'string',
            description: `The raw freeform input for this tool, passed on verbatim as one string (it is not parsed as JSON). It must follow this lark grammar:\n${grammar}`,
          },
        },
        required: ['input'],
        additionalProperties: false,
      },
    });
    expect(request.droppedTools).toEqual(['web_search', 'image_generation', 'tool_search', 'mcp']);
  });

  it('leaves a long grammar out of the schema', () => {
    const definition = 'x'.repeat(MAX_GRAMMAR_IN_SCHEMA);
    const tool = ir({ input: 'x', tools: [{ type: 'custom', name: 'big', format: { type: 'grammar', syntax: 'lark', definition } }] }).tools?.[0];
    const description = (tool?.parameters as { properties: { input: { description: string } } }).properties.input.description;
    expect(description).not.toContain(definition);
    expect(description).toContain('lark grammar');
  });

  it('makes every flattened name valid, unique and the same on every request', () => {
    const longNs = 'a.very.long.namespace.name.that.goes.on.and.on';
    const body: JsonObject = {
      input: 'x',
      tools: [
        fn('ns__run'),
        { type: 'namespace', name: 'ns', tools: [fn('run')] },
        { type: 'namespace', name: longNs, tools: [fn('tool with spaces and more words than fit'), fn('tool with spaces and more words than fit, too')] },
        { type: 'custom', name: 'ns__run' },
      ],
    };
    const names = ir(body).tools?.map((t) => t.name) ?? [];
    expect(names[0]).toBe('ns__run');
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
    expect(names[1]).toMatch(/^ns__run_[0-9a-f]{8}$/);
    expect(names[2]).toHaveLength(64);
    expect(ir(body).tools?.map((t) => t.name)).toEqual(names);
  });

  it('rejects duplicate tool names and malformed tools', () => {
    rejects({ model: 'm', input: 'x', tools: [fn('a'), fn('a')] }, 'tools[1].name', /unique/);
    rejects({ model: 'm', input: 'x', tools: [{ type: 'namespace', name: 'n', tools: [fn('a'), fn('a')] }] }, 'tools[0].tools[1].name');
    rejects({ model: 'm', input: 'x', tools: [{ name: 'typeless' }] }, 'tools[0].type');
    rejects({ model: 'm', input: 'x', tools: [fn('a', { parameters: 'nope' })] }, 'tools[0].parameters');
    rejects({ model: 'm', input: 'x', tools: {} }, 'tools');
    rejects({ model: 'm', input: 'x', tools: [{ type: 'namespace', name: 'n' }] }, 'tools[0].tools');
  });

  it('names history calls with the IR names, also for tools no longer offered', () => {
    const messages = ir({
      tools: [{ type: 'namespace', name: 'multi_agent_v1', tools: [fn('spawn_agent')] }],
      input: [
        { type: 'function_call', call_id: 'a', namespace: 'multi_agent_v1', name: 'spawn_agent', arguments: '{}' },
        { type: 'function_call', call_id: 'b', namespace: 'gone', name: 'old tool', arguments: '{}' },
        { type: 'function_call', call_id: 'c', name: 'plain', arguments: '{}' },
      ],
    }).messages;
    expect(messages[0]).toMatchObject({ toolCalls: [{ name: 'multi_agent_v1__spawn_agent' }, { name: 'gone__old_tool' }, { name: 'plain' }] });
  });

  it('maps tool_choice to the IR names', () => {
    const tools: JsonValue = [fn('plain'), { type: 'namespace', name: 'ns', tools: [fn('inner')] }, { type: 'custom', name: 'apply_patch' }];
    expect(ir({ input: 'x', tools, tool_choice: 'required' }).toolChoice).toBe('required');
    expect(ir({ input: 'x', tools, tool_choice: 'none' }).toolChoice).toBe('none');
    expect(ir({ input: 'x', tools, tool_choice: { type: 'function', name: 'plain' } }).toolChoice).toEqual({ name: 'plain' });
    expect(ir({ input: 'x', tools, tool_choice: { type: 'function', name: 'inner', namespace: 'ns' } }).toolChoice).toEqual({ name: 'ns__inner' });
    expect(ir({ input: 'x', tools, tool_choice: { type: 'custom', name: 'apply_patch' } }).toolChoice).toEqual({ name: 'apply_patch' });
    rejects({ model: 'm', input: 'x', tools, tool_choice: { type: 'function', name: 'missing' } }, 'tool_choice.name', /not among the tools/);
    rejects({ model: 'm', input: 'x', tools, tool_choice: { type: 'web_search_preview' } }, 'tool_choice.type', /hosted tool/);
    rejects({ model: 'm', input: 'x', tools, tool_choice: 'sometimes' }, 'tool_choice');
  });

  it('sends no tool_choice or parallel_tool_calls when no tool is left to offer', () => {
    const request = ir({ input: 'x', tools: [{ type: 'web_search' }], tool_choice: 'auto', parallel_tool_calls: true });
    expect(request.tools).toBeUndefined();
    expect(request.toolChoice).toBeUndefined();
    expect(request.parallelToolCalls).toBeUndefined();
    expect(request.droppedTools).toEqual(['web_search']);
  });

  it('offers only the allowed tools for tool_choice allowed_tools', () => {
    const request = ir({
      input: 'x',
      tools: [fn('a'), fn('b'), { type: 'custom', name: 'c' }],
      tool_choice: { type: 'allowed_tools', mode: 'required', tools: [{ type: 'function', name: 'b' }, { type: 'custom', name: 'c' }, { type: 'web_search' }] },
    });
    expect(request.toolChoice).toBe('required');
    expect(request.tools?.map((t) => t.name)).toEqual(['b', 'c']);
  });
});

describe('responsesRequestToIR: parameters', () => {
  it('maps sampling, limits, text.format, reasoning.effort and parallel_tool_calls', () => {
    const request = ir({
      input: 'x',
      tools: [fn('f')],
      max_output_tokens: 300,
      temperature: 0.2,
      top_p: 0.9,
      parallel_tool_calls: false,
      reasoning: { effort: 'high', summary: 'auto' },
      text: { format: { type: 'json_schema', name: 'answer', schema: { type: 'object' }, strict: true }, verbosity: 'low' },
    });
    expect(request).toMatchObject({
      maxTokens: 300,
      temperature: 0.2,
      topP: 0.9,
      parallelToolCalls: false,
      reasoningEffort: 'high',
      responseFormat: { type: 'json_schema', name: 'answer', schema: { type: 'object' }, strict: true },
      stream: false,
    });
    expect(ir({ input: 'x', text: { format: { type: 'json_object' } } }).responseFormat).toEqual({ type: 'json_object' });
    expect(ir({ input: 'x', text: { format: { type: 'text' } } }).responseFormat).toEqual({ type: 'text' });
    expect(ir({ input: 'x', reasoning: { summary: 'auto' } }).reasoningEffort).toBeUndefined();
  });

  it('keeps extra empty: Responses-only fields mean nothing to a Chat upstream', () => {
    const request = ir({
      input: 'x',
      store: false,
      include: ['reasoning.encrypted_content'],
      prompt_cache_key: 'k',
      client_metadata: { a: 1 },
      metadata: { b: '2' },
      truncation: 'auto',
      user: 'u',
      service_tier: 'flex',
      previous_response_id: null,
    });
    expect(request.extra).toEqual({});
  });

  it('rejects previous_response_id and other server-side state with unsupported_parameter', () => {
    rejects({ model: 'm', input: 'x', previous_response_id: 'resp_1' }, 'previous_response_id', /send the full conversation in input/i, 'unsupported_parameter');
    rejects({ model: 'm', input: 'x', conversation: 'conv_1' }, 'conversation', undefined, 'unsupported_parameter');
    rejects({ model: 'm', input: 'x', prompt: { id: 'pmpt_1' } }, 'prompt', undefined, 'unsupported_parameter');
    rejects({ model: 'm', input: 'x', background: true }, 'background', undefined, 'unsupported_parameter');
  });

  it('validates parameter types', () => {
    rejects({ model: 'm', input: 'x', max_output_tokens: 0 }, 'max_output_tokens');
    rejects({ model: 'm', input: 'x', max_output_tokens: 1.5 }, 'max_output_tokens');
    rejects({ model: 'm', input: 'x', temperature: 'hot' }, 'temperature');
    rejects({ model: 'm', input: 'x', stream: 'yes' }, 'stream');
    rejects({ model: 'm', input: 'x', text: { format: { type: 'xml' } } }, 'text.format.type');
    rejects({ model: 'm', input: 'x', text: { format: { type: 'json_schema', schema: {} } } }, 'text.format.name');
    rejects({ model: 'm', input: 'x', text: { format: { type: 'json_schema', name: 'n' } } }, 'text.format.schema');
    rejects({ model: 'm', input: 'x', reasoning: { effort: 3 } }, 'reasoning.effort');
    rejects({ model: 'm', input: 'x', reasoning: 'high' }, 'reasoning');
  });
});
