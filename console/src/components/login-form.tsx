/** Sign in with the admin token; the gateway answers with a session cookie. */
import { useState } from 'preact/hooks';
import { messageOf } from '../api/client.js';
import { ErrorNote } from './error-note.js';

export interface LoginFormProps {
  /** Resolves once signed in; rejects with the server's message (wrong token, too many attempts). */
  readonly signIn: (token: string) => Promise<void>;
  readonly notice?: string | null;
}

export function LoginForm({ signIn, notice = null }: LoginFormProps) {
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = (event: Event): void => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    signIn(token).then(
      () => setBusy(false),
      (failure: unknown) => {
        setBusy(false);
        setError(messageOf(failure));
      },
    );
  };

  return (
    <section class="login card" aria-labelledby="login-title">
      <h1 id="login-title">Sign in to the console</h1>
      {notice !== null && <p class="muted">{notice}</p>}
      <form onSubmit={submit}>
        <label for="admin-token">Admin token</label>
        <input
          id="admin-token"
          name="token"
          type="password"
          autocomplete="current-password"
          required
          value={token}
          onInput={(e) => setToken(e.currentTarget.value)}
          aria-describedby={error === null ? undefined : 'login-error'}
        />
        <button type="submit" disabled={busy} aria-busy={busy}>
          Sign in
        </button>
        <ErrorNote id="login-error" message={error} />
      </form>
      <p class="muted small">The token is the gateway&rsquo;s <code>auth.admin_token</code>. The session lasts 12 hours.</p>
    </section>
  );
}
