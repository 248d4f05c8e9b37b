import type { JsonObject, JsonValue } from '../../protocols/json.js';

/**
 * Converts a value the IR holds as `unknown` (tool schemas, `extra` fields)
 * back into JSON for an upstream body. Those values came from parsed JSON, so
 * this only drops `undefined` object members (as JSON.stringify would) and
 * refuses what JSON cannot carry, instead of trusting a cast. Recursive: the
 * values come from a request body, whose nesting the HTTP front bounds
 * (`MAX_JSON_DEPTH`) before anything walks it.
 */
export function toJsonValue(value: unknown, path: string): JsonValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`${path} is not a finite number`);
    return value;
  }
  if (Array.isArray(value)) {
    const out: JsonValue[] = [];
    for (let i = 0; i < value.length; i++) out.push(toJsonValue(value[i] as unknown, `${path}[${i}]`));
    return out;
  }
  if (typeof value === 'object') return toJsonObject(value as Record<string, unknown>, path);
  throw new TypeError(`${path} is not a JSON value (${typeof value})`);
}

export function toJsonObject(value: Readonly<Record<string, unknown>>, path: string): JsonObject {
  const out: JsonObject = {};
  for (const key of Object.keys(value)) {
    const member = value[key];
    if (member !== undefined) out[key] = toJsonValue(member, `${path}.${key}`);
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * `top` laid over `base`: objects present in both are merged member by member
 * (so a configured `chat_template_kwargs` keeps the keys the client did not
 * set); anything else in `top` replaces what `base` has.
 */
export function mergeUnder(base: Readonly<Record<string, unknown>>, top: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const key of Object.keys(top)) {
    const value = top[key];
    if (value === undefined) continue;
    const under = out[key];
    out[key] = isPlainObject(under) && isPlainObject(value) ? mergeUnder(under, value) : value;
  }
  return out;
}
