import { isJsonObject } from '../../protocols/json.js';
import type { JsonObject } from '../../protocols/json.js';

/*
 * Most events of a Chat stream are the same bytes around a few characters of
 * text: id, model, created, fingerprint, `"finish_reason":null`... repeated
 * in every chunk. Parsing each one whole (`JSON.parse`, ~1.7 µs for an
 * OpenAI chunk of 330 bytes) is the largest cost of translating a stream.
 *
 * A template is learned from a chunk the decoder did parse whole and found
 * to carry nothing but text: the text before its `content` string and the
 * text after it. A later chunk that has exactly those bytes around a string
 * carries exactly that: the same fields with the same values, and new
 * content. Only that string is decoded. Anything else — a different byte
 * anywhere outside the content, a tool call, a finish reason, usage — misses
 * the template and is parsed whole, as before.
 *
 * OpenAI appends an `obfuscation` field of random length to every chunk (a
 * padding against side channels, which no client reads); it is allowed to
 * differ.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const CLOSE_BRACE = 0x7d;
const CONTENT_KEY = '"content":';
const OBFUSCATION = ',"obfuscation":';
/** A backslash or a control character (raw ones are invalid JSON) inside the literal: JSON.parse decodes it. */
function needsParse(literal: string): boolean {
  for (let i = 1; i < literal.length - 1; i++) {
    const code = literal.charCodeAt(i);
    if (code === BACKSLASH || code < 0x20) return true;
  }
  return false;
}

/** Index just past the JSON string that opens at `open`, or -1 if it never closes. */
function endOfString(text: string, open: number): number {
  let from = open + 1;
  for (;;) {
    const quote = text.indexOf('"', from);
    if (quote < 0) return -1;
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}

/** The decoded JSON string literal `text[start, end)`; undefined when it is not valid JSON. */
function stringAt(text: string, start: number, end: number): string | undefined {
  const literal = text.slice(start, end);
  if (!needsParse(literal)) return literal.slice(1, -1);
  try {
    const value: unknown = JSON.parse(literal);
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The content of a parsed chunk whose only effect on the decoder is that
 * text: no error, no usage object, one choice (index 0) with no finish
 * reason, and a delta whose other fields are `role` or null.
 */
function plainContent(chunk: JsonObject): string | undefined {
  const error = chunk['error'];
  if ((error !== undefined && error !== null) || isJsonObject(chunk['usage'])) return undefined;
  const choices = chunk['choices'];
  if (!Array.isArray(choices) || choices.length !== 1) return undefined;
  const choice = choices[0];
  if (!isJsonObject(choice) || (choice['index'] ?? 0) !== 0) return undefined;
  const finish = choice['finish_reason'];
  if (finish !== undefined && finish !== null) return undefined;
  const delta = choice['delta'];
  if (!isJsonObject(delta)) return undefined;
  const content = delta['content'];
  if (typeof content !== 'string') return undefined;
  for (const key of Object.keys(delta)) if (key !== 'content' && key !== 'role' && delta[key] !== null) return undefined;
  return content;
}

export class ContentChunkTemplate {
  private constructor(
    /** Everything before the content string's opening quote. */
    private readonly prefix: string,
    /** Everything after the content string, up to the obfuscation field or the closing brace. */
    private readonly suffix: string,
  ) {}

  /** A template from a chunk that was parsed whole; undefined unless it carries nothing but text and its bytes allow one. */
  static learn(data: string, chunk: JsonObject): ContentChunkTemplate | undefined {
    const content = plainContent(chunk);
    if (content === undefined) return undefined;
    // `"content":` must occur once (OpenAI's logprobs object has a `content` key too).
    const key = data.indexOf(CONTENT_KEY);
    if (key < 0 || data.indexOf(CONTENT_KEY, key + 1) >= 0) return undefined;
    const start = key + CONTENT_KEY.length;
    if (data.charCodeAt(start) !== QUOTE) return undefined;
    const end = endOfString(data, start);
    if (end < 0 || stringAt(data, start, end) !== content) return undefined;
    if (data.charCodeAt(data.length - 1) !== CLOSE_BRACE) return undefined;
    const obfuscation = data.lastIndexOf(OBFUSCATION);
    const tail = obfuscation > end && obfuscationEnds(data, obfuscation) ? obfuscation : data.length - 1;
    return new ContentChunkTemplate(data.slice(0, start), data.slice(end, tail));
  }

  /** The content of a chunk that has the template's bytes around one string; undefined when it does not. */
  match(data: string): string | undefined {
    // `slice(...) ===` rather than startsWith: V8 compares two strings with memcmp, while
    // startsWith on the strings the SSE parser makes ran about ten times slower here.
    const { prefix, suffix } = this;
    const start = prefix.length;
    if (data.slice(0, start) !== prefix || data.charCodeAt(start) !== QUOTE) return undefined;
    const end = endOfString(data, start);
    const tail = end + suffix.length;
    if (end < 0 || data.slice(end, tail) !== suffix) return undefined;
    if (tail === data.length - 1) {
      if (data.charCodeAt(tail) !== CLOSE_BRACE) return undefined;
    } else if (data.slice(tail, tail + OBFUSCATION.length) !== OBFUSCATION || !obfuscationEnds(data, tail)) return undefined;
    return stringAt(data, start, end);
  }
}

/** `,"obfuscation":"…"}` runs from `at` to the end of the chunk. */
function obfuscationEnds(data: string, at: number): boolean {
  const open = at + OBFUSCATION.length;
  if (data.charCodeAt(open) !== QUOTE) return false;
  const end = endOfString(data, open);
  return end === data.length - 1 && data.charCodeAt(end) === CLOSE_BRACE;
}
