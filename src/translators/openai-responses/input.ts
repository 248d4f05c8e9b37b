import type { IRContentPart, IRMessage, IRToolCall } from '../../ir/index.js';
import { isJsonObject } from '../../protocols/json.js';
import type { JsonObject, JsonValue } from '../../protocols/json.js';
import { readReasoningState } from './reasoning-state.js';
import type { ToolCatalog } from './tools.js';
import { fail, requireString, typeName } from '../shared/validate.js';

/** An assistant message still being assembled: calls that follow it directly join it. */
interface AssistantDraft {
  role: 'assistant';
  content: string;
  reasoning?: string;
  toolCalls?: IRToolCall[];
}

function joinText(a: string, b: string, separator: string): string {
  if (a === '') return b;
  return b === '' ? a : a + separator + b;
}

function image(part: JsonObject, param: string): IRContentPart {
  const url = part['image_url'];
  if (typeof url !== 'string' || url === '') {
    if (typeof part['file_id'] === 'string') {
      fail(`${param} names an uploaded file (file_id), which only OpenAI's own API can resolve; send the image as image_url (a data: URL or an http(s) URL)`, `${param}.file_id`);
    }
    fail(`${param}.image_url must be a data: URL or an http(s) URL`, `${param}.image_url`);
  }
  if (!url.startsWith('data:') && !url.startsWith('https://') && !url.startsWith('http://')) {
    fail(`${param}.image_url must be a data: URL or an http(s) URL`, `${param}.image_url`);
  }
  const detail = part['detail'];
  if (detail === 'auto' || detail === 'low' || detail === 'high') return { type: 'image', url, detail };
  // 'original' (full resolution) has no Chat equivalent; 'high' is the nearest.
  if (detail === 'original') return { type: 'image', url, detail: 'high' };
  return { type: 'image', url };
}

function unsupportedPart(type: JsonValue | undefined, param: string, allowed: string): never {
  if (type === 'input_file') {
    fail(`${param} is a file input, which cannot be translated for this model's upstream; send the file's text as input_text`, `${param}.type`);
  }
  return fail(`${param}.type ${JSON.stringify(type ?? null)} is not supported here; send ${allowed}`, `${param}.type`);
}

/** User content and tool outputs: text and images. */
function contentParts(content: JsonValue | undefined, param: string): IRContentPart[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  if (!Array.isArray(content)) fail(`${param} must be a string or an array of content parts (got ${typeName(content)})`, param);
  const parts: IRContentPart[] = [];
  for (let j = 0; j < content.length; j++) {
    const part = content[j];
    const partParam = `${param}[${j}]`;
    if (!isJsonObject(part)) fail(`${partParam} must be an object with a type`, partParam);
    const type = part['type'];
    if (type === 'input_text' || type === 'output_text' || type === 'text') parts.push({ type: 'text', text: requireString(part['text'], `${partParam}.text`) });
    else if (type === 'input_image') parts.push(image(part, partParam));
    else unsupportedPart(type, partParam, "'input_text' or 'input_image' parts");
  }
  return parts;
}

/** System, developer and assistant content: text only. */
function textContent(content: JsonValue | undefined, param: string, separator: string): string {
  if (content === undefined || content === null) return '';
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) fail(`${param} must be a string or an array of content parts (got ${typeName(content)})`, param);
  let text = '';
  for (let j = 0; j < content.length; j++) {
    const part = content[j];
    const partParam = `${param}[${j}]`;
    if (!isJsonObject(part)) fail(`${partParam} must be an object with a type`, partParam);
    const type = part['type'];
    if (type === 'input_text' || type === 'output_text' || type === 'text') text = joinText(text, requireString(part['text'], `${partParam}.text`), separator);
    else if (type === 'refusal') text = joinText(text, requireString(part['refusal'], `${partParam}.refusal`), separator);
    else unsupportedPart(type, partParam, 'text parts (images are accepted in user messages only)');
  }
  return text;
}

/** A tool output: text only becomes one string (what every Chat server accepts); with images it stays parts. */
function toolOutput(output: JsonValue | undefined, param: string): string | IRContentPart[] {
  if (output === undefined || output === null) return '';
  if (typeof output === 'string') return output;
  const parts = contentParts(output, param);
  if (parts.some((p) => p.type === 'image')) return parts;
  let text = '';
  for (const part of parts) if (part.type === 'text') text = joinText(text, part.text, '\n');
  return text;
}

/**
 * The text of a reasoning item: what the gateway minted into
 * `encrypted_content` when it sent the item, else the item's raw reasoning
 * content, else its summary. It becomes the `reasoning` of an assistant
 * message, never text the model reads as said.
 */
