import { useEffect, useState } from 'react';
import { api } from '../api/client';
import type { components } from '../api/schema';
import { Dialog, StatusBadge, when } from '../components/ui';
import { go, href } from '../router';
import { useSession } from '../session';

type Connection = components['schemas']['Connection'];
type Connector = components['schemas']['Connector'];

/** The Integrations tab (seed 003): connectors to start from, and every connection. */
export function Integrations() {
  const { can } = useSession();
  const [connections, setConnections] = useState<Connection[]>();
  const [connectors, setConnectors] = useState<Connector[]>([]);
  const [browsing, setBrowsing] = useState(false);
  const [picked, setPicked] = useState<string>();
  useEffect(() => {
    void api.GET('/api/v1/connections').then(({ data }) => setConnections(data?.connections ?? []));
    void api.GET('/api/v1/connectors').then(({ data }) => setConnectors(data?.connectors ?? []));
  }, []);
  const mayCreate = can('connections:write');
  return (
    <>
      <div className="title-row">
        <h1>Integrations</h1>
        {mayCreate ? <button type="button" onClick={() => go('connections', 'new')}>New Connection</button> : null}
      </div>
      <section aria-labelledby="get-started">
        <h2 id="get-started">Get Started with Connectors</h2>
        <ul className="cards">
          {connectors.map((c) => (
            <li key={c.app} className="card">
              <h3>{c.label}</h3>
              <p>{c.methods.map((m) => m.label).join(' · ')}</p>
              {mayCreate ? <button type="button" onClick={() => go('connections', 'new', c.app)} aria-label={`Create Connection with ${c.label}`}>Create Connection</button> : null}
            </li>
          ))}
        </ul>
        <button type="button" className="link" onClick={() => setBrowsing(true)}>View All Connectors</button>
      </section>
      <Dialog title="Browse Connectors" open={browsing} onClose={() => setBrowsing(false)}>
        <fieldset>
          <legend>Connector</legend>
          {connectors.map((c) => <label key={c.app} className="choice"><input type="radio" name="browse" value={c.app} onChange={() => setPicked(c.app)} />{c.label}</label>)}
        </fieldset>
        <div className="actions">
          <button type="button" onClick={() => setBrowsing(false)}>Cancel</button>
          <button type="button" disabled={!picked || !mayCreate} onClick={() => go('connections', 'new', picked!)}>Next</button>
        </div>
      </Dialog>
      <section aria-labelledby="all-connections">
        <h2 id="all-connections">Connections</h2>
        {connections === undefined ? <p>Loading…</p> : connections.length === 0 ? <p>No connections yet.</p> : (
          <table>
            <thead><tr><th scope="col">Name</th><th scope="col">Connector</th><th scope="col">Authentication</th><th scope="col">Status</th><th scope="col">Last Tested Date</th></tr></thead>
            <tbody>
              {connections.map((c) => (
                <tr key={c.id}>
                  <td><a href={href('connections', c.id)}>{c.name}</a></td>
                  <td>{connectors.find((k) => k.app === c.app)?.label ?? c.app}</td>
                  <td>{c.method === 'named_credential' ? 'Named Credential' : c.method}</td>
                  <td><StatusBadge status={c.status} /></td>
                  <td>{when(c.lastTestedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}
