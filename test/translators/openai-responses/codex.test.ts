import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { JsonObject, JsonValue } from '../../../src/protocols/json.js';
import { irToOllamaRequest } from '../../../src/translators/ollama/index.js';
import { irToChatRequest } from '../../../src/translators/openai-chat/index.js';
import { responsesRequestToIR } from '../../../src/translators/openai-responses/index.js';
import type { ResponsesEvent } from './helpers.js';
import { RESPONSES_FIXTURES, decodeReads, encodeToText, parseEvents, readBytes, readJson } from './helpers.js';

const update = process.env.UPDATE_GOLDEN === '1';

function golden(name: string, actual: JsonObject): JsonObject {
  const url = new URL(`codex/${name}`, RESPONSES_FIXTURES);
  if (update) writeFileSync(url, `${JSON.stringify(actual, null, 2)}\n`);
  return readJson(url) as JsonObject;
}

/** The request Codex CLI 0.169.0 sent for `codex exec "say hi"` (captured; ids zeroed). */
const capture = readJson(new URL('codex/exec-request.json', RESPONSES_FIXTURES)) as { body: JsonObject };
const body = capture.body;

type ChatMessage = { role: string; content: JsonValue; reasoning_content?: string; tool_calls?: { function: { name: string } }[] };
type ChatTool = { type: string; function: { name: string } };

describe('the captured Codex request', () => {
  const ir = responsesRequestToIR(body);
  const chat = irToChatRequest(ir, {});
  const ollama = irToOllamaRequest(ir, {});

  it('becomes the expected Chat Completions and Ollama bodies', () => {
    expect(chat).toEqual(golden('exec-request.chat.json', chat));
    expect(ollama).toEqual(golden('exec-request.ollama.json', ollama));
  });

  it('sends the developer messages as system messages, in order, before the user messages', () => {
    const input = body['input'] as JsonObject[];
    const messages = chat['messages'] as ChatMessage[];
    expect(messages.map((m) => m.role)).toEqual(input.map((item) => (item['role'] === 'developer' ? 'system' : item['role'])));
    expect(messages.map((m) => m.role)).toEqual(['system', 'system', 'user', 'user']);
    expect(messages[0]?.content).toMatch(/^You are a coding agent running in the Codex CLI/);
    expect(messages[3]?.content).toBe('say hi');
    expect(JSON.stringify(chat)).not.toContain('"developer"');
  });

  it('offers unique, valid tool names, with the namespace tools flattened and web_search dropped visibly', () => {
    const names = (chat['tools'] as ChatTool[]).map((t) => t.function.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
    expect(names).toEqual(
      expect.arrayContaining([
        'exec_command',
        'multi_agent_v1__close_agent',
        'multi_agent_v1__resume_agent',
        'multi_agent_v1__send_input',
        'multi_agent_v1__spawn_agent',
        'multi_agent_v1__wait_agent',
      ]),
    );
    expect(names).not.toContain('web_search');
    expect((ollama['tools'] as ChatTool[]).map((t) => t.function.name)).toEqual(names);
    expect(ir.droppedTools).toEqual(['web_search']);
    expect(ir.tools?.find((t) => t.name === 'multi_agent_v1__close_agent')?.origin).toEqual({ kind: 'function', name: 'close_agent', namespace: 'multi_agent_v1' });
  });

  it('forwards none of the Responses-only fields', () => {
    expect(ir.extra).toEqual({});
    for (const key of ['store', 'include', 'prompt_cache_key', 'client_metadata', 'reasoning', 'input']) {
      expect(chat).not.toHaveProperty(key);
      expect(ollama).not.toHaveProperty(key);
    }
    expect(chat).toMatchObject({ model: 'gpt-oss:20b', stream: true, tool_choice: 'auto', parallel_tool_calls: true });
  });
});

describe('the next Codex request of a tool loop', () => {
  // What the gateway streamed back (reasoning and two calls, one of a namespace tool), echoed as Codex echoes it.
  const events: ResponsesEvent[] = parseEvents(
    encodeToText(decodeReads('ollama', [readBytes('responses/upstream/ollama-namespaced.ndjson')]), {
      request: responsesRequestToIR(body),
    }),
  );
  const output = events.filter((e) => e.type === 'response.output_item.done').map((e) => e['item'] as JsonObject);
  const next: JsonObject = {
    ...body,
    input: [
      ...(body['input'] as JsonValue[]),
      ...output,
      { type: 'function_call_output', call_id: 'call_x7k2m9qa', output: 'agent started' },
      { type: 'function_call_output', call_id: 'call_b4n8v1zc', output: [{ type: 'input_text', text: 'On branch main' }] },
    ],
  };
  const ir = responsesRequestToIR(next);
  const chat = irToChatRequest(ir, {});
  const ollama = irToOllamaRequest(ir, {});
  const reasoning = 'Spawn a sub-agent to run the tests.';

  it('gives the calls back under the names the upstream knows', () => {
    const assistant = (chat['messages'] as ChatMessage[])[4];
    expect(assistant?.role).toBe('assistant');
    expect(assistant?.tool_calls?.map((c) => c.function.name)).toEqual(['multi_agent_v1__spawn_agent', 'exec_command']);
  });

  it('never puts reasoning into message text; Ollama gets it back as thinking', () => {
    for (const m of chat['messages'] as ChatMessage[]) {
      expect(JSON.stringify(m.content)).not.toContain('sub-agent to run');
      expect(m.reasoning_content).toBeUndefined();
    }
    const messages = ollama['messages'] as { role: string; content: string; thinking?: string }[];
    expect(messages[4]).toMatchObject({ role: 'assistant', content: '', thinking: reasoning });
    expect(messages.slice(5).map((m) => [m.role, m.content])).toEqual([
      ['tool', 'agent started'],
      ['tool', 'On branch main'],
    ]);
  });

  it('restores the reasoning from the encrypted_content the gateway minted', () => {
    expect(output[0]).toMatchObject({ type: 'reasoning', encrypted_content: expect.stringMatching(/^tollgate\.v1\./) as unknown });
    expect(ir.messages[4]).toMatchObject({ role: 'assistant', reasoning });
  });
});
