import { useSyncExternalStore } from 'react';

/**
 * Hash routes (`#/connections/ID`): the hub serves one index.html, and a link works when opened
 * in a new tab or reloaded.
 */
const subscribe = (onChange: () => void) => {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
};
const current = () => window.location.hash.replace(/^#/, '') || '/';

export function useRoute(): string[] {
  const path = useSyncExternalStore(subscribe, current);
  return path.split('?')[0]!.split('/').filter(Boolean).map(decodeURIComponent);
}

export const href = (...parts: string[]) => `#/${parts.map(encodeURIComponent).join('/')}`;
export const go = (...parts: string[]) => { window.location.hash = href(...parts).slice(1); };
