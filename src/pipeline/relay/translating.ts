import type { GatewayError } from '../../errors/index.js';
import { StreamOutputTooLargeError, UpstreamError, UpstreamInvalidResponseError, UpstreamTruncatedError } from '../../errors/index.js';
import type { UpstreamHead } from '../../upstream/dispatch.js';
import { describeReceived, refused, replyTooLarge } from './reply-check.js';
import { inStreamError } from './in-stream-error.js';
import type { IRChunk, IRUsage } from '../../ir/index.js';
import type { ClientCodec, ResponseAccumulator, StreamDecoder, StreamEncoder } from '../../translators/types.js';
import type { OutputWatch } from './output-watch.js';
import { Relay } from './relay.js';
import type { OutputCapture } from './relay.js';
import { DeltaCapture } from './output-capture.js';

type RelayArgs = ConstructorParameters<typeof Relay>;

/** The code a decoder gives a stream that ended before its final event (see StreamDecoder.end). */
const TRUNCATED = 'upstream_truncated';

/** The client's stream ended at its ceiling: a `length` finish, the usage so far, and the format's end. */
function earlyEnding(encoder: StreamEncoder, usage: IRUsage | undefined): string {
  let out = encoder.push({ type: 'finish', reason: 'length' });
  if (usage !== undefined) out += encoder.push({ type: 'usage', usage });
  return out + encoder.end();
}

/** The decoder's error chunk as the client reads it: a stream that stopped before its end is the gateway's finding, not the upstream's words. */
function upstreamStreamError(provider: string, chunk: Extract<IRChunk, { type: 'error' }>): GatewayError {
  if (chunk.code === TRUNCATED) return new UpstreamTruncatedError(provider);
  return inStreamError(provider, chunk);
}

/**
 * The upstream speaks another format: its bytes are decoded into IR chunks
 * and encoded for the client. Until a chunk with content arrives the client
 * has seen nothing, so an upstream error at the start is still a clean HTTP
 * error (and, later, a chance to retry elsewhere).
 */
export class TranslatingStreamRelay extends Relay {
  private pending = '';
  private readonly capture = new DeltaCapture();
  private keepalive: NodeJS.Timeout | undefined;
  private lastWriteAt = performance.now();
  /** Set when a keepalive had to open the client's stream before the upstream's own start arrived. */
  private startedEarly = false;
  /** Most output characters the encoder may hold (Infinity: it holds none, or no limit). */
  private outputLimit = Infinity;

  constructor(
    private readonly decoder: StreamDecoder,
    private readonly encoder: StreamEncoder,
    keepaliveMs: number,
    /** Present when a policy watches the output. */
    private readonly watch: OutputWatch | undefined,
    ...args: RelayArgs
  ) {
    super(...args);
    if (encoder.heartbeat && keepaliveMs > 0) {
      // One coarse timer per stream instead of re-arming a timer on every chunk.
      this.keepalive = setInterval(() => this.keepAlive(keepaliveMs), Math.max(1, Math.floor(keepaliveMs / 2)));
      this.keepalive.unref();
    }
  }

  /**
   * A slow upstream (model load, long prefill) must not look dead to a client
   * with an idle timeout: after `keepaliveMs` of silence the client gets a real
   * protocol event. This commits the response, so it is only done once the
   * wait is long; before that, an upstream error is still a clean HTTP error.
   */
  private keepAlive(keepaliveMs: number): void {
    if (this.hasEnded || performance.now() - this.lastWriteAt < keepaliveMs) return;
    if (!this.isCommitted && this.pending.length === 0) {
      this.pending = this.encoder.push({ type: 'start', id: '', model: this.deployment.model, created: Math.floor(Date.now() / 1000) });
      this.startedEarly = true;
    }
    this.pending += this.encoder.heartbeat!();
    this.flush();
  }

  /**
   * Bounds the output an encoder that holds it (Responses repeats the whole
   * output in its final events) may be given: past `limit` characters the
   * stream ends with an `output_too_large` failure and the upstream is
   * stopped, so no stream holds more than that, whatever the upstream sends.
   */
  limitOutput(limit: number | undefined): this {
    if (this.encoder.holdsOutput === true && limit !== undefined && limit > 0) this.outputLimit = limit;
    return this;
  }

  protected override dispose(): void {
    if (this.keepalive) clearInterval(this.keepalive);
  }

  protected override get output(): OutputCapture {
    return this.capture;
  }

  protected onBody(chunk: Buffer): void {
    this.handle(this.decoder.push(chunk));
  }

  protected onBodyEnd(): void {
    if (!this.handle(this.decoder.end())) return;
    this.flush();
    this.write(this.encoder.end());
    this.endStream();
  }

