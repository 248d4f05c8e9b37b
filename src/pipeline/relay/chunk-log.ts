const LF = 0x0a;

/** The stream's opening reads kept whole: its first events (Responses: `response.created` and the response id). */
const HEAD_BYTES = 64 << 10;
/** The latest reads kept: the final events (usage, errors, the terminal event) and the events a terminal error continues. */
const TAIL_BYTES = 256 << 10;
/** How much of a line that began in dropped bytes and runs into the tail is kept (its event type and first fields). */
const LINE_HEAD_BYTES = 512;

/**
 * The bytes of one relayed stream that are read again once it is over: the
 * usage and error marks of the final events, the events a terminal error
 * continues, the text for a token count when no usage came. Reads are kept
 * as the Buffers they arrived in (references, never copies while the stream
 * flows), but only a head (the first HEAD_BYTES) and a tail (the last
 * TAIL_BYTES or a little more): memory per stream is bounded whatever its
 * length. What lies between is counted, not kept; the start of the line that
 * runs from it into the tail (a long final event) is kept as a small copy.
 */
export class ChunkLog {
  private readonly headReads: Buffer[] = [];
  private headBytes = 0;
  private tailReads: Buffer[] = [];
  /** Index of the oldest read still in the tail (older entries are released by compaction). */
  private tailFirst = 0;
  private tailBytes = 0;
  /** All bytes relayed. */
  bytes = 0;
  /** Bytes dropped between the head and the tail (0: the log holds the whole stream). */
  dropped = 0;
  /** A copy of the start of the line that runs from the dropped bytes into the tail ('' when the tail starts a line). */
  private lineHeadCopy: Buffer = Buffer.alloc(0);

  constructor(
    private readonly headLimit = HEAD_BYTES,
    private readonly tailLimit = TAIL_BYTES,
  ) {}

  add(chunk: Buffer): void {
    this.bytes += chunk.length;
    if (this.headBytes < this.headLimit && this.tailBytes === 0) {
      this.headReads.push(chunk);
      this.headBytes += chunk.length;
      return;
    }
    this.tailReads.push(chunk);
    this.tailBytes += chunk.length;
    // Drop the oldest reads while the rest still hold the tail's size.
    while (this.tailBytes - this.tailReads[this.tailFirst]!.length >= this.tailLimit) this.dropOldest();
  }

  private dropOldest(): void {
    // The first drop: the line running into the dropped bytes may have begun in the head.
    if (this.dropped === 0) this.lineHeadCopy = this.headLineStart();
    const oldest = this.tailReads[this.tailFirst]!;
    this.tailReads[this.tailFirst++] = EMPTY;
    this.tailBytes -= oldest.length;
    this.dropped += oldest.length;
    // Only long streams get here, and a read nearly always ends within a short line of its last LF.
    const lf = oldest.lastIndexOf(LF);
    if (lf >= 0) this.lineHeadCopy = Buffer.from(oldest.subarray(lf + 1, lf + 1 + LINE_HEAD_BYTES));
    else if (this.lineHeadCopy.length < LINE_HEAD_BYTES) {
      this.lineHeadCopy = Buffer.concat([this.lineHeadCopy, oldest.subarray(0, LINE_HEAD_BYTES - this.lineHeadCopy.length)]);
    }
    if (this.tailFirst >= 1024 && this.tailFirst * 2 >= this.tailReads.length) {
      this.tailReads = this.tailReads.slice(this.tailFirst);
      this.tailFirst = 0;
    }
  }

  /** A copy of the start (at most LINE_HEAD_BYTES) of the head's last line, which may run on past it. */
  private headLineStart(): Buffer {
    const reads = this.headReads;
    for (let i = reads.length - 1; i >= 0; i--) {
      const lf = reads[i]!.lastIndexOf(LF);
      if (lf >= 0) return Buffer.from(Buffer.concat([reads[i]!.subarray(lf + 1), ...reads.slice(i + 1)]).subarray(0, LINE_HEAD_BYTES));
    }
    return Buffer.from(Buffer.concat(reads).subarray(0, LINE_HEAD_BYTES));
  }

  /**
   * The reads kept, as runs of contiguous bytes: one run (the whole stream)
   * when nothing was dropped, else the head and the tail. A reader frames each
   * run on its own: the tail starts in the middle of an event.
   */
  runs(): Buffer[][] {
    const tail = this.tailReads.slice(this.tailFirst);
    return this.dropped === 0 ? [this.headReads.concat(tail)] : [this.headReads.slice(), tail];
  }

  /** Bytes of the stream's end that are held contiguously: the whole stream, or the tail when bytes were dropped. */
  get available(): number {
    return this.dropped === 0 ? this.bytes : this.tailBytes;
  }

  /** The start of the line that runs from the dropped bytes into the tail (empty when none does, or nothing was dropped). */
  get lineHead(): Buffer {
    return this.dropped === 0 ? EMPTY : this.lineHeadCopy;
  }

  /** The last `n` bytes held contiguously (all of `available` when fewer): a view when one read holds them, else one copy of just those bytes. */
  last(n: number): Buffer {
    const want = Math.min(n, this.available);
    if (want === 0) return EMPTY;
    const lastRead = this.tailBytes > 0 ? this.tailReads[this.tailReads.length - 1]! : this.headReads[this.headReads.length - 1]!;
    if (lastRead.length >= want) return lastRead.subarray(lastRead.length - want);
    const out = Buffer.allocUnsafe(want);
    let end = want;
    // Walk back from the end: tail reads first, then head reads (only when nothing was dropped).
    for (let i = this.tailReads.length - 1; i >= this.tailFirst && end > 0; i--) end = copyEnd(this.tailReads[i]!, out, end);
    for (let i = this.headReads.length - 1; i >= 0 && end > 0; i--) end = copyEnd(this.headReads[i]!, out, end);
    return out;
  }
}

const EMPTY = Buffer.alloc(0);

/** Copies the end of `read` so that it ends at `end` in `out`; returns where the copy starts. */
function copyEnd(read: Buffer, out: Buffer, end: number): number {
  const n = Math.min(read.length, end);
  read.copy(out, end - n, read.length - n);
  return end - n;
}
