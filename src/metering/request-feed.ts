/**
 * The live feed of finished calls (the admin API's `GET /admin/v1/events`):
 * the metering observer hands it each call's usage record, and it passes the
 * record, as JSON built once, to every subscriber whose filter matches. With
 * no subscriber a publish returns at once, building nothing: the feed costs
 * the calls nothing until a console watches.
 */
import type { UsageRecord, UsageStatus } from './usage-record.js';

/** Subscribers at once, by default; more are refused. */
export const DEFAULT_MAX_FEED_SUBSCRIBERS = 32;

export interface FeedFilter {
  readonly tenant?: string | undefined;
  /** Matches the model the client asked for or the route that served it. */
  readonly model?: string | undefined;
  readonly status?: UsageStatus | undefined;
}

export interface FeedSubscriber {
  readonly filter: FeedFilter;
  /** One event's JSON. Must not block or throw: a slow subscriber queues or drops on its own. */
  deliver(json: string): void;
}

/** A finished call as the feed shows it, in the admin API's snake_case (time in Unix seconds, to the millisecond). */
export interface FeedEvent {
  readonly time: number;
  readonly request_id: string;
  readonly tenant: string;
  readonly key_id: string | null;
  readonly model: string;
  readonly route_model: string;
  readonly provider: string | null;
  readonly upstream_model: string | null;
  readonly status: UsageStatus;
  readonly http_status: number;
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly cost_usd: number;
  readonly latency_ms: number;
  readonly ttft_ms: number | null;
}

export function feedEventOf(record: UsageRecord): FeedEvent {
  return {
    time: record.time / 1000,
    request_id: record.requestId,
    tenant: record.tenant,
    key_id: record.keyId,
    model: record.requestedModel,
    route_model: record.routeModel,
    provider: record.provider,
    upstream_model: record.upstreamModel,
    status: record.status,
    http_status: record.httpStatus,
    prompt_tokens: record.promptTokens,
    completion_tokens: record.completionTokens,
    cost_usd: Math.round(record.costUsd * 1e6) / 1e6,
    latency_ms: record.latencyMs,
    ttft_ms: record.ttftMs,
  };
}

function matches(filter: FeedFilter, record: UsageRecord): boolean {
  if (filter.tenant !== undefined && filter.tenant !== record.tenant) return false;
  if (filter.model !== undefined && filter.model !== record.requestedModel && filter.model !== record.routeModel) return false;
  return filter.status === undefined || filter.status === record.status;
}

export class RequestFeed {
  private readonly subscribers = new Set<FeedSubscriber>();

  constructor(readonly maxSubscribers: number = DEFAULT_MAX_FEED_SUBSCRIBERS) {}

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  /** Adds a subscriber and returns its unsubscribe; undefined when the feed already has its maximum. */
  subscribe(subscriber: FeedSubscriber): (() => void) | undefined {
    if (this.subscribers.size >= this.maxSubscribers) return undefined;
    this.subscribers.add(subscriber);
    return () => {
      this.subscribers.delete(subscriber);
    };
  }

  /** A finished call's record (bound, so it can be handed over as a callback). */
  readonly publish = (record: UsageRecord): void => {
    if (this.subscribers.size === 0) return;
    let json: string | undefined;
    for (const subscriber of this.subscribers) {
      if (!matches(subscriber.filter, record)) continue;
      json ??= JSON.stringify(feedEventOf(record));
      subscriber.deliver(json);
    }
  };
}
