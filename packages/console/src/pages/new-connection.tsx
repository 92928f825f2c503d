import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { api, problemText } from '../api/client';
import type { components } from '../api/schema';
import { CredentialFields, credentialFields, credentialValues, urlProblem } from '../components/credential-fields';
import { Notice } from '../components/ui';
import { go, href } from '../router';

type Connector = components['schemas']['Connector'];
type NamedCredential = { name: string; baseUrl: string };
const NAMED = 'named_credential';

/** New Connection: connector → Authentication Protocol → connection and authentication details → Create (tested first). */
export function NewConnection({ app }: { app?: string | undefined }) {
  const [connectors, setConnectors] = useState<Connector[]>([]);
  const [named, setNamed] = useState<NamedCredential[]>([]);
  const [step, setStep] = useState<1 | 2 | 3>(app ? 2 : 1);
  const [connectorApp, setConnectorApp] = useState(app);
  const [method, setMethod] = useState<string>();
  const [search, setSearch] = useState('');
  const [namedCredential, setNamedCredential] = useState<string>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    void api.GET('/api/v1/connectors').then(({ data }) => setConnectors(data?.connectors ?? []));
    void api.GET('/api/v1/named-credentials').then(({ data }) => setNamed(((data as { namedCredentials?: NamedCredential[] } | undefined)?.namedCredentials) ?? []));
  }, []);
  const connector = connectors.find((c) => c.app === connectorApp);
  const chosen = connector?.methods.find((m) => m.name === method);
  const fields = useMemo(() => credentialFields(chosen), [chosen]);

  const create = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const credentials = credentialValues(fields, form);
    const badUrl = urlProblem(credentials);
    if (badUrl) return setError(badUrl);
    setBusy(true);
    setError(undefined);
    const description = String(form.get('description') ?? '').trim();
    const { data, error: problem } = await api.POST('/api/v1/connections', {
      body: { name: String(form.get('name')), ...(description ? { description } : {}), app: (method === NAMED ? NAMED : connectorApp!) as components['schemas']['CreateConnection']['app'], method: method!, credentials: method === NAMED ? { namedCredential: namedCredential!, testPath: String(form.get('testPath') || '/') } : credentials },
    });
    setBusy(false);
    if (data) go('connections', data.connection.id);
    else setError(problemText(problem));
  };

  return (
    <>
      <p><a href={href('connections')}>Integrations</a> › New Connection</p>
      <h1>New Connection</h1>
      {step === 1 ? (
        <fieldset>
          <legend>Select a connector</legend>
          {connectors.map((c) => <label key={c.app} className="choice"><input type="radio" name="connector" checked={connectorApp === c.app} onChange={() => setConnectorApp(c.app)} />{c.label}</label>)}
          <div className="actions"><button type="button" disabled={!connectorApp} onClick={() => setStep(2)}>Next</button></div>
        </fieldset>
      ) : null}
      {step === 2 && connector ? (
        <fieldset>
          <legend>Authentication Protocol</legend>
          {connector.methods.map((m) => <label key={m.name} className="choice"><input type="radio" name="method" checked={method === m.name} onChange={() => setMethod(m.name)} />{m.label}</label>)}
          <label className="choice"><input type="radio" name="method" checked={method === NAMED} onChange={() => setMethod(NAMED)} />Named Credential</label>
          {method === NAMED ? (
            <div className="named-search">
              <label>Search named credentials<input type="search" value={search} onChange={(e) => setSearch(e.target.value)} /></label>
              <ul aria-label="Named credentials">
                {named.filter((n) => n.name.toLowerCase().includes(search.toLowerCase())).map((n) => (
                  <li key={n.name}><label className="choice"><input type="radio" name="named" checked={namedCredential === n.name} onChange={() => setNamedCredential(n.name)} />{n.name} <small>{n.baseUrl}</small></label></li>
                ))}
              </ul>
            </div>
          ) : null}
          <div className="actions">
            <button type="button" onClick={() => setStep(1)}>Back</button>
            <button type="button" disabled={!method || (method === NAMED && !namedCredential)} onClick={() => setStep(3)}>Next</button>
          </div>
        </fieldset>
      ) : null}
      {step === 3 && connector ? (
        <form onSubmit={(e) => void create(e)}>
          <h2>Connection Information</h2>
          <label>Connection Name<input name="name" required maxLength={100} /></label>
          <label>Description<textarea name="description" maxLength={1000} /></label>
          {method === NAMED ? (
            <>
              <p>Named credential: <strong>{namedCredential}</strong>. Manage its details in Setup (the hub's named credentials).</p>
              <label>Test path<input name="testPath" defaultValue="/" aria-describedby="testpath-help" /><small id="testpath-help">A cheap GET on the API that proves the connection works.</small></label>
            </>
          ) : (
            <>
              <h2>Authentication Details</h2>
              <CredentialFields fields={fields} />
            </>
          )}
          {error ? <Notice kind="error">{error}</Notice> : null}
          <div className="actions">
            <button type="button" onClick={() => setStep(2)}>Back</button>
            <button type="submit" disabled={busy}>{busy ? 'Testing…' : 'Create'}</button>
          </div>
        </form>
      ) : null}
    </>
  );
}
