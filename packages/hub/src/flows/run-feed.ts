import type { HubContext } from '../context.js';
import { runView, selectRuns, type RunView } from './runs.js';

/**
 * Follows a flow's runs as they are recorded, for live views (the console's runs list over SSE).
 * Runs are written in waves, a moment after they started, so each look reads a window a little
 * behind the newest run seen and skips the ones already sent.
 */
const LOOK_EVERY_MS = 1000;
const LATE_WINDOW_MS = 30_000;

export function followRuns(ctx: HubContext, flowId: string, send: (run: RunView) => void): { stop(): void } {
  let since = ctx.now();
  const sent = new Map<string, number>();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const look = async () => {
    const rows = await selectRuns(ctx, flowId).where('flow_runs.started_at', '>=', since - LATE_WINDOW_MS)
      .orderBy('flow_runs.started_at').orderBy('flow_runs.id').limit(500).execute();
    for (const row of rows) {
      if (stopped || sent.has(row.id) || row.started_at < since - LATE_WINDOW_MS) continue;
      sent.set(row.id, row.started_at);
      send(runView(row));
    }
    const newest = rows.reduce((t, r) => Math.max(t, r.started_at), since);
    since = newest;
    for (const [id, at] of sent) if (at < since - LATE_WINDOW_MS) sent.delete(id);
  };
  const loop = () => {
    if (stopped) return;
    timer = setTimeout(() => void look().catch(() => undefined).finally(loop), LOOK_EVERY_MS);
  };
  loop();
  return { stop: () => { stopped = true; clearTimeout(timer); } };
}
