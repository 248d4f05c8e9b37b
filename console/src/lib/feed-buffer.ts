/**
 * The traffic page's rows: newest first, at most `capacity`, and the count of
 * events the server said it dropped. Immutable, so each event is one cheap
 * state change for the page.
 */
import type { CallStatus, FeedEvent } from '../api/types.js';

export const FEED_CAPACITY = 500;

export interface FeedState {
  readonly rows: readonly FeedEvent[];
  readonly dropped: number;
}

export const emptyFeed: FeedState = { rows: [], dropped: 0 };

export function addEvents(state: FeedState, events: readonly FeedEvent[], capacity = FEED_CAPACITY): FeedState {
  if (events.length === 0) return state;
  const newest = [...events].reverse();
  return { ...state, rows: newest.concat(state.rows).slice(0, capacity) };
}

export function addDropped(state: FeedState, count: number): FeedState {
  return { ...state, dropped: state.dropped + Math.max(0, count) };
}

export interface FeedFilters {
  readonly tenant: string;
  readonly model: string;
  readonly status: CallStatus | '';
}

export const noFilters: FeedFilters = { tenant: '', model: '', status: '' };

/** The query of /admin/v1/events for these filters (empty ones left out). */
export function feedQuery(filters: FeedFilters): Record<string, string> {
  const query: Record<string, string> = {};
  const tenant = filters.tenant.trim();
  const model = filters.model.trim();
  if (tenant !== '') query.tenant = tenant;
  if (model !== '') query.model = model;
  if (filters.status !== '') query.status = filters.status;
  return query;
}

/** Whether an event matches the filters, as the server filters: model matches the name sent or the route. */
export function matchesFilters(event: FeedEvent, filters: FeedFilters): boolean {
  const tenant = filters.tenant.trim();
  const model = filters.model.trim();
  if (tenant !== '' && event.tenant !== tenant) return false;
  if (model !== '' && event.model !== model && event.route_model !== model) return false;
  return filters.status === '' || event.status === filters.status;
}

/** Parses an `event: request` data line; null for anything that is not a feed event. */
export function parseFeedEvent(data: string): FeedEvent | null {
  try {
    const value = JSON.parse(data) as Partial<FeedEvent> | null;
    if (value === null || typeof value !== 'object' || typeof value.request_id !== 'string' || typeof value.time !== 'number') return null;
    return value as FeedEvent;
  } catch {
    return null;
  }
}
