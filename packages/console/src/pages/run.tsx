import { useEffect, useState } from 'react';
import { api, problemText } from '../api/client';
import type { components } from '../api/schema';
import { Notice, StatusBadge, when } from '../components/ui';
import { href } from '../router';

type Run = components['schemas']['Run'];

/** One run: each step's input, output, duration and error, as the hub recorded them (redacted). */
export function RunPage({ flow, runId }: { flow: string; runId: string }) {
  const [run, setRun] = useState<Run>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    void api.GET('/api/v1/flows/{id}/runs/{runId}', { params: { path: { id: flow, runId } } }).then(({ data, error: problem }) => (data ? setRun(data.run) : setError(problemText(problem))));
  }, [flow, runId]);
  if (!run) return error ? <Notice kind="error">{error}</Notice> : <p>Loading…</p>;
  return (
    <>
      <p><a href={href('flows')}>Flows</a> › <a href={href('flows', flow)}>{flow}</a> › run</p>
      <h1>Run <StatusBadge status={run.status} /></h1>
      <dl className="details">
        <dt>Started</dt><dd>{when(run.startedAt)}</dd>
        <dt>Record</dt><dd>{run.record ?? '—'}</dd>
        <dt>Attempt</dt><dd>{run.attempt}</dd>
        <dt>Duration</dt><dd>{run.durationMs} ms</dd>
        <dt>Error</dt><dd>{run.error ?? '—'}</dd>
      </dl>
      <h2>Steps</h2>
      <ol className="steps">
        {/* Focusable: a long step scrolls sideways, and must scroll from the keyboard too. */}
        {run.steps.map((step, i) => <li key={i}><pre tabIndex={0} aria-label={`Step ${i + 1}`}>{JSON.stringify(step, null, 2)}</pre></li>)}
      </ol>
    </>
  );
}
