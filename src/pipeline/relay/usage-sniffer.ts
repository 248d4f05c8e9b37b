import { SseParser } from '../../framing/index.js';
import type { IRUsage } from '../../ir/index.js';
import type { UsageReader } from '../../translators/types.js';
import { usageNearEnd } from '../../translators/usage-readers.js';
import type { ChunkLog } from './chunk-log.js';

export interface StreamErrorEvent {
  readonly message: string;
  readonly code: string;
}

const LF = 0x0a;

/**
 * How far back from the end of a stream its final events are looked for:
 * first the last 2 KiB (a Chat usage event and `[DONE]`), then wider, until
 * the whole stream. A Responses terminal event carries the whole response,
 * so its line can be long; the search widens until the line is whole.
 */
const WINDOWS = [2 << 10, 16 << 10, 128 << 10, 1 << 20, 8 << 20];

/** What the last events of a relayed stream said. */
export interface StreamEnding {
  readonly usage: IRUsage | undefined;
  /** An error the upstream reported at the end of its stream (it may still end with HTTP 200). */
  readonly error: StreamErrorEvent | undefined;
  /** A terminal event ended the stream (always true for formats without terminal events). */
  readonly sawTerminal: boolean;
  /** The closing the stream lacks (its reader's `closingData` as an event, when the upstream left it out), else undefined. */
  readonly missingClose?: string;
}

/**
 * Watches a stream that is relayed raw, at no cost per read once it has
 * started: the SSE parser frames only the stream's opening, until its first
 * event is whole (the peek before commit). The usage, error and terminal
 * events come last in every format, so they are read from the end of the
 * stream's bytes (the relay's ChunkLog) when it is over: a look at its last
 * few lines (wider native searches only when they hold no mark), and one JSON
 * parse of the usage object found.
 */
export class UsageSniffer {
  private parser: SseParser | undefined = new SseParser();
  /** The first event has been seen whole. */
  started = false;
  /** Set when the stream's very first event was an error (nothing useful was sent before it). */
  firstError: StreamErrorEvent | undefined;
  private readonly marks: readonly Buffer[];
  private result: StreamEnding | undefined;

  constructor(
    private readonly reader: UsageReader,
    private readonly log: ChunkLog,
  ) {
    const all = [...reader.usageMarks, ...reader.errorMarks, ...(reader.terminalMarks ?? [])];
    this.marks = all.filter((mark, i) => all.findIndex((other) => other.equals(mark)) === i);
  }

  /** Feeds a read while the stream has not started; frames only up to the end of the first event. */
  peek(chunk: Buffer): void {
    const first = this.parser?.pushFirst(chunk);
    if (first === undefined) return;
    this.started = true;
    this.parser = undefined;
    if (this.reader.isErrorEvent(first.event, first.data)) this.firstError = this.reader.errorFromEvent(first.data);
  }

  /** What the final events say, read once from the end of the stream so far. */
  ending(): StreamEnding {
    this.result ??= this.readEnding();
    return this.result;
  }

  private readEnding(): StreamEnding {
    const { reader } = this;
    const closed = reader.closingData !== undefined && lastEventData(this.log) === reader.closingData;
    const last = lastMarkedLine(this.log, this.marks, 0);
    if (last === undefined) return { usage: undefined, error: this.firstError, sawTerminal: reader.terminalMarks === undefined || closed };
    const terminal = reader.terminalMarks;
    if (containsAny(last.line, reader.errorMarks)) {
      // An error ended the stream; usage, if any came, is in an earlier event.
      const earlier = lastMarkedLine(this.log, reader.usageMarks, last.fromEnd);
      const usage = earlier === undefined ? undefined : this.usageOf(earlier.line);
      const ending = { usage, error: reader.errorFromEvent(dataOf(last.line)), sawTerminal: terminal === undefined || closed || containsAny(last.line, terminal) };
      return closed || reader.closingData === undefined ? ending : { ...ending, missingClose: `data: ${reader.closingData}\n\n` };
    }
    // A terminal mark on the last marked line; or, for formats whose usage event follows the terminal one (Chat's
    // usage chunk after the finish chunk), on an earlier line.
    const sawTerminal = terminal === undefined || closed || containsAny(last.line, terminal) || lastMarkedLine(this.log, terminal, last.fromEnd) !== undefined;
    const usage = this.usageOf(last.line);
    if (closed || reader.closingData === undefined) return { usage, error: this.firstError, sawTerminal };
    return { usage, error: this.firstError, sawTerminal, missingClose: `data: ${reader.closingData}\n\n` };
  }

