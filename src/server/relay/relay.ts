import type { ServerResponse } from 'node:http';
import type { GatewayError } from '../../errors/index.js';
import { toGatewayError } from '../../errors/index.js';
import type { IRUsage } from '../../ir/index.js';
import type { Deployment } from '../../routing/router.js';
import { UpstreamInterruptedError } from '../../errors/index.js';
import { classifyTransportError, classifyUpstreamStatus } from '../../upstream/classify.js';
import type { UpstreamCall, UpstreamHead, UpstreamSink } from '../../upstream/dispatch.js';
import { BodyCollector } from '../../upstream/dispatch.js';
import type { CallObserver, CallOutcome, PreparedCall } from '../pipeline.js';
import type { StreamCheck } from './stream-check.js';
import { sendError } from '../respond.js';

/** Error bodies are read only this far: enough for a message, not a memory hazard. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

/** Raised into the upstream call when the client disconnects. */
export class ClientClosedError extends Error {
  constructor() {
    super('client closed the connection');
    this.name = 'ClientClosedError';
  }
}

/**
 * Carries one upstream response to the client. Subclasses decide what the
 * body becomes (raw bytes, translated stream, aggregated JSON); this class
 * owns everything they share: upstream error statuses, the commit point (the
 * first byte sent to the client, before which an error is still a clean HTTP
 * error), backpressure, client disconnects and the outcome report.
 */
export abstract class Relay implements UpstreamSink {
  protected call: UpstreamCall | undefined;
  private errorBody: BodyCollector | undefined;
  private upstreamStatus = 0;
  private committedAt: number | undefined;
  private pausedForDrain = false;
  private ended = false;
  private bodyStarted = false;
  private upstreamStartedAt = 0;
  protected usage: IRUsage | undefined;
  /** Debugging aid: validates what the client receives (see stream-check.ts). */
  private check: StreamCheck | undefined;

  constructor(
    protected readonly res: ServerResponse,
    protected readonly prepared: PreparedCall,
    protected readonly deployment: Deployment,
    protected readonly responseHeaders: Readonly<Record<string, string>>,
    private readonly observers: readonly CallObserver[],
  ) {}

  checkStream(check: StreamCheck | undefined): this {
    this.check = check;
    return this;
  }

  attach(call: UpstreamCall): void {
    this.call = call;
    this.upstreamStartedAt = performance.now();
    for (const observer of this.observers) observer.onStart?.(this.prepared, this.deployment);
    this.res.on('close', this.onClientClose);
    this.res.on('drain', this.onDrain);
  }

  /** Successful (2xx) upstream body bytes. */
  protected abstract onBody(chunk: Buffer): void;
  /** The successful upstream body ended. */
  protected abstract onBodyEnd(): void;
  /** The client's stream already started and the call failed: end it with the protocol's terminal error. */
  protected abstract writeTerminalError(error: GatewayError): void;

  onHead(head: UpstreamHead): void {
    this.upstreamStatus = head.status;
    if (head.status >= 300) this.errorBody = new BodyCollector(MAX_ERROR_BODY_BYTES);
  }

  onData(chunk: Buffer): void {
    if (this.ended) return;
    if (this.errorBody) this.errorBody.add(chunk);
    else {
      this.bodyStarted = true;
      this.onBody(chunk);
    }
  }

  onEnd(): void {
    if (this.ended) return;
    if (this.errorBody) {
      const { provider, model } = this.deployment;
      this.fail(classifyUpstreamStatus(provider.name, model, this.upstreamStatus, {}, this.errorBody.text()));
      return;
    }
    this.onBodyEnd();
  }

  onError(error: Error): void {
    if (this.ended) return;
    if (error instanceof ClientClosedError) {
      this.finish(499, 'client_closed', 'client_closed');
      return;
    }
    const classified = classifyTransportError(this.deployment.provider.name, error, this.deployment.provider.timeouts);
    // A connection lost after the reply began is not "unreachable": say what happened.
    this.fail(this.bodyStarted && classified.code === 'upstream_unavailable' ? new UpstreamInterruptedError(this.deployment.provider.name, classified.message, error) : classified);
  }

