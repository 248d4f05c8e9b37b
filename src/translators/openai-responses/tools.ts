import { createHash } from 'node:crypto';
import type { IRTool, IRToolOrigin } from '../../ir/index.js';
import { isJsonObject } from '../../protocols/json.js';
import type { JsonObject, JsonValue } from '../../protocols/json.js';
import { fail } from '../shared/validate.js';

/** What Chat Completions (OpenAI's validation) accepts as a function name. */
const MAX_NAME = 64;
/** A grammar longer than this is left out of the schema: it would cost more context than it helps. */
export const MAX_GRAMMAR_IN_SCHEMA = 4000;

function shortHash(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

function originKey(kind: IRToolOrigin['kind'], name: string, namespace: string | undefined): string {
  return `${kind}\u0000${namespace ?? ''}\u0000${name}`;
}

/**
 * The upstream name for a tool whose client name cannot be used as is:
 * `namespace__name`, characters outside `[a-zA-Z0-9_-]` replaced, and when
 * too long cut and given a short hash of the original so it stays unique and
 * the same on every request.
 */
export function flatToolName(name: string, namespace: string | undefined, salt = ''): string {
  const joined = namespace === undefined ? name : `${namespace}__${name}`;
  let flat = joined.replace(/[^a-zA-Z0-9_-]/g, '_');
  if (flat === '') flat = 'tool';
  if (flat.length <= MAX_NAME && salt === '') return flat;
  return `${flat.slice(0, MAX_NAME - 9)}_${shortHash(originKey('function', name, namespace) + salt)}`;
}

/** The client's tools as the IR offers them upstream, and the way back from client names to IR names. */
export class ToolCatalog {
  readonly tools: IRTool[] = [];
  /** Hosted tool types the upstream cannot run, each once. */
  readonly dropped: string[] = [];
  private readonly used = new Set<string>();
  private readonly byOrigin = new Map<string, string>();

  constructor(value: JsonValue | undefined) {
    if (value === undefined || value === null) return;
    if (!Array.isArray(value)) fail('tools must be an array', 'tools');
    // Top-level functions keep their names: those are reserved first, and flattened names make way for them.
    for (let i = 0; i < value.length; i++) {
      const tool = value[i];
      if (!isJsonObject(tool) || tool['type'] !== 'function') continue;
      const name = tool['name'];
      if (typeof name !== 'string' || name === '') fail(`tools[${i}].name must be a non-empty string`, `tools[${i}].name`);
      if (this.used.has(name)) fail(`tools[${i}].name '${name}' is used by two tools; tool names must be unique`, `tools[${i}].name`);
      this.used.add(name);
    }
    // The client's order is kept (it is part of the prompt).
    for (let i = 0; i < value.length; i++) {
      const tool = value[i];
      const param = `tools[${i}]`;
      if (!isJsonObject(tool)) fail(`${param} must be an object with a type`, param);
      const type = tool['type'];
      if (typeof type !== 'string' || type === '') fail(`${param}.type must be a string`, `${param}.type`);
      if (type === 'function') this.addFunction(tool, param, undefined);
      else if (type === 'custom') this.addCustom(tool, param, undefined);
      else if (type === 'namespace') this.addNamespace(tool, param);
      else this.drop(type);
    }
  }

  /** The IR name of a client tool, or undefined when the request does not offer it. */
  irName(kind: IRToolOrigin['kind'], name: string, namespace: string | undefined): string | undefined {
    return this.byOrigin.get(originKey(kind, name, namespace));
  }

  /** The IR name for a call in the conversation history; a tool no longer offered is named as it would have been. */
  historyName(kind: IRToolOrigin['kind'], name: string, namespace: string | undefined): string {
    const known = this.irName(kind, name, namespace);
    if (known !== undefined) return known;
    return kind === 'function' && namespace === undefined ? name : flatToolName(name, namespace);
  }

  private drop(type: string): void {
    if (!this.dropped.includes(type)) this.dropped.push(type);
  }

  private place(kind: IRToolOrigin['kind'], name: string, namespace: string | undefined): string {
    let irName: string;
    if (kind === 'function' && namespace === undefined) {
      // Reserved by the constructor.
      irName = name;
    } else {
      irName = flatToolName(name, namespace);
      for (let attempt = 1; this.used.has(irName); attempt++) irName = flatToolName(name, namespace, `\u0000${kind}\u0000${attempt}`);
      this.used.add(irName);
    }
    this.byOrigin.set(originKey(kind, name, namespace), irName);
    return irName;
  }

  private addFunction(tool: JsonObject, param: string, namespace: string | undefined): void {
    const name = tool['name'];
    if (typeof name !== 'string' || name === '') fail(`${param}.name must be a non-empty string`, `${param}.name`);
    if (this.byOrigin.has(originKey('function', name, namespace))) {
      fail(`${param}.name '${name}' is used by two tools; tool names must be unique`, `${param}.name`);
    }
    const parameters = tool['parameters'];
    if (parameters !== undefined && parameters !== null && !isJsonObject(parameters)) {
      fail(`${param}.parameters must be a JSON Schema object`, `${param}.parameters`);
    }
    const description = tool['description'];
    const strict = tool['strict'];
    this.tools.push({
      name: this.place('function', name, namespace),
      origin: namespace === undefined ? { kind: 'function', name } : { kind: 'function', name, namespace },
      ...(typeof description === 'string' ? { description } : {}),
      ...(isJsonObject(parameters) ? { parameters } : {}),
      ...(typeof strict === 'boolean' ? { strict } : {}),
    });
  }

  /**
   * A freeform tool becomes a function with one string argument, `input`;
   * the encoder turns calls back into `custom_tool_call` items with the raw text.
   */
  private addCustom(tool: JsonObject, param: string, namespace: string | undefined): void {
    const name = tool['name'];
    if (typeof name !== 'string' || name === '') fail(`${param}.name must be a non-empty string`, `${param}.name`);
    if (this.byOrigin.has(originKey('custom', name, namespace))) {
      fail(`${param}.name '${name}' is used by two tools; tool names must be unique`, `${param}.name`);
    }
    const description = tool['description'];
    this.tools.push({
      name: this.place('custom', name, namespace),
      origin: namespace === undefined ? { kind: 'custom', name } : { kind: 'custom', name, namespace },
      ...(typeof description === 'string' ? { description } : {}),
      parameters: {
        type: 'object',
        properties: { input: { type: 'string', description: inputDescription(tool['format']) } },
        required: ['input'],
        additionalProperties: false,
      },
    });
  }

  private addNamespace(tool: JsonObject, param: string): void {
    const namespace = tool['name'];
    if (typeof namespace !== 'string' || namespace === '') fail(`${param}.name must be a non-empty string`, `${param}.name`);
    const members = tool['tools'];
    if (!Array.isArray(members)) fail(`${param}.tools must be an array of function tools`, `${param}.tools`);
    for (let j = 0; j < members.length; j++) {
      const member = members[j];
      const memberParam = `${param}.tools[${j}]`;
      if (!isJsonObject(member)) fail(`${memberParam} must be an object with a type`, memberParam);
      const type = member['type'];
      if (type === 'function') this.addFunction(member, memberParam, namespace);
      else if (type === 'custom') this.addCustom(member, memberParam, namespace);
      else if (typeof type === 'string' && type !== '') this.drop(type);
      else fail(`${memberParam}.type must be a string`, `${memberParam}.type`);
    }
  }
}

/** Tells the model that `input` is the tool's raw text, with its grammar when that is short enough to include. */
function inputDescription(format: JsonValue | undefined): string {
  const base = 'The raw freeform input for this tool, passed on verbatim as one string (it is not parsed as JSON).';
  if (!isJsonObject(format) || format['type'] !== 'grammar') return base;
  const definition = format['definition'];
  const syntax = typeof format['syntax'] === 'string' ? format['syntax'] : 'formal';
  if (typeof definition !== 'string' || definition === '') return base;
  if (definition.length >= MAX_GRAMMAR_IN_SCHEMA) return `${base} It must follow the tool's ${syntax} grammar.`;
  return `${base} It must follow this ${syntax} grammar:\n${definition}`;
}

/** Hosted tool types of the Responses API; anything else a client invents is reported as `other` (bounded labels, safe headers). */
const KNOWN_HOSTED_TOOLS: ReadonlySet<string> = new Set([
  'web_search',
  'web_search_preview',
  'web_search_preview_2025_03_11',
  'file_search',
  'code_interpreter',
  'computer_use_preview',
  'computer_use',
  'image_generation',
  'local_shell',
  'shell',
  'tool_search',
  'mcp',
  'apply_patch',
]);

/** The label a dropped hosted tool is reported under: its type when known, `other` otherwise. */
export function hostedToolLabel(type: string): string {
  return KNOWN_HOSTED_TOOLS.has(type) ? type : 'other';
}
