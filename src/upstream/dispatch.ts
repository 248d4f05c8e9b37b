import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import type { Redactor, SecretScrubber } from './redact.js';

/** What the gateway sends upstream. Built once per attempt. */
export interface UpstreamRequestSpec {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | null;
  /** Until response headers arrive. */
  readonly firstByteTimeoutMs: number;
  /** Between two body reads. */
  readonly idleTimeoutMs: number;
}

export interface UpstreamHead {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
}

/**
 * Receives one upstream response. Exactly one of `onEnd` / `onError` is
 * called last. `onData` may pause the call for backpressure.
 */
export interface UpstreamSink {
  onHead(head: UpstreamHead): void;
  onData(chunk: Buffer): void;
  onEnd(): void;
  onError(error: Error): void;
}

/**
 * A handle on one in-flight upstream exchange, built on undici's low-level
 * `dispatch()` (the cheapest of its APIs: no intermediate streams).
 */
export class UpstreamCall implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private pendingAbort: Error | undefined;
  private finished = false;

  constructor(
    private readonly sink: UpstreamSink,
    /** Redacts the provider's secrets from every byte the upstream sends (absent when it has none). */
    private readonly scrubber?: SecretScrubber,
  ) {}

  pause(): void {
    this.controller?.pause();
  }

  resume(): void {
    this.controller?.resume();
  }

  /** Cancel the exchange; the sink sees `onError(reason)` unless it already finished. */
  abort(reason: Error): void {
    if (this.finished) return;
    if (this.controller) this.controller.abort(reason);
    else this.pendingAbort = reason;
  }

  get isFinished(): boolean {
    return this.finished;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.pendingAbort) controller.abort(this.pendingAbort);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    this.sink.onHead({ status: statusCode, headers });
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.scrubber === undefined) {
      this.sink.onData(chunk);
      return;
    }
    const clean = this.scrubber.push(chunk);
    if (clean.length > 0) this.sink.onData(clean);
  }

  onResponseEnd(): void {
    if (this.finished) return;
    this.finished = true;
    const rest = this.scrubber?.end();
    if (rest !== undefined && rest.length > 0) this.sink.onData(rest);
    this.sink.onEnd();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    if (this.finished) return;
    this.finished = true;
    this.sink.onError(error);
  }
}

export function dispatchUpstream(dispatcher: Dispatcher, origin: string, spec: UpstreamRequestSpec, sink: UpstreamSink, redactor?: Redactor): UpstreamCall {
  const call = new UpstreamCall(sink, redactor?.scrubber());
  dispatcher.dispatch(
    {
      origin,
      method: spec.method,
      path: spec.path,
      headers: spec.headers,
      body: spec.body,
      headersTimeout: spec.firstByteTimeoutMs,
      bodyTimeout: spec.idleTimeoutMs,
      // POSTs to a model are not idempotent, but every call is a fresh request: do not hold back behind others.
      blocking: true,
    },
    call,
  );
  return call;
}

/**
 * Collects a whole upstream body: a non-streamed reply (see `accept`, which
 * never goes past the limit) or an error body (see `add`, which keeps the
 * beginning and drops the rest).
 */
export class BodyCollector {
  private parts: Buffer[] = [];
  private size = 0;
  truncated = false;

  constructor(readonly maxBytes: number) {}

  /** Bytes collected so far. */
  get length(): number {
    return this.size;
  }

  /** Keeps the beginning of the body: reads arriving once `maxBytes` are held are dropped. */
  add(chunk: Buffer): void {
    if (this.size >= this.maxBytes) {
      this.truncated = true;
      return;
    }
    this.parts.push(chunk);
    this.size += chunk.length;
  }

  /** Keeps `chunk` when the body stays within `maxBytes`; false (and nothing kept) when it would not. */
  accept(chunk: Buffer): boolean {
    if (this.size + chunk.length > this.maxBytes) {
      this.truncated = true;
      return false;
    }
    this.parts.push(chunk);
    this.size += chunk.length;
    return true;
  }

  text(): string {
    return this.buffer().toString('utf8');
  }

  buffer(): Buffer {
    if (this.parts.length === 0) return Buffer.alloc(0);
    // Joined once: later calls get the same Buffer.
    if (this.parts.length > 1) this.parts = [Buffer.concat(this.parts, this.size)];
    return this.parts[0]!;
  }
}
