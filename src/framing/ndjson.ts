/**
 * Newline-delimited JSON framing (application/x-ndjson, as Ollama streams it).
 *
 * The parser only frames: it returns complete, non-empty lines as strings and
 * leaves JSON parsing to the caller. It is built for the per-read hot path:
 * newlines are found with the native `indexOf`, a line that lies entirely in
 * one read is decoded straight from that read (no copy), and across reads only
 * the decoded text of the incomplete tail is carried (the streaming
 * TextDecoder keeps the bytes of a multibyte character split between reads).
 */

const LF = 0x0a;
const DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024;

export interface NdjsonParserOptions {
  /** Largest accepted line in UTF-8 bytes, excluding the line terminator. Default 16 MiB. */
  readonly maxLineBytes?: number;
}

/**
 * A line exceeded `maxLineBytes`. `lines` holds the complete lines of the same
 * `push` that came before it, so a caller loses nothing that was well framed.
 * The error ends the stream: later `push` and `end` calls return no lines.
 */
export class NdjsonLineTooLargeError extends Error {
  readonly maxLineBytes: number;
  readonly lines: string[];
  constructor(maxLineBytes: number, lines: string[]) {
    super(`NDJSON line exceeds the maximum size of ${maxLineBytes} bytes`);
    this.name = 'NdjsonLineTooLargeError';
    this.maxLineBytes = maxLineBytes;
    this.lines = lines;
  }
}

/** UTF-8 length of `text`, computed without allocating. */
function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

export class NdjsonParser {
  private readonly maxLineBytes: number;
  // ignoreBOM keeps the decoder from eating a U+FEFF at the start of every
  // line (each complete line ends a decode); the stream's own BOM is removed once in emit().
  private readonly decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  /** Decoded text of the incomplete last line. */
  private tail = '';
  /** UTF-8 bytes of the incomplete last line (an upper bound while `tailExact` is false). */
  private tailBytes = 0;
  private tailExact = true;
  private atStreamStart = true;
  /** Set once a line was too large: framing after it cannot be trusted. */
  private failed = false;

  constructor(options: NdjsonParserOptions = {}) {
    const max = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    if (!Number.isInteger(max) || max <= 0) throw new RangeError(`maxLineBytes must be a positive integer, got ${max}`);
    this.maxLineBytes = max;
  }

  /** Feed one read; returns the lines it completed. Do not mix strings and bytes within one line. */
  push(chunk: Uint8Array | string): string[] {
    const out: string[] = [];
    if (this.failed) return out;
    if (typeof chunk === 'string') this.pushText(chunk, out);
    else this.pushBytes(chunk, out);
    return out;
  }

  /** Call once at the end of the stream: returns the last line when it had no terminator. */
  end(): string[] {
    const out: string[] = [];
    if (this.failed) return out;
    const line = this.tail + this.decoder.decode();
    this.clearTail();
    this.emit(line, out);
    return out;
  }

  private pushBytes(bytes: Uint8Array, out: string[]): void {
    let start = 0;
    for (;;) {
      const nl = bytes.indexOf(LF, start);
      if (nl === -1) break;
      if (this.overLimit(nl - start)) this.fail(out);
      // Decoding without {stream} flushes the decoder: a LF never falls
      // inside a multibyte sequence, so the line ends on a character boundary.
      const text = this.decoder.decode(bytes.subarray(start, nl));
      this.emit(this.tail.length === 0 ? text : this.tail + text, out);
      this.clearTail();
      start = nl + 1;
    }
    if (start >= bytes.length) return;
    const restBytes = bytes.length - start;
    if (this.overLimit(restBytes)) this.fail(out);
    this.tail += this.decoder.decode(bytes.subarray(start), { stream: true });
    this.tailBytes += restBytes;
  }

  private pushText(text: string, out: string[]): void {
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl === -1) break;
      const segment = text.slice(start, nl);
      if (this.measureText(segment) > this.maxLineBytes) this.fail(out);
      this.emit(this.tail.length === 0 ? segment : this.tail + segment, out);
      this.clearTail();
      start = nl + 1;
    }
    if (start >= text.length) return;
    const rest = start === 0 ? text : text.slice(start);
    const bytes = this.measureText(rest);
    if (bytes > this.maxLineBytes) this.fail(out);
    this.tail += rest;
    this.tailBytes = bytes;
  }

  /** Whether the tail plus `moreBytes` exceeds the limit; an estimated tail is counted exactly first. */
  private overLimit(moreBytes: number): boolean {
    if (this.tailBytes + moreBytes <= this.maxLineBytes) return false;
    if (!this.tailExact) {
      this.tailBytes = utf8Length(this.tail);
      this.tailExact = true;
    }
    return this.tailBytes + moreBytes > this.maxLineBytes;
  }

  /**
   * Byte size of the tail plus `segment`. Strings are measured with the cheap
   * upper bound of 3 bytes per UTF-16 unit and counted exactly only when that
   * bound crosses the limit, so short lines cost no extra pass.
   */
  private measureText(segment: string): number {
    const upper = this.tailBytes + segment.length * 3;
    if (upper <= this.maxLineBytes) {
      this.tailExact = false;
      return upper;
    }
    const exact = (this.tailExact ? this.tailBytes : utf8Length(this.tail)) + utf8Length(segment);
    this.tailExact = true;
    return exact;
  }

  private clearTail(): void {
    this.tail = '';
    this.tailBytes = 0;
    this.tailExact = true;
  }

  private emit(line: string, out: string[]): void {
    let text = line;
    if (this.atStreamStart && text.length > 0) {
      this.atStreamStart = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (text.length > 0 && text.charCodeAt(text.length - 1) === 0x0d) text = text.slice(0, -1);
    if (text.length > 0) out.push(text);
  }

  private fail(out: string[]): never {
    this.failed = true;
    this.decoder.decode();
    this.clearTail();
    throw new NdjsonLineTooLargeError(this.maxLineBytes, out);
  }
}
