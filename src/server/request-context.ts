import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { RequestContext } from '../pipeline/contracts.js';

/**
 * The per-request context, built for the common case where nothing goes
 * wrong: the child logger and the abort signal cost allocations and
 * listeners, so each is made only when something asks for it. The HTTP front
 * listens for the response's `close` once and tells the context through
 * `closed()`; the context passes it on to whoever watches (the relay in
 * flight, the abort signal).
 */
export class LazyRequestContext implements RequestContext {
  readonly startedAtEpochMs = Date.now();
  /** Set by the completions handler; part of the access log line. */
  model: string | undefined;
  route: string | undefined;
  private childLog: Logger | undefined;
  private abort: AbortController | undefined;
  private gone = false;
  private goneListener: (() => void) | undefined;

  constructor(
    readonly requestId: string,
    readonly startedAt: number,
    private readonly rootLog: Logger,
    /** The response this context belongs to (the HTTP front answers through it when the request times out). */
    readonly res: ServerResponse,
  ) {}

  get log(): Logger {
    this.childLog ??= this.rootLog.child({ req_id: this.requestId });
    return this.childLog;
  }

  get signal(): AbortSignal {
    if (!this.abort) {
      this.abort = new AbortController();
      if (this.clientGone) this.abort.abort();
    }
    return this.abort.signal;
  }

  /** The client went away before its response was complete. */
  get clientGone(): boolean {
    return this.gone || (this.res.destroyed && !this.res.writableFinished);
  }

  onClientGone(listener: (() => void) | undefined): void {
    this.goneListener = listener;
  }

  /** The response closed: complete (`finished`) or because the client went away. */
  closed(finished: boolean): void {
    if (finished || this.gone) return;
    this.gone = true;
    this.abort?.abort();
    this.goneListener?.();
  }
}
