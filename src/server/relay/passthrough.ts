import type { GatewayError } from '../../errors/index.js';
import type { ClientCodec } from '../../translators/types.js';
import { BodyCollector } from '../../upstream/dispatch.js';
import { Relay } from './relay.js';

/** Largest non-streamed upstream reply the gateway will hold. */
const MAX_JSON_BODY_BYTES = 64 * 1024 * 1024;

/**
 * The upstream speaks the client's format: its bytes go to the client as they
 * arrive, never re-serialised. The first byte is the commit point.
 */
export class PassthroughStreamRelay extends Relay {
  private codec: ClientCodec | undefined;

  setErrorCodec(codec: ClientCodec | undefined): this {
    this.codec = codec;
    return this;
  }

  protected onBody(chunk: Buffer): void {
    this.commit('text/event-stream; charset=utf-8');
    this.write(chunk);
  }

  protected onBodyEnd(): void {
    this.commit('text/event-stream; charset=utf-8');
    this.endStream();
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

  protected onBody(chunk: Buffer): void {
    this.body.add(chunk);
  }

  protected onBodyEnd(): void {
    this.sendComplete(this.body.buffer(), 'application/json');
  }

  protected writeTerminalError(): void {
    // Never committed before the body is complete.
  }
}
