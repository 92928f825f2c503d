import { useEffect, useState, type FormEvent } from 'react';
import { api } from '../api/client';
import { Notice } from '../components/ui';
import { useSession } from '../session';

type Provider = { name: string; startUrl: string };

/** Sign in with a username and password, or through an OAuth 2.0 provider ("Log in with Salesforce"). */
export function SignIn() {
  const { signIn } = useSession();
  // A provider sign-in that failed comes back here with the reason.
  const [error, setError] = useState<string | undefined>(() => new URLSearchParams(window.location.search).get('sign_in_error') ?? undefined);
  const [busy, setBusy] = useState(false);
  const [providers, setProviders] = useState<Provider[]>([]);
  useEffect(() => { void api.GET('/api/v1/session/providers').then(({ data }) => setProviders(data?.providers ?? [])); }, []);
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(await signIn(String(form.get('username')), String(form.get('password'))));
    setBusy(false);
  };
  return (
    <main id="main" className="sign-in">
      <h1>Sign in to Handshake</h1>
      <form onSubmit={(e) => void submit(e)}>
        <label>Username<input name="username" autoComplete="username" required autoFocus /></label>
        <label>Password<input name="password" type="password" autoComplete="current-password" required /></label>
        {error ? <Notice kind="error">{error}</Notice> : null}
        <button type="submit" disabled={busy}>Sign in</button>
      </form>
      {providers.map((p) => <p key={p.name} className="provider"><a className="button" href={p.startUrl}>Log in with {p.name}</a></p>)}
    </main>
  );
}
