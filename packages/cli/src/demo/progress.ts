/** One flow's progress, as the stats API counts it (so the numbers survive a restart). */
export interface FlowProgress { name: string; status: string; ok: number; failed: number; dead: number; backlog: number; lagMs: number; lastError: string | null }

const cut = (text: string, width: number) => (text.length > width ? `${text.slice(0, Math.max(0, width - 1))}…` : text);

/** The demo's progress as a small table, one row per flow, for a terminal (redrawn in place, each line within `width`). */
export function progressTable(rows: FlowProgress[], made: string, width: number): string[] {
  const name = Math.max(4, ...rows.map((r) => r.name.length + (r.status === 'paused' ? 9 : 0)));
  const head = `${'flow'.padEnd(name)}  ${'ok'.padStart(6)} ${'failed'.padStart(6)} ${'dead'.padStart(5)} ${'backlog'.padStart(7)} ${'lag'.padStart(6)}  last error`;
  const lines = [made, head, ...rows.map((r) => `${`${r.name}${r.status === 'paused' ? ' (paused)' : ''}`.padEnd(name)}  ${String(r.ok).padStart(6)} ${String(r.failed).padStart(6)} ${String(r.dead).padStart(5)} ${String(r.backlog).padStart(7)} ${`${(r.lagMs / 1000).toFixed(1)}s`.padStart(6)}  ${r.lastError ?? '-'}`)];
  return lines.map((line) => cut(line, width));
}

/** The same as one plain line, for a log file or a pipe. */
export function progressLine(rows: FlowProgress[], made: string): string {
  return `${made} | ${rows.map((r) => `${r.name}${r.status === 'paused' ? ' (paused)' : ''}: ${r.ok} ok, ${r.failed} retried, ${r.dead} dead, backlog ${r.backlog}, lag ${(r.lagMs / 1000).toFixed(1)}s`).join(' | ')}`;
}
