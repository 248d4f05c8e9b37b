import type { GatewayError } from '../../errors/index.js';
import type { ClientCodec } from '../../translators/types.js';
import type { UsageReader } from '../../translators/usage-readers.js';
import { BodyCollector } from '../../upstream/dispatch.js';
import { Relay } from './relay.js';
import { UsageSniffer } from './usage-sniffer.js';

/** Marks the usage-only Chat chunk; a Buffer search avoids decoding every read. */
const USAGE_ONLY_MARK = Buffer.from('"choices":[]');

/** Largest non-streamed upstream reply the gateway will hold. */
const MAX_JSON_BODY_BYTES = 64 * 1024 * 1024;

/**
 * The upstream speaks the client's format: its bytes go to the client as they
 * arrive, never re-serialised. The first byte is the commit point.
 */
export class PassthroughStreamRelay extends Relay {
  private codec: ClientCodec | undefined;
  private sniffer: UsageSniffer | undefined;
  private strip: ((text: string) => string) | undefined;

  setErrorCodec(codec: ClientCodec | undefined): this {
    this.codec = codec;
    return this;
  }

  /** Capture usage from the relayed events; `strip` removes usage events the gateway asked for and the client did not. */
  captureUsage(reader: UsageReader | undefined, strip: ((text: string) => string) | undefined): this {
    this.sniffer = reader ? new UsageSniffer(reader) : undefined;
    this.strip = strip;
    return this;
  }

  protected onBody(chunk: Buffer): void {
    this.commit('text/event-stream; charset=utf-8');
    if (this.sniffer) {
      this.sniffer.observe(chunk);
      if (this.sniffer.usage) this.usage = this.sniffer.usage;
    }
    if (this.strip && chunk.includes(USAGE_ONLY_MARK)) this.write(this.strip(chunk.toString('utf8')));
    else this.write(chunk);
  }

  protected onBodyEnd(): void {
    this.commit('text/event-stream; charset=utf-8');
    this.endStream(this.sniffer?.sawError ? 'upstream_stream_error' : undefined);
  }

  protected writeTerminalError(error: GatewayError): void {
    if (!this.codec) return;
    // A fresh encoder renders the protocol's terminal error without knowing what was relayed before.
    const encoder = this.codec.createStreamEncoder({ requestedModel: this.prepared.requestedModel, includeUsage: false });
    this.write(encoder.push({ type: 'error', message: error.message, code: error.code }));
    this.write(encoder.end());
  }
}

/** Non-streamed pass-through: the upstream's JSON body is relayed whole. */
export class PassthroughJsonRelay extends Relay {
  private readonly body = new BodyCollector(MAX_JSON_BODY_BYTES);
  private reader: UsageReader | undefined;

  captureUsage(reader: UsageReader | undefined): this {
    this.reader = reader;
    return this;
  }

  protected onBody(chunk: Buffer): void {
    this.body.add(chunk);
  }

  protected onBodyEnd(): void {
    const body = this.body.buffer();
    if (this.reader) {
      try {
        this.usage = this.reader.fromBody(JSON.parse(body.toString('utf8')) as unknown);
      } catch {
        // Not JSON: relayed as it is; usage will be estimated.
      }
    }
    this.sendComplete(body, 'application/json');
  }

  protected writeTerminalError(): void {
    // Never committed before the body is complete.
  }
}
