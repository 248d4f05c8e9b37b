/**
 * Server-Sent Events, as the WHATWG HTML standard's "event stream
 * interpretation" defines them: UTF-8 with one optional leading BOM, lines
 * ending in CR, LF or CRLF, `data:` lines joined with LF, one space after the
 * colon stripped, comment lines ignored, `event`, `id` and `retry` fields, an
 * event dispatched on a blank line and dropped when it has no data lines.
 *
 * The parser works on bytes: line terminators are ASCII and never occur inside
 * a multi-byte UTF-8 sequence, so a line found in the bytes decodes whole even
 * when a character was split between two reads. Lines are located with the
 * native `indexOf`, field names are matched byte by byte (no per-line arrays,
 * no colon search), and only the incomplete last line of a read is kept.
 */

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const SPACE = 0x20;
const BOM = [0xef, 0xbb, 0xbf] as const;
const BOM_DECIDED = 3;

export const DEFAULT_MAX_SSE_EVENT_BYTES = 16 * 1024 * 1024;

export interface SseEvent {
  /** The `event:` field; undefined when absent or empty (the standard's "message"). */
  event: string | undefined;
  data: string;
  /** The last event ID: the most recent `id:` field of this or an earlier event, as the standard keeps it. */
  id: string | undefined;
}

export interface SseParserOptions {
  /**
   * Largest event in UTF-8 bytes, counted as the joined `data` plus any line
   * still being received. Default 16 MiB. It bounds the memory one stream can
   * hold, whatever the peer sends.
   */
  readonly maxEventBytes?: number;
}

/**
 * An event grew past `maxEventBytes`. `events` holds the complete events of
 * the same `push` that came before it. The parser is unusable afterwards:
 * the stream cannot be resynchronised safely, so abandon it.
 */
export class SseEventTooLargeError extends Error {
  readonly maxEventBytes: number;
  readonly events: SseEvent[];
  constructor(maxEventBytes: number, events: SseEvent[]) {
    super(`a server-sent event exceeds the maximum size of ${maxEventBytes} bytes`);
    this.name = 'SseEventTooLargeError';
    this.maxEventBytes = maxEventBytes;
    this.events = events;
  }
}

/** Start of a field's value in `[nameEnd, end)`, or -1 when the line names a longer, unknown field. */
function valueStart(line: Buffer, nameEnd: number, end: number): number {
  if (nameEnd === end) return end;
  if (line[nameEnd] !== COLON) return -1;
  const start = nameEnd + 1;
  return start < end && line[start] === SPACE ? start + 1 : start;
}

export class SseParser {
  private readonly maxEventBytes: number;
  /** Raw bytes of the incomplete last line, kept as pieces so a long line is joined once. */
  private tail: Buffer[] = [];
  private tailBytes = 0;
  /** Bytes of a leading BOM matched so far; BOM_DECIDED once the stream's start is past. */
  private bomState = 0;
  /** The previous read ended in CR: an LF starting the next read completes that CRLF. */
  private skipLf = false;
  private failed = false;
  /** Stop framing a read once this many events are complete (see `pushFirst`). */
  private stopAfter = Infinity;
  // The event being built (the standard's data, event type and last event ID buffers).
  private data = '';
  private dataLines = 0;
  private dataBytes = 0;
  private eventType: string | undefined = undefined;
  private lastEventIdBuffer: string | undefined = undefined;
  private reconnectionMs: number | undefined = undefined;

  constructor(options: SseParserOptions = {}) {
    const max = options.maxEventBytes ?? DEFAULT_MAX_SSE_EVENT_BYTES;
    if (!Number.isInteger(max) || max <= 0) throw new RangeError(`maxEventBytes must be a positive integer, got ${max}`);
    this.maxEventBytes = max;
  }

  /** The last `retry:` value in milliseconds, if the stream sent one. */
  get retry(): number | undefined {
    return this.reconnectionMs;
  }

