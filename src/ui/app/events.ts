/** The environment's server-sent events: `status` with the status object, `deleted` at the end. */
import { useEffect, useRef, useState } from 'react';
import type { EnvironmentEvents, EnvironmentStatus } from '../../api/contract.js';

export type StreamState = 'connecting' | 'live' | 'reconnecting' | 'closed';

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
  const [state, setState] = useState<StreamState>('connecting');
  const handlersRef = useRef(handlers);
  useEffect(() => {
    handlersRef.current = handlers;
  });

  useEffect(() => {
    if (!url || typeof EventSource === 'undefined') {
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