function reasoningText(item: JsonObject): string {
  const restored = readReasoningState(item['encrypted_content']);
  if (restored !== undefined) return restored;
  let text = '';
  const content = item['content'];
  if (Array.isArray(content)) {
    for (const part of content) {
      if (isJsonObject(part) && typeof part['text'] === 'string') text += part['text'];
    }
  }
  if (text !== '') return text;
  const summary = item['summary'];
  if (Array.isArray(summary)) {
    for (const part of summary) {
      if (isJsonObject(part) && typeof part['text'] === 'string') text = joinText(text, part['text'], '\n\n');
    }
  }
  return text;
}

/** Responses `instructions` and `input` as IR messages. */
export function inputToMessages(instructions: JsonValue | undefined, input: JsonValue | undefined, catalog: ToolCatalog): IRMessage[] {
  const messages: IRMessage[] = [];
  if (instructions !== undefined && instructions !== null) {
    const text = requireString(instructions, 'instructions');
    if (text !== '') messages.push({ role: 'system', content: text });
  }
  if (input === undefined || input === null) fail('input is required: a string or an array of input items', 'input');
  if (typeof input === 'string') {
    messages.push({ role: 'user', content: [{ type: 'text', text: input }] });
    return messages;
  }
  if (!Array.isArray(input)) fail(`input must be a string or an array of input items (got ${typeName(input)})`, 'input');

  // The assistant message that directly precedes: function calls and reasoning join it.
  let open: AssistantDraft | undefined;
  // Reasoning waiting for the assistant output it belongs to.
  let pendingReasoning = '';
  const assistant = (content: string, call?: IRToolCall): AssistantDraft => {
    const draft: AssistantDraft = { role: 'assistant', content };
    if (pendingReasoning !== '') draft.reasoning = pendingReasoning;
    if (call) draft.toolCalls = [call];
    pendingReasoning = '';
    messages.push(draft);
    return draft;
  };

  for (let i = 0; i < input.length; i++) {
    const item = input[i];
    const param = `input[${i}]`;
    if (!isJsonObject(item)) fail(`${param} must be an object`, param);
    const rawType = item['type'];
    // An "easy input message" is just {role, content}.
    const type = rawType === undefined && item['role'] !== undefined ? 'message' : rawType;
    switch (type) {
      case 'message': {
        const role = item['role'];
        const content = item['content'];
        if (role === 'system' || role === 'developer') {
          messages.push({ role: 'system', content: textContent(content, `${param}.content`, '\n') });
          open = undefined;
        } else if (role === 'user') {
          if (content === undefined || content === null) fail(`${param}.content is required for a user message`, `${param}.content`);
          messages.push({ role: 'user', content: contentParts(content, `${param}.content`) });
          open = undefined;
          // Reasoning is only ever replayed on the assistant turn that followed it.
          pendingReasoning = '';
        } else if (role === 'assistant') {
          open = assistant(textContent(content, `${param}.content`, ''));
        } else {
          fail(`${param}.role must be one of user, assistant, system or developer (got ${JSON.stringify(role ?? null)})`, `${param}.role`);
        }
        break;
      }
      case 'function_call':
      case 'custom_tool_call': {
        const custom = type === 'custom_tool_call';
        const name = requireString(item['name'], `${param}.name`);
        const namespace = typeof item['namespace'] === 'string' && item['namespace'] !== '' ? item['namespace'] : undefined;
        const callId = requireString(item['call_id'], `${param}.call_id`);
        let args: string;
        if (custom) {
          args = JSON.stringify({ input: requireString(item['input'], `${param}.input`) });
        } else {
          const raw = item['arguments'];
          args = typeof raw === 'string' ? raw : raw === undefined || raw === null ? '' : JSON.stringify(raw);
        }
        const call: IRToolCall = { id: callId, name: catalog.historyName(custom ? 'custom' : 'function', name, namespace), arguments: args };
        if (open) (open.toolCalls ??= []).push(call);
        else open = assistant('', call);
        break;
      }
      case 'function_call_output':
      case 'custom_tool_call_output':
        messages.push({
          role: 'tool',
          toolCallId: requireString(item['call_id'], `${param}.call_id`),
          content: toolOutput(item['output'], `${param}.output`),
        });
        open = undefined;
        break;
      case 'reasoning': {
        const text = reasoningText(item);
        if (text === '') break;
        if (open) open.reasoning = joinText(open.reasoning ?? '', text, '\n');
        else pendingReasoning = joinText(pendingReasoning, text, '\n');
        break;
      }
      default:
        // item_reference, tool_search_call/output, web_search_call, compaction and
        // item types yet to come: nothing a Chat upstream can be given. Dropped.
        if (typeof type !== 'string') fail(`${param}.type must be a string naming the item type`, `${param}.type`);
        break;
    }
  }
  return messages;
}
