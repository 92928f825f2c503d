import { z } from 'zod';
import type { HubContext } from '../context.js';
import { invalid, notFound, zodIssues } from '../problem.js';
import type { FlowRunTable } from '../store/schema.js';
import { getFlow } from './flows.js';

/** What a run ended as: success, skipped (conditions false), failed (will retry) or dead (gave up). */
export const RUN_STATUSES = ['success', 'skipped', 'failed', 'dead'] as const;

const isoTime = z.string().refine((t) => !Number.isNaN(Date.parse(t)), 'must be an ISO 8601 time, e.g. 2026-12-01T00:00:00Z').transform((t) => Date.parse(t));

/** The query of `GET /flows/{id}/runs`: newest first, a page at a time. */
export const runQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  status: z.enum(RUN_STATUSES).optional(),
  since: isoTime.optional(),
  until: isoTime.optional(),
  /** The record the run was about (a Salesforce Id, a webhook's idPath value) or its exact dedupe key. */
  record: z.string().min(1).max(255).optional(),
  /** The `next` of the previous page. */
  cursor: z.string().max(200).optional(),
}).strict();
export type RunQuery = z.input<typeof runQuery>;

interface Cursor { t: number; id: string }
const encodeCursor = (c: Cursor) => Buffer.from(JSON.stringify(c)).toString('base64url');
function decodeCursor(text: string): Cursor {
  try {
    const c = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Cursor;
    if (typeof c.t === 'number' && typeof c.id === 'string') return c;
  } catch { /* answered below */ }
  throw invalid([{ path: 'cursor', message: 'is not a cursor this API gave (use the `next` of the previous page)' }]);
}

/** Runs with the record and dedupe key of their event: what every view of runs reads. */
export const selectRuns = (ctx: HubContext, flowId: string) => ctx.db.selectFrom('flow_runs').leftJoin('flow_events', 'flow_events.id', 'flow_runs.event_id')
  .selectAll('flow_runs').select(['flow_events.record_key', 'flow_events.dedupe_key', 'flow_events.caller']).where('flow_runs.flow_id', '=', flowId);

export const runView = (r: FlowRunTable & { record_key: string | null; dedupe_key: string | null; caller?: string | null }) => ({
  id: r.id, eventId: r.event_id, record: r.record_key ?? null, dedupeKey: r.dedupe_key ?? null, caller: r.caller ?? null, status: r.status, attempt: r.attempt, error: r.error,
  startedAt: new Date(r.started_at).toISOString(), durationMs: r.duration_ms, steps: JSON.parse(r.steps) as unknown[],
});
export type RunView = ReturnType<typeof runView>;

/**
 * A flow's runs, newest first, filtered, a page at a time: keyset pagination on (started_at, id),
 * so a page costs the same however deep it is and runs written meanwhile never shift it. `next` is
 * null on the last page.
 */
export async function listRuns(ctx: HubContext, idOrName: string, query: RunQuery = {}): Promise<{ runs: RunView[]; next: string | null }> {
  const parsed = runQuery.safeParse(query);
  if (!parsed.success) throw invalid(zodIssues(parsed.error));
  const q = parsed.data;
  const flow = await getFlow(ctx, idOrName);
  let select = selectRuns(ctx, flow.id);
  if (q.status) select = select.where('flow_runs.status', '=', q.status);
  if (q.since !== undefined) select = select.where('flow_runs.started_at', '>=', q.since);
  if (q.until !== undefined) select = select.where('flow_runs.started_at', '<', q.until);
  if (q.record) select = select.where((eb) => eb.or([eb('flow_events.record_key', '=', q.record!), eb('flow_events.dedupe_key', '=', q.record!)]));
  if (q.cursor) {
    const c = decodeCursor(q.cursor);
    select = select.where((eb) => eb.or([eb('flow_runs.started_at', '<', c.t), eb.and([eb('flow_runs.started_at', '=', c.t), eb('flow_runs.id', '<', c.id)])]));
  }
  const rows = await select.orderBy('flow_runs.started_at', 'desc').orderBy('flow_runs.id', 'desc').limit(q.limit + 1).execute();
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  return { runs: page.map(runView), next: rows.length > q.limit && last ? encodeCursor({ t: last.started_at, id: last.id }) : null };
}

/** One run with its steps. */
export async function getRun(ctx: HubContext, idOrName: string, runId: string): Promise<RunView> {
  const flow = await getFlow(ctx, idOrName);
  const row = await selectRuns(ctx, flow.id).where('flow_runs.id', '=', runId).executeTakeFirst();
  if (!row) throw notFound(`run "${runId}" of flow "${flow.name}"`);
  return runView(row);
}

/**
 * A flow's counts, never capped: runs by status, events by status, the backlog (pending events),
 * the lag (age of the oldest pending event) and the last run. Runs and finished events are kept
 * for the retention period (`--run-retention-days`); dead letters until replayed.
 */
export async function flowStats(ctx: HubContext, idOrName: string) {
  const flow = await getFlow(ctx, idOrName);
  const runs = await ctx.db.selectFrom('flow_runs').select(['status', (eb) => eb.fn.countAll<number>().as('n')]).where('flow_id', '=', flow.id).groupBy('status').execute();
  const events = await ctx.db.selectFrom('flow_events').select(['status', (eb) => eb.fn.countAll<number>().as('n'), (eb) => eb.fn.min<number>('created_at').as('oldest')]).where('flow_id', '=', flow.id).groupBy('status').execute();
  const last = await ctx.db.selectFrom('flow_runs').select(['id', 'status', 'started_at']).where('flow_id', '=', flow.id).orderBy('started_at', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst();
  const lastFailure = await ctx.db.selectFrom('flow_runs').select('error').where('flow_id', '=', flow.id).where('error', 'is not', null).orderBy('started_at', 'desc').limit(1).executeTakeFirst();
  const count = (rows: { status: string; n: number | string }[], status: string) => Number(rows.find((r) => r.status === status)?.n ?? 0);
  const oldestPending = events.find((e) => e.status === 'pending')?.oldest;
  return {
    flow: flow.name,
    status: flow.status,
    runs: Object.fromEntries(RUN_STATUSES.map((s) => [s, count(runs, s)])) as Record<(typeof RUN_STATUSES)[number], number>,
    events: { pending: count(events, 'pending'), done: count(events, 'done'), dead: count(events, 'dead') },
    backlog: count(events, 'pending'),
    lagMs: oldestPending === undefined || oldestPending === null ? 0 : Math.max(0, ctx.now() - Number(oldestPending)),
    lastRun: last ? { id: last.id, status: last.status, startedAt: new Date(last.started_at).toISOString() } : null,
    /** The newest run error (a retry's or a dead letter's), if any. */
    lastError: lastFailure?.error ?? null,
  };
}
