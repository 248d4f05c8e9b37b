import type {
  IRContentPart,
  IRMessage,
  IRRequest,
  IRResponseFormat,
  IRTool,
  IRToolCall,
  IRToolChoice,
} from '../../ir/index.js';
import { isJsonObject } from '../../protocols/json.js';
import type { JsonObject, JsonValue } from '../../protocols/json.js';
import { mergeUnder, toJsonObject } from './json-values.js';
import { fail, optionalBoolean, optionalInteger, optionalNumber, requireString, typeName } from '../shared/validate.js';

/** Top-level fields the IR names, or that the gateway decides itself; every other field goes to `extra`. */
const KNOWN_FIELDS: ReadonlySet<string> = new Set([
  'model',
  'messages',
  'stream',
  'stream_options',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'max_tokens',
  'max_completion_tokens',
  'temperature',
  'top_p',
  'stop',
  'seed',
  'reasoning_effort',
  'response_format',
]);

/** Text of a system, developer, assistant or tool message: a string or an array of text parts. */
function textContent(content: JsonValue | undefined, param: string): string {
  if (content === undefined || content === null) return '';
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) fail(`${param} must be a string or an array of content parts (got ${typeName(content)})`, param);
  let text = '';
  for (let j = 0; j < content.length; j++) {
    const part = content[j];
    const partParam = `${param}[${j}]`;
    if (!isJsonObject(part)) fail(`${partParam} must be an object`, partParam);
    if (part['type'] === 'text') text += requireString(part['text'], `${partParam}.text`);
    // An assistant turn echoed back may hold its refusal as a part; it is text to the model.
    else if (part['type'] === 'refusal') text += requireString(part['refusal'], `${partParam}.refusal`);
    else fail(`${partParam}.type must be 'text' here (got ${JSON.stringify(part['type'] ?? null)})`, `${partParam}.type`);
  }
  return text;
}

function contentParts(content: JsonValue | undefined, param: string): IRContentPart[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  if (!Array.isArray(content)) fail(`${param} must be a string or an array of content parts (got ${typeName(content)})`, param);
  const parts: IRContentPart[] = [];
  for (let j = 0; j < content.length; j++) {
    const part = content[j];
    const partParam = `${param}[${j}]`;
    if (!isJsonObject(part)) fail(`${partParam} must be an object`, partParam);
    const type = part['type'];
    if (type === 'text') {
      parts.push({ type: 'text', text: requireString(part['text'], `${partParam}.text`) });
    } else if (type === 'image_url') {
      const image = part['image_url'];
      if (!isJsonObject(image)) fail(`${partParam}.image_url must be an object with a url`, `${partParam}.image_url`);
      const url = requireString(image['url'], `${partParam}.image_url.url`);
      const detail = image['detail'];
      if (detail === 'auto' || detail === 'low' || detail === 'high') parts.push({ type: 'image', url, detail });
      else if (detail === undefined || detail === null) parts.push({ type: 'image', url });
      else fail(`${partParam}.image_url.detail must be 'auto', 'low' or 'high'`, `${partParam}.image_url.detail`);
    } else {
      fail(`${partParam}.type ${JSON.stringify(type ?? null)} is not supported by this gateway; send 'text' or 'image_url' parts`, `${partParam}.type`);
    }
  }
  return parts;
}

function toolCalls(value: JsonValue | undefined, param: string): IRToolCall[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) fail(`${param} must be an array`, param);
  const calls: IRToolCall[] = [];
  for (let j = 0; j < value.length; j++) {
    const call = value[j];
    const callParam = `${param}[${j}]`;
    if (!isJsonObject(call)) fail(`${callParam} must be an object`, callParam);
    if (call['type'] !== undefined && call['type'] !== 'function') fail(`${callParam}.type must be 'function'`, `${callParam}.type`);
    const fn = call['function'];
    if (!isJsonObject(fn)) fail(`${callParam}.function must be an object with name and arguments`, `${callParam}.function`);
    const args = fn['arguments'];
    calls.push({
      id: requireString(call['id'], `${callParam}.id`),
      name: requireString(fn['name'], `${callParam}.function.name`),
      // Some clients send the arguments as an object rather than JSON text.
      arguments: typeof args === 'string' ? args : args === undefined || args === null ? '' : JSON.stringify(args),
    });
  }
  return calls.length > 0 ? calls : undefined;
}

