/** The live feed of finished calls over Server-Sent Events, newest first, with filters that reconnect it. */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { CallStatus, FeedEvent } from '../api/types.js';
import { useApi } from '../components/api-context.js';
import { addDropped, addEvents, emptyFeed, feedQuery, noFilters, parseFeedEvent, type FeedFilters, type FeedState } from '../lib/feed-buffer.js';
import { formatClock, formatDuration, formatTokens, formatUsd } from '../lib/format.js';

type Connection = 'connecting' | 'live' | 'reconnecting' | 'paused';

const CONNECTION_TEXT: Record<Connection, string> = { connecting: 'Connecting…', live: 'Live', reconnecting: 'Reconnecting…', paused: 'Paused' };
const STATUSES: readonly (CallStatus | '')[] = ['', 'ok', 'error', 'client_error', 'cancelled', 'shutdown'];

function served(event: FeedEvent): string {
  if (event.provider === null || event.upstream_model === null) return '(no upstream)';
  return `${event.upstream_model} @ ${event.provider}`;
}

function Row({ event }: { event: FeedEvent }) {
  return (
    <tr data-request-id={event.request_id} class={event.status === 'ok' ? undefined : 'row-bad'}>
      <td>
        <time dateTime={new Date(event.time * 1000).toISOString()}>{formatClock(event.time)}</time>
      </td>
      <td>{event.tenant}</td>
      <td>
        {event.model} <span aria-hidden="true">→</span>
        <span class="visually-hidden">served by</span> {served(event)}
      </td>
      <td>
        <span class={`badge ${event.status === 'ok' ? 'badge-ok' : event.status === 'error' ? 'badge-bad' : 'badge-warn'}`}>{event.status}</span> <span class="muted small">{event.http_status}</span>
      </td>
      <td class="num">
        {formatTokens(event.prompt_tokens)} / {formatTokens(event.completion_tokens)}
      </td>
      <td class="num">{formatUsd(event.cost_usd)}</td>
      <td class="num">{formatDuration(event.latency_ms)}</td>
    </tr>
  );
}

export function TrafficPage() {
  const api = useApi();
  const [draft, setDraft] = useState<FeedFilters>(noFilters);
  const [filters, setFilters] = useState<FeedFilters>(noFilters);
  const [paused, setPaused] = useState(false);
  const [connection, setConnection] = useState<Connection>('connecting');
  const [feed, setFeed] = useState<FeedState>(emptyFeed);
  // Events arrive faster than frames: batch them into one state change per frame.
  const pending = useRef<FeedEvent[]>([]);
  // A source the server closed (429 too many subscribers, 401) does not retry by itself: a new one is made after a pause.
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    if (paused) {
      setConnection('paused');
      return;
    }
    setConnection('connecting');
    const source = new EventSource(api.url('/events', feedQuery(filters)));
    let frame = 0;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const flush = (): void => {
      frame = 0;
      const batch = pending.current;
      pending.current = [];
      setFeed((state) => addEvents(state, batch));
    };
    source.onopen = () => setConnection('live');
    source.onerror = () => {
      setConnection('reconnecting');
      if (source.readyState !== EventSource.CLOSED || retry !== undefined) return;
      // Closed for good: an ended session sends the app to its login form; anything else is tried again.
      api.get<unknown>('/session').catch(() => undefined);
      retry = setTimeout(() => setAttempt((n) => n + 1), 5000);
    };
    source.addEventListener('request', (message: MessageEvent<string>) => {
      const event = parseFeedEvent(message.data);
      if (event === null) return;
      pending.current.push(event);
      if (frame === 0) frame = requestAnimationFrame(flush);
    });
    source.addEventListener('dropped', (message: MessageEvent<string>) => {
      try {
        const { count } = JSON.parse(message.data) as { count?: unknown };
        if (typeof count === 'number') setFeed((state) => addDropped(state, count));
      } catch {
        // A malformed notice changes nothing shown.
      }
    });
    return () => {
      if (frame !== 0) cancelAnimationFrame(frame);
      clearTimeout(retry);
      pending.current = [];
      source.close();
    };
  }, [api, filters, paused, attempt]);

  const applyFilters = (next: FeedFilters): void => {
    setFeed(emptyFeed);
    setFilters(next);
  };
  const apply = (event: Event): void => {
    event.preventDefault();
    applyFilters(draft);
  };

  return (
    <section class="page" aria-labelledby="traffic-title">
      <div class="page-head">
        <h1 id="traffic-title">Traffic</h1>
        <p class={`connection connection-${connection}`} role="status" aria-live="polite" data-testid="connection-state">
          {CONNECTION_TEXT[connection]}
        </p>
        <button type="button" onClick={() => setPaused(!paused)}>
          {paused ? 'Resume' : 'Pause'}
        </button>
      </div>
      <form class="inline-form" onSubmit={apply} aria-label="Filters">
        <label>
          Tenant
          <input name="tenant" value={draft.tenant} onInput={(e) => setDraft({ ...draft, tenant: e.currentTarget.value })} />
        </label>
        <label>
          Model
          <input name="model" value={draft.model} onInput={(e) => setDraft({ ...draft, model: e.currentTarget.value })} />
        </label>
        <label>
          Status
          <select name="status" value={draft.status} onChange={(e) => {
              // A choice in a list applies at once; typed filters wait for Enter or the button.
              const next = { ...draft, status: e.currentTarget.value as CallStatus | '' };
              setDraft(next);
              applyFilters(next);
            }}>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s === '' ? 'any' : s}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">Apply filters</button>
      </form>
      {feed.dropped > 0 && (
        <p class="notice" role="status">
          {feed.dropped} events were dropped because the console read them slower than calls finished.
        </p>
      )}
      <div class="scroll card" tabIndex={0} role="region" aria-label="Finished calls">
        <table class="feed" aria-label="Finished calls, newest first">
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Tenant</th>
              <th scope="col">Model → served</th>
              <th scope="col">Status</th>
              <th scope="col" class="num">Tokens in / out</th>
              <th scope="col" class="num">Cost</th>
              <th scope="col" class="num">Latency</th>
            </tr>
          </thead>
          <tbody>
            {feed.rows.map((event) => (
              <Row key={event.request_id} event={event} />
            ))}
          </tbody>
        </table>
        {feed.rows.length === 0 && <p class="muted empty">No calls yet. Calls appear here as they finish.</p>}
      </div>
    </section>
  );
}
