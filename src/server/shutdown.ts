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
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const open = pipeline.openCalls;
    if (open > 0) {
      log.info({ open_calls: open, grace_ms: graceMs }, `shutting down: no longer accepting requests; waiting up to ${graceMs} ms for ${open} call(s) in flight`);
      if (!this.hurried) await Promise.race([pipeline.whenIdle(), this.wait(graceMs)]);
    }

    this.current = 'ending';
    const left = pipeline.openCalls;
    if (left > 0) {
      log.warn({ open_calls: left }, `shutting down: ending ${left} call(s) still in flight (streams get their terminal event, status shutdown)`);
      pipeline.stopAll(new ServerShuttingDownError(true));
      await Promise.race([pipeline.whenIdle(), delay(FLUSH_MS)]);
    }
    // Connections that finished their last response are idle now; the rest get a moment to send what is buffered.
    server.closeIdleConnections();
    await Promise.race([closed, delay(FLUSH_MS)]);
    server.closeAllConnections();
    await closed;
    this.current = 'closed';
  }

  /** Resolves after `ms`, or at once when hurried. */
  private wait(ms: number): Promise<void> {
    if (this.hurried) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
