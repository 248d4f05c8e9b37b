/** The console: a login form until there is a session, then the pages behind a nav. */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiClient, messageOf } from './api/client.js';
import { ApiContext } from './components/api-context.js';
import { ErrorNote } from './components/error-note.js';
import { LoginForm } from './components/login-form.js';
import { hrefOf, pageOf, PAGES, type PageId } from './lib/route.js';
import { OverviewPage } from './pages/overview.js';
import { RoutesPage } from './pages/routes.js';
import { SpendPage } from './pages/spend.js';
import { TenantsPage } from './pages/tenants.js';
import { TrafficPage } from './pages/traffic.js';

type AuthState = { readonly kind: 'checking' } | { readonly kind: 'signed-out'; readonly notice: string | null } | { readonly kind: 'signed-in' } | { readonly kind: 'failed'; readonly message: string };

function useHashPage(): PageId {
  const [page, setPage] = useState<PageId>(() => pageOf(location.hash));
  useEffect(() => {
    const onChange = (): void => setPage(pageOf(location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return page;
}

function Page({ page }: { page: PageId }) {
  switch (page) {
    case 'overview':
      return <OverviewPage />;
    case 'spend':
      return <SpendPage />;
    case 'traffic':
      return <TrafficPage />;
    case 'tenants':
      return <TenantsPage />;
    case 'routes':
      return <RoutesPage />;
  }
}

export function App() {
  const [auth, setAuth] = useState<AuthState>({ kind: 'checking' });
  const api = useMemo(() => new ApiClient({ onUnauthorized: () => setAuth({ kind: 'signed-out', notice: 'Your session has ended. Sign in again.' }) }), []);
  const page = useHashPage();
  const main = useRef<HTMLElement>(null);

  useEffect(() => {
    api.resume().then(
      (session) => setAuth(session === null ? { kind: 'signed-out', notice: null } : { kind: 'signed-in' }),
      (error: unknown) => setAuth({ kind: 'failed', message: messageOf(error) }),
    );
  }, [api]);

  useEffect(() => {
    const label = PAGES.find((p) => p.id === page)?.label ?? '';
    document.title = auth.kind === 'signed-in' ? `${label} · Tollgate` : 'Tollgate console';
    // After signing in or changing page, keyboard and screen-reader users start at the new content, not on a control that is gone.
    if (auth.kind === 'signed-in') main.current?.focus({ preventScroll: true });
  }, [page, auth.kind]);

  const signOut = (): void => {
    api.signOut().then(
      () => setAuth({ kind: 'signed-out', notice: 'Signed out.' }),
      () => setAuth({ kind: 'signed-out', notice: null }),
    );
  };

  return (
    <ApiContext.Provider value={api}>
      <header class="top">
        <a class="brand" href={hrefOf('overview')}>
          Tollgate
        </a>
        {auth.kind === 'signed-in' && (
          <>
            <nav aria-label="Console">
              <ul>
                {PAGES.map((p) => (
                  <li key={p.id}>
                    <a href={hrefOf(p.id)} aria-current={p.id === page ? 'page' : undefined}>
                      {p.label}
                    </a>
                  </li>
                ))}
              </ul>
            </nav>
            <button type="button" class="quiet sign-out" onClick={signOut}>
              Sign out
            </button>
          </>
        )}
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        {auth.kind === 'checking' && <p class="muted">Loading…</p>}
        {auth.kind === 'failed' && <ErrorNote message={auth.message} />}
        {auth.kind === 'signed-out' && <LoginForm notice={auth.notice} signIn={(token) => api.signIn(token).then(() => setAuth({ kind: 'signed-in' }))} />}
        {auth.kind === 'signed-in' && <Page key={page} page={page} />}
      </main>
    </ApiContext.Provider>
  );
}
