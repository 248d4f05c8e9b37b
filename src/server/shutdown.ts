import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { ServerShuttingDownError } from '../errors/index.js';
import type { GatewayError } from '../errors/index.js';

/** What shutdown needs of the pipeline: how many calls are open, waiting for none, ending them all. */
export interface DrainablePipeline {
  readonly openCalls: number;
  whenIdle(): Promise<void>;
  stopAll(error: GatewayError): void;
}

export interface ShutdownOptions {
  readonly server: Server;
  readonly pipeline: DrainablePipeline;
  readonly log: Logger;
  /** The listener keeps serving this long after the signal while /readyz answers 503. */
  readonly delayMs: number;
  /** Then calls in flight may finish for this long before they are ended. */
  readonly graceMs: number;
}

/** How long ended calls and their connections get to send their last bytes (a terminal event) before sockets are closed. */
const FLUSH_MS = 1_000;
/** How often, during that second, connections whose response has been sent are closed. */
const CLOSE_POLL_MS = 20;

export type ShutdownPhase = 'serving' | 'delaying' | 'draining' | 'ending' | 'closed';

/**
 * The gateway's way out. From the signal on, /readyz answers 503. After the
 * optional delay (the listener still serving, so a load balancer sees the
 * failed probe and stops sending), the listener closes and requests that
 * still arrive on open connections get 503 `server_shutting_down` with
 * `connection: close`. Calls in flight may finish until the deadline; the
 * ones still open are then ended through the pipeline (a stream gets its
 * protocol's terminal event, the others a 503, each is settled with status
 * `shutdown`), and only then are connections closed. `hurry()` (a second
 * signal) skips what is left of the delay and the deadline.
 */
export class Shutdown {
  private current: ShutdownPhase = 'serving';
  private running: Promise<void> | undefined;
  private hurried = false;
  private wake: (() => void) | undefined;

  constructor(private readonly options: ShutdownOptions) {}

  get phase(): ShutdownPhase {
    return this.current;
  }

  /** Not ready for traffic (/readyz 503) from the signal on. */
  get started(): boolean {
    return this.current !== 'serving';
  }

  /** New work is refused (the listener is closed). */
  get draining(): boolean {
    return this.current !== 'serving' && this.current !== 'delaying';
  }

  /** Runs the shutdown once; later calls return the same promise. */
  run(): Promise<void> {
    this.running ??= this.sequence();
    return this.running;
  }

  /** Ends what is left of the delay and of the deadline now. */
  hurry(): void {
    this.hurried = true;
    this.wake?.();
  }

  private async sequence(): Promise<void> {
    const { server, pipeline, log, delayMs, graceMs } = this.options;
    this.current = 'delaying';
    if (delayMs > 0 && !this.hurried) {
      log.info({ delay_ms: delayMs }, 'shutting down: /readyz answers 503; still serving until the delay ends');
      await this.wait(delayMs);
    }

    this.current = 'draining';
    let isClosed = false;
    const closed = new Promise<void>((resolve) =>
      server.close(() => {
        isClosed = true;
        resolve();
      }),
    );
    server.closeIdleConnections();
    const open = pipeline.openCalls;
    if (open > 0) {
      log.info({ open_calls: open, grace_ms: graceMs }, `shutting down: no longer accepting requests; waiting up to ${graceMs} ms for ${open} call(s) in flight`);
      if (!this.hurried) await this.wait(graceMs, pipeline.whenIdle());
    }

    this.current = 'ending';
    const left = pipeline.openCalls;
    if (left > 0) {
      log.warn({ open_calls: left }, `shutting down: ending ${left} call(s) still in flight (streams get their terminal event, status shutdown)`);
      pipeline.stopAll(new ServerShuttingDownError(true));
      await within(FLUSH_MS, pipeline.whenIdle());
    }
    // A connection is closed as soon as its last response is sent (it is then idle); one still
    // sending after FLUSH_MS (a client that does not read) is closed anyway.
    const flushBy = performance.now() + FLUSH_MS;
    while (!isClosed && performance.now() < flushBy) {
      server.closeIdleConnections();
      await within(CLOSE_POLL_MS, closed);
    }
    server.closeAllConnections();
    await closed;
    // A call that was still open (held by a policy) ends with its client's connection: it settles
    // now, before the caller closes the usage ledger.
    if (pipeline.openCalls > 0) await within(FLUSH_MS, pipeline.whenIdle());
    this.current = 'closed';
  }

  /** Resolves after `ms`, when `until` settles, or at once when hurried; its timer never outlives it. */
  private wait(ms: number, until?: Promise<void>): Promise<void> {
    if (this.hurried) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
      until?.then(done, done);
    });
  }
}

/** Resolves when `until` settles or after `ms`, whichever is first; the timer is cleared either way (a pending timer would hold the process). */
function within(ms: number, until: Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      resolve();
    }
    until.then(done, done);
  });
}