  /**
   * Feeds one read and returns the first event it completes, without framing
   * the rest of the read: for peeking at a stream's opening event when the
   * remainder is relayed as raw bytes. The parser is not usable afterwards
   * once it has returned an event.
   */
  pushFirst(input: Uint8Array | string): SseEvent | undefined {
    this.stopAfter = 1;
    return this.push(input)[0];
  }

  /** Feeds one read; returns the events it completed, in order. */
  push(input: Uint8Array | string): SseEvent[] {
    if (this.failed) throw new Error('SseParser cannot be used after an SseEventTooLargeError');
    const buf =
      typeof input === 'string'
        ? Buffer.from(input, 'utf8')
        : Buffer.isBuffer(input)
          ? input
          : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    const out: SseEvent[] = [];
    const len = buf.length;
    if (len === 0) return out;
    let pos = 0;

    if (this.bomState !== BOM_DECIDED) pos = this.consumeBom(buf);
    if (this.skipLf && pos < len) {
      this.skipLf = false;
      if (buf[pos] === LF) pos++;
    }

    // Next LF / CR at or after pos; -1 once none is left in this read, so each
    // byte is scanned at most once per terminator kind.
    let lf = -2;
    let cr = -2;
    while (pos < len) {
      if (lf !== -1 && lf < pos) lf = buf.indexOf(LF, pos);
      if (cr !== -1 && cr < pos) cr = buf.indexOf(CR, pos);
      let eol: number;
      if (lf === -1) {
        if (cr === -1) break;
        eol = cr;
      } else eol = cr === -1 || lf < cr ? lf : cr;

      if (this.tailBytes === 0) {
        this.line(buf, pos, eol, out);
      } else {
        this.tail.push(buf.subarray(pos, eol));
        const joined = Buffer.concat(this.tail, this.tailBytes + eol - pos);
        this.tail = [];
        this.tailBytes = 0;
        this.line(joined, 0, joined.length, out);
      }

      if (buf[eol] === CR) {
        if (eol + 1 === len) {
          this.skipLf = true;
          pos = len;
        } else pos = buf[eol + 1] === LF ? eol + 2 : eol + 1;
      } else pos = eol + 1;
      if (out.length >= this.stopAfter) return out;
    }

    if (pos < len) {
      // Copied: the caller may reuse its buffer after push returns.
      this.tail.push(Buffer.from(buf.subarray(pos)));
      this.tailBytes += len - pos;
      this.checkSize(out);
    }
    return out;
  }

  /**
   * The upstream body ended. As the standard requires, an event that was not
   * terminated by a blank line is discarded (never dispatched), so this
   * always returns no events; it resets the parser for a new stream.
   */
  end(): SseEvent[] {
    this.tail = [];
    this.tailBytes = 0;
    this.skipLf = false;
    this.bomState = 0;
    this.resetEvent();
    this.lastEventIdBuffer = undefined;
    return [];
  }

  /** Skips a leading UTF-8 BOM, which may itself arrive split across reads; returns the new position. */
  private consumeBom(buf: Buffer): number {
    let pos = 0;
    while (pos < buf.length && this.bomState !== BOM_DECIDED) {
      if (buf[pos] === BOM[this.bomState]) {
        this.bomState++;
        pos++;
      } else {
        // Not a BOM after all: the bytes matched so far belong to the first line.
        if (this.bomState > 0) {
          this.tail.push(Buffer.from(BOM.slice(0, this.bomState)));
          this.tailBytes += this.bomState;
        }
        this.bomState = BOM_DECIDED;
      }
    }
    return pos;
  }

