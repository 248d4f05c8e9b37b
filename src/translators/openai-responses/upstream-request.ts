import type { IRContentPart, IRMessage, IRRequest, IRTool } from '../../ir/index.js';
import { isJsonObject } from '../../protocols/json.js';
import type { JsonObject } from '../../protocols/json.js';
import { toJsonObject } from '../openai-chat/json-values.js';

/*
 * Request side of the Responses API as an upstream format (IR -> `POST /v1/responses`).
 * The few wire shapes this module writes; field names as in the API reference
 * (see test/fixtures/responses-upstream/README.md for the sources).
 */

type InputText = { type: 'input_text'; text: string };
type InputImage = { type: 'input_image'; image_url: string } | { type: 'input_image'; image_url: string; detail: 'auto' | 'low' | 'high' };
type InputContent = InputText | InputImage;

type InputItem =
  | { type: 'message'; role: 'developer' | 'user'; content: InputContent[] }
  | { type: 'message'; role: 'assistant'; content: { type: 'output_text'; text: string }[] }
  | { type: 'function_call'; call_id: string; name: string; arguments: string }
  | { type: 'function_call_output'; call_id: string; output: string | InputContent[] };

/**
 * OpenAI rejects `max_output_tokens` below 16 (400 `integer_below_min_value`),
 * where Chat Completions accepts any positive `max_tokens`. A smaller limit is
 * raised to this floor so a Chat client's short probe (`max_tokens: 1`) still
 * gets an answer, cut off with finish reason `length`, instead of an error
 * about a field it never sent.
 */
export const MIN_MAX_OUTPUT_TOKENS = 16;

function content(parts: readonly IRContentPart[]): InputContent[] {
  const out: InputContent[] = [];
  for (const part of parts) {
    if (part.type === 'text') out.push({ type: 'input_text', text: part.text });
    else if (part.detail !== undefined) out.push({ type: 'input_image', image_url: part.url, detail: part.detail });
    else out.push({ type: 'input_image', image_url: part.url });
  }
  return out;
}

/**
 * The conversation as Responses input items, in order.
 *
 * System messages become `developer` messages where they stand rather than one
 * joined `instructions` string: Chat clients may put system messages between
 * turns, and joining them would move them ahead of the turns they follow;
 * OpenAI's reasoning models read system text as developer text anyway, and
 * Codex CLI sends its own base instructions the same way. It also leaves
 * `instructions` to a provider default, which then still applies.
 *
 * Earlier assistant reasoning is not sent: the Responses API only takes it back
 * as a `reasoning` item with the encrypted content of that same model, which
 * a Chat conversation does not have.
 */
function inputItems(messages: readonly IRMessage[]): InputItem[] {
  const items: InputItem[] = [];
  for (const message of messages) {
    switch (message.role) {
      case 'system':
        items.push({ type: 'message', role: 'developer', content: [{ type: 'input_text', text: message.content }] });
        break;
      case 'user':
        items.push({ type: 'message', role: 'user', content: content(message.content) });
        break;
      case 'assistant': {
        const calls = message.toolCalls;
        // An assistant turn that only called tools has no message item, as the API itself returns it.
        if (message.content !== '' || calls === undefined || calls.length === 0) {
          items.push({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: message.content }] });
        }
        if (calls !== undefined) {
          for (const call of calls) items.push({ type: 'function_call', call_id: call.id, name: call.name, arguments: call.arguments });
        }
        break;
      }
      case 'tool':
        items.push({
          type: 'function_call_output',
          call_id: message.toolCallId,
          output: typeof message.content === 'string' ? message.content : content(message.content),
        });
        break;
    }
  }
  return items;
}

function tool(t: IRTool, index: number): JsonObject {
  const out: JsonObject = { type: 'function', name: t.name };
  if (t.description !== undefined) out['description'] = t.description;
  // `parameters` is a required member of a Responses function tool; no schema means "no arguments".
  out['parameters'] =
    t.parameters !== undefined
      ? toJsonObject(t.parameters, `tools[${index}].parameters`)
      : t.strict === true
        ? { type: 'object', properties: {}, additionalProperties: false }
        : { type: 'object', properties: {} };
  // Responses treats an omitted `strict` as true and rewrites the schema into
  // strict mode (every field required); Chat's default is non-strict, so say so.
  out['strict'] = t.strict ?? false;
  return out;
}

/** `defaults[key]` as an object to lay the client's members over, or a fresh one. */
function objectUnder(defaults: Readonly<JsonObject>, key: string): JsonObject {
  const value = defaults[key];
  return isJsonObject(value) ? { ...value } : {};
}

/**
 * The upstream Responses body for an IR request. The provider's `defaults`
 * lie under the client's values (`text` and `reasoning` are merged member by
 * member, so a configured `reasoning.summary` keeps applying). The call always
 * streams, and `store` is always false: the gateway replays the whole
 * conversation on every call and keeps nothing at the upstream.
 *
 * Not sent, because the Responses API has no such parameter: `stop` and
 * `seed`. `extra` holds fields of the client's own format (Chat Completions),
 * which mean nothing here, so none are copied.
 */
export function irToResponsesRequest(ir: IRRequest, defaults: Readonly<JsonObject>): JsonObject {
  const body: JsonObject = { ...defaults };
  body['model'] = ir.model;
  body['input'] = inputItems(ir.messages);
  if (ir.tools !== undefined) body['tools'] = ir.tools.map(tool);
  if (ir.toolChoice !== undefined) {
    body['tool_choice'] = typeof ir.toolChoice === 'string' ? ir.toolChoice : { type: 'function', name: ir.toolChoice.name };
  }
  if (ir.parallelToolCalls !== undefined) body['parallel_tool_calls'] = ir.parallelToolCalls;
  if (ir.maxTokens !== undefined) body['max_output_tokens'] = Math.max(ir.maxTokens, MIN_MAX_OUTPUT_TOKENS);
  if (ir.temperature !== undefined) body['temperature'] = ir.temperature;
  if (ir.topP !== undefined) body['top_p'] = ir.topP;

  const format = ir.responseFormat;
  if (format !== undefined) {
    const text = objectUnder(defaults, 'text');
    if (format.type === 'json_schema') {
      const schema: JsonObject = { type: 'json_schema', name: format.name, schema: toJsonObject(format.schema, 'response_format.json_schema.schema') };
      if (format.strict !== undefined) schema['strict'] = format.strict;
      text['format'] = schema;
    } else {
      text['format'] = { type: format.type };
    }
    body['text'] = text;
  }
  if (ir.reasoningEffort !== undefined) {
    const reasoning = objectUnder(defaults, 'reasoning');
    reasoning['effort'] = ir.reasoningEffort;
    body['reasoning'] = reasoning;
  }

  body['stream'] = true;
  body['store'] = false;
  return body;
}
