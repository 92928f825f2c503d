import { useEffect, useState } from 'react';
import { api } from '../api/client';
import type { components } from '../api/schema';
import { when } from '../components/ui';

type Entry = components['schemas']['AuditEntry'];

/** Who did what, newest first, filtered as you type. */
export function Audit() {
  const [entries, setEntries] = useState<Entry[]>([]);
  const [filter, setFilter] = useState('');
  useEffect(() => { void api.GET('/api/v1/audit', { params: { query: { limit: 500 } } }).then(({ data }) => setEntries(data?.entries ?? [])); }, []);
  const shown = entries.filter((e) => !filter || `${e.actor} ${e.action} ${e.detail ?? ''} ${e.outcome}`.toLowerCase().includes(filter.toLowerCase()));
  return (
    <>
      <h1>Audit log</h1>
      <label>Filter<input type="search" value={filter} onChange={(e) => setFilter(e.target.value)} /></label>
      <table>
        <thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">Action</th><th scope="col">Outcome</th><th scope="col">Detail</th></tr></thead>
        <tbody>{shown.map((e) => <tr key={e.id}><td>{when(e.at)}</td><td>{e.actor}</td><td>{e.action}</td><td>{e.outcome}</td><td>{e.detail ?? ''}</td></tr>)}</tbody>
      </table>
    </>
  );
}
