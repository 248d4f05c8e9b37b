import { InvalidRequestError } from '../../errors/index.js';
import type { IRContentPart, IRMessage, IRRequest, IRTool, IRToolCall } from '../../ir/index.js';
import { isJsonObject } from '../../protocols/json.js';
import type { JsonObject, JsonValue } from '../../protocols/json.js';

/**
 * IR request -> Ollama `POST /api/chat` body.
 *
 * Layering, lowest first: provider `defaults` (e.g. `{options: {num_ctx}, keep_alive}`),
 * then the Ollama-native fields the client sent (`extra.options`, `extra.keep_alive`,
 * `extra.think`), then the fields the IR names (max tokens, temperature, ...).
 * `options` is merged key by key at every layer. The upstream always streams.
 */
export function irToOllamaRequest(ir: IRRequest, defaults: Readonly<JsonObject>): JsonObject {
  const body: JsonObject = {};
  for (const key of Object.keys(defaults)) {
    const value = defaults[key];
    if (value !== undefined && key !== 'options') body[key] = value;
  }
  body.model = ir.model;
  body.messages = mapMessages(ir.messages);
  body.stream = true;

  const tools = mapTools(ir);
  if (tools !== undefined) body.tools = tools;
  else delete body.tools;

  if (ir.responseFormat?.type === 'json_object') body.format = 'json';
  else if (ir.responseFormat?.type === 'json_schema') body.format = toJsonObject(ir.responseFormat.schema);

  const keepAlive = ir.extra.keep_alive;
  if (keepAlive !== undefined) {
    if (typeof keepAlive !== 'string' && typeof keepAlive !== 'number') {
      throw new InvalidRequestError(`keep_alive must be a duration string such as "5m" or a number of seconds.`, { param: 'keep_alive' });
    }
    body.keep_alive = keepAlive;
  }

  const think = ir.reasoningEffort !== undefined ? thinkFromEffort(ir.reasoningEffort) : thinkFromExtra(ir.extra.think);
  if (think !== undefined) body.think = think;

  const options = mergeOptions(defaults.options, ir);
  if (Object.keys(options).length > 0) body.options = options;
  return body;
}

function mergeOptions(defaultOptions: JsonValue | undefined, ir: IRRequest): JsonObject {
  const options: JsonObject = isJsonObject(defaultOptions) ? { ...defaultOptions } : {};
  const clientOptions = ir.extra.options;
  if (clientOptions !== undefined) {
    if (!isJsonObject(clientOptions)) {
      throw new InvalidRequestError('options must be an object of Ollama model parameters, e.g. {"num_ctx": 32768}.', { param: 'options' });
    }
    Object.assign(options, clientOptions);
  }
  if (ir.maxTokens !== undefined) options.num_predict = ir.maxTokens;
  if (ir.temperature !== undefined) options.temperature = ir.temperature;
  if (ir.topP !== undefined) options.top_p = ir.topP;
  if (ir.seed !== undefined) options.seed = ir.seed;
  if (ir.stop !== undefined && ir.stop.length > 0) options.stop = [...ir.stop];
  return options;
}

const THINK_LEVELS = new Set(['low', 'medium', 'high', 'max']);

/** OpenAI reasoning effort -> Ollama `think`. gpt-oss understands only the levels, other thinking models also booleans. */
function thinkFromEffort(effort: string): boolean | string {
  if (effort === 'none' || effort === 'minimal') return false;
  if (effort === 'low' || effort === 'medium' || effort === 'high') return effort;
  // Ollama has no level above high for gpt-oss (it maps its own "max" to high).
  if (effort === 'xhigh') return 'high';
  throw new InvalidRequestError(
    `Reasoning effort '${effort}' is not supported by Ollama models; use none, minimal, low, medium or high.`,
    { param: 'reasoning_effort' },
  );
}

function thinkFromExtra(think: unknown): boolean | string | undefined {
  if (think === undefined) return undefined;
  if (typeof think === 'boolean') return think;
  if (typeof think === 'string' && THINK_LEVELS.has(think)) return think;
  throw new InvalidRequestError('think must be true, false, or one of "low", "medium", "high", "max".', { param: 'think' });
}

function mapTools(ir: IRRequest): JsonObject[] | undefined {
  const tools = ir.tools;
  if (tools === undefined || tools.length === 0) return undefined;
  // Ollama has no tool_choice. "none" is honoured by not offering tools; a named
  // choice by offering only that tool. "required" cannot be enforced.
  const choice = ir.toolChoice;
  if (choice === 'none') return undefined;
  let offered: readonly IRTool[] = tools;
  if (typeof choice === 'object') {
    offered = tools.filter((tool) => tool.name === choice.name);
    if (offered.length === 0) {
      throw new InvalidRequestError(`tool_choice names the function '${choice.name}', which is not among the tools.`, { param: 'tool_choice' });
    }
  }
  return offered.map(mapTool);
}