function message(value: JsonValue | undefined, i: number): IRMessage {
  const param = `messages[${i}]`;
  if (!isJsonObject(value)) fail(`${param} must be an object with a role`, param);
  const role = value['role'];
  const content = value['content'];
  switch (role) {
    case 'system':
    case 'developer':
      return { role: 'system', content: textContent(content, `${param}.content`) };
    case 'user':
      if (content === undefined || content === null) fail(`${param}.content is required for a user message`, `${param}.content`);
      return { role: 'user', content: contentParts(content, `${param}.content`) };
    case 'assistant': {
      const calls = toolCalls(value['tool_calls'], `${param}.tool_calls`);
      const reasoning = value['reasoning_content'] ?? value['reasoning'];
      if (value['function_call'] !== undefined && value['function_call'] !== null) {
        fail(`${param}.function_call is the legacy functions API, which this gateway does not support; send tool_calls`, `${param}.function_call`);
      }
      return {
        role: 'assistant',
        content: textContent(content, `${param}.content`),
        ...(typeof reasoning === 'string' && reasoning !== '' ? { reasoning } : {}),
        ...(calls ? { toolCalls: calls } : {}),
      };
    }
    case 'tool': {
      const toolCallId = requireString(value['tool_call_id'], `${param}.tool_call_id`);
      const name = value['name'];
      return {
        role: 'tool',
        toolCallId,
        ...(typeof name === 'string' ? { name } : {}),
        content: typeof content === 'string' || content === undefined || content === null ? (content ?? '') : contentParts(content, `${param}.content`),
      };
    }
    case 'function':
      return fail(`${param}.role 'function' is the legacy functions API, which this gateway does not support; send tool messages`, `${param}.role`);
    default:
      return fail(
        `${param}.role must be one of system, developer, user, assistant or tool (got ${JSON.stringify(role ?? null)})`,
        `${param}.role`,
      );
  }
}

function tools(value: JsonValue | undefined): IRTool[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) fail('tools must be an array', 'tools');
  const out: IRTool[] = [];
  for (let i = 0; i < value.length; i++) {
    const tool = value[i];
    const param = `tools[${i}]`;
    if (!isJsonObject(tool)) fail(`${param} must be an object`, param);
    if (tool['type'] !== 'function') {
      fail(`${param}.type ${JSON.stringify(tool['type'] ?? null)} is not supported on chat completions; only 'function' tools are`, `${param}.type`);
    }
    const fn = tool['function'];
    if (!isJsonObject(fn)) fail(`${param}.function must be an object with a name`, `${param}.function`);
    const description = fn['description'];
    const parameters = fn['parameters'];
    const strict = fn['strict'];
    if (parameters !== undefined && parameters !== null && !isJsonObject(parameters)) {
      fail(`${param}.function.parameters must be a JSON Schema object`, `${param}.function.parameters`);
    }
    out.push({
      name: requireString(fn['name'], `${param}.function.name`),
      ...(typeof description === 'string' ? { description } : {}),
      ...(isJsonObject(parameters) ? { parameters } : {}),
      ...(typeof strict === 'boolean' ? { strict } : {}),
    });
  }
  return out;
}

function toolChoice(value: JsonValue | undefined): IRToolChoice | undefined {
  if (value === undefined || value === null) return undefined;
  if (value === 'auto' || value === 'none' || value === 'required') return value;
  if (isJsonObject(value) && value['type'] === 'function' && isJsonObject(value['function'])) {
    return { name: requireString(value['function']['name'], 'tool_choice.function.name') };
  }
  return fail(`tool_choice must be 'auto', 'none', 'required' or {"type":"function","function":{"name":...}}`, 'tool_choice');
}