  /** Releases timers and the like; called once when the exchange ends, however it ends. */
  protected dispose(): void {}

  protected get hasEnded(): boolean {
    return this.ended;
  }

  /** Headers sent to the client with a successful response. */
  protected successHeaders(contentType: string): Record<string, string> {
    return { ...this.responseHeaders, 'content-type': contentType };
  }

  protected get isCommitted(): boolean {
    return this.committedAt !== undefined;
  }

  /** Starts the client's streamed response; from here on, errors are in-stream. */
  protected commit(contentType: string): void {
    if (this.committedAt !== undefined) return;
    this.committedAt = performance.now();
    this.res.writeHead(200, {
      ...this.successHeaders(contentType),
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
    });
    this.res.flushHeaders();
  }

  /** Writes to the client, pausing the upstream while the client's buffer is full. */
  protected write(text: string | Buffer): void {
    if (text.length === 0) return;
    this.check?.observe(text);
    if (!this.res.write(text) && !this.pausedForDrain) {
      this.pausedForDrain = true;
      this.call?.pause();
    }
  }

  /** A complete, non-streamed success. */
  protected sendComplete(body: string | Buffer, contentType: string): void {
    this.committedAt = performance.now();
    this.res.writeHead(200, { ...this.successHeaders(contentType), 'content-length': Buffer.byteLength(body) });
    this.res.end(body);
    this.finish(200, 'ok', undefined);
  }

  /** The stream ended; `errorCode` when the upstream reported an error inside a stream relayed as is. */
  protected endStream(errorCode?: string): void {
    this.res.end();
    this.finish(200, errorCode === undefined ? 'ok' : 'error', errorCode);
  }

  /** Ends the exchange with an error: a clean HTTP error before commit, the terminal stream event after. */
  protected fail(error: GatewayError): void {
    if (this.ended) return;
    this.call?.abort(error);
    if (this.isCommitted) {
      if (!this.res.destroyed) {
        this.writeTerminalError(error);
        this.res.end();
      }
    } else {
      sendError(this.res, error, this.responseHeaders);
    }
    this.finish(error.status, 'error', error.code);
  }

  private readonly onDrain = (): void => {
    if (!this.pausedForDrain) return;
    this.pausedForDrain = false;
    this.call?.resume();
  };

  private readonly onClientClose = (): void => {
    if (this.ended || this.res.writableFinished) return;
    // The client went away: stop the upstream now rather than let it generate tokens nobody reads.
    this.call?.abort(new ClientClosedError());
    this.finish(499, 'client_closed', 'client_closed');
  };

  private finish(httpStatus: number, status: CallOutcome['status'], errorCode: string | undefined): void {
    if (this.ended) return;
    this.ended = true;
    this.dispose();
    if (this.check) {
      const violations = this.check.finish();
      if (violations.length > 0 && status !== 'client_closed') this.prepared.ctx.log.warn({ violations }, 'the stream sent to the client broke its protocol');
    }
    this.res.off('close', this.onClientClose);
    this.res.off('drain', this.onDrain);
    const now = performance.now();
    const outcome: CallOutcome = {
      status,
      httpStatus,
      errorCode,
      deployment: this.deployment,
      usage: this.usage,
      durationMs: now - this.prepared.ctx.startedAt,
      upstreamDurationMs: now - this.upstreamStartedAt,
      timeToFirstByteMs: this.committedAt === undefined ? undefined : this.committedAt - this.prepared.ctx.startedAt,
    };
    for (const observer of this.observers) {
      try {
        observer.onEnd(this.prepared, outcome);
      } catch (error) {
        this.prepared.ctx.log.error({ err: toGatewayError(error) }, 'call observer failed');
      }
    }
  }
}
