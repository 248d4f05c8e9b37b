/**
 * Text helpers of the simulated model: word counting, word-sized deltas and
 * the token estimate. Character loops instead of regular expressions so that
 * a 40 KB Codex prompt is scanned once, without intermediate arrays.
 */

/** ASCII whitespace plus NBSP: enough to tell words apart in prompts. */
function isSpace(code: number): boolean {
  return code === 32 || (code >= 9 && code <= 13) || code === 160;
}

/** Number of whitespace-separated words. */
export function countWords(text: string): number {
  let words = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    if (isSpace(text.charCodeAt(i))) {
      inWord = false;
    } else if (!inWord) {
      inWord = true;
      words++;
    }
  }
  return words;
}

/**
 * Splits text into word-sized deltas the way a tokenizer-driven stream looks:
 * each piece is the whitespace before a word plus the word (` from`), trailing
 * whitespace joins the last piece. Concatenating the pieces gives the text back.
 */
export function splitDeltas(text: string): string[] {
  const pieces: string[] = [];
  let start = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    while (i < n && isSpace(text.charCodeAt(i))) i++;
    while (i < n && !isSpace(text.charCodeAt(i))) i++;
    pieces.push(text.slice(start, i));
    start = i;
  }
  if (pieces.length > 1) {
    const last = pieces[pieces.length - 1] ?? '';
    // A piece made only of trailing whitespace is not a word: merge it.
    if (countWords(last) === 0) {
      pieces.pop();
      pieces[pieces.length - 1] += last;
    }
  }
  return pieces;
}

/** The text up to the end of its `max`-th word, leading whitespace removed. */
export function firstWords(text: string, max: number): string {
  let i = 0;
  const n = text.length;
  while (i < n && isSpace(text.charCodeAt(i))) i++;
  const start = i;
  let words = 0;
  while (i < n && words < max) {
    while (i < n && !isSpace(text.charCodeAt(i))) i++;
    words++;
    const wordEnd = i;
    while (i < n && isSpace(text.charCodeAt(i))) i++;
    if (words === max || i === n) return text.slice(start, wordEnd);
  }
  return text.slice(start, i);
}

/**
 * The simulated tokenizer: about four tokens for every three words (the usual
 * rule of thumb for English BPE vocabularies). Not a real tokenizer; it only
 * has to be deterministic and plausible.
 */
export function estimateTokens(words: number): number {
  return Math.round((words * 4) / 3);
}

/** Splits a string into `parts` pieces of nearly equal length (at least one character each). */
export function splitEvenly(text: string, parts: number): string[] {
  const count = Math.max(1, Math.min(parts, text.length));
  const size = Math.ceil(text.length / count);
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}
