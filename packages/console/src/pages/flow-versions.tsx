import { diffLines } from 'diff';
import { useCallback, useEffect, useState } from 'react';
import { api, problemText } from '../api/client';
import type { components } from '../api/schema';
import { Notice, when } from '../components/ui';
import { useSession } from '../session';

type Version = components['schemas']['FlowVersion'];

/** A flow's saved versions: each compared with the one before it, and rolled back to in one click. */
export function FlowVersions({ name, onRestored }: { name: string; onRestored(): void }) {
  const { can } = useSession();
  const [versions, setVersions] = useState<Version[]>([]);
  const [open, setOpen] = useState<number>();
  const [message, setMessage] = useState<{ kind: 'error' | 'success'; text: string }>();
  const load = useCallback(async () => {
    setVersions((await api.GET('/api/v1/flows/{id}/versions', { params: { path: { id: name } } })).data?.versions ?? []);
  }, [name]);
  useEffect(() => { void load(); }, [load]);
  const restore = async (version: number) => {
    const { error } = await api.POST('/api/v1/flows/{id}/versions/{version}/restore', { params: { path: { id: name, version } } });
    if (error) return setMessage({ kind: 'error', text: problemText(error) });
    setMessage({ kind: 'success', text: `Rolled back to version ${version} (saved as a new version).` });
    await load();
    onRestored();
  };
  return (
    <section aria-labelledby="versions-title">
      <h2 id="versions-title">Versions</h2>
      {message ? <Notice kind={message.kind}>{message.text}</Notice> : null}
      <table>
        <thead><tr><th scope="col">Version</th><th scope="col">Saved</th><th scope="col">By</th><th scope="col">Actions</th></tr></thead>
        <tbody>
          {versions.map((v, i) => (
            <tr key={v.version}>
              <td>{v.version}{i === 0 ? ' (current)' : ''}</td>
              <td>{when(v.savedAt)}</td>
              <td>{v.savedBy}</td>
              <td>
                {versions[i + 1] ? <button type="button" className="link" onClick={() => setOpen(open === v.version ? undefined : v.version)} aria-expanded={open === v.version}>Changes from {versions[i + 1]!.version}</button> : null}
                {i > 0 && can('flows:write') ? <> <button type="button" onClick={() => void restore(v.version)}>Roll back to {v.version}</button></> : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {open !== undefined ? <Diff before={versions.find((v) => v.version < open)?.text ?? ''} after={versions.find((v) => v.version === open)?.text ?? ''} label={`Changes in version ${open}`} /> : null}
    </section>
  );
}

function Diff({ before, after, label }: { before: string; after: string; label: string }) {
  return (
    <pre className="diff" aria-label={label} tabIndex={0}>
      {diffLines(before, after).map((part, i) => (
        <span key={i} className={part.added ? 'added' : part.removed ? 'removed' : undefined}>
          {part.value.split('\n').filter((line, j, all) => j < all.length - 1 || line).map((line) => `${part.added ? '+ ' : part.removed ? '- ' : '  '}${line}\n`).join('')}
        </span>
      ))}
    </pre>
  );
}
