import { useCallback, useEffect, useState } from 'react';
import { api, problemText } from '../api/client';
import type { components } from '../api/schema';
import { Notice, StatusBadge, when } from '../components/ui';
import { href } from '../router';
import { useSession } from '../session';
import { FlowVersions } from './flow-versions';

type Flow = components['schemas']['Flow'];
type Run = components['schemas']['Run'];
type DeadLetter = components['schemas']['DeadLetter'];
const STATUSES = ['', 'success', 'skipped', 'failed', 'dead'] as const;

/** One flow: pause, resume, run now; its runs a page at a time, filtered; dead letters with replay. */
export function FlowPage({ name }: { name: string }) {
  const { can } = useSession();
  const [flow, setFlow] = useState<Flow>();
  const [runs, setRuns] = useState<Run[]>([]);
  const [cursors, setCursors] = useState<string[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [status, setStatus] = useState<(typeof STATUSES)[number]>('');
  const [dead, setDead] = useState<DeadLetter[]>([]);
  const [message, setMessage] = useState<{ kind: 'error' | 'success'; text: string }>();
  const id = { params: { path: { id: name } } };

  const loadRuns = useCallback(async (cursor?: string) => {
    const { data, error } = await api.GET('/api/v1/flows/{id}/runs', { params: { path: { id: name }, query: { limit: 50, ...(status ? { status } : {}), ...(cursor ? { cursor } : {}) } } });
    if (!data) return setMessage({ kind: 'error', text: problemText(error) });
    setRuns(data.runs);
    setNext(data.next);
  }, [name, status]);
  const load = useCallback(async () => {
    const { data, error } = await api.GET('/api/v1/flows/{id}', { params: { path: { id: name } } });
    if (!data) return setMessage({ kind: 'error', text: problemText(error) });
    setFlow(data.flow);
    setDead((await api.GET('/api/v1/flows/{id}/dead-letters', { params: { path: { id: name } } })).data?.deadLetters ?? []);
  }, [name]);
  useEffect(() => { void load(); }, [load]);
  useEffect(() => { setCursors([]); void loadRuns(); }, [loadRuns]);
  // New runs arrive live (server-sent events) while the newest page is shown.
  const live = cursors.length === 0;
  useEffect(() => {
    if (!live) return;
    const source = new EventSource(`/api/v1/flows/${encodeURIComponent(name)}/runs/stream`);
    source.addEventListener('run', (event) => {
      const run = JSON.parse((event as MessageEvent<string>).data) as Run;
      if (status && run.status !== status) return;
      setRuns((shown) => (shown.some((r) => r.id === run.id) ? shown : [run, ...shown].slice(0, 50)));
    });
    return () => source.close();
  }, [name, status, live]);

  const act = async (what: 'pause' | 'resume' | 'run' | 'replay') => {
    const result = what === 'pause' ? await api.POST('/api/v1/flows/{id}/pause', id)
      : what === 'resume' ? await api.POST('/api/v1/flows/{id}/resume', id)
        : what === 'run' ? await api.POST('/api/v1/flows/{id}/run', id)
          : await api.POST('/api/v1/flows/{id}/dead-letters/replay', { ...id, body: {} });
    if (result.error) return setMessage({ kind: 'error', text: problemText(result.error) });
    setMessage({ kind: 'success', text: { pause: 'Paused.', resume: 'Resumed.', run: 'Queued a run.', replay: 'Dead letters sent back to run.' }[what] });
    await load();
  };

  if (!flow) return message ? <Notice kind="error">{message.text}</Notice> : <p>Loading…</p>;
  const mayWrite = can('flows:write');
  return (
    <>
      <p><a href={href('flows')}>Flows</a> › {flow.name}</p>
      <div className="title-row">
        <h1>{flow.name} <StatusBadge status={flow.status} /> {flow.version ? <small>version {flow.version}</small> : null}</h1>
        {mayWrite ? (
          <div className="actions">
            <a className="button" href={href('flows', flow.name, 'edit')}>Edit</a>
            {flow.status === 'active' ? <button type="button" onClick={() => void act('pause')}>Pause</button> : <button type="button" onClick={() => void act('resume')}>Resume</button>}
            {(flow.definition.trigger as { type?: string }).type === 'schedule' ? <button type="button" onClick={() => void act('run')}>Run now</button> : null}
          </div>
        ) : null}
      </div>
      {message ? <Notice kind={message.kind}>{message.text}</Notice> : null}
      {flow.pollError ? <Notice kind="error">Last poll failed: {flow.pollError}</Notice> : null}
      <section aria-labelledby="runs-title">
        <h2 id="runs-title">Runs</h2>
        <p className="hint">{live ? 'New runs appear here as they are recorded.' : 'Older runs: go back to the newest page to see new runs arrive.'}</p>
        <label>Status
          <select value={status} onChange={(e) => setStatus(e.target.value as (typeof STATUSES)[number])}>
            {STATUSES.map((s) => <option key={s} value={s}>{s || 'any'}</option>)}
          </select>
        </label>
        <table>
          <thead><tr><th scope="col">Started</th><th scope="col">Status</th><th scope="col">Record</th><th scope="col">Attempt</th><th scope="col">Duration</th><th scope="col">Error</th></tr></thead>
          <tbody>
            {runs.map((r) => (
              <tr key={r.id}>
                <td><a href={href('flows', flow.name, 'runs', r.id)}>{when(r.startedAt)}</a></td>
                <td><StatusBadge status={r.status} /></td>
                <td>{r.record ?? '—'}</td>
                <td>{r.attempt}</td>
                <td>{r.durationMs} ms</td>
                <td className="error-cell">{r.error ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <div className="actions">
          <button type="button" disabled={!cursors.length} onClick={() => { const prev = cursors.slice(0, -1); setCursors(prev); void loadRuns(prev[prev.length - 1]); }}>Newer</button>
          <button type="button" disabled={!next} onClick={() => { setCursors([...cursors, next!]); void loadRuns(next!); }}>Older</button>
        </div>
      </section>
      <FlowVersions name={flow.name} onRestored={() => void load()} />
      <section aria-labelledby="dead-title">
        <h2 id="dead-title">Dead letters ({dead.length})</h2>
        {dead.length ? (
          <>
            <ul>{dead.map((d) => <li key={d.id}><code>{d.key}</code>: {d.error}</li>)}</ul>
            {mayWrite ? <button type="button" onClick={() => void act('replay')}>Replay all</button> : null}
          </>
        ) : <p>None.</p>}
      </section>
    </>
  );
}
