import { useState, type FormEvent } from 'react';
import { api, problemText } from '../api/client';
import { Notice } from '../components/ui';

/** The one-time setup page: a new hub with no user yet asks for its first admin. */
export function Setup({ onDone }: { onDone(): void }) {
  const [error, setError] = useState<string>();
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    if (form.get('password') !== form.get('repeat')) return setError('The two passwords differ.');
    const displayName = String(form.get('displayName') ?? '').trim();
    const { data, error: problem } = await api.POST('/api/v1/setup', { body: { username: String(form.get('username')), password: String(form.get('password')), ...(displayName ? { displayName } : {}) } });
    if (!data) return setError(problemText(problem));
    onDone();
  };
  return (
    <main id="main" className="sign-in">
      <h1>Set up Handshake</h1>
      <p>This hub has no users yet. Create its first admin; more people are added later.</p>
      <form onSubmit={(e) => void submit(e)}>
        <label>Username<input name="username" autoComplete="username" required autoFocus /></label>
        <label>Your name<input name="displayName" autoComplete="name" /></label>
        <label>Password (at least 12 characters)<input name="password" type="password" autoComplete="new-password" minLength={12} required /></label>
        <label>Password again<input name="repeat" type="password" autoComplete="new-password" minLength={12} required /></label>
        {error ? <Notice kind="error">{error}</Notice> : null}
        <button type="submit">Create admin</button>
      </form>
    </main>
  );
}
