/**
 * `GET /admin/v1/events`: the live feed of finished calls as Server-Sent
 * Events, one `event: request` per call, written in batches (every 100 ms at
 * most). A subscriber that reads slower than calls finish never holds the
 * gateway back: while its connection is backed up its events wait in a
 * bounded queue, beyond which they are dropped, counted, and announced with
 * one `event: dropped` once it catches up.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError, InvalidRequestError } from '../../errors/index.js';
import { sseComment, sseData } from '../../framing/index.js';
import type { FeedFilter, FeedSubscriber, RequestFeed } from '../../metering/request-feed.js';
import { USAGE_STATUSES, isUsageStatus } from '../../metering/usage-record.js';
import type { RequestContext } from '../../pipeline/contracts.js';

export interface EventStreamOptions {
  /** A comment line this often keeps proxies from closing an idle stream. */
  readonly keepAliveMs: number;
  /** Events held for a subscriber (between batches, or while its connection is backed up); more are dropped. */
  readonly queueLimit: number;
  /** Events are written together at most this often. */
  readonly batchMs: number;
}

export const DEFAULT_EVENT_STREAM: EventStreamOptions = { keepAliveMs: 15_000, queueLimit: 1_024, batchMs: 100 };

const FILTERS: ReadonlySet<string> = new Set(['tenant', 'model', 'status']);

class TooManySubscribersError extends GatewayError {
  constructor(limit: number) {
    super(429, 'rate_limit_error', 'too_many_subscribers', `The live feed already has its limit of ${limit} subscribers on this gateway: close another console or stream, then retry.`, {
      headers: { 'retry-after': '5' },
    });
  }
}

function filterOf(url: string): FeedFilter {
  const at = url.indexOf('?');
  const params = new URLSearchParams(at < 0 ? '' : url.slice(at + 1));
  const unknown = [...params.keys()].filter((name) => !FILTERS.has(name));
  if (unknown.length > 0) throw new InvalidRequestError(`Invalid admin request: unknown query parameter ${unknown.join(', ')} (expected tenant, model, status).`, { code: 'invalid_admin_request', param: unknown[0] });
  const status = params.get('status') ?? undefined;
  if (status !== undefined && !isUsageStatus(status)) {
    throw new InvalidRequestError(`Invalid admin request: status must be one of ${USAGE_STATUSES.join(', ')}.`, { code: 'invalid_admin_request', param: 'status' });
  }
  return { tenant: params.get('tenant') ?? undefined, model: params.get('model') ?? undefined, status };
}

/**
 * One connection's side of the feed. Events are written in batches, at most
 * one write every `batchMs`: a write per call would cost every proxied call
 * a system call (and wake the reader) while a console watches, which
 * measured +25 % CPU a call; a console needs no more than a few updates a
 * second. While the socket is backed up the batch waits for it to drain;
 * past `queueLimit` waiting events the rest are dropped and counted.
 */
class StreamSubscriber implements FeedSubscriber {
  private pending: string[] = [];
  private dropped = 0;
  private timer: NodeJS.Timeout | undefined;
  /** The socket refused the last write: wait for `drain`, not for the timer. */
  private backedUp = false;
  private closed = false;

  constructor(
    readonly filter: FeedFilter,
    private readonly res: ServerResponse,
    private readonly options: EventStreamOptions,
  ) {}

  deliver(json: string): void {
    if (this.pending.length >= this.options.queueLimit) {
      this.dropped++;
      return;
    }
    this.pending.push(json);
    if (this.timer === undefined && !this.backedUp && !this.closed) {
      this.timer = setTimeout(this.flush, this.options.batchMs);
      // A batch never keeps a gateway that is shutting down alive.
      this.timer.unref();
    }
  }

  keepAlive(): void {
    if (!this.backedUp && this.pending.length === 0) this.write(sseComment('keep-alive'));
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.pending = [];
  }

  private write(text: string): void {
    if (this.res.destroyed || this.res.write(text)) return;
    this.backedUp = true;
    this.res.once('drain', this.drained);
  }

  private readonly drained = (): void => {
    this.backedUp = false;
    this.flush();
  };

  private readonly flush = (): void => {
    this.timer = undefined;
    if (this.backedUp || this.closed) return;
    let text = '';
    for (const json of this.pending) text += sseData(json, 'request');
    this.pending = [];
    if (this.dropped > 0) {
      text += sseData(JSON.stringify({ count: this.dropped }), 'dropped');
      this.dropped = 0;
    }
    if (text !== '') this.write(text);
  };
}

export function serveEvents(feed: RequestFeed, req: IncomingMessage, res: ServerResponse, ctx: RequestContext, overrides: Partial<EventStreamOptions> = {}): void {
  const options = { ...DEFAULT_EVENT_STREAM, ...overrides };
  const subscriber = new StreamSubscriber(filterOf(req.url ?? ''), res, options);
  const unsubscribe = feed.subscribe(subscriber);
  if (unsubscribe === undefined) throw new TooManySubscribersError(feed.maxSubscribers);
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    // nginx would otherwise hold the events in its buffer.
    'x-accel-buffering': 'no',
    'x-request-id': ctx.requestId,
  });
  // Sends the headers now, so the client sees the stream open before the first call ends.
  res.write(sseComment('tollgate live feed'));
  const timer = setInterval(() => subscriber.keepAlive(), options.keepAliveMs);
  timer.unref();
  res.once('close', () => {
    clearInterval(timer);
    subscriber.close();
    unsubscribe();
  });
}
