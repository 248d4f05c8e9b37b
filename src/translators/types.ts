import type { GatewayError } from '../errors/index.js';
import type { IRChunk, IRRequest, WireFormat } from '../ir/index.js';
import type { JsonObject } from '../protocols/json.js';

/**
 * Turns upstream bytes into IR chunks. A typed state machine: feed every
 * network read to `push`, call `end` once when the upstream body ends.
 * `end` reports a stream that stopped before its natural end as an `error`
 * chunk (code `upstream_truncated`) so a truncated stream is never silent.
 */
export interface StreamDecoder {
  push(bytes: Uint8Array): IRChunk[];
  end(): IRChunk[];
}

/** Turns IR chunks into the bytes a client reads. Returns '' when there is nothing to send yet. */
export interface StreamEncoder {
  push(chunk: IRChunk): string;
  /** Called once after the last chunk (emits e.g. `data: [DONE]`). */
  end(): string;
  /**
   * A real protocol event that tells the client the response is still being
   * worked on (Responses: `response.in_progress`), for slow upstreams; '' when
   * the format has none. Comments do not count: some clients ignore them.
   */
  heartbeat?(): string;
}

/** Builds a complete non-streamed response body from the chunks of one response. */
export interface ResponseAccumulator {
  push(chunk: IRChunk): void;
  /** The final JSON body; throws a GatewayError if the chunks ended in an error. */
  result(): JsonObject;
}

export interface ClientEncodeOptions {
  /** The model name the client asked for. */
  readonly requestedModel: string;
  /** Chat: emit the final usage chunk only when the client asked for it. */
  readonly includeUsage: boolean;
  /** The request being answered, when it went through the IR (tool origins, echo fields). */
  readonly request?: IRRequest;
  /** The client's original body, for formats that echo request fields in their response object. */
  readonly clientBody?: Readonly<JsonObject>;
}

/** A format clients speak to the gateway. */
export interface ClientCodec {
  readonly format: WireFormat;
  /**
   * How a final failure (after the gateway's own retries and fallbacks) reads
   * in this format's terminal stream event. When present, a streaming client
   * gets even a failure that happened before any byte was sent as a stream
   * (the protocol's failure event), not as an HTTP error: the format's
   * clients retry HTTP 5xx on their own and would multiply the gateway's
   * retries.
   */
  readonly streamFailure?: {
    code(error: GatewayError): string;
    message(error: GatewayError): string;
  };
  /** Validate and convert a request body; throws InvalidRequestError with a helpful message. */
  parseRequest(body: JsonObject): IRRequest;
  createStreamEncoder(options: ClientEncodeOptions): StreamEncoder;
  createAccumulator(options: ClientEncodeOptions): ResponseAccumulator;
}

/** A format the gateway speaks to upstreams. */
export interface UpstreamCodec {
  readonly format: WireFormat;
  /**
   * The upstream request body; translated calls always stream from the upstream.
   * `defaults` are body fields from the provider's configuration (for example
   * Ollama `options: {num_ctx}` or `keep_alive`); the client's own values win.
   */
  buildRequest(request: IRRequest, defaults: Readonly<JsonObject>): JsonObject;
  createStreamDecoder(): StreamDecoder;
}