  /** Interprets the complete line `[start, end)` of `buf`. */
  private line(buf: Buffer, start: number, end: number, out: SseEvent[]): void {
    if (start === end) {
      this.dispatch(out);
      return;
    }
    const n = end - start;
    let v: number;
    switch (buf[start]) {
      case 0x64: // data
        if (n >= 4 && buf[start + 1] === 0x61 && buf[start + 2] === 0x74 && buf[start + 3] === 0x61) {
          v = valueStart(buf, start + 4, end);
          if (v >= 0) this.appendData(buf, v, end, out);
        }
        return;
      case 0x65: // event
        if (n >= 5 && buf[start + 1] === 0x76 && buf[start + 2] === 0x65 && buf[start + 3] === 0x6e && buf[start + 4] === 0x74) {
          v = valueStart(buf, start + 5, end);
          if (v >= 0) this.eventType = v === end ? undefined : buf.toString('utf8', v, end);
        }
        return;
      case 0x69: // id
        if (n >= 2 && buf[start + 1] === 0x64) {
          v = valueStart(buf, start + 2, end);
          if (v >= 0 && !containsNull(buf, v, end)) this.lastEventIdBuffer = buf.toString('utf8', v, end);
        }
        return;
      case 0x72: // retry
        if (n >= 5 && buf[start + 1] === 0x65 && buf[start + 2] === 0x74 && buf[start + 3] === 0x72 && buf[start + 4] === 0x79) {
          v = valueStart(buf, start + 5, end);
          if (v >= 0) {
            const ms = parseDigits(buf, v, end);
            if (ms >= 0) this.reconnectionMs = ms;
          }
        }
        return;
      default:
        // Comments (a leading ':') and fields the standard does not define are ignored.
        return;
    }
  }

  private appendData(buf: Buffer, start: number, end: number, out: SseEvent[]): void {
    const value = buf.toString('utf8', start, end);
    if (this.dataLines === 0) this.data = value;
    else this.data += '\n' + value;
    this.dataLines++;
    this.dataBytes += end - start + 1;
    this.checkSize(out);
  }

  private checkSize(out: SseEvent[]): void {
    if (this.dataBytes + this.tailBytes > this.maxEventBytes) {
      this.failed = true;
      this.tail = [];
      this.tailBytes = 0;
      this.resetEvent();
      throw new SseEventTooLargeError(this.maxEventBytes, out);
    }
  }

  private dispatch(out: SseEvent[]): void {
    // Without data lines the standard drops the event but still ends it.
    if (this.dataLines !== 0) out.push({ event: this.eventType, data: this.data, id: this.lastEventIdBuffer });
    this.resetEvent();
  }

  private resetEvent(): void {
    this.data = '';
    this.dataLines = 0;
    this.dataBytes = 0;
    this.eventType = undefined;
  }
}

function containsNull(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i] === 0) return true;
  return false;
}

/** The base-ten value of `[start, end)` when it is one or more ASCII digits, else -1. */
function parseDigits(buf: Buffer, start: number, end: number): number {
  if (start === end) return -1;
  let value = 0;
  for (let i = start; i < end; i++) {
    const c = buf[i];
    if (c === undefined || c < 0x30 || c > 0x39) return -1;
    value = value * 10 + (c - 0x30);
  }
  return value;
}

/**
 * One SSE event carrying `data`. Every line terminator in `data` starts a new
 * `data:` line, so a receiver rebuilds it with LF separators (CR and CRLF in
 * `data` arrive as LF, which is inherent to the format).
 */
export function sseData(data: string, event?: string): string {
  let head = '';
  if (event !== undefined) {
    if (event.includes('\n') || event.includes('\r')) throw new TypeError('an SSE event name cannot contain a line break');
    head = `event: ${event}\n`;
  }
  // Fast path: JSON payloads never contain raw line breaks.
  if (!data.includes('\n') && !data.includes('\r')) return `${head}data: ${data}\n\n`;
  return `${head}data: ${data.split(/\r\n|\r|\n/).join('\ndata: ')}\n\n`;
}

/** A comment line (ignored by receivers); used as a keep-alive. */
export function sseComment(text: string): string {
  if (text.includes('\n') || text.includes('\r')) throw new TypeError('an SSE comment cannot contain a line break');
  return `: ${text}\n\n`;
}
