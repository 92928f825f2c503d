import { useEffect, useState } from 'react';
import { api } from '../api/client';
import type { components } from '../api/schema';
import { StatusBadge, when } from '../components/ui';
import { go, href } from '../router';
import { useSession } from '../session';

type Flow = components['schemas']['Flow'];
type Stats = components['schemas']['FlowStats'];

/** Every flow with its counts (never capped): runs by outcome, backlog, lag, last run and error. */
export function Flows() {
  const { can } = useSession();
  const [rows, setRows] = useState<{ flow: Flow; stats?: Stats | undefined }[]>();
  useEffect(() => {
    void (async () => {
      const flows = (await api.GET('/api/v1/flows')).data?.flows ?? [];
      setRows(await Promise.all(flows.map(async (flow) => ({ flow, stats: (await api.GET('/api/v1/flows/{id}/stats', { params: { path: { id: flow.id } } })).data }))));
    })();
  }, []);
  return (
    <>
      <div className="title-row"><h1>Flows</h1>{can('flows:write') ? <button type="button" onClick={() => go('flows', 'new')}>New flow</button> : null}</div>
      {rows === undefined ? <p>Loading…</p> : rows.length === 0 ? <p>No flows yet: save one with <code>handshake flows save FILE</code>.</p> : (
        <table>
          <thead><tr><th scope="col">Name</th><th scope="col">Status</th><th scope="col">Trigger</th><th scope="col">Succeeded</th><th scope="col">Failed</th><th scope="col">Dead letters</th><th scope="col">Backlog</th><th scope="col">Lag</th><th scope="col">Last run</th><th scope="col">Last error</th></tr></thead>
          <tbody>
            {rows.map(({ flow, stats }) => (
              <tr key={flow.id}>
                <td><a href={href('flows', flow.name)}>{flow.name}</a></td>
                <td><StatusBadge status={flow.status} /></td>
                <td>{String((flow.definition.trigger as { type?: string } | undefined)?.type ?? '')}</td>
                <td>{stats?.runs.success ?? '—'}</td>
                <td>{stats?.runs.failed ?? '—'}</td>
                <td>{stats?.events.dead ?? '—'}</td>
                <td>{stats?.backlog ?? '—'}</td>
                <td>{stats ? `${(stats.lagMs / 1000).toFixed(1)} s` : '—'}</td>
                <td>{stats?.lastRun ? `${stats.lastRun.status}, ${when(stats.lastRun.startedAt)}` : 'none'}</td>
                <td className="error-cell">{stats?.lastError ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
