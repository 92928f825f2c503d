import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api, problemText } from '../api/client';
import type { components } from '../api/schema';
import { Notice, StatusBadge, when } from '../components/ui';
import { useSession } from '../session';

type Connection = components['schemas']['Connection'];
interface Rotation { id: string; status: string; step: string; error: string | null; startedAt: string | null; updatedAt: string | null }
interface RotationStatus { policy: { adminConnectionId: string; intervalHours: number; timeOfDay: string; gracePeriodSeconds: number; webhookUrl: string | null }; status: string; statusReason: string | null; lastRotatedAt: string | null; nextRotationAt: string | null; rotations: Rotation[] }

/** A Salesforce client credentials connection's secret rotation: the policy, Rotate now, and the recent runs with the step each reached. */
export function RotationPanel({ connection }: { connection: Connection }) {
  const { can } = useSession();
  const [status, setStatus] = useState<RotationStatus | null>();
  const [admins, setAdmins] = useState<Connection[]>([]);
  const [message, setMessage] = useState<{ kind: 'error' | 'success'; text: string }>();
  const path = { params: { path: { id: connection.id } } };
  const load = useCallback(async () => {
    const { data, response } = await api.GET('/api/v1/connections/{id}/rotation', path);
    setStatus(response.status === 404 ? null : (data as unknown as RotationStatus));
    setAdmins(((await api.GET('/api/v1/connections')).data?.connections ?? []).filter((c) => c.app === 'salesforce' && c.id !== connection.id));
  }, [connection.id]);
  useEffect(() => { void load(); }, [load]);

  const save = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const webhookUrl = String(form.get('webhookUrl') ?? '').trim();
    const { error } = await api.PUT('/api/v1/connections/{id}/rotation-policy', { ...path, body: { adminConnectionId: String(form.get('admin')), intervalHours: Number(form.get('intervalHours')), timeOfDay: String(form.get('timeOfDay')), gracePeriodSeconds: Number(form.get('grace')), webhookUrl: webhookUrl || null } });
    if (error) return setMessage({ kind: 'error', text: problemText(error) });
    setMessage({ kind: 'success', text: 'Rotation policy saved.' });
    await load();
  };
  const rotate = async () => {
    setMessage({ kind: 'success', text: 'Rotating: stage → prove → store → rotate → grace period → delete the old pair…' });
    const { error } = await api.POST('/api/v1/connections/{id}/rotate', { params: { path: { id: connection.id }, query: { wait: 'true' } } });
    setMessage(error ? { kind: 'error', text: problemText(error) } : { kind: 'success', text: 'Rotated: the connection uses the new consumer secret.' });
    await load();
  };

  if (status === undefined) return <p>Loading…</p>;
  const mayWrite = can('connections:write');
  return (
    <>
      {message ? <Notice kind={message.kind}>{message.text}</Notice> : null}
      {status ? (
        <>
          <dl className="details">
            <dt>Status</dt><dd><StatusBadge status={status.status} />{status.statusReason ? ` ${status.statusReason}` : ''}</dd>
            <dt>Schedule</dt><dd>every {status.policy.intervalHours} h at {status.policy.timeOfDay} UTC, grace period {status.policy.gracePeriodSeconds} s</dd>
            <dt>Last rotation</dt><dd>{when(status.lastRotatedAt)}</dd>
            <dt>Next rotation</dt><dd>{when(status.nextRotationAt)}</dd>
          </dl>
          {mayWrite ? <div className="actions"><button type="button" onClick={() => void rotate()}>Rotate now</button></div> : null}
          <h3>Recent rotations</h3>
          {status.rotations.length ? (
            <table>
              <thead><tr><th scope="col">Started</th><th scope="col">Status</th><th scope="col">Step reached</th><th scope="col">Error</th></tr></thead>
              <tbody>{status.rotations.map((r) => <tr key={r.id}><td>{when(r.startedAt)}</td><td><StatusBadge status={r.status} /></td><td>{r.step}</td><td className="error-cell">{r.error ?? ''}</td></tr>)}</tbody>
            </table>
          ) : <p>None yet.</p>}
        </>
      ) : <p>No rotation policy: the consumer secret is not rotated.</p>}
      {mayWrite ? (
        <form onSubmit={(e) => void save(e)} aria-label="Rotation policy">
          <h3>Rotation policy</h3>
          <label>Administrative connection (another app, run as a user who may manage this one)
            <select name="admin" required defaultValue={status?.policy.adminConnectionId ?? ''}>
              <option value="" disabled>Choose…</option>
              {admins.map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}
            </select>
          </label>
          <label>Every (hours)<input name="intervalHours" type="number" min={1} required defaultValue={status?.policy.intervalHours ?? 720} /></label>
          <label>At (UTC, HH:MM)<input name="timeOfDay" pattern="([01][0-9]|2[0-3]):[0-5][0-9]" required defaultValue={status?.policy.timeOfDay ?? '03:00'} /></label>
          <label>Grace period (seconds)<input name="grace" type="number" min={0} required defaultValue={status?.policy.gracePeriodSeconds ?? 300} /></label>
          <label>Webhook URL (rotation.succeeded / rotation.failed)<input name="webhookUrl" type="url" defaultValue={status?.policy.webhookUrl ?? ''} /></label>
          <div className="actions"><button type="submit">Save policy</button></div>
        </form>
      ) : null}
    </>
  );
}
