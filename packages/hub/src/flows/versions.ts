import type { Kysely } from 'kysely';
import type { Actor, HubContext } from '../context.js';
import type { HubDatabase } from '../store/schema.js';
import { notFound } from '../problem.js';
import { getFlow, saveFlow } from './flows.js';

/**
 * A flow's versions: each save whose document differs from the last one is a new version, kept as
 * sent (comments included), so versions can be listed, compared and restored. Restoring saves the
 * old document again, as a new version: history only grows.
 */
export async function recordVersion(db: Kysely<HubDatabase>, flowId: string, text: string, savedBy: string, now: number): Promise<number> {
  const last = await db.selectFrom('flow_versions').select(['version', 'text']).where('flow_id', '=', flowId).orderBy('version', 'desc').limit(1).executeTakeFirst();
  if (last && last.text === text) return last.version;
  const version = (last?.version ?? 0) + 1;
  await db.insertInto('flow_versions').values({ flow_id: flowId, version, text, saved_by: savedBy, saved_at: now }).execute();
  return version;
}

export async function listVersions(ctx: HubContext, idOrName: string) {
  const flow = await getFlow(ctx, idOrName);
  const rows = await ctx.db.selectFrom('flow_versions').selectAll().where('flow_id', '=', flow.id).orderBy('version', 'desc').limit(100).execute();
  return rows.map((r) => ({ version: r.version, savedBy: r.saved_by, savedAt: new Date(r.saved_at).toISOString(), text: r.text }));
}

export async function restoreVersion(ctx: HubContext, actor: Actor, idOrName: string, version: number) {
  const flow = await getFlow(ctx, idOrName);
  const row = await ctx.db.selectFrom('flow_versions').select('text').where('flow_id', '=', flow.id).where('version', '=', version).executeTakeFirst();
  if (!row) throw notFound(`version ${version} of flow "${flow.name}"`);
  return saveFlow(ctx, actor, row.text);
}
