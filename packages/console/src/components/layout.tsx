import type { ReactNode } from 'react';
import { href } from '../router';
import { useSession } from '../session';

const TABS = [['Integrations', 'connections'], ['Credentials', 'credentials'], ['Flows', 'flows'], ['Dashboard', 'dashboard'], ['Audit', 'audit']] as const;

export function Layout({ section, children }: { section: string; children: ReactNode }) {
  const { user, signOut } = useSession();
  return (
    <>
      <a className="skip" href="#main">Skip to content</a>
      <header className="top">
        <span className="brand">Handshake</span>
        <nav aria-label="Sections">
          {TABS.map(([label, path]) => <a key={path} href={href(path)} aria-current={section === path ? 'page' : undefined}>{label}</a>)}
        </nav>
        <span className="who">{user?.displayName} ({user?.role})</span>
        <button type="button" onClick={() => void signOut()}>Sign out</button>
      </header>
      <main id="main" tabIndex={-1}>{children}</main>
    </>
  );
}
