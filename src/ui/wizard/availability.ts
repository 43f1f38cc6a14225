/**
 * The server's checks of the name and namespace (valid, not reserved, not taken), asked while the
 * user types at step 1 (debounced) and once more when they leave it, so a taken name is said there
 * and not at Review. The answer never says whose a name is.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { Problem } from '../../api/contract.js';
import { asApiError } from '../app/hooks.js';
import { useSession } from '../app/session.js';

const DEBOUNCE_MS = 350;

export interface Availability {
  /** Problems of the last answer for the name and namespace now typed (`/metadata/name`, `/spec/namespace`). */
  problems: readonly Problem[];
  checking: boolean;
  /** The answer for the name and namespace now typed, asked now if need be; [] if it cannot be had. */
  check: () => Promise<readonly Problem[]>;
}

export function useAvailability(name: string, namespace: string, enabled: boolean): Availability {
  const { client, signOut } = useSession();
  const key = enabled ? `${name}\u0000${namespace}` : '';
  const [answer, setAnswer] = useState<{ key: string; problems: readonly Problem[] }>();
  const pending = useRef(new Map<string, Promise<readonly Problem[]>>());

  const ask = useCallback(
    (askedKey: string, signal?: AbortSignal): Promise<readonly Problem[]> => {
      const inFlight = pending.current.get(askedKey);
      if (inFlight) return inFlight;
      const [askedName = '', askedNamespace = ''] = askedKey.split('\u0000');
      const promise = client.checkAvailability(askedName, askedNamespace, { signal }).then(
        (result) => result.errors,
        (error: unknown) => {
          const apiError = asApiError(error);
          if (apiError.unauthorized) signOut('The token is no longer accepted. Sign in again.');
          // The review's dry run checks the same again: an outage here does not block the user.
          return [];
        },
      );
      pending.current.set(askedKey, promise);
      void promise.then((problems) => {
        pending.current.delete(askedKey);
        if (!signal?.aborted) setAnswer({ key: askedKey, problems });
      });
      return promise;
    },
    [client, signOut],
  );

  useEffect(() => {
    if (!key) return;
    const controller = new AbortController();
    const timer = window.setTimeout(() => void ask(key, controller.signal), DEBOUNCE_MS);
    return () => {
      window.clearTimeout(timer);
      controller.abort();
    };
  }, [key, ask]);

  const check = useCallback(async () => {
    if (!key) return [];
    if (answer?.key === key) return answer.problems;
    return ask(key);
  }, [key, answer, ask]);

  const current = answer?.key === key && key !== '';
  return {
    problems: current ? answer.problems : [],
    checking: key !== '' && !current,
    check,
  };
}
