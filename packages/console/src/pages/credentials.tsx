import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api, problemText } from '../api/client';
import { Notice } from '../components/ui';
import { useSession } from '../session';

interface NamedCredential { name: string; baseUrl: string; externalCredential: string; principal: string }
interface ExternalCredential { name: string; protocol: string; config: { identityProvider?: string }; principals: { name: string; grantedTo: string[] }[] }
interface IdentityProvider { name: string; tokenUrl: string; clientId: string; params: { name: string; value: string; in: string }[] }

const lines = (text: string) => text.split('\n').map((l) => l.trim()).filter(Boolean);

/**
 * Setup for callouts (seed 001): external auth identity providers (client credentials with custom
 * request parameters such as audience, in the body or a header), external credentials with their
 * principals and who each is granted to, and named credentials. Secrets go in, never come back.
 */
export function Credentials() {
  const { can } = useSession();
  const [named, setNamed] = useState<NamedCredential[]>([]);
  const [external, setExternal] = useState<ExternalCredential[]>([]);
  const [providers, setProviders] = useState<IdentityProvider[]>([]);
  const [message, setMessage] = useState<{ kind: 'error' | 'success'; text: string }>();
  const load = useCallback(async () => {
    setNamed(((await api.GET('/api/v1/named-credentials')).data as { namedCredentials?: NamedCredential[] } | undefined)?.namedCredentials ?? []);
    setExternal(((await api.GET('/api/v1/external-credentials')).data as { externalCredentials?: ExternalCredential[] } | undefined)?.externalCredentials ?? []);
    setProviders(((await api.GET('/api/v1/identity-providers')).data as { identityProviders?: IdentityProvider[] } | undefined)?.identityProviders ?? []);
  }, []);
  useEffect(() => { void load(); }, [load]);
  const done = async (error: unknown, what: string, form: HTMLFormElement) => {
    if (error) return setMessage({ kind: 'error', text: problemText(error) });
    setMessage({ kind: 'success', text: `${what} created.` });
    form.reset();
    await load();
  };

  const addProvider = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const element = event.currentTarget;
    const form = new FormData(element);
    const params = lines(String(form.get('params') ?? '')).map((l) => {
      const [nameValue, where] = l.split(/\s+in\s+/);
      const [name, ...value] = (nameValue ?? '').split('=');
      return { name: name!.trim(), value: value.join('=').trim(), in: (where ?? 'body').trim() as 'body' | 'header' };
    });
    const { error } = await api.POST('/api/v1/identity-providers', { body: { name: String(form.get('name')), tokenUrl: String(form.get('tokenUrl')), clientId: String(form.get('clientId')), clientSecret: String(form.get('clientSecret')), params } });
    await done(error, 'Identity provider', element);
  };
  const addExternal = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const element = event.currentTarget;
    const form = new FormData(element);
    const protocol = String(form.get('protocol')) as 'oauth2_client_credentials' | 'basic' | 'custom_headers';
    const principal = { name: String(form.get('principal')), grantedTo: String(form.get('grantedTo') ?? '').split(',').map((s) => s.trim()).filter(Boolean) };
    const headers = lines(String(form.get('headers') ?? '')).map((l) => ({ name: l.split(':')[0]!.trim(), value: l.split(':').slice(1).join(':').trim() }));
    const body = { name: String(form.get('name')), protocol, principals: [principal],
      ...(protocol === 'oauth2_client_credentials' ? { identityProvider: String(form.get('identityProvider')) } : {}),
      ...(protocol === 'basic' ? { username: String(form.get('username')), password: String(form.get('password')) } : {}),
      ...(protocol === 'custom_headers' ? { headers } : {}) };
    const { error } = await api.POST('/api/v1/external-credentials', { body });
    await done(error, 'External credential', element);
  };
  const addNamed = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const element = event.currentTarget;
    const form = new FormData(element);
    const { error } = await api.POST('/api/v1/named-credentials', { body: { name: String(form.get('name')), baseUrl: String(form.get('baseUrl')), externalCredential: String(form.get('externalCredential')), principal: String(form.get('principal')) } });
    await done(error, 'Named credential', element);
  };

  const mayWrite = can('connections:write');
  return (
    <>
      <h1>Credentials</h1>
      {message ? <Notice kind={message.kind}>{message.text}</Notice> : null}
      <section aria-labelledby="named-title">
        <h2 id="named-title">Named credentials</h2>
        <table>
          <thead><tr><th scope="col">Name</th><th scope="col">URL</th><th scope="col">External credential</th><th scope="col">Principal</th></tr></thead>
          <tbody>{named.map((n) => <tr key={n.name}><td>{n.name}</td><td>{n.baseUrl}</td><td>{n.externalCredential}</td><td>{n.principal}</td></tr>)}</tbody>
        </table>
        {mayWrite ? (
          <form onSubmit={(e) => void addNamed(e)} aria-label="New named credential">
            <label>Name (used as callout:Name)<input name="name" required pattern="[A-Za-z][A-Za-z0-9_]*" /></label>
            <label>URL<input name="baseUrl" type="url" required placeholder="https://<domain>" /></label>
            <label>External credential<select name="externalCredential" required>{external.map((x) => <option key={x.name}>{x.name}</option>)}</select></label>
            <label>Principal<input name="principal" required /></label>
            <div className="actions"><button type="submit">Create named credential</button></div>
          </form>
        ) : null}
      </section>
      <section aria-labelledby="external-title">
        <h2 id="external-title">External credentials</h2>
        <table>
          <thead><tr><th scope="col">Name</th><th scope="col">Protocol</th><th scope="col">Identity provider</th><th scope="col">Principals (granted to)</th></tr></thead>
          <tbody>{external.map((x) => <tr key={x.name}><td>{x.name}</td><td>{x.protocol}</td><td>{x.config.identityProvider ?? '—'}</td><td>{x.principals.map((p) => `${p.name} (${p.grantedTo.join(', ') || 'nobody'})`).join('; ')}</td></tr>)}</tbody>
        </table>
        {mayWrite ? (
          <form onSubmit={(e) => void addExternal(e)} aria-label="New external credential">
            <label>Name<input name="name" required /></label>
            <label>Authentication protocol<select name="protocol" defaultValue="oauth2_client_credentials"><option value="oauth2_client_credentials">OAuth 2.0 client credentials (through an identity provider)</option><option value="basic">Basic</option><option value="custom_headers">Custom headers</option></select></label>
            <label>Identity provider (OAuth 2.0)<select name="identityProvider">{providers.map((p) => <option key={p.name}>{p.name}</option>)}</select></label>
            <label>Username (basic)<input name="username" autoComplete="off" /></label>
            <label>Password (basic)<input name="password" type="password" autoComplete="new-password" /></label>
            <label>Headers (custom headers: one "Name: value" a line)<textarea name="headers" /></label>
            <label>Principal<input name="principal" required defaultValue="default" /></label>
            <label>Granted to (API key names, or user:USERNAME; commas)<input name="grantedTo" /></label>
            <div className="actions"><button type="submit">Create external credential</button></div>
          </form>
        ) : null}
      </section>
      <section aria-labelledby="idp-title">
        <h2 id="idp-title">External auth identity providers</h2>
        <table>
          <thead><tr><th scope="col">Name</th><th scope="col">Token URL</th><th scope="col">Client id</th><th scope="col">Custom request parameters</th></tr></thead>
          <tbody>{providers.map((p) => <tr key={p.name}><td>{p.name}</td><td>{p.tokenUrl}</td><td>{p.clientId}</td><td>{p.params.map((x) => `${x.name}=${x.value} (${x.in})`).join(', ')}</td></tr>)}</tbody>
        </table>
        {mayWrite ? (
          <form onSubmit={(e) => void addProvider(e)} aria-label="New identity provider">
            <label>Name<input name="name" required /></label>
            <label>Token URL<input name="tokenUrl" type="url" required /></label>
            <label>Client id<input name="clientId" required autoComplete="off" /></label>
            <label>Client secret<input name="clientSecret" type="password" required autoComplete="new-password" /></label>
            <label>Custom request parameters (one "name=value in body|header" a line, e.g. audience=https://api.example.com in body)<textarea name="params" /></label>
            <div className="actions"><button type="submit">Create identity provider</button></div>
          </form>
        ) : null}
      </section>
    </>
  );
}