function mapTool(tool: IRTool): JsonObject {
  const fn: JsonObject = { name: tool.name };
  if (tool.description !== undefined) fn.description = tool.description;
  // Ollama's templates read parameters.properties; an empty object schema stands for "no arguments".
  fn.parameters = tool.parameters !== undefined ? toJsonObject(tool.parameters) : { type: 'object', properties: {} };
  return { type: 'function', function: fn };
}

function mapMessages(messages: readonly IRMessage[]): JsonObject[] {
  const out: JsonObject[] = [];
  // Ollama identifies a tool result by the tool's name; remember the name of every call id.
  const callNames = new Map<string, string>();
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i];
    if (message === undefined) continue;
    switch (message.role) {
      case 'system':
        out.push({ role: 'system', content: message.content });
        break;
      case 'user':
        out.push(contentMessage('user', message.content, i));
        break;
      case 'assistant': {
        const mapped: JsonObject = { role: 'assistant', content: message.content };
        if (message.reasoning !== undefined && message.reasoning !== '') mapped.thinking = message.reasoning;
        const calls = message.toolCalls;
        if (calls !== undefined && calls.length > 0) {
          mapped.tool_calls = calls.map((call, j) => {
            callNames.set(call.id, call.name);
            return mapToolCall(call, i, j);
          });
        }
        out.push(mapped);
        break;
      }
      case 'tool': {
        const mapped: JsonObject =
          typeof message.content === 'string' ? { role: 'tool', content: message.content } : contentMessage('tool', message.content, i);
        const name = message.name ?? callNames.get(message.toolCallId);
        if (name !== undefined) mapped.tool_name = name;
        if (message.toolCallId !== '') mapped.tool_call_id = message.toolCallId;
        out.push(mapped);
        break;
      }
    }
  }
  return out;
}

function contentMessage(role: 'user' | 'tool', parts: readonly IRContentPart[], index: number): JsonObject {
  let content = '';
  let images: string[] | undefined;
  for (let j = 0; j < parts.length; j++) {
    const part = parts[j];
    if (part === undefined) continue;
    if (part.type === 'text') {
      content = content === '' ? part.text : `${content}\n${part.text}`;
    } else {
      (images ??= []).push(imageBase64(part.url, `messages[${index}].content[${j}]`));
    }
  }
  const mapped: JsonObject = { role, content };
  if (images !== undefined) mapped.images = images;
  return mapped;
}

/** Ollama takes raw base64 image data; it cannot fetch URLs. */
function imageBase64(url: string, param: string): string {
  if (!url.startsWith('data:')) {
    const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(url)?.[0] ?? 'a non-data';
    throw new InvalidRequestError(
      `${param} is an image given by ${scheme} URL, which Ollama cannot fetch. Send the image inline as a base64 data: URL (data:image/png;base64,...).`,
      { param },
    );
  }
  const comma = url.indexOf(',');
  const meta = comma === -1 ? '' : url.slice(5, comma);
  if (comma === -1 || !meta.toLowerCase().endsWith(';base64')) {
    throw new InvalidRequestError(`${param} is a data: URL that is not base64 encoded; Ollama needs base64 image data (data:image/png;base64,...).`, {
      param,
    });
  }
  return url.slice(comma + 1);
}

function mapToolCall(call: IRToolCall, index: number, callIndex: number): JsonObject {
  const text = call.arguments.trim();
  let args: unknown = {};
  if (text !== '') {
    try {
      args = JSON.parse(text);
    } catch {
      args = undefined;
    }
  }
  if (!isJsonObject(args)) {
    throw new InvalidRequestError(
      `The arguments of tool call '${call.id}' (${call.name}) in messages[${index}] are not a JSON object; Ollama needs tool call arguments as an object.`,
      { param: `messages[${index}].tool_calls[${callIndex}].function.arguments` },
    );
  }
  const mapped: JsonObject = { function: { name: call.name, arguments: args } };
  if (call.id !== '') mapped.id = call.id;
  return mapped;
}

/** IR schemas came from a parsed JSON body, so they are JSON values. */
function toJsonObject(value: Readonly<Record<string, unknown>>): JsonObject {
  return value as JsonObject;
}