function stop(value: JsonValue | undefined): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((s) => typeof s === 'string')) return value;
  return fail('stop must be a string or an array of strings', 'stop');
}

function responseFormat(value: JsonValue | undefined): IRResponseFormat | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isJsonObject(value)) fail('response_format must be an object with a type', 'response_format');
  const type = value['type'];
  if (type === 'text' || type === 'json_object') return { type };
  if (type === 'json_schema') {
    const spec = value['json_schema'];
    if (!isJsonObject(spec)) fail('response_format.json_schema must be an object with a name and a schema', 'response_format.json_schema');
    const schema = spec['schema'];
    const strict = spec['strict'];
    if (schema !== undefined && schema !== null && !isJsonObject(schema)) {
      fail('response_format.json_schema.schema must be a JSON Schema object', 'response_format.json_schema.schema');
    }
    return {
      type: 'json_schema',
      name: requireString(spec['name'], 'response_format.json_schema.name'),
      schema: isJsonObject(schema) ? schema : {},
      ...(typeof strict === 'boolean' ? { strict } : {}),
    };
  }
  return fail(`response_format.type must be 'text', 'json_object' or 'json_schema' (got ${JSON.stringify(type ?? null)})`, 'response_format.type');
}

/** Validates a Chat Completions request body and converts it to the IR. */
export function chatRequestToIR(body: JsonObject): IRRequest {
  const model = body['model'];
  if (typeof model !== 'string' || model === '') fail('model must be a non-empty string naming a model', 'model');
  const rawMessages = body['messages'];
  if (!Array.isArray(rawMessages) || rawMessages.length === 0) fail('messages must be a non-empty array', 'messages');
  const messages: IRMessage[] = [];
  for (let i = 0; i < rawMessages.length; i++) messages.push(message(rawMessages[i], i));

  const ir: IRRequest = { model, messages, stream: optionalBoolean(body, 'stream') ?? false, extra: {} };
  const irTools = tools(body['tools']);
  if (irTools) ir.tools = irTools;
  const choice = toolChoice(body['tool_choice']);
  if (choice !== undefined) ir.toolChoice = choice;
  const parallel = optionalBoolean(body, 'parallel_tool_calls');
  if (parallel !== undefined) ir.parallelToolCalls = parallel;
  // max_completion_tokens replaced max_tokens; when both are sent the newer one wins.
  const maxTokens = optionalInteger(body, 'max_completion_tokens', 1) ?? optionalInteger(body, 'max_tokens', 1);
  if (maxTokens !== undefined) ir.maxTokens = maxTokens;
  const temperature = optionalNumber(body, 'temperature');
  if (temperature !== undefined) ir.temperature = temperature;
  const topP = optionalNumber(body, 'top_p');
  if (topP !== undefined) ir.topP = topP;
  const stops = stop(body['stop']);
  if (stops) ir.stop = stops;
  const seed = optionalInteger(body, 'seed', Number.MIN_SAFE_INTEGER);
  if (seed !== undefined) ir.seed = seed;
  const effort = body['reasoning_effort'];
  if (effort !== undefined && effort !== null) ir.reasoningEffort = requireString(effort, 'reasoning_effort');
  const format = responseFormat(body['response_format']);
  if (format) ir.responseFormat = format;

  for (const key of Object.keys(body)) {
    if (!KNOWN_FIELDS.has(key)) ir.extra[key] = body[key];
  }
  return ir;
}

export interface ChatRequestBuildOptions {
  /**
   * The field that carries the token limit: `max_tokens` (default; every
   * OpenAI-compatible server reads it) or `max_completion_tokens` (what
   * OpenAI's reasoning models require).
   */
  readonly maxTokensField?: 'max_tokens' | 'max_completion_tokens';
  /**
   * Send earlier assistant reasoning back as `reasoning_content`. Off by
   * default: some servers (DeepSeek's API) reject it in input messages.
   */
  readonly includeReasoning?: boolean;
}

