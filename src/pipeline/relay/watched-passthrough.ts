import type { GatewayError } from '../../errors/index.js';
import { StreamOutputTooLargeError, UpstreamProtocolError, UpstreamTruncatedError } from '../../errors/index.js';
import { SseParser, sseData } from '../../framing/index.js';
import type { SseEvent } from '../../framing/index.js';
import type { IRChunk } from '../../ir/index.js';
import type { PassthroughStreamWatcher } from '../../translators/types.js';
import { DeltaCapture } from './output-capture.js';
import type { OutputWatch } from './output-watch.js';
import { inStreamError } from './in-stream-error.js';
import { Relay } from './relay.js';
import type { OutputCapture } from './relay.js';

type RelayArgs = ConstructorParameters<typeof Relay>;

/**
 * A pass-through stream that a policy watches: the upstream's events are
 * framed and read with the format's own watcher, so hooks see every delta
 * and can end the response at an event boundary, in the protocol's terms.
 * Each event's data goes to the client unchanged (only its framing is
 * rewritten). Chosen only when a hook asks; unwatched streams take
 * PassthroughStreamRelay, which reads nothing while the stream flows.
 */
export class WatchedPassthroughStreamRelay extends Relay {
  private readonly parser = new SseParser();
  private readonly capture = new DeltaCapture();
  private pending = '';
  private sawTerminal = false;
  private sawEvent = false;
  private upstreamError: Extract<IRChunk, { type: 'error' }> | undefined;
  /** Most output characters the watcher may hold (Infinity: it holds none, or no limit). */
  private outputLimit = Infinity;

  constructor(
    private readonly watcher: PassthroughStreamWatcher,
    private readonly watch: OutputWatch,
    /** The gateway asked for usage the client did not: usage-only events are not relayed. */
    private readonly dropUsageOnly: boolean,
    ...args: RelayArgs
  ) {
    super(...args);
  }

  /** Bounds the output a watcher that keeps it may follow (see TranslatingStreamRelay.limitOutput). */
  limitOutput(limit: number | undefined): this {
    if (this.watcher.holdsOutput === true && limit !== undefined && limit > 0) this.outputLimit = limit;
    return this;
  }

  protected override get output(): OutputCapture {
    return this.capture;
  }

  protected onBody(chunk: Buffer): void {
    let events: SseEvent[];
    try {
      events = this.parser.push(chunk);
    } catch (error) {
      this.fail(new UpstreamProtocolError(this.deployment.provider.name, error instanceof Error ? error.message : 'an event could not be framed'));
      return;
    }
    for (const event of events) if (!this.handle(event)) return;
    this.flush();
  }

  protected onBodyEnd(): void {
    for (const event of this.parser.end()) if (!this.handle(event)) return;
    if (!this.sawEvent && !this.isCommitted) {
      this.fail(new UpstreamProtocolError(this.deployment.provider.name, 'the stream ended before its first event'));
      return;
    }
    if (!this.sawTerminal) {
      this.fail(new UpstreamTruncatedError(this.deployment.provider.name));
      return;
    }
    this.pending += this.watcher.closing();
    this.flush();
    const error = this.upstreamError;
    this.endStream(error === undefined ? undefined : inStreamError(this.deployment.provider.name, error));
  }

  /** Relays one event; false when the exchange ended with it. */
  private handle(event: SseEvent): boolean {
    this.sawEvent = true;
    const chunks = this.watcher.event(event);
    let usageOnly = chunks.length > 0;
    let end = false;
    for (const chunk of chunks) {
      switch (chunk.type) {
        case 'usage':
          this.usage = chunk.usage;
          break;
        case 'error':
          // An error before anything reached the client is still a clean failure the caller may retry elsewhere.
          if (!this.isCommitted && this.pending.length === 0) {
            this.fail(inStreamError(this.deployment.provider.name, chunk));
            return false;
          }
          this.upstreamError = chunk;
          this.sawTerminal = true;
          usageOnly = false;
          break;
        case 'finish':
          this.sawTerminal = true;
          usageOnly = false;
          break;
        case 'start':
          usageOnly = false;
          break;
        default:
          usageOnly = false;
          this.capture.add(chunk);
          if (this.watch.see(chunk)) end = true;
      }
    }
    if (!(usageOnly && this.dropUsageOnly)) this.pending += sseData(event.data, event.event);
    if (this.capture.chars > this.outputLimit) {
      // The event the watcher read is relayed first: the terminal event continues after it.
      this.fail(new StreamOutputTooLargeError(this.outputLimit));
      return false;
    }
    if (end) {
      this.flush();
      if (this.watch.failure !== undefined) {
        this.fail(this.watch.failure);
        return false;
      }
      this.endStreamEarly(this.watcher.earlyEnd('length', this.estimatedUsage()));
      return false;
    }
    return true;
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    this.commit('text/event-stream; charset=utf-8');
    this.write(this.pending);
    this.pending = '';
  }

  protected writeTerminalError(error: GatewayError): void {
    this.prepared.ctx.log.warn({ provider: this.deployment.provider.name, code: error.code }, `stream ended with an error: ${error.message}`);
    this.flush();
    const { message, code } = this.terminal(error);
    this.write(this.watcher.failure(code, message, error.type));
  }
}
