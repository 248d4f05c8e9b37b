/** Index just past the JSON string literal that opens (with its quote) at `open` in `text`, or -1 if it never closes. */
export function endOfJsonString(text: string, open: number): number {
  let from = open + 1;
  for (;;) {
    const quote = text.indexOf('"', from);
    if (quote < 0) return -1;
    // A quote preceded by an odd number of backslashes is escaped.
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === 0x5c) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}

/** The first index at or after `at` that is not JSON whitespace. */
export function skipJsonSpace(text: string, at: number): number {
  let i = at;
  for (;;) {
    const code = text.charCodeAt(i);
    if (code !== 0x20 && code !== 0x0a && code !== 0x0d && code !== 0x09) return i;
    i++;
  }
}

/** Index just past the `}` that closes the JSON object opening at `open`, or -1 if it never closes. Strings are skipped whole, so braces inside them do not count. */
export function endOfJsonObject(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; ) {
    const code = text.charCodeAt(i);
    if (code === 0x22) {
      i = endOfJsonString(text, i);
      if (i < 0) return -1;
      continue;
    }
    if (code === 0x7b) depth++;
    else if (code === 0x7d && --depth === 0) return i + 1;
    i++;
  }
  return -1;
}
