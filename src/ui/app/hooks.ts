/** Data loading with cancellation, the hash route, and a ticking clock for ages. */
import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from '../api/client.js';
import { parseRoute, type Route } from '../logic/router.js';
import { useSession } from './session.js';

export type Load<T> =
  | { state: 'loading'; data?: T }
  | { state: 'ready'; data: T }
  | { state: 'error'; error: ApiError; data?: T };

/** Turns an unexpected throw into an ApiError so the page can show it; an abort stays an abort. */
export function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  return new ApiError({
    status: 0,
    code: 'CLIENT',
    message: error instanceof Error ? error.message : 'Something went wrong.',
    cause: error,
  });
}

/**
 * Loads with `load` whenever `key` changes, cancelling the previous request; `reload` fetches again
 * keeping the data on screen. A 401 ends the session.
 */
export function useLoad<T>(
  key: string,
  load: (signal: AbortSignal) => Promise<T>,
): Load<T> & { reload: () => void } {
  const { signOut } = useSession();
  const [result, setResult] = useState<Load<T>>({ state: 'loading' });
  const [generation, setGeneration] = useState(0);
  const loadRef = useRef(load);
  useEffect(() => {
    loadRef.current = load;
  });

  useEffect(() => {
    const controller = new AbortController();
    setResult((previous) => ({
      state: 'loading',
      ...(previous.data === undefined ? {} : { data: previous.data }),
    }));
    loadRef.current(controller.signal).then(
      (data) => {
        if (!controller.signal.aborted) setResult({ state: 'ready', data });
      },
      (error: unknown) => {
        if (controller.signal.aborted) return;
        const apiError = asApiError(error);
        if (apiError.unauthorized) signOut('The token is no longer accepted. Sign in again.');
        setResult((previous) => ({
          state: 'error',
          error: apiError,
          ...(previous.data === undefined ? {} : { data: previous.data }),
        }));
      },
    );
    return () => controller.abort();
  }, [key, generation, signOut]);

  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { ...result, reload };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const update = (event: HashChangeEvent) => {
      const next = parseRoute(window.location.hash);
      const guard = leaveGuard;
      if (guard && !guard.stays(next) && !window.confirm(guard.message)) {
        // Staying: the address goes back to the page's (a hash change cannot be cancelled).
        window.history.pushState(null, '', event.oldURL);
        return;
      }
      setRoute(next);
    };
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}

/** A page holding input that leaving would lose. */
export interface LeaveGuard {
  /** The question asked before leaving (OK leaves). */
  message: string;
  /** Routes that keep the input (the page's own): no question. */
  stays: (route: Route) => boolean;
  /** Ask also before a reload or closing the tab (for input that a reload would not keep). */
  beforeUnload: boolean;
}

let leaveGuard: LeaveGuard | undefined;

/** While `guard` is set, leaving to another page (a link, Back) asks first; pass undefined to allow it. */
export function useLeaveGuard(guard: LeaveGuard | undefined): void {
  useEffect(() => {
    if (!guard) return;
    leaveGuard = guard;
    const onBeforeUnload = (event: BeforeUnloadEvent) => event.preventDefault();
    if (guard.beforeUnload) window.addEventListener('beforeunload', onBeforeUnload);
    return () => {
      if (leaveGuard === guard) leaveGuard = undefined;
      window.removeEventListener('beforeunload', onBeforeUnload);
    };
  }, [guard]);
}

export function navigate(hash: string): void {
  if (window.location.hash !== hash) window.location.hash = hash;
}

/** The current time, refreshed every `intervalMs`, for ages and expiry that move on their own. */
export function useNow(intervalMs = 30_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), intervalMs);
    return () => window.clearInterval(timer);
  }, [intervalMs]);
  return now;
}

/** Calls `tick` every `intervalMs` while the page is visible (and once when it becomes visible again). */
export function usePolling(tick: () => void, intervalMs: number): void {
  const tickRef = useRef(tick);
  useEffect(() => {
    tickRef.current = tick;
  });
  useEffect(() => {
    const timer = window.setInterval(() => {
      if (document.visibilityState === 'visible') tickRef.current();
    }, intervalMs);
    const onVisible = () => {
      if (document.visibilityState === 'visible') tickRef.current();
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      window.clearInterval(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [intervalMs]);
}

/** Moves focus to the page's main heading when `key` changes, so keyboard and screen-reader users land there. */
export function useFocusOnChange<E extends HTMLElement>(key: string) {
  const ref = useRef<E>(null);
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    ref.current?.focus();
  }, [key]);
  return ref;
}

export function useDocumentTitle(title: string): void {
  useEffect(() => {
    document.title = title ? `${title} · envcat` : 'envcat';
  }, [title]);
}
