import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { api, setCsrfToken } from './api/client';
import type { components } from './api/schema';

export type User = components['schemas']['User'];
type Scope = User['scopes'][number];
interface SessionState { user: User | null | undefined; refresh(): Promise<void>; signIn(username: string, password: string): Promise<string | undefined>; signOut(): Promise<void>; can(scope: Scope): boolean }

const SessionContext = createContext<SessionState | undefined>(undefined);

/** Who is signed in (undefined while asking the hub), with sign in and sign out. */
export function SessionProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<User | null | undefined>(undefined);
  const refresh = useCallback(async () => {
    const { data } = await api.GET('/api/v1/session');
    setCsrfToken(data?.csrfToken);
    setUser(data?.user ?? null);
  }, []);
  useEffect(() => { void refresh(); }, [refresh]);
  const signIn = useCallback(async (username: string, password: string) => {
    const { data, error } = await api.POST('/api/v1/session', { body: { username, password } });
    if (!data) return error?.detail ?? 'Sign-in failed.';
    setCsrfToken(data.csrfToken);
    setUser(data.user);
    return undefined;
  }, []);
  const signOut = useCallback(async () => {
    await api.DELETE('/api/v1/session');
    setCsrfToken(undefined);
    setUser(null);
  }, []);
  const can = useCallback((scope: Scope) => user?.scopes.includes(scope) ?? false, [user]);
  return <SessionContext.Provider value={{ user, refresh, signIn, signOut, can }}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionState {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionProvider');
  return session;
}
