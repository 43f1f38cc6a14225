/** Sign in with a bearer token; it is checked against the API (`whoami`) before it is kept. */
import { useId, useState, type FormEvent } from 'react';
import { ApiClient, type ApiError } from '../api/client.js';
import type { Principal } from '../../api/contract.js';
import { asApiError } from '../app/hooks.js';

export function SignIn(props: { reason?: string; onSignedIn: (token: string, user: Principal) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<ApiError | undefined>();
  const [busy, setBusy] = useState(false);
  const inputId = useId();
  const hintId = useId();
  const errorId = useId();

  async function submit(event: FormEvent) {
    event.preventDefault();
    const value = token.trim();
    if (value === '') return;
    setBusy(true);
    setError(undefined);
    try {
      const user = await new ApiClient({ token: value, fetch: window.fetch.bind(window) }).whoami();
      props.onSignedIn(value, user);
    } catch (e) {
      setError(asApiError(e));
      setBusy(false);
    }
  }

  return (
    <section className="sign-in card" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title" tabIndex={-1}>
        Sign in
      </h1>
      {props.reason && (
        <p className="alert alert-info" role="status">
          {props.reason}
        </p>
      )}
      <form onSubmit={submit} noValidate>
        <div className="field">
          <label htmlFor={inputId}>API token</label>
          <input
            id={inputId}
            type="password"
            autoComplete="current-password"
            value={token}
            onChange={(e) => setToken(e.target.value)}
            aria-describedby={error ? `${hintId} ${errorId}` : hintId}
            aria-invalid={error ? true : undefined}
            required
          />
          <p id={hintId} className="help">
            The embedded service prints its admin token when it starts (or uses{' '}
            <code>ENVCAT_ADMIN_TOKEN</code>). The token is kept in this tab only.
          </p>
          {error && (
            <p id={errorId} className="field-error" role="alert">
              {error.message}
            </p>
          )}
        </div>
        <button type="submit" className="button button-primary" disabled={busy || token.trim() === ''}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </section>
  );
}
