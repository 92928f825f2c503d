import type { Kysely } from 'kysely';
import type { OrgDatabase } from '../store/schema.js';

/** Every kind of event the org records. */
export const EVENT_KINDS = ['token', 'revoke', 'introspect', 'login', 'refresh_reuse', 'secret_reveal', 'setup_apply', 'credential'] as const;

/** One line of the org's event log: what happened to which app and user, never a secret value. */
export interface OrgEvent {
  at: number;
  kind: (typeof EVENT_KINDS)[number];
  appId?: string | null;
  userId?: string | null;
  grantType?: string | null;
  address?: string | null;
  outcome: string;
  detail?: string | null;
}

export async function recordEvent(db: Kysely<OrgDatabase>, event: OrgEvent): Promise<void> {
  await db.insertInto('events').values({
    at: event.at,
    kind: event.kind,
    app_id: event.appId ?? null,
    user_id: event.userId ?? null,
    grant_type: event.grantType ?? null,
    address: event.address ?? null,
    outcome: event.outcome,
    detail: event.detail ?? null,
  }).execute();
}

export interface EventQuery { kind?: string | undefined; limit?: number | undefined; afterId?: number | undefined }

export async function listEvents(db: Kysely<OrgDatabase>, query: EventQuery = {}) {
  let q = db.selectFrom('events').selectAll().orderBy('id', 'desc').limit(Math.min(query.limit ?? 100, 1000));
  if (query.kind) q = q.where('kind', '=', query.kind);
  if (query.afterId !== undefined) q = q.where('id', '>', query.afterId);
  return (await q.execute()).map((e) => ({
    id: e.id,
    at: new Date(e.at).toISOString(),
    kind: e.kind,
    appId: e.app_id,
    userId: e.user_id,
    grantType: e.grant_type,
    address: e.address,
    outcome: e.outcome,
    detail: e.detail,
  }));
}
