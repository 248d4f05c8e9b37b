/**
 * The feed hub: a publish with no subscriber reads nothing of the record (it
 * costs the call nothing); with subscribers, the JSON is built once and given
 * only to those whose filter matches; the subscriber cap holds.
 */
import { describe, expect, it } from 'vitest';
import { RequestFeed, type FeedSubscriber } from '../../src/metering/request-feed.js';
import type { UsageRecord } from '../../src/metering/usage-record.js';

const record: UsageRecord = {
  time: 1_796_477_381_250,
  requestId: 'req_1',
  tenant: 'team-a',
  keyId: 'k1',
  routeModel: 'gpt-a',
  requestedModel: 'alias-a',
  provider: 'up',
  upstreamModel: 'a',
  promptTokens: 10,
  completionTokens: 20,
  cachedTokens: 0,
  reasoningTokens: 0,
  costUsd: 0.00012345678,
  estimated: false,
  status: 'ok',
  httpStatus: 200,
  latencyMs: 12,
  ttftMs: 3,
};

function collector(filter: FeedSubscriber['filter'] = {}): FeedSubscriber & { got: string[] } {
  const got: string[] = [];
  return { filter, got, deliver: (json) => got.push(json) };
}

describe('RequestFeed', () => {
  it('returns at once with no subscriber, without reading the record', () => {
    const feed = new RequestFeed();
    const untouchable = new Proxy({} as UsageRecord, {
      get() {
        throw new Error('read');
      },
    });
    expect(() => feed.publish(untouchable)).not.toThrow();
    const sub = collector();
    const unsubscribe = feed.subscribe(sub)!;
    expect(() => feed.publish(untouchable)).toThrow('read');
    unsubscribe();
    expect(() => feed.publish(untouchable)).not.toThrow();
  });

  it('gives matching subscribers the same JSON in snake_case, others nothing', () => {
    const feed = new RequestFeed();
    const all = collector();
    const byAlias = collector({ model: 'alias-a' });
    const byRoute = collector({ model: 'gpt-a', tenant: 'team-a', status: 'ok' });
    const otherTenant = collector({ tenant: 'team-b' });
    const errors = collector({ status: 'error' });
    for (const sub of [all, byAlias, byRoute, otherTenant, errors]) feed.subscribe(sub);
    feed.publish(record);
    expect(all.got).toHaveLength(1);
    expect(byAlias.got[0]).toBe(all.got[0]);
    expect(byRoute.got[0]).toBe(all.got[0]);
    expect(otherTenant.got).toEqual([]);
    expect(errors.got).toEqual([]);
    expect(JSON.parse(all.got[0]!)).toEqual({
      time: 1_796_477_381.25,
      request_id: 'req_1',
      tenant: 'team-a',
      key_id: 'k1',
      model: 'alias-a',
      route_model: 'gpt-a',
      provider: 'up',
      upstream_model: 'a',
      status: 'ok',
      http_status: 200,
      prompt_tokens: 10,
      completion_tokens: 20,
      cost_usd: 0.000123,
      latency_ms: 12,
      ttft_ms: 3,
    });
  });

  it('refuses subscribers beyond its maximum until one leaves', () => {
    const feed = new RequestFeed(2);
    const first = feed.subscribe(collector())!;
    expect(feed.subscribe(collector())).toBeDefined();
    expect(feed.subscribe(collector())).toBeUndefined();
    first();
    expect(feed.subscriberCount).toBe(1);
    expect(feed.subscribe(collector())).toBeDefined();
  });
});
