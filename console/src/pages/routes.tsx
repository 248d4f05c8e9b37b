/** Routes and their deployments in attempt order, with each circuit's state, and the providers. */
import { useEffect } from 'preact/hooks';
import type { CircuitState, Deployment, Route, RouteList } from '../api/types.js';
import { useApi } from '../components/api-context.js';
import { ErrorNote } from '../components/error-note.js';
import { formatCount, formatLocalTime } from '../lib/format.js';
import { useLoad } from '../lib/use-load.js';

const REFRESH_MS = 10_000;

const CIRCUIT_TEXT: Record<CircuitState, string> = { closed: 'closed', open: 'open', half_open: 'half-open' };
const CIRCUIT_CLASS: Record<CircuitState, string> = { closed: 'badge-ok', open: 'badge-bad', half_open: 'badge-warn' };

/** Deployments in the order the router tries them: priority, then heavier weight first. */
export function attemptOrder(deployments: readonly Deployment[]): Deployment[] {
  return [...deployments].sort((a, b) => a.priority - b.priority || b.weight - a.weight);
}

function Circuit({ deployment }: { deployment: Deployment }) {
  const circuit = deployment.circuit;
  if (circuit === null) return <span class="muted">—</span>;
  return (
    <>
      <span class={`badge ${CIRCUIT_CLASS[circuit.state]}`}>Circuit {CIRCUIT_TEXT[circuit.state]}</span>
      {circuit.retry_at !== null && <span class="muted small"> retry at {formatLocalTime(Date.parse(circuit.retry_at) / 1000)}</span>}
      {circuit.consecutive_failures > 0 && <span class="muted small"> · {circuit.consecutive_failures} failures in a row</span>}
    </>
  );
}

function RouteCard({ route }: { route: Route }) {
  const titleId = `route-${route.model.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  return (
    <section class="card route" aria-labelledby={titleId} data-route={route.model}>
      <h2 id={titleId}>
        <code>{route.model}</code>
        {route.wildcard && <span class="badge"> wildcard</span>}
      </h2>
      <p class="muted small">
        {route.aliases.length > 0 && <>Aliases: {route.aliases.join(', ')} · </>}
        Balancing: {route.balancing}
        {route.context_window !== null && <> · Context: {formatCount(route.context_window)} tokens</>}
        {route.description !== null && <> · {route.description}</>}
      </p>
      <div class="scroll" tabIndex={0} role="region" aria-label={`Deployments of ${route.model}`}>
        <table>
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Provider</th>
              <th scope="col">Upstream model</th>
              <th scope="col">Role</th>
              <th scope="col" class="num">Priority</th>
              <th scope="col" class="num">Weight</th>
              <th scope="col">Circuit</th>
              <th scope="col" class="num">Recent calls (failed)</th>
              <th scope="col" class="num">In flight</th>
            </tr>
          </thead>
          <tbody>
            {attemptOrder(route.deployments).map((d, i) => (
              <tr key={`${d.provider}/${d.model}`}>
                <td>{i + 1}</td>
                <td>
                  {d.provider} <span class="muted small">({d.provider_kind})</span>
                </td>
                <td>
                  <code>{d.model}</code>
                  {d.api !== null && <span class="muted small"> via {d.api}</span>}
                </td>
                <td>{d.role}</td>
                <td class="num">{d.priority}</td>
                <td class="num">{d.weight}</td>
                <td>
                  <Circuit deployment={d} />
                </td>
                <td class="num">{d.circuit === null ? '—' : `${formatCount(d.circuit.recent_requests)} (${formatCount(d.circuit.recent_failures)})`}</td>
                <td class="num">{formatCount(d.in_flight)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

export function RoutesPage() {
  const api = useApi();
  const routes = useLoad(() => api.get<RouteList>('/routes'), [api]);
  const { reload } = routes;

  // Refreshes while the page is in view; a hidden tab asks nothing.
  useEffect(() => {
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') reload();
    }, REFRESH_MS);
    return () => clearInterval(timer);
  }, [reload]);

  return (
    <section class="page" aria-labelledby="routes-title">
      <div class="page-head">
        <h1 id="routes-title">Routes</h1>
        <button type="button" onClick={reload} aria-busy={routes.loading}>
          Refresh
        </button>
      </div>
      <ErrorNote message={routes.error} />
      {routes.data === null && routes.loading && <p class="muted">Loading…</p>}
      {routes.data !== null && (
        <>
          {routes.data.data.length === 0 && <p class="muted">No routes configured.</p>}
          {routes.data.data.map((route) => (
            <RouteCard key={route.model} route={route} />
          ))}
          <section class="card" aria-labelledby="providers-title">
            <h2 id="providers-title">Providers</h2>
            <div class="scroll" tabIndex={0} role="region" aria-label="Providers">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Kind</th>
                    <th scope="col">Base URL</th>
                    <th scope="col" class="num">Max connections</th>
                  </tr>
                </thead>
                <tbody>
                  {routes.data.providers.map((p) => (
                    <tr key={p.name}>
                      <th scope="row">{p.name}</th>
                      <td>{p.kind}</td>
                      <td>
                        <code>{p.base_url}</code>
                      </td>
                      <td class="num">{p.max_connections === null ? '—' : formatCount(p.max_connections)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </section>
        </>
      )}
    </section>
  );
}
