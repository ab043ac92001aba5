// The signed-in user: loaded once from GET /me, kept in context; a 401 from any
// call sends the user back to the sign-in page with the place they were at.
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { api, onUnauthenticated, setCsrfToken } from '../api/client.js';
import type { Me } from '../api/types.js';
import { closeAllClusterData } from './cluster-data.js';
import { dropPreloaded } from '../start/preload.js';

interface Session {
  me: Me | undefined;
  /** undefined while GET /me is in flight at start. */
  checked: boolean;
  refresh: () => Promise<Me | undefined>;
  logout: () => Promise<void>;
}

const SessionContext = createContext<Session | undefined>(undefined);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [me, setMe] = useState<Me>();
  const [checked, setChecked] = useState(false);

  const refresh = useCallback(async () => {
    try {
      const m = await api<Me>('/api/v1/me');
      setCsrfToken(m.csrfToken);
      setMe(m);
      return m;
    } catch {
      // Not signed in (or the hub unreachable): whatever the start-up preload fetched is never shown.
      dropPreloaded();
      setMe(undefined);
      return undefined;
    } finally {
      setChecked(true);
    }
  }, []);

  useEffect(() => {
    void refresh();
    return onUnauthenticated(() => {
      dropPreloaded();
      closeAllClusterData();
      setMe(undefined);
    });
  }, [refresh]);

  const logout = useCallback(async () => {
    let endSessionUrl: string | null = null;
    try {
      // An SSO session also ends at the identity provider (RP-initiated logout).
      if (me?.sso)
        endSessionUrl = (await api<{ endSessionUrl: string | null }>('/api/v1/auth/oidc/logout', { method: 'POST' }))
          .endSessionUrl;
      else await api('/api/v1/auth/logout', { method: 'POST' });
    } finally {
      dropPreloaded();
      closeAllClusterData();
      setCsrfToken(undefined);
      setMe(undefined);
    }
    if (endSessionUrl) window.location.assign(endSessionUrl);
  }, [me]);

  return <SessionContext.Provider value={{ me, checked, refresh, logout }}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}

export function useMe(): Me | undefined {
  return useSession().me;
}
