import { endOfJsonString, skipJsonSpace } from './json-scan.js';
import type { JsonValue } from './json.js';

/*
 * Edits to a JSON request body made on its text, for the pass-through path:
 * the client's body goes upstream as it came, with only the model name
 * replaced and absent top-level fields appended. Re-serialising a parsed
 * body costs time in proportion to its size (a coding agent's requests are
 * tens to hundreds of kilobytes); this costs a scan of the body's structure,
 * with string contents skipped by native searches.
 */

const QUOTE = 0x22;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/**
 * Where the string value of the top-level `key` sits, [start, end) with its
 * quotes, and where the object's closing brace is. Undefined unless the body
 * is one object with exactly one such key whose value is a string: a
 * duplicated key would let the gateway and the upstream read different
 * values, so it is never spliced.
 */
function locate(text: string, key: string): { start: number; end: number; close: number } | undefined {
  const quotedKey = JSON.stringify(key);
  let depth = 0;
  let found: { start: number; end: number } | undefined;
  let i = skipJsonSpace(text, 0);
  if (text.charCodeAt(i) !== OPEN_BRACE) return undefined;
  while (i < text.length) {
    const code = text.charCodeAt(i);
    if (code === QUOTE) {
      const start = i;
      i = endOfJsonString(text, i);
      if (i < 0) return undefined;
      if (depth === 1 && i - start === quotedKey.length && text.slice(start, i) === quotedKey) {
        const colon = skipJsonSpace(text, i);
        if (text.charCodeAt(colon) !== COLON) continue;
        if (found !== undefined) return undefined;
        const valueStart = skipJsonSpace(text, colon + 1);
        if (text.charCodeAt(valueStart) !== QUOTE) return undefined;
        const valueEnd = endOfJsonString(text, valueStart);
        if (valueEnd < 0) return undefined;
        found = { start: valueStart, end: valueEnd };
        i = valueEnd;
      }
      continue;
    }
    if (code === OPEN_BRACE || code === OPEN_BRACKET) depth++;
    else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
      depth--;
      if (depth === 0) {
        if (found === undefined || skipJsonSpace(text, i + 1) !== text.length) return undefined;
        return { ...found, close: i };
      }
    }
    i++;
  }
  return undefined;
}

/**
 * The body with the top-level string `key` set to `value` and `append` added
 * as top-level fields (the caller adds only fields the body does not have);
 * undefined when the text cannot be edited safely, and the caller
 * serialises the parsed body instead.
 */
export function spliceJsonObject(text: string, key: string, value: string, append: ReadonlyArray<readonly [string, JsonValue]>): string | undefined {
  const at = locate(text, key);
  if (at === undefined) return undefined;
  let extra = '';
  for (const [name, field] of append) extra += `,${JSON.stringify(name)}:${JSON.stringify(field)}`;
  return text.slice(0, at.start) + JSON.stringify(value) + text.slice(at.end, at.close) + extra + text.slice(at.close);
}
