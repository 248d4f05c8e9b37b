import type { JsonValue } from './json.js';

/*
 * Edits to a JSON request body made on its bytes, for the pass-through path:
 * the client's body goes upstream as it came, with only the model name
 * replaced and absent top-level fields appended. Re-serialising a parsed
 * body costs time in proportion to its size (a coding agent's requests are
 * tens to hundreds of kilobytes); this costs a scan of the body's structure,
 * with string contents skipped by native searches.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/** Index just past the string that opens at `open`, or -1 if it never closes. */
function endOfString(bytes: Buffer, open: number): number {
  let from = open + 1;
  for (;;) {
    const quote = bytes.indexOf(QUOTE, from);
    if (quote < 0) return -1;
    let backslashes = 0;
    while (bytes[quote - 1 - backslashes] === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}

function skipSpace(bytes: Buffer, at: number): number {
  let i = at;
  for (;;) {
    const byte = bytes[i];
    if (byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) return i;
    i++;
  }
}

/**
 * Where the string value of the top-level `key` sits, [start, end) with its
 * quotes, and where the object's closing brace is. Undefined unless the body
 * is one object with exactly one such key whose value is a string: a
 * duplicated key would let the gateway and the upstream read different
 * values, so it is never spliced.
 */
function locate(bytes: Buffer, key: string): { start: number; end: number; close: number } | undefined {
  const keyBytes = Buffer.from(JSON.stringify(key));
  let depth = 0;
  let found: { start: number; end: number } | undefined;
  let i = skipSpace(bytes, 0);
  if (bytes[i] !== OPEN_BRACE) return undefined;
  while (i < bytes.length) {
    const byte = bytes[i]!;
    if (byte === QUOTE) {
      const start = i;
      i = endOfString(bytes, i);
      if (i < 0) return undefined;
      if (depth === 1 && i - start === keyBytes.length && bytes.compare(keyBytes, 0, keyBytes.length, start, i) === 0) {
        const colon = skipSpace(bytes, i);
        if (bytes[colon] !== COLON) continue;
        if (found !== undefined) return undefined;
        const valueStart = skipSpace(bytes, colon + 1);
        if (bytes[valueStart] !== QUOTE) return undefined;
        const valueEnd = endOfString(bytes, valueStart);
        if (valueEnd < 0) return undefined;
        found = { start: valueStart, end: valueEnd };
        i = valueEnd;
      }
      continue;
    }
    if (byte === OPEN_BRACE || byte === OPEN_BRACKET) depth++;
    else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      depth--;
      if (depth === 0) {
        if (found === undefined || bytes[skipSpace(bytes, i + 1)] !== undefined) return undefined;
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
 * undefined when the bytes cannot be edited safely, and the caller
 * serialises the parsed body instead.
 */
export function spliceJsonObject(bytes: Buffer, key: string, value: string, append: ReadonlyArray<readonly [string, JsonValue]>): Buffer | undefined {
  const at = locate(bytes, key);
  if (at === undefined) return undefined;
  const parts = [bytes.subarray(0, at.start), Buffer.from(JSON.stringify(value)), bytes.subarray(at.end, at.close)];
  if (append.length > 0) parts.push(Buffer.from(append.map(([name, field]) => `,${JSON.stringify(name)}:${JSON.stringify(field)}`).join('')));
  parts.push(bytes.subarray(at.close));
  return Buffer.concat(parts);
}
