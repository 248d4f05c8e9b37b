/**
 * Fault-injection directives of the simulated model, read from the text of
 * the last user message. The list and their meaning are documented at the top
 * of `simulator.ts`. A malformed or unknown directive is a 400 from the
 * simulator, so a typo in a test fails loudly instead of being ignored.
 */

export interface MockDirectives {
  /** Reply with this HTTP status and an OpenAI-shaped error body. */
  status?: number;
  /** `Retry-After` seconds sent with the injected status. */
  retryAfter?: number;
  /** Milliseconds before the response headers. */
  latencyMs?: number;
  /** Streaming speed override. */
  tokensPerSecond?: number;
  /** Destroy the socket after this many content deltas. */
  failAfter?: number;
  /** Send an in-stream error event after this many content deltas, then end. */
  errorAfter?: number;
  /** Never answer. */
  hang: boolean;
  /** One tool call on the first turn; `arguments` is a JSON object as a string. */
  tool?: { name: string; arguments: string };
  /** Reply with exactly this many words. */
  words?: number;
  /** Add reasoning before the answer. */
  think: boolean;
  /** Ignore the request's output ceiling, as some servers do (tests the gateway's own cut-off). */
  ignoreMaxTokens?: boolean;
}

export interface ParsedDirectives {
  readonly directives: MockDirectives;
  /** The text with every directive removed (what the model "hears"). */
  readonly text: string;
}

export class DirectiveError extends Error {}

const OPEN = '[mock:';

type NumericField = 'status' | 'retryAfter' | 'latencyMs' | 'tokensPerSecond' | 'failAfter' | 'errorAfter' | 'words';

const NUMERIC: ReadonlyMap<string, NumericField> = new Map([
  ['status', 'status'],
  ['retry_after', 'retryAfter'],
  ['latency', 'latencyMs'],
  ['tps', 'tokensPerSecond'],
  ['fail_after', 'failAfter'],
  ['error_after', 'errorAfter'],
  ['words', 'words'],
]);

/** Parses every `[mock:...]` directive in `text`. Text without directives costs one `indexOf`. */
export function parseDirectives(text: string): ParsedDirectives {
  const directives: MockDirectives = { hang: false, think: false };
  let at = text.indexOf(OPEN);
  if (at < 0) return { directives, text };
  let rest = '';
  let copied = 0;
  while (at >= 0) {
    const bodyStart = at + OPEN.length;
    const end = parseOne(text, bodyStart, directives);
    rest += text.slice(copied, at);
    copied = end + 1;
    at = text.indexOf(OPEN, copied);
  }
  rest += text.slice(copied);
  return { directives, text: rest };
}

/** Parses one directive body starting at `start`; returns the index of its closing `]`. */
function parseOne(text: string, start: number, into: MockDirectives): number {
  const eq = text.indexOf('=', start);
  const close = text.indexOf(']', start);
  if (close < 0) throw new DirectiveError(`unterminated directive at offset ${start - OPEN.length}`);
  if (eq < 0 || eq > close) {
    const flag = text.slice(start, close);
    if (flag === 'hang') into.hang = true;
    else if (flag === 'think') into.think = true;
    else if (flag === 'ignore_max_tokens') into.ignoreMaxTokens = true;
    else throw new DirectiveError(`unknown directive [mock:${flag}]`);
    return close;
  }
  const key = text.slice(start, eq);
  if (key === 'tool') return parseTool(text, eq + 1, into);
  const field = NUMERIC.get(key);
  if (field === undefined) throw new DirectiveError(`unknown directive [mock:${key}=...]`);
  const raw = text.slice(eq + 1, close);
  const value = Number(raw);
  if (raw === '' || !Number.isInteger(value) || value < 0) {
    throw new DirectiveError(`[mock:${key}=${raw}] needs a non-negative integer`);
  }
  if (field === 'status' && (value < 400 || value > 599)) {
    throw new DirectiveError(`[mock:status=${raw}] must be an error status (400-599)`);
  }
  into[field] = value;
  return close;
}

/** `[mock:tool=NAME]` or `[mock:tool=NAME {"json": "args"}]`; the JSON may contain `]`. */
function parseTool(text: string, start: number, into: MockDirectives): number {
  let i = start;
  while (i < text.length && text[i] !== ' ' && text[i] !== ']') i++;
  const name = text.slice(start, i);
  if (name === '') throw new DirectiveError('[mock:tool=...] needs a tool name');
  while (text[i] === ' ') i++;
  let args = '{}';
  if (text[i] === '{') {
    const jsonEnd = matchBrace(text, i);
    const raw = text.slice(i, jsonEnd + 1);
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new DirectiveError(`[mock:tool=${name} ...] arguments are not valid JSON: ${raw}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new DirectiveError(`[mock:tool=${name} ...] arguments must be a JSON object`);
    }
    args = JSON.stringify(parsed);
    i = jsonEnd + 1;
    while (text[i] === ' ') i++;
  }
  if (text[i] !== ']') throw new DirectiveError(`[mock:tool=${name} ...] must end with ]`);
  into.tool = { name, arguments: args };
  return i;
}

/** Index of the `}` closing the object that opens at `open`, skipping braces inside strings. */
function matchBrace(text: string, open: number): number {
  let depth = 0;
  let inString = false;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
    } else if (c === '{') {
      depth++;
    } else if (c === '}') {
      depth--;
      if (depth === 0) return i;
    }
  }
  throw new DirectiveError('[mock:tool=...] arguments: unbalanced braces');
}
