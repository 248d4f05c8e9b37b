import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { RequestContext } from './pipeline.js';

/**
 * The per-request context, built for the common case where nothing goes
 * wrong: the child logger and the abort signal cost allocations and
 * listeners, so each is made only when something asks for it.
 */
export class LazyRequestContext implements RequestContext {
  readonly startedAtEpochMs = Date.now();
  tenant = 'default';
  /** Set by the completions handler; part of the access log line. */
  model: string | undefined;
  route: string | undefined;
  private childLog: Logger | undefined;
  private abort: AbortController | undefined;

  constructor(
    readonly requestId: string,
    readonly startedAt: number,
    private readonly rootLog: Logger,
    private readonly res: ServerResponse,
  ) {}

  get log(): Logger {
    this.childLog ??= this.rootLog.child({ req_id: this.requestId });
    return this.childLog;
  }

  get signal(): AbortSignal {
    if (!this.abort) {
      const abort = new AbortController();
      this.abort = abort;
      if (this.res.destroyed && !this.res.writableFinished) abort.abort();
      else
        this.res.on('close', () => {
          if (!this.res.writableFinished) abort.abort();
        });
    }
    return this.abort.signal;
  }

  /** The client went away before its response was complete. */
  get clientGone(): boolean {
    return this.abort?.signal.aborted ?? (this.res.destroyed && !this.res.writableFinished);
  }
}
