import type { IRRequest, IRResponseFormat, IRTool, IRToolChoice } from '../../ir/index.js';
import { isJsonObject } from '../../protocols/json.js';
import type { JsonObject, JsonValue } from '../../protocols/json.js';
import { inputToMessages } from './input.js';
import { ToolCatalog } from './tools.js';
import { fail, optionalBoolean, optionalNumber, typeName } from '../shared/validate.js';

function optionalObject(body: JsonObject, key: string): JsonObject | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (!isJsonObject(value)) fail(`${key} must be an object (got ${typeName(value)})`, key);
  return value;
}

/**
 * Fields that need state the gateway does not keep on translated routes. A
 * stateless client (Codex sends `store: false`) resends the whole
 * conversation in `input`, which is what these routes need.
 */
function rejectServerState(body: JsonObject): void {
  const previous = body['previous_response_id'];
  if (previous !== undefined && previous !== null && previous !== '') {
    fail(
      "previous_response_id is not supported for this model: the gateway keeps no conversation state when it translates to the model's upstream API. Send the full conversation in input (with store: false, as Codex does).",
      'previous_response_id',
      'unsupported_parameter',
    );
  }
  const conversation = body['conversation'];
  if (conversation !== undefined && conversation !== null) {
    fail('conversation is not supported for this model: the gateway keeps no conversation state on translated routes. Send the full conversation in input.', 'conversation', 'unsupported_parameter');
  }
  const prompt = body['prompt'];
  if (prompt !== undefined && prompt !== null) {
    fail('prompt (a stored prompt template) is not supported for this model; send the instructions and input themselves.', 'prompt', 'unsupported_parameter');
  }
  if (body['background'] === true) {
    fail('background responses are not supported for this model; stream the response instead (stream: true).', 'background', 'unsupported_parameter');
  }
}

function toolChoice(value: JsonValue | undefined, catalog: ToolCatalog, ir: IRRequest): IRToolChoice | undefined {
  if (value === undefined || value === null) return undefined;
  if (value === 'auto' || value === 'none' || value === 'required') return value;
  if (!isJsonObject(value)) fail(`tool_choice must be 'auto', 'none', 'required' or an object naming a tool`, 'tool_choice');
  const type = value['type'];
  if (type === 'function' || type === 'custom') {
    const name = value['name'];
    if (typeof name !== 'string' || name === '') fail('tool_choice.name must be a non-empty string', 'tool_choice.name');
    const namespace = typeof value['namespace'] === 'string' && value['namespace'] !== '' ? value['namespace'] : undefined;
    const irName = catalog.irName(type, name, namespace);
    if (irName === undefined) fail(`tool_choice names the ${type} tool '${name}', which is not among the tools`, 'tool_choice.name');
    return { name: irName };
  }
  if (type === 'allowed_tools') return allowedTools(value, catalog, ir);
  return fail(
    `tool_choice ${JSON.stringify(type ?? null)} forces a hosted tool, which this model's upstream cannot run; use 'auto', 'required' or a function or custom tool`,
    'tool_choice.type',
  );
}

/** `allowed_tools`: the upstream is offered only the listed tools, with the given mode. */
function allowedTools(value: JsonObject, catalog: ToolCatalog, ir: IRRequest): IRToolChoice {
  const mode = value['mode'];
  if (mode !== 'auto' && mode !== 'required') fail(`tool_choice.mode must be 'auto' or 'required'`, 'tool_choice.mode');
  const listed = value['tools'];
  if (!Array.isArray(listed)) fail('tool_choice.tools must be an array of tools', 'tool_choice.tools');
  const keep = new Set<string>();
  for (const entry of listed) {
    if (!isJsonObject(entry)) continue;
    const type = entry['type'];
    const name = entry['name'];
    if ((type !== 'function' && type !== 'custom') || typeof name !== 'string') continue;
    const namespace = typeof entry['namespace'] === 'string' ? entry['namespace'] : undefined;
    const irName = catalog.irName(type, name, namespace);
    if (irName !== undefined) keep.add(irName);
  }
  const tools: IRTool[] | undefined = ir.tools?.filter((t) => keep.has(t.name));
  if (tools && tools.length > 0) ir.tools = tools;
  else delete ir.tools;
  return mode;
}

function textFormat(text: JsonObject | undefined): IRResponseFormat | undefined {
  if (text === undefined) return undefined;
  const format = text['format'];
  if (format === undefined || format === null) return undefined;
  if (!isJsonObject(format)) fail('text.format must be an object with a type', 'text.format');
  const type = format['type'];
  if (type === 'text' || type === 'json_object') return { type };
  if (type === 'json_schema') {
    const name = format['name'];
    if (typeof name !== 'string' || name === '') fail('text.format.name must be a non-empty string', 'text.format.name');
    const schema = format['schema'];
    if (!isJsonObject(schema)) fail('text.format.schema must be a JSON Schema object', 'text.format.schema');
    const strict = format['strict'];
    return { type: 'json_schema', name, schema, ...(typeof strict === 'boolean' ? { strict } : {}) };
  }
  return fail(`text.format.type must be 'text', 'json_object' or 'json_schema' (got ${JSON.stringify(type ?? null)})`, 'text.format.type');
}

/**
 * Validates a Responses API request body and converts it to the IR.
 * `extra` stays empty: Responses-only fields (store, include,
 * prompt_cache_key, metadata, truncation, service_tier, …) mean nothing
 * reliable to a Chat Completions or Ollama upstream.
 */
export function responsesRequestToIR(body: JsonObject): IRRequest {
  const model = body['model'];
  if (typeof model !== 'string' || model === '') fail('model must be a non-empty string naming a model', 'model');
  rejectServerState(body);
  const catalog = new ToolCatalog(body['tools']);
  const messages = inputToMessages(body['instructions'], body['input'], catalog);

  const ir: IRRequest = { model, messages, stream: optionalBoolean(body, 'stream') ?? false, extra: {} };
  if (catalog.tools.length > 0) ir.tools = catalog.tools;
  if (catalog.dropped.length > 0) ir.droppedTools = catalog.dropped;
  const choice = toolChoice(body['tool_choice'], catalog, ir);
  const parallel = optionalBoolean(body, 'parallel_tool_calls');
  // Chat servers (OpenAI's among them) reject both fields without tools, which is
  // what is left when every tool offered was a hosted one.
  if (ir.tools) {
    if (choice !== undefined) ir.toolChoice = choice;
    if (parallel !== undefined) ir.parallelToolCalls = parallel;
  }
  const maxTokens = optionalNumber(body, 'max_output_tokens');
  if (maxTokens !== undefined) {
    if (!Number.isInteger(maxTokens) || maxTokens < 1) fail(`max_output_tokens must be an integer of at least 1 (got ${maxTokens})`, 'max_output_tokens');
    ir.maxTokens = maxTokens;
  }
  const temperature = optionalNumber(body, 'temperature');
  if (temperature !== undefined) ir.temperature = temperature;
  const topP = optionalNumber(body, 'top_p');
  if (topP !== undefined) ir.topP = topP;
  const format = textFormat(optionalObject(body, 'text'));
  if (format) ir.responseFormat = format;
  const reasoning = optionalObject(body, 'reasoning');
  const effort = reasoning?.['effort'];
  if (effort !== undefined && effort !== null) {
    if (typeof effort !== 'string' || effort === '') fail('reasoning.effort must be a string such as "low", "medium" or "high"', 'reasoning.effort');
    ir.reasoningEffort = effort;
  }
  return ir;
}
