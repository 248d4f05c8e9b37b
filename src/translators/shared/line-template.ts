/*
 * Most events of a model's stream are the same bytes around a few characters
 * of text: id, model, fingerprint, `"finish_reason":null`... repeated in
 * every event. Parsing each one whole (`JSON.parse`, ~1.5 µs for an OpenAI
 * chunk of 330 bytes) was the largest cost of translating a stream.
 *
 * A template is learned from an event the decoder did parse whole and found
 * to carry nothing but text. It is that event's text with holes where JSON
 * string values may differ: the one that carries the text (kept), and values
 * the decoder ignores (a timestamp, a padding field). A later event with the
 * same text outside the holes, and a valid JSON string in each hole, has the
 * same fields with the same values: it carries exactly new text, and only
 * that string is decoded. Anything else — one different byte outside the
 * holes, a tool call, a finish reason, usage — misses, and the event is
 * parsed whole as before.
 */

import { endOfJsonString } from '../../protocols/json-scan.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** A backslash or a control character (raw ones are invalid JSON) inside the literal: JSON.parse decodes it. */
function needsParse(literal: string): boolean {
  for (let i = 1; i < literal.length - 1; i++) {
    const code = literal.charCodeAt(i);
    if (code === BACKSLASH || code < 0x20) return true;
  }
  return false;
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
 * Where the string value of `key` starts (its opening quote), when the key
 * occurs exactly once in the text and its value is a string; else -1. A key
 * found once in the raw text is a key: inside JSON strings quotes are escaped.
 */
export function uniqueStringValue(text: string, key: string): number {
  const quoted = `"${key}":`;
  const at = text.indexOf(quoted);
  if (at < 0 || text.indexOf(quoted, at + 1) >= 0) return -1;
  const open = at + quoted.length;
  return text.charCodeAt(open) === QUOTE ? open : -1;
}

/** A string value in an event: where its literal opens, and whether its text is what the template reads. */
export interface Hole {
  readonly open: number;
  readonly keep: boolean;
}

export class LineTemplate {
  private constructor(
    /** The fixed text before each hole, then after the last one. */
    private readonly literals: readonly string[],
    /** Per hole: whether its value is returned. */
    private readonly keep: readonly boolean[],
  ) {}

  /**
   * A template from an event parsed whole, with holes at the given string
   * values (exactly one kept); `value` is what the decoder read from the kept
   * one, as a check. Undefined when the text does not allow one.
   */
  static learn(text: string, holes: readonly Hole[], value: string): LineTemplate | undefined {
    const sorted = [...holes].sort((a, b) => a.open - b.open);
    if (sorted.filter((hole) => hole.keep).length !== 1) return undefined;
    const literals: string[] = [];
    let from = 0;
    for (const hole of sorted) {
      if (hole.open < from || text.charCodeAt(hole.open) !== QUOTE) return undefined;
      const end = endOfJsonString(text, hole.open);
      if (end < 0) return undefined;
      if (hole.keep && stringAt(text, hole.open, end) !== value) return undefined;
      literals.push(text.slice(from, hole.open));
      from = end;
    }
    literals.push(text.slice(from));
    return new LineTemplate(literals, sorted.map((hole) => hole.keep));
  }

  /** The kept string of an event that has the template's text around its holes; undefined when it does not. */
  match(text: string): string | undefined {
    // `slice(...) ===` rather than startsWith: V8 compares two strings with memcmp, while
    // startsWith on the strings the SSE parser makes ran about ten times slower.
    const { literals, keep } = this;
    let at = 0;
    let kept: string | undefined;
    for (let i = 0; i < keep.length; i++) {
      const literal = literals[i]!;
      const open = at + literal.length;
      if (text.slice(at, open) !== literal || text.charCodeAt(open) !== QUOTE) return undefined;
      const end = endOfJsonString(text, open);
      if (end < 0) return undefined;
      const value = stringAt(text, open, end);
      if (value === undefined) return undefined;
      if (keep[i]) kept = value;
      at = end;
    }
    const last = literals[keep.length]!;
    if (text.length - at !== last.length || text.slice(at) !== last) return undefined;
    return kept;
  }
}
