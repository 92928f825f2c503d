import { useState, type FormEvent } from 'react';
import { Notice } from '../components/ui';
import { useSession } from '../session';

export function SignIn() {
  const { signIn } = useSession();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
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
    </main>
  );
}
