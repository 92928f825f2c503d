import { randomUUID } from 'node:crypto';
import { recordVersion } from './versions.js';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { audit } from '../audit/audit-log.js';
import { registerUsage } from '../connections/usages.js';
import type { Actor, HubContext } from '../context.js';
import { notFound, Problem, problemErrorText } from '../problem.js';
import type { FlowTable } from '../store/schema.js';
import { FlowDefinitionError, loadFlow, type FlowDefinition } from './definition.js';
import { connectionByName } from './calls/clients.js';
import { crossCheckFlow } from './validate.js';
import { actionKind } from './actions/registry.js';
import { backlogOf } from './engine/event-store.js';
import { pendingEvent, queueEvents } from './engine/event-queue.js';

export interface FlowView { id: string; name: string; status: string; definition: FlowDefinition; updatedAt: number; version: number | null; savedBy: string | null }

/** A flow that saves but may not do what its author expects: each with where it is. */
export interface FlowWarning { path: string; message: string }

const EXPRESSION_RISKS: [RegExp, string][] = [
  [/\bfunction\s*\(/, 'defines a function: a recursive one stops at the expression budget (50 ms, depth 500) and fails its event'],
  [/\[\s*-?\d+\s*\.\.\s*\d{6,}\s*\]/, 'builds a large range: sequences over 100,000 items fail their event'],
];

/** What validation can tell without running the flow: writes that are not idempotent, expressions that may exceed their budget. */
export function flowWarnings(definition: FlowDefinition): FlowWarning[] {
  const warnings: FlowWarning[] = [];
  const expressions = (value: unknown, path: string): void => {
    if (typeof value === 'string') {
      for (const [pattern, message] of EXPRESSION_RISKS) if (pattern.test(value)) warnings.push({ path, message: `the expression ${message}` });
    } else if (value && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) expressions(inner, `${path}.${key}`);
    }
  };
  definition.conditions.forEach((c, i) => expressions(c, `conditions[${i}]`));
  definition.actions.forEach((action, i) => {
    const risk = actionKind(action).notIdempotent(action);
    if (risk) warnings.push({ path: `actions[${i}]`, message: risk });
    expressions(action, `actions[${i}]`);
  });
  return warnings;
}

const flowView = (row: FlowTable & { version: number | string | null }): FlowView => ({ id: row.id, name: row.name, status: row.status, definition: JSON.parse(row.definition) as FlowDefinition, updatedAt: row.updated_at, version: row.version === null ? null : Number(row.version), savedBy: row.saved_by });
/** Flows with their latest version number. */
const selectFlows = (ctx: HubContext) => ctx.db.selectFrom('flows').selectAll('flows')
  .select((eb) => eb.selectFrom('flow_versions').select((v) => v.fn.max('flow_versions.version').as('v')).whereRef('flow_versions.flow_id', '=', 'flows.id').as('version'));

/** Refused flows answer 400 with each problem's line and path. */
function refuse(error: FlowDefinitionError): Problem {
  return new Problem(400, 'Invalid flow', error.message, error.problems.map((p) => ({ path: p.path, line: p.line, column: p.column, message: p.message })));
}

/** Checks a flow document (schema, then against the connections and services it names) without saving it. */
export async function validateFlow(ctx: HubContext, text: string, actor?: Actor): Promise<FlowDefinition> {
  let loaded;
  try {
    loaded = loadFlow(text);
  } catch (error) {
    if (error instanceof FlowDefinitionError) throw refuse(error);
    throw error;
  }
  const problems = await crossCheckFlow(ctx, loaded, actor?.apiKeyName);
  if (problems.length) throw refuse(new FlowDefinitionError(problems));
  return loaded.definition;
}

