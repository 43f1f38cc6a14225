/** The environment's server-sent events: `status` with the status object, `deleted` at the end. */
import { useEffect, useRef, useState } from 'react';
import type { EnvironmentEvents, EnvironmentStatus } from '../../api/contract.js';

/**
 * `idle`: nothing to follow yet (the environment is still loading); `closed`: the stream failed
 * for good, or ended. Only a real failure may read as "unavailable": before the stream had a
 * chance to connect, the state is idle or connecting, never closed.
 */
export type StreamState = 'idle' | 'connecting' | 'live' | 'reconnecting' | 'closed';

export interface EventHandlers {
  onStatus: (status: EnvironmentStatus) => void;
  onDeleted: () => void;
}

/**
 * Follows the event stream at `url` while mounted. EventSource reconnects by itself after a network
 * error ('reconnecting'); when the server refuses the stream it gives up ('closed') and the caller
 * falls back to polling.
 */
export function useEnvironmentEvents(url: string | undefined, handlers: EventHandlers): StreamState {
  const [state, setState] = useState<StreamState>(url ? 'connecting' : 'idle');
  const handlersRef = useRef(handlers);
  useEffect(() => {
    handlersRef.current = handlers;
  });

  useEffect(() => {
    if (!url) {
      setState('idle');
      return;
    }
    if (typeof EventSource === 'undefined') {
      setState('closed');
      return;
    }
    setState('connecting');
    const source = new EventSource(url);
    const onOpen = () => setState('live');
    const onStatus = (event: MessageEvent<string>) => {
      let status: EnvironmentEvents['status'];
      try {
        status = JSON.parse(event.data) as EnvironmentEvents['status'];
      } catch {
        return;
      }
      setState('live');
      handlersRef.current.onStatus(status);
    };
    const onDeleted = () => {
      source.close();
      setState('closed');
      handlersRef.current.onDeleted();
    };
    const onError = () => setState(source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting');
    source.addEventListener('open', onOpen);
    source.addEventListener('status', onStatus);
    source.addEventListener('deleted', onDeleted);
    source.addEventListener('error', onError);
    return () => {
      source.removeEventListener('open', onOpen);
      source.removeEventListener('status', onStatus);
      source.removeEventListener('deleted', onDeleted);
      source.removeEventListener('error', onError);
      source.close();
    };
  }, [url]);

  return state;
}
