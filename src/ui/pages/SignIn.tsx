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
          <div id={hintId} className="help sign-in-hint">
            <p>Each token the service accepts belongs to a user with one of two roles:</p>
            <ul>
              <li>
                <strong>platform</strong>: publishes catalog entries, sees and deletes every environment. The
                admin token is one: the service prints it when it starts, or takes it from{' '}
                <code>ENVCAT_ADMIN_TOKEN</code>.
              </li>
              <li>
                <strong>developer</strong>: creates environments, sees and deletes its own.
              </li>
            </ul>
            <p>
              More tokens, of either role, are given to the service as <code>ENVCAT_TOKENS</code> (
              <code>name:role:token</code>, comma-separated); ask whoever runs it for yours. The token is kept
              in this tab only.
            </p>
          </div>
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
