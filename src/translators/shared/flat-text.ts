/** Below this many characters appended since the last flattening, a text is left as it is. */
const FLATTEN_AT = 64 << 10;

/**
 * Keeps a text built from stream deltas compact. The deltas are slices of the
 * events they came in, and a string built by `+=` is a rope of them that
 * keeps every one of those events alive (several times the text). Once the
 * part appended since the last flattening (`flatLength`) is at least 64 Ki
 * characters and half the text, reading a character makes V8 flatten the rope
 * in place into one copy of just the text, releasing the events; the copies
 * cost about twice the text in all. Returns the new `flatLength`.
 */
export function keepFlat(text: string, flatLength: number): number {
  const grown = text.length - flatLength;
  if (grown < FLATTEN_AT || grown * 2 < text.length) return flatLength;
  text.charCodeAt(0);
  return text.length;
}
