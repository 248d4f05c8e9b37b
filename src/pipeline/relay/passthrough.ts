import type { GatewayError } from '../../errors/index.js';
import type { IRUsage } from '../../ir/index.js';
import { UpstreamProtocolError, UpstreamTruncatedError } from '../../errors/index.js';
import { SseParser } from '../../framing/index.js';
import { inStreamError } from './in-stream-error.js';
import type { ClientCodec } from '../../translators/types.js';
import type { UsageReader } from '../../translators/types.js';
import { BodyCollector } from '../../upstream/dispatch.js';
import type { UpstreamHead } from '../../upstream/dispatch.js';
import { checkReply, declaredTooLarge, refused, replyTooLarge } from './reply-check.js';
import { Relay } from './relay.js';
import type { OutputCapture } from './relay.js';
import { ChunkLog } from './chunk-log.js';
import { BodyCapture, RawStreamCapture } from './output-capture.js';
import { UsageSniffer } from './usage-sniffer.js';

/**
 * The upstream speaks the client's format: its bytes go to the client as they
 * arrive, never re-serialised. The first byte is the commit point.
 */
export class PassthroughStreamRelay extends Relay {
  private codec: ClientCodec | undefined;
  private sniffer: UsageSniffer | undefined;
  private strip: ((chunk: Buffer) => Buffer[] | undefined) | undefined;
  private readonly held: Buffer[] = [];
  /** The stream's first and last reads, by reference: the final events and the text for a token count are read from it at the end. */
  private readonly log = new ChunkLog();
  private readonly capture = new RawStreamCapture(this.prepared.clientFormat, this.log);

  protected override get output(): OutputCapture {
    return this.capture;
  }

  setErrorCodec(codec: ClientCodec | undefined): this {
    this.codec = codec;
    return this;
  }

  /** Capture usage from the relayed events; `strip` removes usage events the gateway asked for and the client did not. */
  captureUsage(reader: UsageReader | undefined, strip: ((chunk: Buffer) => Buffer[] | undefined) | undefined): this {
    this.sniffer = reader ? new UsageSniffer(reader, this.log) : undefined;
    this.strip = strip;
    return this;
  }

  protected onBody(chunk: Buffer): void {
    this.log.add(chunk);
    if (!this.isCommitted) {
      const sniffer = this.sniffer;
      if (sniffer) {
        // Peek: hold the bytes until the first event is whole. An error as the very first event is
        // still a clean failure the caller may retry elsewhere; anything else commits the response.
        sniffer.peek(chunk);
        if (!sniffer.started) {
          this.held.push(chunk);
          return;
        }
        if (sniffer.firstError) {
          this.fail(inStreamError(this.deployment.provider.name, sniffer.firstError));
          return;
        }
      }
      this.commit('text/event-stream; charset=utf-8');
      for (const held of this.held) this.relay(held);
      this.held.length = 0;
    }
    this.relay(chunk);
  }

  protected override finalUsage(): IRUsage | undefined {
    return this.sniffer?.ending().usage ?? this.usage;
  }

  private relay(chunk: Buffer): void {
    const parts = this.strip?.(chunk);
    if (parts === undefined) this.write(chunk);
    else for (const part of parts) this.write(part);
  }

  protected onBodyEnd(): void {
    if (!this.isCommitted && this.sniffer?.started === false) {
      this.fail(new UpstreamProtocolError(this.deployment.provider.name, 'the stream ended before its first event'));
      return;
    }
    this.commit('text/event-stream; charset=utf-8');
    for (const held of this.held) this.relay(held);
    this.held.length = 0;
    const ending = this.sniffer?.ending();
    if (ending && !ending.sawTerminal && ending.error === undefined) {
      // Never a silently truncated stream: the client gets the protocol's terminal error.
      this.fail(new UpstreamTruncatedError(this.deployment.provider.name));
      return;
    }
    const error = ending?.error;
    // A complete stream whose server left out the format's optional closing (Chat's `[DONE]`) still ends with it.
    if (ending?.missingClose !== undefined) this.write(ending.missingClose);
    this.endStream(error === undefined ? undefined : inStreamError(this.deployment.provider.name, error));
  }

  protected writeTerminalError(error: GatewayError): void {
    // The client's stream was under way: its terminal event is the only other trace of the failure.
    this.prepared.ctx.log.warn({ provider: this.deployment.provider.name, code: error.code }, `stream ended with an error: ${error.message}`);
    if (!this.codec) return;
    // The terminal event continues the stream the client has (its response id, the next sequence
    // number): the relayed events are read once, now, from the log, so the flowing stream pays nothing.
    const watcher = this.codec.createPassthroughWatcher({ requestedModel: this.prepared.requestedModel, includeUsage: false });
    // The log keeps the stream's head and tail: each is framed on its own (the tail starts inside an event, whose
    // partial first line the parser ignores), so the watcher sees the first events and the last ones.
    for (const run of this.log.runs()) {
      const parser = new SseParser();
      try {
        for (const chunk of run) for (const event of parser.push(chunk)) watcher.event(event);
      } catch {
        // An event too large to frame: the terminal event is rendered from what came before it.
      }
    }
    const { message, code } = this.terminal(error);
    this.write(watcher.failure(code, message, error.type));
  }
}

/**
 * Non-streamed pass-through: the upstream's JSON body is relayed whole, once
 * it is known to be a JSON object within the reply limit (see reply-check.ts).
 * A reply that is not is a failure before the commit point: retried and
 * fallen back like an upstream 5xx, never relayed as a 200.
 */
export class PassthroughJsonRelay extends Relay {
  private readonly body: BodyCollector;
  private reader: UsageReader | undefined;
  private head: UpstreamHead | undefined;

  constructor(
    /** The largest reply relayed (`server.upstream_reply_limit`). */
    maxBytes: number,
    ...args: ConstructorParameters<typeof Relay>
  ) {
    super(...args);
    this.body = new BodyCollector(maxBytes);
  }

  captureUsage(reader: UsageReader | undefined): this {
    this.reader = reader;
    return this;
  }

  protected override get output(): OutputCapture {
    const extract = this.reader?.textFromBody;
    return extract ? new BodyCapture(() => this.body.buffer(), extract) : super.output;
  }

  override onHead(head: UpstreamHead): void {
    super.onHead(head);
    if (head.status >= 300) return;
    this.head = head;
    // Refused before a byte of it is read.
    if (declaredTooLarge(head.headers, this.body.maxBytes)) this.refuse(replyTooLarge(this.deployment.provider.name, this.body.maxBytes));
  }

  protected onBody(chunk: Buffer): void {
    if (!this.body.accept(chunk)) this.refuse(replyTooLarge(this.deployment.provider.name, this.body.maxBytes));
  }

  private refuse(error: GatewayError): void {
    this.fail(refused(this.prepared.ctx.log, this.deployment.provider.name, this.deployment.model, error));
  }

  protected onBodyEnd(): void {
    const body = this.body.buffer();
    const verdict = checkReply(this.deployment.provider, this.head?.headers, body);
    if (!verdict.ok) {
      this.refuse(verdict.error);
      return;
    }
    if (this.reader) this.usage = this.reader.fromBody(verdict.body);
    this.sendComplete(body, 'application/json');
  }

  protected writeTerminalError(): void {
    // Never committed before the body is complete.
  }
}