  /** Returns false when the exchange ended on an error chunk. */
  private handle(chunks: IRChunk[]): boolean {
    for (const chunk of chunks) {
      if (chunk.type === 'error') {
        this.fail(upstreamStreamError(this.deployment.provider.name, chunk));
        return false;
      }
      if (chunk.type === 'usage') this.usage = chunk.usage;
      if (chunk.type === 'start' && this.startedEarly) continue;
      this.capture.add(chunk);
      if (this.capture.chars > this.outputLimit) {
        this.flush();
        this.fail(new StreamOutputTooLargeError(this.outputLimit));
        return false;
      }
      this.pending += this.encoder.push(chunk);
      if (chunk.type !== 'start' && !this.isCommitted) this.commit('text/event-stream; charset=utf-8');
      if (this.watch?.see(chunk) === true) {
        if (this.watch.failure !== undefined) {
          // What was produced reaches the client, then the terminal error.
          this.flush();
          this.fail(this.watch.failure);
          return false;
        }
        this.endStreamEarly(this.pending + earlyEnding(this.encoder, this.estimatedUsage()));
        this.pending = '';
        return false;
      }
    }
    if (this.isCommitted) this.flush();
    return true;
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    this.commit('text/event-stream; charset=utf-8');
    this.write(this.pending);
    this.pending = '';
    if (this.keepalive) this.lastWriteAt = performance.now();
  }

  protected writeTerminalError(error: GatewayError): void {
    this.prepared.ctx.log.warn({ provider: this.deployment.provider.name, code: error.code }, `stream ended with an error: ${error.message}`);
    this.flush();
    this.write(this.encoder.push({ type: 'error', ...this.terminal(error), errorType: error.type }));
    this.write(this.encoder.end());
  }
}

/**
 * Non-streamed client on a translated route: the upstream still streams; chunks are accumulated into one body.
 * An upstream reply of which nothing decodes (an HTML page, a JSON body instead of a stream) is an
 * `upstream_invalid_response`, retried and fallen back like a 5xx; a reply over the limit is refused.
 */
export class TranslatingJsonRelay extends Relay {
  private readonly capture = new DeltaCapture();
  private received = 0;
  /** The first read, quoted when nothing of the reply could be decoded. */
  private firstRead: Buffer | undefined;
  private head: UpstreamHead | undefined;
  /** Whether the decoder produced anything from the reply. */
  private decoded = false;

  override onHead(head: UpstreamHead): void {
    super.onHead(head);
    if (head.status < 300) this.head = head;
  }

  protected override get output(): OutputCapture {
    return this.capture;
  }

  constructor(
    private readonly decoder: StreamDecoder,
    private readonly accumulator: ResponseAccumulator,
    /** Present when a policy watches the output. */
    private readonly watch: OutputWatch | undefined,
    /** The largest upstream reply read (`server.upstream_reply_limit`). */
    private readonly maxBytes: number,
    ...args: RelayArgs
  ) {
    super(...args);
  }

  protected onBody(chunk: Buffer): void {
    this.received += chunk.length;
    if (this.received > this.maxBytes) {
      this.fail(refused(this.prepared.ctx.log, this.deployment.provider.name, this.deployment.model, replyTooLarge(this.deployment.provider.name, this.maxBytes)));
      return;
    }
    this.firstRead ??= chunk;
    this.handle(this.decoder.push(chunk));
  }

  protected onBodyEnd(): void {
    if (!this.handle(this.decoder.end())) return;
    this.complete(undefined);
  }

  /** An error chunk: the upstream's own, or, when nothing of the reply could be read, a reply that is not the stream asked for. */
  private failure(chunk: Extract<IRChunk, { type: 'error' }>): GatewayError {
    if (!this.decoded && (chunk.code === 'upstream_truncated' || chunk.code === 'upstream_protocol_error')) {
      const received = describeReceived(this.head?.headers, this.firstRead ?? Buffer.alloc(0), this.received, 'not a stream the gateway can read', this.deployment.provider.redactor);
      return refused(this.prepared.ctx.log, this.deployment.provider.name, this.deployment.model, new UpstreamInvalidResponseError(this.deployment.provider.name, received));
    }
    return upstreamStreamError(this.deployment.provider.name, chunk);
  }

  private complete(endedEarly: 'length' | undefined): void {
    let body: string;
    try {
      body = JSON.stringify(this.accumulator.result());
    } catch (error) {
      this.fail(error instanceof UpstreamError ? error : upstreamStreamError(this.deployment.provider.name, { type: 'error', message: String(error), code: 'upstream_error' }));
      return;
    }
    this.sendComplete(body, 'application/json', endedEarly);
  }

  private handle(chunks: IRChunk[]): boolean {
    for (const chunk of chunks) {
      if (chunk.type === 'error') {
        this.fail(this.failure(chunk));
        return false;
      }
      this.decoded = true;
      if (chunk.type === 'usage') this.usage = chunk.usage;
      this.capture.add(chunk);
      this.accumulator.push(chunk);
      if (this.watch?.see(chunk) === true) {
        // The response ends here, as the model's own ceiling would end it.
        this.accumulator.push({ type: 'finish', reason: 'length' });
        const usage = this.estimatedUsage();
        if (usage !== undefined) this.accumulator.push({ type: 'usage', usage });
        this.complete('length');
        return false;
      }
    }
    return true;
  }

  protected writeTerminalError(): void {
    // Never committed before the body is complete.
  }
}

export type { ClientCodec };
