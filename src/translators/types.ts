import type { GatewayError } from '../errors/index.js';
import type { SseEvent } from '../framing/index.js';
import type { IRChunk, IRRequest, IRUsage, WireFormat } from '../ir/index.js';
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
  /**
   * The encoder keeps the output it was given, to repeat it whole in its
   * final events (Responses: the done item and `response.completed`): the
   * relay bounds how much (see server.stream_output_limit).
   */
  readonly holdsOutput?: boolean;
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

/**
 * Follows a stream relayed in the client's own format (pass-through), one
 * SSE event at a time, so that the gateway can read what it carries and end
 * it in the protocol's own terms, continuing the stream the client has
 * already received (same response id, next sequence number, open items
 * closed) rather than starting a new one.
 */
export interface PassthroughStreamWatcher {
  /**
   * One event of the upstream's stream, framed by the SseParser (`data`
   * unparsed). Returns the IR chunks it carried: text, reasoning and
   * tool_call deltas, usage, finish, error; [] for bookkeeping events and
   * for data that is not JSON (never throws).
   */
  event(event: SseEvent): IRChunk[];
  /** The protocol's terminal error event(s), continuing what was watched (Chat: an error event and `[DONE]`; Responses: `response.failed`). */
  failure(code: string, message: string, errorType?: string): string;
  /**
   * Ends the stream early, continuing what was watched: Chat a final chunk
   * with `finish_reason` (then the usage chunk when the client asked for
   * usage) and `[DONE]`; Responses every open item done, then
   * `response.incomplete` with `incomplete_details.reason`
   * `max_output_tokens`. `usage` is what to report (usually estimated).
   */
  earlyEnd(reason: 'length', usage: IRUsage | undefined): string;
  /**
   * The watcher keeps the output it follows, to end the stream with every
   * item done (Responses): the relay bounds how much (see
   * server.stream_output_limit).
   */
  readonly holdsOutput?: boolean;
  /**
   * The closing a complete stream lacks, when its upstream left out an
   * optional one (Chat: `[DONE]`, which some servers omit after the final
   * chunk); '' when the stream was closed or the format has none.
   */
  closing(): string;
}

export interface PassthroughWatchOptions {
  /** The model name the client asked for (used only when the upstream never named one). */
  readonly requestedModel: string;
  /** Chat: the client asked for a usage chunk (stream_options.include_usage). */
  readonly includeUsage: boolean;
}

/**
 * Reads token usage out of a format's own replies, for pass-through paths
 * where the gateway relays bytes without translating them.
 */
export interface UsageReader {
  /** From a whole non-streamed response body. */
  fromBody(body: unknown): IRUsage | undefined;
  /**
   * Byte patterns that mark a stream event which may carry usage. Relayed
   * streams are searched for them from their end, once the stream is over;
   * only the marked event is ever JSON-parsed.
   */
  readonly usageMarks: readonly Buffer[];
  /** Byte patterns that mark an error the upstream reported inside its stream. */
  readonly errorMarks: readonly Buffer[];
  /**
   * Byte patterns of the events that must end a complete stream, for formats
   * that have them: a relayed stream that ends without one was cut short, and
   * the client is told so instead of reading a silently truncated stream.
   */
  readonly terminalMarks?: readonly Buffer[];
  /**
   * The data of a closing event some servers send after the terminal event
   * and others leave out (Chat: `[DONE]`): a stream whose last event is this
   * one is complete, and one without it is judged by `terminalMarks`.
   */
  readonly closingData?: string;
  /** From one parsed stream event. */
  fromEvent(event: unknown): IRUsage | undefined;
  /**
   * The body field (and its value) that makes a streaming upstream report
   * usage when the client's body does not ask for it (Chat:
   * `stream_options`); undefined when it already does. The extra usage event
   * is later removed with `stripUsageEvents`, so the client gets exactly what
   * it asked for.
   */
  streamUsageRequest?(this: void, body: Readonly<JsonObject>): { readonly field: string; readonly value: JsonObject } | undefined;
  /** Removes the usage-only event from a read (zero-copy slices); undefined when the read has none. */
  stripUsageEvents?(this: void, chunk: Buffer): Buffer[] | undefined;
  /** Whether the client's body asks for the usage event (Chat: stream_options.include_usage); absent for formats that always report usage. */
  clientWantsUsage?(this: void, body: Readonly<JsonObject>): boolean;
  /** Whether one stream event (framed, unparsed) reports an error. */
  isErrorEvent(this: void, event: string | undefined, data: string): boolean;
  /** The message and code of an error event's data (a generic description when it names none). */
  errorFromEvent(this: void, data: string): { readonly message: string; readonly code: string };
  /** The text a whole non-streamed reply carries, for counting its tokens when it reports no usage. */
  textFromBody(this: void, body: unknown): { completion: string; reasoning: string };
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
  parseRequest(body: Readonly<JsonObject>): IRRequest;
  /** The bounded label (metrics, headers) of a tool the upstream cannot run and the request dropped. */
  droppedToolLabel(type: string): string;
  /**
   * Reads usage, errors and ends from replies of this format relayed without
   * translation (pass-through), and says what to ask an upstream for so that
   * it reports usage.
   */
  readonly usage: UsageReader;
  createStreamEncoder(options: ClientEncodeOptions): StreamEncoder;
  createAccumulator(options: ClientEncodeOptions): ResponseAccumulator;
  /** The output-token ceiling the body asks for, if any. */
  outputCeiling(body: Readonly<JsonObject>): number | undefined;
  /** A copy of the body with its output-token ceiling set to `ceiling` (the field this format's upstreams read). */
  withOutputCeiling(body: Readonly<JsonObject>, ceiling: number): JsonObject;
  /** Follows a pass-through stream of this format (see PassthroughStreamWatcher). */
  createPassthroughWatcher(options: PassthroughWatchOptions): PassthroughStreamWatcher;
}

/**
 * A provider's choices about the requests translated for it, passed to its
 * codec (provider definitions set them; generic code never asks the kind).
 */
export interface UpstreamRequestOptions {
  /** Chat: the field that carries the output-token limit (OpenAI's reasoning models accept only `max_completion_tokens`). */
  readonly maxTokensField?: 'max_tokens' | 'max_completion_tokens';
  /** Chat: send earlier assistant reasoning back as `reasoning_content` (vLLM reasoning parsers read it; some servers reject it). */
  readonly includeReasoning?: boolean;
}

/** A format the gateway speaks to upstreams. */
export interface UpstreamCodec {
  readonly format: WireFormat;
  /**
   * The upstream request body; translated calls always stream from the upstream.
   * `defaults` are body fields from the provider's configuration (for example
   * Ollama `options: {num_ctx}` or `keep_alive`); the client's own values win.
   */
  buildRequest(request: IRRequest, defaults: Readonly<JsonObject>, options?: UpstreamRequestOptions): JsonObject;
  createStreamDecoder(): StreamDecoder;
}
