/** The signed-in session: the API client with its token, and a way out when the token stops working. */
import { createContext, useContext } from 'react';
import type { ApiClient } from '../api/client.js';
import type { Principal } from '../../api/contract.js';

export interface Session {
  client: ApiClient;
  /** Forget the token; with a reason, the sign-in page says why. */
  signOut: (reason?: string) => void;
  /** Who is signed in, once known: pages show the platform role's actions only to it. */
  user?: Principal;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession needs a signed-in session above it');
  return session;
}

const TOKEN_KEY = 'envcat.token';

/** The token lives in sessionStorage: it survives a reload, not the closing of the tab. */
export const tokenStore = {
  read(): string | undefined {
    try {
      return window.sessionStorage.getItem(TOKEN_KEY) ?? undefined;
    } catch {
      return undefined;
    }
  },
  write(token: string | undefined): void {
    try {
      if (token === undefined) window.sessionStorage.removeItem(TOKEN_KEY);
      else window.sessionStorage.setItem(TOKEN_KEY, token);
    } catch {
      // Storage can be disabled; the session then lasts as long as the page.
    }
  },
};
