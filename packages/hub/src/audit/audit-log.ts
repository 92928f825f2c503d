import type { Kysely } from 'kysely';
import type { HubDatabase } from '../store/schema.js';

/** One audit line: who did what to which target, when, and how it went; never a value. */
export interface AuditEntry {
  actor: string;
  action: string;
  targetType: string;
  targetId?: string | null;
  outcome: string;
  detail?: string | null;
}

export async function audit(db: Kysely<HubDatabase>, now: number, entry: AuditEntry): Promise<void> {
  await db.insertInto('audit').values({ at: now, actor: entry.actor, action: entry.action, target_type: entry.targetType, target_id: entry.targetId ?? null, outcome: entry.outcome, detail: entry.detail ?? null }).execute();
}

export async function listAudit(db: Kysely<HubDatabase>, options: { targetId?: string | undefined; limit?: number | undefined } = {}) {
  let q = db.selectFrom('audit').selectAll().orderBy('id', 'desc').limit(Math.min(options.limit ?? 100, 1000));
  if (options.targetId) q = q.where('target_id', '=', options.targetId);
  return (await q.execute()).map((a) => ({ id: a.id, at: new Date(a.at).toISOString(), actor: a.actor, action: a.action, targetType: a.target_type, targetId: a.target_id, outcome: a.outcome, detail: a.detail }));
}
