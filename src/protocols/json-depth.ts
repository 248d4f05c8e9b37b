import { endOfJsonString } from './json-scan.js';

/**
 * The deepest nesting of objects and arrays a request body may have. Every
 * walk of a request on its way through the gateway (translation, tool
 * schemas, serialisation) is bounded by it, so none can exhaust the stack.
 * Real requests stay far below: Codex CLI's, tool schemas included, nest 12
 * levels.
 */
export const MAX_JSON_DEPTH = 128;

/**
 * Whether the JSON text nests objects and arrays more than `limit` levels deep
 * (the top-level value counts as one). Strings are skipped whole with
 * `indexOf`, so brackets inside them do not count and most of a request's
 * bytes (its text) are never looked at one by one. Meant for text that parsed
 * as JSON; on other text it answers for the brackets it sees.
 */
export function jsonDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x22) {
      const end = endOfJsonString(text, i);
      if (end < 0) return false;
      i = end - 1;
    } else if (code === 0x7b || code === 0x5b) {
      if (++depth > limit) return true;
    } else if (code === 0x7d || code === 0x5d) {
      depth--;
    }
  }
  return false;
}
