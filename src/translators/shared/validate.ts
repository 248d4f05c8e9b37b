import { InvalidRequestError } from '../../errors/index.js';
import type { JsonObject, JsonValue } from '../../protocols/json.js';

/**
 * The small checks every client-format parser makes. Each failure is an
 * InvalidRequestError naming the field (`param`) and what was expected.
 */
export function fail(message: string, param: string, code?: string): never {
  throw new InvalidRequestError(message, code === undefined ? { param } : { param, code });
}

export function typeName(value: JsonValue | undefined): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  return Array.isArray(value) ? 'array' : typeof value;
}

export function requireString(value: JsonValue | undefined, param: string): string {
  if (typeof value !== 'string') fail(`${param} must be a string (got ${typeName(value)})`, param);
  return value;
}

export function optionalNumber(body: JsonObject, key: string): number | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(`${key} must be a number (got ${typeName(value)})`, key);
  return value;
}

export function optionalInteger(body: JsonObject, key: string, min: number): number | undefined {
  const value = optionalNumber(body, key);
  if (value !== undefined && (!Number.isInteger(value) || value < min)) fail(`${key} must be an integer of at least ${min} (got ${value})`, key);
  return value;
}

export function optionalBoolean(body: JsonObject, key: string): boolean | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') fail(`${key} must be a boolean (got ${typeName(value)})`, key);
  return value;
}