function partsToJson(parts: readonly IRContentPart[]): JsonValue {
  const only = parts[0];
  if (parts.length === 1 && only?.type === 'text') return only.text;
  const out: JsonValue[] = [];
  for (const part of parts) {
    if (part.type === 'text') out.push({ type: 'text', text: part.text });
    else out.push({ type: 'image_url', image_url: part.detail ? { url: part.url, detail: part.detail } : { url: part.url } });
  }
  return out;
}

function messageToJson(m: IRMessage, includeReasoning: boolean): JsonObject {
  switch (m.role) {
    case 'system':
      return { role: 'system', content: m.content };
    case 'user':
      return { role: 'user', content: partsToJson(m.content) };
    case 'assistant': {
      const calls = m.toolCalls;
      const out: JsonObject = { role: 'assistant', content: m.content === '' && calls && calls.length > 0 ? null : m.content };
      if (calls && calls.length > 0) {
        out['tool_calls'] = calls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } }));
      }
      if (includeReasoning && m.reasoning) out['reasoning_content'] = m.reasoning;
      return out;
    }
    case 'tool':
      return { role: 'tool', tool_call_id: m.toolCallId, content: typeof m.content === 'string' ? m.content : partsToJson(m.content) };
  }
}

/**
 * The upstream Chat Completions body for an IR request. The provider's
 * `defaults` lie under the client's values; `extra` fields are copied
 * through, since in this format they mean what the client meant. The call
 * always streams, with usage, because translated calls stream upstream.
 */
export function irToChatRequest(ir: IRRequest, defaults: Readonly<JsonObject>, options: ChatRequestBuildOptions = {}): JsonObject {
  const body = toJsonObject(mergeUnder(defaults, ir.extra), 'extra');
  body['model'] = ir.model;
  const includeReasoning = options.includeReasoning ?? false;
  body['messages'] = ir.messages.map((m) => messageToJson(m, includeReasoning));
  if (ir.tools) {
    body['tools'] = ir.tools.map((t, i) => {
      const fn: JsonObject = { name: t.name };
      if (t.description !== undefined) fn['description'] = t.description;
      if (t.parameters !== undefined) fn['parameters'] = toJsonObject(t.parameters, `tools[${i}].parameters`);
      if (t.strict !== undefined) fn['strict'] = t.strict;
      return { type: 'function', function: fn };
    });
  }
  if (ir.toolChoice !== undefined) {
    body['tool_choice'] = typeof ir.toolChoice === 'string' ? ir.toolChoice : { type: 'function', function: { name: ir.toolChoice.name } };
  }
  if (ir.parallelToolCalls !== undefined) body['parallel_tool_calls'] = ir.parallelToolCalls;
  if (ir.maxTokens !== undefined) body[options.maxTokensField ?? 'max_tokens'] = ir.maxTokens;
  if (ir.temperature !== undefined) body['temperature'] = ir.temperature;
  if (ir.topP !== undefined) body['top_p'] = ir.topP;
  if (ir.stop !== undefined) body['stop'] = [...ir.stop];
  if (ir.seed !== undefined) body['seed'] = ir.seed;
  if (ir.reasoningEffort !== undefined) body['reasoning_effort'] = ir.reasoningEffort;
  const format = ir.responseFormat;
  if (format) {
    body['response_format'] =
      format.type === 'json_schema'
        ? {
            type: 'json_schema',
            json_schema: {
              name: format.name,
              schema: toJsonObject(format.schema, 'response_format.json_schema.schema'),
              ...(format.strict !== undefined ? { strict: format.strict } : {}),
            },
          }
        : { type: format.type };
  }
  body['stream'] = true;
  const configured = body['stream_options'];
  body['stream_options'] = isJsonObject(configured) ? { ...configured, include_usage: true } : { include_usage: true };
  return body;
}