/** Saves (creates or replaces) a flow after validating it; the connections it uses record it as a usage. */
export async function saveFlow(ctx: HubContext, actor: Actor, text: string): Promise<FlowView & { warnings: FlowWarning[] }> {
  const definition = await validateFlow(ctx, text, actor);
  const now = ctx.now();
  const existing = await ctx.db.selectFrom('flows').selectAll().where('name', '=', definition.name).executeTakeFirst();
  const id = existing?.id ?? randomUUID();
  // The flow runs as whoever saved it last: its named credentials were checked against that key just now.
  const savedBy = actor.apiKeyName ?? null;
  if (existing) await ctx.db.updateTable('flows').set({ definition: JSON.stringify(definition), saved_by: savedBy, updated_at: now }).where('id', '=', id).execute();
  else await ctx.db.insertInto('flows').values({ id, name: definition.name, definition: JSON.stringify(definition), status: 'active', saved_by: savedBy, created_at: now, updated_at: now }).execute();
  const connections = new Set([...(definition.trigger.type === 'salesforce' ? [definition.trigger.connection] : []), ...definition.actions.flatMap((a) => (a.type === 'service' ? [] : [a.connection]))]);
  for (const name of connections) await registerUsage(ctx, (await connectionByName(ctx, name)).id, { type: 'flow', id, name: definition.name });
  const version = await recordVersion(ctx.db, id, text, actor.name, now);
  await audit(ctx.db, now, { actor: actor.name, action: existing ? 'flow.update' : 'flow.create', targetType: 'flow', targetId: id, outcome: 'success', detail: `${definition.name} version ${version}` });
  return { id, name: definition.name, status: existing?.status ?? 'active', definition, updatedAt: now, version, savedBy, warnings: flowWarnings(definition) };
}

export async function getFlow(ctx: HubContext, idOrName: string): Promise<FlowView> {
  const row = await selectFlows(ctx).where((eb) => eb.or([eb('flows.id', '=', idOrName), eb('flows.name', '=', idOrName)])).executeTakeFirst();
  if (!row) throw notFound(`flow "${idOrName}"`);
  return flowView(row);
}

export async function listFlows(ctx: HubContext): Promise<FlowView[]> {
  const rows = await selectFlows(ctx).orderBy('flows.name').execute();
  return rows.map(flowView);
}

export async function setFlowStatus(ctx: HubContext, actor: Actor, idOrName: string, status: 'active' | 'paused'): Promise<FlowView> {
  const flow = await getFlow(ctx, idOrName);
  await ctx.db.updateTable('flows').set({ status, updated_at: ctx.now() }).where('id', '=', flow.id).execute();
  await audit(ctx.db, ctx.now(), { actor: actor.name, action: status === 'paused' ? 'flow.pause' : 'flow.resume', targetType: 'flow', targetId: flow.id, outcome: 'success', detail: flow.name });
  return { ...flow, status };
}

/**
 * Deletes a flow with its cursor, events, runs and connection usages. A flow that senders call
 * (a webhook trigger) or with events still to run is kept unless forced: deleting it would answer
 * 404 to the senders, or drop the changes still queued.
 */
export async function deleteFlow(ctx: HubContext, actor: Actor, idOrName: string, force = false): Promise<void> {
  const flow = await getFlow(ctx, idOrName);
  const backlog = await backlogOf(ctx.db, flow.id);
  const needed = [
    ...(flow.definition.trigger.type === 'webhook' ? [`senders call its webhook (POST /api/v1/hooks/${flow.name})`] : []),
    ...(backlog > 0 ? [`${backlog} event${backlog === 1 ? '' : 's'} still to run (pause it and let them finish, or replay dead letters elsewhere)`] : []),
  ];
  if (needed.length && !force) throw new Problem(409, 'Flow still needed', `Flow "${flow.name}" was not deleted: ${needed.join('; ')}. Delete with ?force=true (CLI: --force) to delete it anyway.`);
  await ctx.db.transaction().execute(async (trx) => {
    await trx.deleteFrom('flow_runs').where('flow_id', '=', flow.id).execute();
    await trx.deleteFrom('flow_events').where('flow_id', '=', flow.id).execute();
    await trx.deleteFrom('flow_cursors').where('flow_id', '=', flow.id).execute();
    await trx.deleteFrom('flow_versions').where('flow_id', '=', flow.id).execute();
    await trx.deleteFrom('connection_usages').where('consumer_type', '=', 'flow').where('consumer_id', '=', flow.id).execute();
    await trx.deleteFrom('flows').where('id', '=', flow.id).execute();
  });
  await audit(ctx.db, ctx.now(), { actor: actor.name, action: 'flow.delete', targetType: 'flow', targetId: flow.id, outcome: 'success', detail: `${flow.name}${force && needed.length ? ` (forced: ${needed.join('; ')})` : ''}` });
}

