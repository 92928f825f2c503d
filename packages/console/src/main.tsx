import { lazy, StrictMode, Suspense, useEffect, useState } from 'react';
import { api } from './api/client';
import { Setup } from './pages/setup';
import { createRoot } from 'react-dom/client';
import { Layout } from './components/layout';
import { Audit } from './pages/audit';
import { ConnectionPage } from './pages/connection';
import { Credentials } from './pages/credentials';
import { FlowPage } from './pages/flow';
import { Flows } from './pages/flows';
import { Integrations } from './pages/integrations';
import { NewConnection } from './pages/new-connection';
import { RunPage } from './pages/run';
import { SignIn } from './pages/sign-in';
import { useRoute } from './router';
import { SessionProvider, useSession } from './session';
import './styles.css';

// The editor (CodeMirror) is loaded when a flow is edited, not with every page.
const Dashboard = lazy(async () => ({ default: (await import('./pages/dashboard')).DashboardPage }));
const FlowEditor = lazy(async () => ({ default: (await import('./pages/flow-editor')).FlowEditor }));

function Page() {
  const [section = 'connections', a, b, c] = useRoute();
  if (section === 'connections') return a === 'new' ? <NewConnection app={b} /> : a ? <ConnectionPage id={a} /> : <Integrations />;
  if (section === 'flows') return a === 'new' ? <FlowEditor /> : a && b === 'edit' ? <FlowEditor name={a} /> : a && b === 'runs' && c ? <RunPage flow={a} runId={c} /> : a ? <FlowPage name={a} /> : <Flows />;
  if (section === 'audit') return <Audit />;
  if (section === 'credentials') return <Credentials />;
  if (section === 'dashboard') return <Dashboard />;
  return <p>No such page. <a href="#/connections">Integrations</a></p>;
}

function App() {
  const { user, refresh } = useSession();
  const [section = 'connections'] = useRoute();
  const [setupNeeded, setSetupNeeded] = useState(false);
  useEffect(() => { if (user === null) void api.GET('/api/v1/setup').then(({ data }) => setSetupNeeded(data?.needed ?? false)); }, [user]);
  if (user === undefined) return <p>Loading…</p>;
  if (user === null) return setupNeeded ? <Setup onDone={() => void refresh()} /> : <SignIn />;
  return <Layout section={section}><Suspense fallback={<p>Loading…</p>}><Page /></Suspense></Layout>;
}

createRoot(document.getElementById('root')!).render(<StrictMode><SessionProvider><App /></SessionProvider></StrictMode>);
