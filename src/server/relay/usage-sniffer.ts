import { SseParser } from '../../framing/index.js';
import type { IRUsage } from '../../ir/index.js';
import { readUpstreamErrorBody } from '../../upstream/classify.js';
import type { UsageReader } from '../../translators/usage-readers.js';

export interface StreamErrorEvent {
  readonly message: string;
  readonly code: string;
}

const LF = 0x0a;
/** A line longer than this is not kept whole for the search (usage events are a few hundred bytes). */
const MAX_LINE_BYTES = 1 << 20;

/**
 * Watches a stream that is relayed raw, at the cost of a few native byte
 * searches per read. The SSE parser frames only the start of the stream,
 * until its first event is whole (the peek before commit); after that, each
 * read is searched for the format's usage and error marks, and only the one
 * `data:` line a mark falls in is kept, to be JSON-parsed once.
 */
export class UsageSniffer {
  private parser: SseParser | undefined = new SseParser();
  /** The first event has been seen whole. */
  started = false;
  /** The first error the upstream reported inside the stream (it may still end with HTTP 200). */
  error: StreamErrorEvent | undefined;
  /** Whether that error was the stream's very first event (nothing useful was sent before it). */
  errorFirst = false;
  /** The bytes of the current, unfinished line (usually empty: servers write whole events). */
  private carry: Buffer | undefined;
  private usageLine: Buffer | undefined;
  /** A terminal event was relayed (always true for formats without terminal events). */
  sawTerminal: boolean;
  private parsedUsage: IRUsage | undefined;
  private usageParsed = false;

  constructor(private readonly reader: UsageReader) {
    this.sawTerminal = reader.terminalMarks === undefined;
  }

  observe(chunk: Buffer): void {
    if (this.parser) this.peek(chunk);
    const lastLf = chunk.lastIndexOf(LF);
    if (lastLf < 0) {
      // No line ends in this read: keep it for the line it belongs to (bounded).
      this.carry = this.carry === undefined ? chunk : this.carry.length < MAX_LINE_BYTES ? Buffer.concat([this.carry, chunk]) : this.carry;
      return;
    }
    // Only whole lines are searched, so a mark split across reads is still found.
    const lines = this.carry === undefined ? chunk.subarray(0, lastLf + 1) : Buffer.concat([this.carry, chunk.subarray(0, lastLf + 1)]);
    this.carry = lastLf + 1 < chunk.length ? chunk.subarray(lastLf + 1) : undefined;
    for (const mark of this.reader.usageMarks) {
      const at = lines.lastIndexOf(mark);
      if (at >= 0) {
        this.usageLine = lineAround(lines, at);
        this.usageParsed = false;
        break;
      }
    }
    if (!this.sawTerminal) this.sawTerminal = this.reader.terminalMarks!.some((mark) => lines.lastIndexOf(mark) >= 0);
    if (this.error === undefined) {
      for (const mark of this.reader.errorMarks) {
        const at = lines.indexOf(mark);
        if (at >= 0) {
          this.error = errorOf(dataOf(lineAround(lines, at)));
          break;
        }
      }
    }
  }

  /** Usage from the last marked event, parsed on first access. */
  get usage(): IRUsage | undefined {
    if (!this.usageParsed && this.usageLine) {
      this.usageParsed = true;
      try {
        this.parsedUsage = this.reader.fromEvent(JSON.parse(dataOf(this.usageLine)) as unknown);
      } catch {
        // A malformed event is the client's to see; usage will be estimated.
      }
    }
    return this.parsedUsage;
  }

  private peek(chunk: Buffer): void {
    const events = this.parser!.push(chunk);
    const first = events[0];
    if (first === undefined) return;
    this.started = true;
    this.parser = undefined;
    if (isErrorEvent(first.event, first.data)) {
      this.error = errorOf(first.data);
      this.errorFirst = true;
    }
  }
}

/** The line (without its line break) that contains byte `at`. */
function lineAround(bytes: Buffer, at: number): Buffer {
  const start = bytes.lastIndexOf(LF, at) + 1;
  const end = bytes.indexOf(LF, at);
  return bytes.subarray(start, end < 0 ? bytes.length : end);
}

function dataOf(line: Buffer): string {
  const text = line.toString('utf8');
  const colon = text.indexOf(':');
  const value = colon < 0 ? text : text.slice(colon + 1);
  return (value.startsWith(' ') ? value.slice(1) : value).replace(/\r$/, '');
}

function isErrorEvent(event: string | undefined, data: string): boolean {
  return event === 'error' || event === 'response.failed' || data.startsWith('{"error"') || data.startsWith('{"type":"error"') || data.startsWith('{"type":"response.failed"');
}

function errorOf(data: string): StreamErrorEvent {
  const details = readUpstreamErrorBody(data);
  if (details.message !== undefined) return { message: details.message, code: details.code ?? 'upstream_error' };
  try {
    const parsed = JSON.parse(data) as { response?: { error?: { message?: unknown; code?: unknown } }; message?: unknown; code?: unknown };
    const error = parsed.response?.error;
    if (error && typeof error.message === 'string') return { message: error.message, code: typeof error.code === 'string' ? error.code : 'upstream_error' };
    if (typeof parsed.message === 'string') return { message: parsed.message, code: typeof parsed.code === 'string' ? parsed.code : 'upstream_error' };
  } catch {
    // Fall through to a generic description.
  }
  return { message: 'the upstream reported an error in its stream', code: 'upstream_error' };
}
