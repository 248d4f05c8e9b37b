/**
 * Writes a rendered SSE stream to the client, paced at the simulated token
 * rate, honouring backpressure, and ending normally, with an in-stream error
 * event, or with a destroyed socket (the injected mid-stream failures).
 */
import type { ServerResponse } from 'node:http';

/** A fully rendered stream. */
export interface SseScript {
  /** Complete SSE frames (`data: ...\n\n`, with `event:` lines where the format has them), in order. */
  readonly frames: readonly string[];
  /** Ascending indices in `frames` of content deltas: text, reasoning and tool-call arguments. */
  readonly deltaAt: readonly number[];
  /** The in-stream error event that replaces the rest of the stream after `written` frames. */
  errorFrames(written: number): string;
}

export interface PacingOptions {
  /** Deltas per second; 0 writes the whole stream at once. */
  readonly tokensPerSecond: number;
  /** Destroy the socket after this many content deltas. */
  readonly failAfter: number | undefined;
  /** End with the script's error event after this many content deltas. */
  readonly errorAfter: number | undefined;
}

type Ending = 'end' | 'error' | 'destroy';

/** Largest batch of overdue segments written at once, so a fast stream still meets backpressure. */
const MAX_BATCH_CHARS = 64 * 1024;

/**
 * One instance per streamed response. Frames between two deltas (item
 * headers, finish chunks) go out together with the following delta, so a
 * timer tick writes one delta (more only to catch up); the tail after the
 * last delta is one more tick, like the end-of-sequence token of a real model.
 */
export class SseStreamWriter {
  readonly #res: ServerResponse;
  readonly #script: SseScript;
  readonly #intervalMs: number;
  /** Frames written so far. */
  #next = 0;
  /** Index into `deltaAt` of the next delta to write. */
  #delta = 0;
  /** Frames to write before the ending; fewer than all for injected failures. */
  readonly #stop: number;
  readonly #ending: Ending;
  #ticks = 0;
  #startedAt = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #destroyedOnPurpose = false;
  readonly #tick = (): void => {
    this.#timer = undefined;
    this.#writeDue();
  };
  /** After 'drain': the next segment when it is due. */
  readonly #resume = (): void => {
    const wait = this.#dueIn();
    if (wait > 0) this.#timer = setTimeout(this.#tick, wait);
    else this.#writeDue();
  };

  constructor(res: ServerResponse, script: SseScript, options: PacingOptions) {
    this.#res = res;
    this.#script = script;
    this.#intervalMs = options.tokensPerSecond > 0 ? 1000 / options.tokensPerSecond : 0;
    const cut = options.failAfter ?? options.errorAfter;
    if (cut === undefined) {
      this.#stop = script.frames.length;
      this.#ending = 'end';
    } else {
      const deltas = Math.min(cut, script.deltaAt.length);
      this.#stop = deltas === 0 ? 0 : (script.deltaAt[deltas - 1] ?? -1) + 1;
      this.#ending = options.failAfter === undefined ? 'error' : 'destroy';
    }
  }

  /** True once the writer destroyed the socket itself (`[mock:fail_after]`), which is not a client abort. */
  get destroyedOnPurpose(): boolean {
    return this.#destroyedOnPurpose;
  }

  start(): void {
    if (this.#intervalMs === 0) {
      const body = this.#script.frames.slice(0, this.#stop).join('');
      this.#next = this.#stop;
      this.#finish(body);
      return;
    }
    this.#startedAt = performance.now();
    this.#writeDue();
  }

  /** The client went away: no more timers, no more writes. */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#res.off('drain', this.#resume);
  }

  /** Milliseconds until the next segment is due; absolute due times keep timer lateness from accumulating. */
  #dueIn(): number {
    return this.#startedAt + this.#ticks * this.#intervalMs - performance.now();
  }

  /**
   * Writes the next segment and every further one already due (timers fall
   * behind at high rates; batching keeps the rate above the timer
   * resolution), then waits for the next due time, or for 'drain' when the
   * socket buffer is full.
   */
  #writeDue(): void {
    if (this.#stopped) return;
    const frames = this.#script.frames;
    const deltaAt = this.#script.deltaAt;
    let chunk = '';
    for (;;) {
      const nextDelta = deltaAt[this.#delta];
      const end = nextDelta !== undefined && nextDelta < this.#stop ? nextDelta + 1 : this.#stop;
      this.#delta++;
      for (let i = this.#next; i < end; i++) chunk += frames[i] ?? '';
      this.#next = end;
      if (end >= this.#stop) {
        this.#finish(chunk);
        return;
      }
      this.#ticks++;
      const wait = this.#dueIn();
      if (wait > 0 || chunk.length >= MAX_BATCH_CHARS) {
        const flushed = this.#res.write(chunk);
        chunk = '';
        if (!flushed) {
          this.#res.once('drain', this.#resume);
          return;
        }
        if (wait > 0) {
          this.#timer = setTimeout(this.#tick, wait);
          return;
        }
      }
    }
  }

  #finish(chunk: string): void {
    this.#stopped = true;
    const res = this.#res;
    switch (this.#ending) {
      case 'end':
        res.end(chunk);
        break;
      case 'error':
        res.end(chunk + this.#script.errorFrames(this.#next));
        break;
      case 'destroy':
        // Destroy only once the head and the bytes before the failure are on the wire.
        if (!res.headersSent) res.flushHeaders();
        res.write(chunk, () => {
          this.#destroyedOnPurpose = true;
          res.destroy();
        });
        break;
    }
  }
}
