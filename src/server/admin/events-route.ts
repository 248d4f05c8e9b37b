/**
 * `GET /admin/v1/events`: the live feed of finished calls as Server-Sent
 * Events, one `event: request` per call. A subscriber that reads slower than
 * calls finish never holds the gateway back: while its connection is backed
 * up its events wait in a bounded queue, beyond which they are dropped,
 * counted, and announced with one `event: dropped` once it catches up.
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
  /** Events held for a backed-up subscriber; more are dropped. */
  readonly queueLimit: number;
}

export const DEFAULT_EVENT_STREAM: EventStreamOptions = { keepAliveMs: 15_000, queueLimit: 1_024 };

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

/** One connection's side of the feed: writes while the socket takes them, queues then drops while it does not. */
class StreamSubscriber implements FeedSubscriber {
  /** Events waiting for the connection to drain; undefined while it is not backed up. */
  private queue: string[] | undefined;
  private dropped = 0;

  constructor(
    readonly filter: FeedFilter,
    private readonly res: ServerResponse,
    private readonly queueLimit: number,
  ) {}

  deliver(json: string): void {
    if (this.queue === undefined) this.write(sseData(json, 'request'));
    else if (this.queue.length < this.queueLimit) this.queue.push(json);
    else this.dropped++;
  }

  keepAlive(): void {
    if (this.queue === undefined) this.write(sseComment('keep-alive'));
  }

  private write(text: string): void {
    if (this.res.destroyed || this.res.write(text)) return;
    this.queue = [];
    this.res.once('drain', this.flush);
  }

  private readonly flush = (): void => {
    const queued = this.queue ?? [];
    this.queue = undefined;
    let text = '';
    for (const json of queued) text += sseData(json, 'request');
    if (this.dropped > 0) {
      text += sseData(JSON.stringify({ count: this.dropped }), 'dropped');
      this.dropped = 0;
    }
    if (text !== '') this.write(text);
  };
}

export function serveEvents(feed: RequestFeed, req: IncomingMessage, res: ServerResponse, ctx: RequestContext, overrides: Partial<EventStreamOptions> = {}): void {
  const options = { ...DEFAULT_EVENT_STREAM, ...overrides };
  const subscriber = new StreamSubscriber(filterOf(req.url ?? ''), res, options.queueLimit);
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
    unsubscribe();
  });
}
