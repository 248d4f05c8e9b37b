import { describe, expect, it } from 'vitest';
import type { FeedEvent } from '../src/api/types.js';
import { addDropped, addEvents, emptyFeed, feedQuery, matchesFilters, noFilters, parseFeedEvent } from '../src/lib/feed-buffer.js';

function event(n: number, overrides: Partial<FeedEvent> = {}): FeedEvent {
  return {
    time: 1_796_477_381 + n,
    request_id: `req_${n}`,
    tenant: 'team-a',
    key_id: 'k1',
    model: 'gpt-5-mini',
    route_model: 'gpt-5-mini',
    provider: 'openai',
    upstream_model: 'gpt-5-mini',
    status: 'ok',
    http_status: 200,
    prompt_tokens: 100,
    completion_tokens: 10,
    cost_usd: 0.0004,
    latency_ms: 800,
    ttft_ms: 200,
    ...overrides,
  };
}

describe('the feed buffer', () => {
  it('keeps the newest first, across batches', () => {
    let state = addEvents(emptyFeed, [event(1), event(2)]);
    state = addEvents(state, [event(3)]);
    expect(state.rows.map((r) => r.request_id)).toEqual(['req_3', 'req_2', 'req_1']);
  });

  it('keeps at most its capacity, dropping the oldest', () => {
    const many = Array.from({ length: 520 }, (_, i) => event(i));
    const state = addEvents(emptyFeed, many);
    expect(state.rows).toHaveLength(500);
    expect(state.rows[0]?.request_id).toBe('req_519');
    expect(state.rows.at(-1)?.request_id).toBe('req_20');
    expect(addEvents(state, [event(600)], 3).rows.map((r) => r.request_id)).toEqual(['req_600', 'req_519', 'req_518']);
  });

  it('adds up the events the server dropped', () => {
    const state = addDropped(addDropped(emptyFeed, 3), 4);
    expect(state.dropped).toBe(7);
    expect(addEvents(state, []).dropped).toBe(7);
  });
});

describe('feed filters', () => {
  it('become the query of /admin/v1/events, empty ones left out', () => {
    expect(feedQuery(noFilters)).toEqual({});
    expect(feedQuery({ tenant: ' team-b ', model: '', status: 'error' })).toEqual({ tenant: 'team-b', status: 'error' });
  });

  it('match as the server does: model by the name sent or the route', () => {
    const aliased = event(1, { model: 'codex', route_model: 'gpt-5' });
    expect(matchesFilters(aliased, { ...noFilters, model: 'gpt-5' })).toBe(true);
    expect(matchesFilters(aliased, { ...noFilters, model: 'codex' })).toBe(true);
    expect(matchesFilters(aliased, { ...noFilters, model: 'gpt-4.1' })).toBe(false);
    expect(matchesFilters(aliased, { ...noFilters, tenant: 'team-b' })).toBe(false);
    expect(matchesFilters(event(2, { status: 'client_error' }), { ...noFilters, status: 'client_error' })).toBe(true);
    expect(matchesFilters(event(2), { ...noFilters, status: 'error' })).toBe(false);
  });
});

describe('parseFeedEvent', () => {
  it('reads an event line and refuses anything else', () => {
    expect(parseFeedEvent(JSON.stringify(event(5)))?.request_id).toBe('req_5');
    expect(parseFeedEvent('not json')).toBeNull();
    expect(parseFeedEvent('{"count":3}')).toBeNull();
    expect(parseFeedEvent('null')).toBeNull();
  });
});
