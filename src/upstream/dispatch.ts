import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';

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

  constructor(private readonly sink: UpstreamSink) {}

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
    this.sink.onData(chunk);
  }

  onResponseEnd(): void {
    if (this.finished) return;
    this.finished = true;
    this.sink.onEnd();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    if (this.finished) return;
    this.finished = true;
    this.sink.onError(error);
  }
}

export function dispatchUpstream(dispatcher: Dispatcher, origin: string, spec: UpstreamRequestSpec, sink: UpstreamSink): UpstreamCall {
  const call = new UpstreamCall(sink);
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

/** Collects a whole (small) upstream body, e.g. a non-streamed reply or an error body. */
export class BodyCollector {
  private readonly parts: Buffer[] = [];
  private size = 0;
  truncated = false;

  constructor(private readonly maxBytes: number) {}

  add(chunk: Buffer): void {
    if (this.size >= this.maxBytes) {
      this.truncated = true;
      return;
    }
    this.parts.push(chunk);
    this.size += chunk.length;
  }

  text(): string {
    return (this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts)).toString('utf8');
  }

  buffer(): Buffer {
    return this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts);
  }
}