  private usageOf(line: Buffer): IRUsage | undefined {
    if (!containsAny(line, this.reader.usageMarks)) return undefined;
    // A Responses terminal event carries the whole response: parse only its usage object when it can be found.
    const near = usageNearEnd(this.reader, line);
    if (near !== undefined) return near;
    try {
      return this.reader.fromEvent(JSON.parse(dataOf(line)) as unknown);
    } catch {
      // A malformed event is the client's to see; usage will be estimated.
      return undefined;
    }
  }
}

function containsAny(bytes: Buffer, marks: readonly Buffer[]): boolean {
  for (const mark of marks) if (bytes.includes(mark)) return true;
  return false;
}

/**
 * The last whole line of the stream that contains one of `marks`, ignoring
 * the last `skip` bytes; `fromEnd` is how far its start is from the end of
 * the stream. Searches windows of growing size from the end, so the usual
 * cost is a search of the last few kilobytes.
 */
function lastMarkedLine(log: ChunkLog, marks: readonly Buffer[], skip: number): { line: Buffer; fromEnd: number } | undefined {
  const available = log.available - skip;
  if (available <= 0) return undefined;
  for (let w = 0; ; w++) {
    const size = Math.min(WINDOWS[w] ?? available, available);
    const whole = size === available;
    const window = log.last(size + skip).subarray(0, size);
    if (w === 0) {
      // The marked line is nearly always one of the last few: look at those alone first.
      const near = markedLineNearEnd(window, marks, whole && log.dropped === 0);
      if (near !== undefined) return { line: near.line, fromEnd: skip + size - near.start };
    }
    let at = -1;
    for (const mark of marks) at = Math.max(at, window.lastIndexOf(mark));
    if (at >= 0) {
      const start = window.lastIndexOf(LF, at) + 1;
      // The line may begin before this window: widen until it is whole.
      if (start > 0 || (whole && log.dropped === 0)) {
        const end = window.indexOf(LF, at);
        return { line: window.subarray(start, end < 0 ? window.length : end), fromEnd: skip + size - start };
      }
      // The line began in bytes the log did not keep: its kept start and its end stand for it.
      if (whole) return { line: withLineHead(log, window, at), fromEnd: skip + size };
    } else if (whole) {
      // The mark may be in the start of a long line that runs into the kept bytes (a large final event).
      if (log.dropped > 0 && containsAny(log.lineHead, marks)) return { line: withLineHead(log, window, 0), fromEnd: skip + size };
      return undefined;
    }
  }
}

/** The kept start of the line that runs into the tail, joined to the line's part in `window` (from its start to the LF after `at`). */
function withLineHead(log: ChunkLog, window: Buffer, at: number): Buffer {
  const end = window.indexOf(LF, at);
  return Buffer.concat([log.lineHead, window.subarray(0, end < 0 ? window.length : end)]);
}

/** The data of the stream's last event, when its last non-blank line is a short `data:` line ('' otherwise). */
function lastEventData(log: ChunkLog): string {
  const window = log.last(64);
  let end = window.length;
  while (end > 0 && (window[end - 1] === LF || window[end - 1] === 0x0d)) end--;
  const start = window.lastIndexOf(LF, end - 1) + 1;
  if (start === 0 && log.available > window.length) return '';
  const line = window.subarray(start, end);
  return line.subarray(0, 5).toString('latin1') === 'data:' ? dataOf(line) : '';
}

/** How many lines from the end `markedLineNearEnd` looks at (a Chat stream ends with the usage event, a blank line, `data: [DONE]`, a blank line). */
const NEAR_END_LINES = 6;

/** The last marked line among the window's last few whole lines; undefined when none of them has a mark (the caller searches wider). */
function markedLineNearEnd(window: Buffer, marks: readonly Buffer[], whole: boolean): { line: Buffer; start: number } | undefined {
  let end = window.length;
  for (let n = 0; n < NEAR_END_LINES && end > 0; n++) {
    const start = window.lastIndexOf(LF, end - 1) + 1;
    if (start === 0 && !whole) return undefined;
    if (end - start > 1) {
      const line = window.subarray(start, end);
      for (const mark of marks) if (line.includes(mark)) return { line, start };
    }
    end = start - 1;
    if (end <= 0) return undefined;
  }
  return undefined;
}

function dataOf(line: Buffer): string {
  const text = line.toString('utf8');
  const colon = text.indexOf(':');
  const value = colon < 0 ? text : text.slice(colon + 1);
  return (value.startsWith(' ') ? value.slice(1) : value).replace(/\r$/, '');
}
