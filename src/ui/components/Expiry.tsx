/**
 * An environment's time to live in the portal: a countdown to `expiresAt` (to the second in its
 * last hour), a warning once less than an hour is left, and Extend, which keeps the environment
 * for a duration from now. The ttl counts from creation, so Extend sets `spec.ttl` to the age plus
 * that duration (core extendedTtl), as `envcat env extend` does: from the environment read just
 * before, sending its resourceVersion, so a change in between is a 409 rather than overwritten.
 */
import { useState, type FormEvent } from 'react';
import { ApiError } from '../api/client.js';
import type { EnvironmentView } from '../../api/contract.js';
import { asApiError, useNow } from '../app/hooks.js';
import { useSession } from '../app/session.js';
import { countdown } from '../logic/format.js';
import { extendedTtl, parseDuration } from '../../core/browser.js';
import { ErrorAlert } from './common.js';

/** `expires in 2d4h`, ticking; nothing without an expiry. */
export function ExpiryCountdown(props: { expiresAt: string | undefined }) {
  const now = useNow(1_000);
  const left = countdown(props.expiresAt, now);
  if (!left) return null;
  return (
    <span className={left.warning ? 'expiry expiry-warning' : 'expiry'} data-testid="expiry">
      {left.text}
    </span>
  );
}

/** Shown while less than an hour is left: when the ttl deletes the environment, and what to do. */
export function ExpiryWarning(props: { expiresAt: string | undefined }) {
  const now = useNow(1_000);
  const left = countdown(props.expiresAt, now);
  if (!left?.warning || !props.expiresAt) return null;
  const at = new Date(props.expiresAt).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return (
    <div className="alert alert-warning" role="alert">
      <p className="alert-title">{left.secondsLeft > 0 ? 'Less than an hour left' : 'The ttl has run out'}</p>
      <p>
        {left.secondsLeft > 0
          ? `Its ttl deletes this environment at ${at}. Extend it below to keep it.`
          : 'This environment is being deleted because its ttl ran out.'}
      </p>
    </div>
  );
}

/** A duration and Extend: the environment then lives that long from now. */
export function ExtendTtl(props: { view: EnvironmentView; onExtended: (view: EnvironmentView) => void }) {
  const { client, signOut } = useSession();
  const { view } = props;
  const [duration, setDuration] = useState('24h');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(undefined);
    const seconds = parseDuration(duration.trim());
    if (seconds === undefined || seconds === 0) {
      const message = 'Give a duration such as 24h, 2d or 1d12h.';
      setError(new ApiError({ status: 0, code: 'INVALID_INPUT', message }));
      return;
    }
    setBusy(true);
    try {
      const current = await client.getEnvironment(view.metadata.name);
      const created = Date.parse(String(current.metadata.creationTimestamp));
      if (Number.isNaN(created)) {
        const message = 'Its creation time is not known yet; try again in a moment.';
        throw new ApiError({ status: 0, code: 'NOT_READY', message });
      }
      const ttl = extendedTtl({ createdAt: created, now: Date.now(), forSeconds: seconds });
      const resourceVersion = current.metadata.resourceVersion;
      props.onExtended(
        await client.patchTtl(view.metadata.name, {
          ...(resourceVersion ? { metadata: { resourceVersion } } : {}),
          spec: { ttl },
        }),
      );
    } catch (caught) {
      const apiError = asApiError(caught);
      if (apiError.unauthorized) signOut('The token is no longer accepted. Sign in again.');
      setError(apiError);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="extend-ttl" onSubmit={(e) => void submit(e)}>
      <label htmlFor="extend-ttl-duration">Keep for</label>
      <input
        id="extend-ttl-duration"
        className="mono"
        size={6}
        value={duration}
        onChange={(e) => setDuration(e.target.value)}
        aria-describedby="extend-ttl-hint"
      />
      <button type="submit" className="button" disabled={busy}>
        {busy ? 'Extending…' : 'Extend'}
      </button>
      <span id="extend-ttl-hint" className="row-message">
        from now (e.g. 24h, 2d)
      </span>
      {error && <ErrorAlert error={error} title="The environment could not be extended." />}
    </form>
  );
}
