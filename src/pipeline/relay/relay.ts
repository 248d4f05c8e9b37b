import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { GatewayError } from '../../errors/index.js';
import { UpstreamInterruptedError } from '../../errors/index.js';
import type { IRUsage } from '../../ir/index.js';
import type { Deployment } from '../../routing/router.js';
import { classifyTransportError, classifyUpstreamStatus } from '../../upstream/classify.js';
import type { UpstreamCall, UpstreamHead, UpstreamSink } from '../../upstream/dispatch.js';
import { BodyCollector } from '../../upstream/dispatch.js';
import type { OutputCapture } from '../contracts.js';
import type { PipelineCall } from '../call.js';
import type { StreamCheck } from './stream-check.js';

/** Error bodies are read only this far: enough for a message, not a memory hazard. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

/** Raised into the upstream call when the client disconnects. */
export class ClientClosedError extends Error {
  constructor() {
    super('client closed the connection');
    this.name = 'ClientClosedError';
  }
}

/** Aborts the upstream when a stream hook ended the response early (never seen by the client). */
export class EndedEarlyError extends Error {
  constructor() {
    super('a policy ended the response');
    this.name = 'EndedEarlyError';
  }
}

/** How one attempt ended. Only `failed` with `committed: false` may be retried or fall back. */
export type AttemptResult =
  | { readonly kind: 'ok'; readonly endedEarly?: 'length' }
  | { readonly kind: 'failed'; readonly committed: boolean; readonly error: GatewayError; readonly upstreamHeaders: IncomingHttpHeaders | undefined }
  | { readonly kind: 'cancelled' };

export type { OutputCapture };

const NO_OUTPUT: OutputCapture = { text: () => ({ completion: '', reasoning: '' }) };

export interface AttemptReport {
  readonly result: AttemptResult;
  readonly output: OutputCapture;
  readonly usage: IRUsage | undefined;
  /** `usage` was counted by the gateway (a response a hook ended early): the same numbers the client was sent. */
  readonly usageEstimated: boolean;
  /** performance.now() of the first byte sent to the client, if any. */
  readonly committedAt: number | undefined;
  readonly upstreamStartedAt: number;
  readonly endedAt: number;
}

/**
 * Carries one upstream attempt to the client. Subclasses decide what the
 * body becomes (raw bytes, translated stream, aggregated JSON); this class
 * owns what they share: upstream error statuses, the commit point (the first
 * byte sent to the client: before it a failure is handed back to the caller,
 * which may retry or fall back; after it the failure ends the stream with the
 * protocol's terminal error), backpressure and client disconnects.
 */
export abstract class Relay implements UpstreamSink {
  protected call: UpstreamCall | undefined;
  private errorBody: BodyCollector | undefined;
  private upstreamHead: UpstreamHead | undefined;
  private committedAt: number | undefined;
  private pausedForDrain = false;
  /** The response is corked until the end of the current tick (see write). */
  private corked = false;
  private ended = false;
  private bodyStarted = false;
  private upstreamStartedAt = 0;
  protected usage: IRUsage | undefined;
  private usageEstimated = false;
  /** Debugging aid: validates what the client receives (see stream-check.ts). */
  private check: StreamCheck | undefined;
  private resolveDone: (report: AttemptReport) => void = () => undefined;
  /** Settles once, when the attempt is over. */
  readonly done: Promise<AttemptReport> = new Promise((resolve) => (this.resolveDone = resolve));

  constructor(
    protected readonly res: ServerResponse,
    protected readonly prepared: PipelineCall,
    protected readonly deployment: Deployment,
    /** Flat name/value pairs (see responseHeaderList): handed to writeHead as they are. */
    protected readonly responseHeaders: readonly string[],
  ) {}

  /** How a terminal error reads in the client's stream (some formats map codes; see ClientCodec.streamFailure). */
  protected terminal: (error: GatewayError) => { readonly message: string; readonly code: string } = (error) => ({ message: error.message, code: error.code });

  mapTerminalErrors(mapping: ((error: GatewayError) => { readonly message: string; readonly code: string }) | undefined): this {
    if (mapping) this.terminal = mapping;
    return this;
  }

  checkStream(check: StreamCheck | undefined): this {
    this.check = check;
    return this;
  }

  attach(call: UpstreamCall): void {
    this.call = call;
    this.upstreamStartedAt = performance.now();
    if (this.prepared.ctx.clientGone) {
      this.onClientClose();
      return;
    }
    this.prepared.ctx.onClientGone(this.onClientClose);
  }

  /** Cancels the attempt from outside (the exchange's total timeout). */
  abort(error: GatewayError): void {
    if (!this.ended) this.call?.abort(error);
  }

  /** Successful (2xx) upstream body bytes. */
  protected abstract onBody(chunk: Buffer): void;
  /** The successful upstream body ended. */
  protected abstract onBodyEnd(): void;
  /** The client's stream already started and the call failed: end it with the protocol's terminal error. */
  protected abstract writeTerminalError(error: GatewayError): void;

  onHead(head: UpstreamHead): void {
    this.upstreamHead = head;
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
    if (this.errorBody && this.upstreamHead) {
      const { provider, model } = this.deployment;
      this.fail(classifyUpstreamStatus(provider.name, model, this.upstreamHead.status, this.upstreamHead.headers, this.errorBody.text()));
      return;
    }
    this.onBodyEnd();
  }

  onError(error: Error): void {
    if (this.ended || error instanceof EndedEarlyError) return;
    if (error instanceof ClientClosedError) {
      this.settle({ kind: 'cancelled' });
      return;
    }
    const classified = classifyTransportError(this.deployment.provider.name, error, this.deployment.provider.timeouts);
    // A connection lost after the reply began is not "unreachable": say what happened.
    this.fail(this.bodyStarted && classified.code === 'upstream_unavailable' ? new UpstreamInterruptedError(this.deployment.provider.name, classified.message, error) : classified);
  }

