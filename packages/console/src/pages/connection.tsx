import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api, problemText } from '../api/client';
import type { components } from '../api/schema';
import { CredentialFields, credentialFields, credentialValues, urlProblem } from '../components/credential-fields';
import { Dialog, Notice, StatusBadge, Tabs, when } from '../components/ui';
import { go, href } from '../router';
import { useSession } from '../session';
import { RotationPanel } from './rotation';

type Connection = components['schemas']['Connection'];
type Usage = { type: string; id: string; name: string };
type FlowRow = { name: string; status: string; version: string; owner: string; lastRun: string };
const TABS = ['Details', 'Related', 'Rotation'] as const;

/** One connection (seed 003): Details and Related tabs; Test, Edit, Reconnect, Delete. */
export function ConnectionPage({ id }: { id: string }) {
  const { can } = useSession();
  const [connection, setConnection] = useState<Connection>();
  const [flows, setFlows] = useState<FlowRow[]>([]);
  const [tab, setTab] = useState<(typeof TABS)[number]>('Details');
  const [message, setMessage] = useState<{ kind: 'error' | 'success'; text: string }>();
  const [dialog, setDialog] = useState<'edit-warning' | 'edit' | 'delete'>();
  const [busy, setBusy] = useState(false);
  const [editProblem, setEditProblem] = useState<string>();
  const [connectors, setConnectors] = useState<components['schemas']['Connector'][]>([]);
  useEffect(() => { void api.GET('/api/v1/connectors').then(({ data }) => setConnectors(data?.connectors ?? [])); }, []);
  const path = { params: { path: { id } } };

  const load = useCallback(async () => {
    const { data, error } = await api.GET('/api/v1/connections/{id}', path);
    if (!data) return setMessage({ kind: 'error', text: problemText(error) });
    setConnection(data.connection);
    const usages = ((await api.GET('/api/v1/connections/{id}/usages', path)).data as { usages?: Usage[] } | undefined)?.usages ?? [];
    const rows: FlowRow[] = [];
    for (const u of usages.filter((x) => x.type === 'flow')) {
      const flow = (await api.GET('/api/v1/flows/{id}', { params: { path: { id: u.id } } })).data?.flow;
      const stats = (await api.GET('/api/v1/flows/{id}/stats', { params: { path: { id: u.id } } })).data;
      rows.push({ name: u.name, status: flow?.status ?? 'deleted', version: flow?.version ? String(flow.version) : '—', owner: flow?.savedBy ?? '—', lastRun: stats?.lastRun ? `${stats.lastRun.status} ${when(stats.lastRun.startedAt)}` : 'no runs' });
    }
    setFlows(rows);
  }, [id]);
  useEffect(() => { void load(); }, [load]);

  const test = async () => {
    setBusy(true);
    const { data, error } = await api.POST('/api/v1/connections/{id}/test', path);
    setBusy(false);
    if (!data) return setMessage({ kind: 'error', text: problemText(error) });
    setConnection(data.connection);
    setMessage(data.connection.status === 'active' ? { kind: 'success', text: 'The connection test succeeded.' } : { kind: 'error', text: `The connection test failed: ${data.connection.statusReason ?? data.connection.status}` });
  };
  const fields = credentialFields(connectors.find((c) => c.app === connection?.app)?.methods.find((m) => m.name === connection?.method));
  const save = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const description = String(form.get('description') ?? '');
    const credentials = credentialValues(fields, form, connection?.config);
    const badUrl = urlProblem(credentials);
    if (badUrl) return setEditProblem(badUrl);
    setBusy(true);
    const { data, error } = await api.PATCH('/api/v1/connections/{id}', { ...path, body: { name: String(form.get('name')), description, ...(Object.keys(credentials).length ? { credentials } : {}) } });
    setBusy(false);
    if (!data) return setEditProblem(problemText(error));
    setConnection(data.connection);
    setDialog(undefined);
    setEditProblem(undefined);
    setMessage({ kind: 'success', text: Object.keys(credentials).length ? 'Saved: the new credentials passed the connection test.' : 'Saved.' });
  };
  const remove = async () => {
    const { error, response } = await api.DELETE('/api/v1/connections/{id}', path);
    if (response.status === 204) return go('connections');
    setDialog(undefined);
    setMessage({ kind: 'error', text: problemText(error) });
  };
  const reconnect = async () => {
    const { data, error } = await api.POST('/api/v1/connections/{id}/authorize', path);
    const url = (data as { authorizationUrl?: string } | undefined)?.authorizationUrl;
    if (!url) return setMessage({ kind: 'error', text: problemText(error) });
    const popup = window.open(url, 'handshake-oauth', 'width=600,height=700');
    const timer = window.setInterval(() => {
      if (popup && !popup.closed) return;
      window.clearInterval(timer);
      void load();
    }, 500);
  };

  if (!connection) return message ? <Notice kind="error">{message.text}</Notice> : <p>Loading…</p>;
  const named = connection.method === 'named_credential';
  const mayWrite = can('connections:write');
  const rotatable = connection.app === 'salesforce' && connection.method === 'oauth2_client_credentials';
  return (
    <>
      <p><a href={href('connections')}>Integrations</a> › {connection.name}</p>
      <div className="title-row">
        <h1>{connection.name} <StatusBadge status={connection.status} /></h1>
        <div className="actions">
          {can('connections:test') ? <button type="button" onClick={() => void test()} disabled={busy}>{busy ? 'Testing…' : 'Test'}</button> : null}
          {mayWrite ? <button type="button" onClick={() => setDialog('edit-warning')}>Edit</button> : null}
          {mayWrite && !named && connection.method === 'oauth2_authorization_code' ? <button type="button" onClick={() => void reconnect()}>Reconnect</button> : null}
          {mayWrite ? <button type="button" className="danger" onClick={() => setDialog('delete')}>Delete</button> : null}
        </div>
      </div>
      {message ? <Notice kind={message.kind}>{message.text}</Notice> : null}
      <Tabs<(typeof TABS)[number]> label="Connection" tabs={rotatable ? TABS : TABS.slice(0, 2)} current={tab} onChange={setTab} />
      {tab === 'Details' ? (
        <section role="tabpanel" id="panel-Details" aria-labelledby="tab-Details">
          <dl className="details">
            <dt>Connection Name</dt><dd>{connection.name}</dd>
            <dt>Description</dt><dd>{connection.description ?? '—'}</dd>
            <dt>Connector</dt><dd>{named ? 'Named Credential' : connection.app}</dd>
            <dt>Authentication Protocol</dt><dd>{connection.method}</dd>
            {Object.entries(connection.config).map(([key, value]) => <div key={key} className="pair"><dt>{key}</dt><dd>{typeof value === 'string' ? value : JSON.stringify(value)}</dd></div>)}
            <dt>Status</dt><dd>{connection.status}{connection.statusReason ? `: ${connection.statusReason}` : ''}</dd>
            <dt>Last Tested Date</dt><dd>{when(connection.lastTestedAt)}</dd>
          </dl>
        </section>
      ) : tab === 'Rotation' ? (
        <section role="tabpanel" id="panel-Rotation" aria-labelledby="tab-Rotation"><RotationPanel connection={connection} /></section>
      ) : (
        <section role="tabpanel" id="panel-Related" aria-labelledby="tab-Related">
          <h2>Flows Using Connection</h2>
          {flows.length === 0 ? <p>No flow uses this connection.</p> : (
            <table>
              <thead><tr><th scope="col">Name</th><th scope="col">Version</th><th scope="col">Status</th><th scope="col">Owner</th><th scope="col">Progress Status</th></tr></thead>
              <tbody>{flows.map((f) => <tr key={f.name}><td><a href={href('flows', f.name)}>{f.name}</a></td><td>{f.version}</td><td>{f.status}</td><td>{f.owner}</td><td>{f.lastRun}</td></tr>)}</tbody>
            </table>
          )}
        </section>
      )}
      <Dialog title="Edit Connection" open={dialog === 'edit-warning'} onClose={() => setDialog(undefined)}>
        <p>Changes apply to every flow that uses this connection{flows.length ? ` (${flows.map((f) => f.name).join(', ')})` : ''}. New credentials are tested before they are saved.</p>
        <div className="actions"><button type="button" onClick={() => setDialog(undefined)}>Cancel</button><button type="button" onClick={() => setDialog('edit')}>Edit</button></div>
      </Dialog>
      <Dialog title="Edit Connection" open={dialog === 'edit'} onClose={() => setDialog(undefined)}>
        <form onSubmit={(e) => void save(e)}>
          <label>Connection Name<input name="name" defaultValue={connection.name} required maxLength={100} /></label>
          <label>Description<textarea name="description" defaultValue={connection.description ?? ''} maxLength={1000} /></label>
          {named ? <p>This connection uses a named credential: manage the credential in Setup. Only the Connection Name and Description are edited here.</p> : (
            <fieldset>
              <legend>Authentication Details</legend>
              <p>New credentials are tested before they are saved; if the test fails, the connection keeps its current ones.</p>
              <CredentialFields fields={fields} current={connection.config} />
            </fieldset>
          )}
          {editProblem ? <Notice kind="error">{editProblem}</Notice> : null}
          <div className="actions"><button type="button" onClick={() => { setDialog(undefined); setEditProblem(undefined); }}>Cancel</button><button type="submit" disabled={busy}>{busy ? 'Testing…' : 'Save'}</button></div>
        </form>
      </Dialog>
      <Dialog title="Delete Connection" open={dialog === 'delete'} onClose={() => setDialog(undefined)}>
        {flows.length ? <><p>These flows use the connection; delete or change them first:</p><ul>{flows.map((f) => <li key={f.name}>{f.name}</li>)}</ul></> : <p>No flow uses this connection.</p>}
        {named ? <p>Deleting this connection leaves its named credential in place.</p> : null}
        <div className="actions"><button type="button" onClick={() => setDialog(undefined)}>Close</button><button type="button" className="danger" onClick={() => void remove()}>Delete</button></div>
      </Dialog>
    </>
  );
}
