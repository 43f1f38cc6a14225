/** The full catalog entries (schemas, outputs) of the entries chosen in the wizard, fetched once each. */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { ApiError } from '../api/client.js';
import type { CatalogDetail, CatalogVersion } from '../../api/contract.js';
import { asApiError } from '../app/hooks.js';
import { useSession } from '../app/session.js';

export type DetailState =
  { state: 'loading' } | { state: 'ready'; data: CatalogDetail } | { state: 'error'; error: ApiError };

export interface CatalogDetails {
  get: (entry: string) => DetailState | undefined;
  version: (entry: string, version: string) => CatalogVersion | undefined;
  retry: (entry: string) => void;
}

export function useCatalogDetails(entries: readonly string[]): CatalogDetails {
  const { client, signOut } = useSession();
  const [details, setDetails] = useState<ReadonlyMap<string, DetailState>>(new Map());
  const requested = useRef(new Set<string>());
  const lifetime = useRef<AbortController | undefined>(undefined);
  const [attempt, setAttempt] = useState(0);
  const key = [...new Set(entries)].sort().join(',');

  // One controller for the page's lifetime: choosing more entries adds requests, never cancels them.
  useEffect(() => {
    const controller = new AbortController();
    lifetime.current = controller;
    setAttempt((a) => a + 1);
    return () => controller.abort();
  }, []);

  useEffect(() => {
    const controller = lifetime.current;
    if (!controller || controller.signal.aborted) return;
    for (const entry of key ? key.split(',') : []) {
      if (requested.current.has(entry)) continue;
      requested.current.add(entry);
      setDetails((m) => new Map(m).set(entry, { state: 'loading' }));
      client.getCatalog(entry, { signal: controller.signal }).then(
        (data) => setDetails((m) => new Map(m).set(entry, { state: 'ready', data })),
        (error: unknown) => {
          requested.current.delete(entry);
          if (controller.signal.aborted) {
            // Cut short by a remount (React's StrictMode does that in development): ask again.
            if (lifetime.current && !lifetime.current.signal.aborted) setAttempt((a) => a + 1);
            return;
          }
          const apiError = asApiError(error);
          if (apiError.unauthorized) signOut('The token is no longer accepted. Sign in again.');
          setDetails((m) => new Map(m).set(entry, { state: 'error', error: apiError }));
        },
      );
    }
  }, [key, attempt, client, signOut]);

  const retry = useCallback((entry: string) => {
    requested.current.delete(entry);
    setAttempt((a) => a + 1);
  }, []);
  // A new object only when something arrived, so what is derived from it can be memoised.
  return useMemo<CatalogDetails>(
    () => ({
      get: (entry) => details.get(entry),
      version: (entry, version) => {
        const detail = details.get(entry);
        return detail?.state === 'ready' ? detail.data.items.find((v) => v.version === version) : undefined;
      },
      retry,
    }),
    [details, retry],
  );
}
