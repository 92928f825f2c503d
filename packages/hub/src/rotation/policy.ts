import { z } from 'zod';
import { audit } from '../audit/audit-log.js';
import type { HubContext } from '../context.js';
import { invalid, notFound, Problem } from '../problem.js';
import type { RotationPolicyTable } from '../store/schema.js';
import { parse } from '../credentials/common.js';
import { checkUrl } from '../connections/url-policy.js';

export const rotationPolicyInput = z.object({
  adminConnectionId: z.string().uuid(),
  intervalHours: z.number().int().min(1).max(24 * 366),
  timeOfDay: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM in UTC').default('03:00'),
  gracePeriodSeconds: z.number().int().min(0).max(7 * 86_400).default(300),
  webhookUrl: z.url().nullable().default(null),
}).strict();

/** The first time of day (UTC) at or after `last + interval`. */
export function nextRotationAt(policy: Pick<RotationPolicyTable, 'interval_hours' | 'time_of_day'>, from: number): number {
  const due = new Date(from + policy.interval_hours * 3_600_000);
  const [h, m] = policy.time_of_day.split(':').map(Number) as [number, number];
  const at = Date.UTC(due.getUTCFullYear(), due.getUTCMonth(), due.getUTCDate(), h, m);
  return at >= due.getTime() ? at : at + 86_400_000;
}

export async function setRotationPolicy(ctx: HubContext, actor: string, connectionId: string, body: unknown) {
  const input = parse(rotationPolicyInput, body);
  const webhookProblem = input.webhookUrl ? await checkUrl(input.webhookUrl, ctx.urlPolicy) : undefined;
  if (webhookProblem) throw invalid([{ path: 'webhookUrl', message: webhookProblem }]);
  const connection = await ctx.db.selectFrom('connections').select(['id', 'app', 'method', 'config']).where('id', '=', connectionId).executeTakeFirst();
  if (!connection) throw notFound(`connection ${connectionId}`);
  if (connection.app !== 'salesforce' || connection.method !== 'oauth2_client_credentials') throw new Problem(400, 'Not rotatable', 'Only Salesforce client credentials connections have their consumer secret rotated.');
  const admin = await ctx.db.selectFrom('connections').select(['id', 'app', 'config']).where('id', '=', input.adminConnectionId).executeTakeFirst();
  if (!admin || admin.app !== 'salesforce') throw invalid([{ path: 'adminConnectionId', message: 'must name a Salesforce connection of a user with External Client App Developer and View Client Secret' }]);
  if (admin.id === connectionId || (JSON.parse(admin.config) as { consumerKey?: string }).consumerKey === (JSON.parse(connection.config) as { consumerKey?: string }).consumerKey) {
    throw invalid([{ path: 'adminConnectionId', message: 'the administrative connection must log in with another consumer key than the one it rotates' }]);
  }
  const now = ctx.now();
  const values = { admin_connection_id: input.adminConnectionId, interval_hours: input.intervalHours, time_of_day: input.timeOfDay, grace_seconds: input.gracePeriodSeconds, webhook_url: input.webhookUrl };
  const existing = await ctx.db.selectFrom('rotation_policies').selectAll().where('connection_id', '=', connectionId).executeTakeFirst();
  const next = nextRotationAt(values, existing?.last_rotated_at ?? now);
  if (existing) await ctx.db.updateTable('rotation_policies').set({ ...values, next_rotation_at: next }).where('connection_id', '=', connectionId).execute();
  else await ctx.db.insertInto('rotation_policies').values({ connection_id: connectionId, ...values, status: 'ok', status_reason: null, last_rotated_at: null, next_rotation_at: next }).execute();
  await audit(ctx.db, now, { actor, action: 'rotation.policy', targetType: 'connection', targetId: connectionId, outcome: 'success', detail: `every ${input.intervalHours} h at ${input.timeOfDay} UTC` });
  return rotationStatus(ctx, connectionId);
}

/** Policy, last and next rotation, status, and the recent rotations with their steps. */
export async function rotationStatus(ctx: HubContext, connectionId: string) {
  const policy = await ctx.db.selectFrom('rotation_policies').selectAll().where('connection_id', '=', connectionId).executeTakeFirst();
  if (!policy) throw new Problem(404, 'No rotation policy', `Connection ${connectionId} has no rotation policy. Set one with PUT /api/v1/connections/${connectionId}/rotation-policy {"adminConnectionId": "<a connection that may manage the app>", "intervalHours": 720}.`);
  const rotations = await ctx.db.selectFrom('rotations').select(['id', 'status', 'step', 'error', 'started_at', 'updated_at']).where('connection_id', '=', connectionId).orderBy('started_at', 'desc').limit(10).execute();
  const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
  return {
    policy: { adminConnectionId: policy.admin_connection_id, intervalHours: policy.interval_hours, timeOfDay: policy.time_of_day, gracePeriodSeconds: policy.grace_seconds, webhookUrl: policy.webhook_url },
    status: policy.status,
    statusReason: policy.status_reason,
    lastRotatedAt: iso(policy.last_rotated_at),
    nextRotationAt: iso(policy.next_rotation_at),
    rotations: rotations.map((r) => ({ id: r.id, status: r.status, step: r.step, error: r.error, startedAt: iso(r.started_at), updatedAt: iso(r.updated_at) })),
  };
}