/** "Run now" for a schedule flow: one event queued at once, besides its ticks. */
export async function runFlowNow(ctx: HubContext, actor: Actor, idOrName: string): Promise<{ eventId: string }> {
  const flow = await getFlow(ctx, idOrName);
  if (flow.definition.trigger.type !== 'schedule') {
    throw new Problem(409, 'Not a schedule flow', `Flow "${flow.name}" runs when its ${flow.definition.trigger.type} trigger fires; only schedule flows can be run now. (A webhook flow runs when POST /api/v1/hooks/${flow.name} is called.)`);
  }
  const now = ctx.now();
  const event = pendingEvent(flow.id, `manual:${randomUUID()}`, { firedAt: new Date(now).toISOString(), manual: true }, now);
  await ctx.db.transaction().execute((trx) => queueEvents(trx, ctx.work, [event]));
  ctx.queued.queued(flow.id);
  await audit(ctx.db, now, { actor: actor.name, action: 'flow.run', targetType: 'flow', targetId: flow.id, outcome: 'success', detail: flow.name });
  return { eventId: event.id };
}

export async function deadLetters(ctx: HubContext, idOrName: string) {
  const flow = await getFlow(ctx, idOrName);
  const rows = await ctx.db.selectFrom('flow_events').selectAll().where('flow_id', '=', flow.id).where('status', '=', 'dead').orderBy('created_at').execute();
  return rows.map((r) => ({ id: r.id, key: r.dedupe_key, attempts: r.attempts, error: r.last_error, payload: JSON.parse(r.payload) as unknown }));
}

/** Sends dead-lettered events (all of a flow's, or the given ones) back to be run again. */
export async function replayDeadLetters(ctx: HubContext, actor: Actor, idOrName: string, eventIds?: string[]): Promise<number> {
  const flow = await getFlow(ctx, idOrName);
  const count = await ctx.db.transaction().execute(async (trx) => {
    let query = trx.updateTable('flow_events').set({ status: 'pending', attempts: 0, next_attempt_at: ctx.now(), updated_at: ctx.now() }).where('flow_id', '=', flow.id).where('status', '=', 'dead');
    if (eventIds?.length) query = query.where('id', 'in', eventIds);
    const replayed = await query.returning(['id', 'flow_id', 'next_attempt_at']).execute();
    await ctx.work.deliver(trx, replayed);
    return replayed.length;
  });
  if (count) ctx.queued.queued(flow.id);
  await audit(ctx.db, ctx.now(), { actor: actor.name, action: 'flow.replay', targetType: 'flow', targetId: flow.id, outcome: 'success', detail: `${count} events` });
  return count;
}

/**
 * Saves every flow document (`*.yaml`, `*.yml`, `*.json`) in a folder — flows kept in a repository
 * next to the code. Each file is validated on its own: a bad one is reported with its problems and
 * the others are still saved.
 */
export async function saveFlowFolder(ctx: HubContext, actor: Actor, dir: string): Promise<{ file: string; flow?: string; error?: string }[]> {
  const results: { file: string; flow?: string; error?: string }[] = [];
  for (const file of readdirSync(dir).filter((f) => /\.(ya?ml|json)$/.test(f)).sort()) {
    try {
      results.push({ file, flow: (await saveFlow(ctx, actor, readFileSync(join(dir, file), 'utf8'))).name });
    } catch (error) {
      const problem = error as Problem;
      results.push({ file, error: problem.errors?.length ? problem.errors.map(problemErrorText).join('; ') : problem.message });
    }
  }
  return results;
}