  /** The usage to report when the attempt ends. */
  protected finalUsage(): IRUsage | undefined {
    return this.usage;
  }

  /** What was produced so far (subclasses keep references to what they relayed, nothing more). */
  protected get output(): OutputCapture {
    return NO_OUTPUT;
  }

  /**
   * Usage estimated from what was produced so far: a response a hook ended
   * early gets none from the upstream. Kept as the attempt's usage, so the
   * ledger books what the client was told.
   */
  protected estimatedUsage(): IRUsage | undefined {
    try {
      this.usage = this.prepared.estimateUsage(this.output, this.deployment.model);
      this.usageEstimated = this.usage !== undefined;
    } catch {
      // A request the internal model cannot express: the ending reports no usage.
      this.usage = undefined;
    }
    return this.usage;
  }

  /** Releases timers and the like; called once when the attempt ends, however it ends. */
  protected dispose(): void {}

  protected get hasEnded(): boolean {
    return this.ended;
  }

  protected get isCommitted(): boolean {
    return this.committedAt !== undefined;
  }

  /** Starts the client's streamed response; from here on, errors are in-stream and nothing is retried. */
  protected commit(contentType: string): void {
    if (this.committedAt !== undefined) return;
    this.committedAt = performance.now();
    this.res.writeHead(200, [...this.responseHeaders, 'content-type', contentType, 'cache-control', 'no-cache', 'x-accel-buffering', 'no']);
    // No flushHeaders(): the first body write follows at once and carries the headers in the same syscall.
  }

  /** Writes to the client, pausing the upstream while the client's buffer is full. */
  protected write(text: string | Buffer): void {
    if (text.length === 0) return;
    this.check?.observe(text);
    if (!this.corked) {
      // Writes made in one tick leave in one send: the reads held until the commit point, a
      // terminal error and the stream's end, a read and the end when both arrive at once.
      this.corked = true;
      this.res.cork();
      process.nextTick(this.uncork);
    }
    if (!this.res.write(text) && !this.pausedForDrain) {
      this.pausedForDrain = true;
      this.call?.pause();
      // Listened for only when the client's buffer is full: most responses never wait.
      this.res.once('drain', this.onDrain);
    }
  }

  /** A complete, non-streamed success; `endedEarly` when a stream hook cut the output short. */
  protected sendComplete(body: string | Buffer, contentType: string, endedEarly?: 'length'): void {
    if (endedEarly !== undefined) this.stopUpstream();
    this.committedAt = performance.now();
    this.res.writeHead(200, [...this.responseHeaders, 'content-type', contentType, 'content-length', String(Buffer.byteLength(body))]);
    this.res.end(body);
    this.settle(endedEarly === undefined ? { kind: 'ok' } : { kind: 'ok', endedEarly });
  }

  /** The stream ended; `error` when the upstream reported one inside a stream relayed as is. */
  protected endStream(error?: GatewayError): void {
    this.res.end();
    this.settle(error === undefined ? { kind: 'ok' } : { kind: 'failed', committed: true, error, upstreamHeaders: undefined });
  }

  /**
   * A stream hook ended the response: the upstream is aborted (it stops
   * generating tokens nobody pays attention to), `ending` finishes the
   * client's stream the way the protocol ends a response at its ceiling.
   */
  protected endStreamEarly(ending: string): void {
    if (this.ended) return;
    this.stopUpstream();
    this.commit('text/event-stream; charset=utf-8');
    this.write(ending);
    this.res.end();
    this.settle({ kind: 'ok', endedEarly: 'length' });
  }

  private stopUpstream(): void {
    // Marked ended first: the abort's own error report is then ignored.
    const call = this.call;
    this.call = undefined;
    call?.abort(new EndedEarlyError());
  }

  /**
   * Ends the attempt with an error. Before the commit point nothing is
   * written: the caller decides between a retry, a fallback and the error
   * response. After it, the client's stream ends with the terminal error.
   */
  protected fail(error: GatewayError): void {
    if (this.ended) return;
    this.call?.abort(error);
    const committed = this.isCommitted;
    if (committed && !this.res.destroyed) {
      this.writeTerminalError(error);
      this.res.end();
    }
    this.settle({ kind: 'failed', committed, error, upstreamHeaders: this.upstreamHead?.headers });
  }

  /** Sends what the current tick wrote. end() uncorks fully; uncorking an uncorked response does nothing. */
  private readonly uncork = (): void => {
    this.corked = false;
    this.res.uncork();
  };

  private readonly onDrain = (): void => {
    if (!this.pausedForDrain) return;
    this.pausedForDrain = false;
    this.call?.resume();
  };

  private readonly onClientClose = (): void => {
    if (this.ended || this.res.writableFinished) return;
    // The client went away: stop the upstream now rather than let it generate tokens nobody reads.
    this.call?.abort(new ClientClosedError());
    this.settle({ kind: 'cancelled' });
  };

  private settle(result: AttemptResult): void {
    if (this.ended) return;
    this.ended = true;
    this.dispose();
    if (this.check) {
      const violations = this.check.finish();
      if (violations.length > 0 && result.kind !== 'cancelled') this.prepared.ctx.log.warn({ violations }, 'the stream sent to the client broke its protocol');
    }
    this.prepared.ctx.onClientGone(undefined);
    if (this.pausedForDrain) this.res.off('drain', this.onDrain);
    this.resolveDone({ result, output: this.output, usage: this.finalUsage(), usageEstimated: this.usageEstimated, committedAt: this.committedAt, upstreamStartedAt: this.upstreamStartedAt, endedAt: performance.now() });
  }
}
