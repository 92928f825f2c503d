import type { Kysely } from 'kysely';
import type { SecretBox } from '../crypto/secret-box.js';
import { recordEvent } from '../oauth/events.js';
import { ApiError, notFound } from '../http/api-error.js';
import type { AppConsumerTable, OrgDatabase } from '../store/schema.js';
import { newConsumer, sealContext, STAGED_LIFETIME_MS } from './consumer-credentials.js';

/**
 * The External Client App credential API (Connect REST, v65.0): list apps and consumers, read a
 * consumer's key and secret, stage a new pair, rotate it in, delete a staged pair. Primary and
 * staged pairs both obtain tokens until deleted or expired, so a caller can prove a new pair works
 * before rotating to it, and after a rotate the old pair keeps working for 30 days (state Rotated).
 */
export interface StagingContext {
  db: Kysely<OrgDatabase>;
  box: SecretBox;
  now: () => number;
  /** The API base, e.g. http://127.0.0.1:7410/services/data/v65.0, for the URLs in answers. */
  base: string;
  actorUserId: string;
  address: string;
}

const credentialsUrl = (ctx: StagingContext, appId: string, consumerId: string) => `${ctx.base}/apps/oauth/credentials/${appId}/${consumerId}`;

function stateOf(row: AppConsumerTable, now: number): string {
  return row.expires_at !== null && row.expires_at <= now ? 'Expired' : row.state;
}

/** "App Oauth Staged Credentials", as the reference lists its fields. */
function stagedView(ctx: StagingContext, row: AppConsumerTable, createdBy: string, withSecret: boolean) {
  const url = credentialsUrl(ctx, row.app_id, row.consumer_id);
  return {
    createdBy,
    createdDate: new Date(row.created_at).toISOString(),
    expirationDate: row.expires_at === null ? null : new Date(row.expires_at).toISOString(),
    id: row.id,
    key: row.consumer_key,
    ...(withSecret ? { secret: ctx.box.open(row.secret_sealed, sealContext(row.id)) } : {}),
    stagedCredentialsUrl: `${url}/staged/${row.id}`,
    state: stateOf(row, ctx.now()),
    url,
  };
}

async function event(ctx: StagingContext, appId: string, outcome: string, detail: string) {
  await recordEvent(ctx.db, { at: ctx.now(), kind: 'credential', appId, userId: ctx.actorUserId, address: ctx.address, outcome, detail });
}

export async function listOAuthUsage(ctx: StagingContext, page: number, pageSize: number) {
  const apps = await ctx.db.selectFrom('apps').select(['id', 'api_name', 'name', 'contact_email', 'created_at']).orderBy('api_name').limit(pageSize + 1).offset((page - 1) * pageSize).execute();
  const more = apps.length > pageSize;
  return {
    apps: apps.slice(0, pageSize).map((a) => ({ identifier: a.id, developerName: a.api_name, label: a.name, contactEmail: a.contact_email, createdDate: new Date(a.created_at).toISOString(), type: 'ExternalClientApp' })),
    nextPageUrl: more ? `${ctx.base}/apps/oauth/usage?page=${page + 1}&pageSize=${pageSize}` : null,
  };
}

async function appRow(ctx: StagingContext, appId: string) {
  const app = await ctx.db.selectFrom('apps').select(['id', 'name']).where('id', '=', appId).executeTakeFirst();
  if (!app) throw notFound(`No External Client App with id ${appId}`);
  return app;
}

async function credentialRows(ctx: StagingContext, appId: string, consumerId: string) {
  await appRow(ctx, appId);
  const rows = await ctx.db.selectFrom('app_consumers').selectAll().where('app_id', '=', appId).where('consumer_id', '=', consumerId).execute();
  const primary = rows.find((r) => r.role === 'primary');
  if (!primary) throw notFound(`No consumer ${consumerId} on app ${appId}`);
  return { primary, staged: rows.filter((r) => r.role === 'staged') };
}

export async function listConsumers(ctx: StagingContext, appId: string) {
  const app = await appRow(ctx, appId);
  const primaries = await ctx.db.selectFrom('app_consumers').selectAll().where('app_id', '=', appId).where('role', '=', 'primary').orderBy('created_at').execute();
  return { consumers: primaries.map((p) => ({ id: p.consumer_id, key: p.consumer_key, name: app.name, url: credentialsUrl(ctx, appId, p.consumer_id), stagedCredentialsUrl: `${credentialsUrl(ctx, appId, p.consumer_id)}/staged` })) };
}

export async function readConsumer(ctx: StagingContext, appId: string, consumerId: string, part: string | undefined) {
  if (part !== undefined && !['key', 'secret', 'keyandsecret'].includes(part)) throw new ApiError(400, 'INVALID_INPUT', `part must be key, secret or keyandsecret (got "${part}")`);
  const { primary } = await credentialRows(ctx, appId, consumerId);
  const withSecret = part === 'secret' || part === 'keyandsecret';
  if (withSecret) await event(ctx, appId, 'secret_read', `consumer ${consumerId}`);
  return {
    ...(part !== 'secret' ? { key: primary.consumer_key } : {}),
    ...(withSecret ? { secret: ctx.box.open(primary.secret_sealed, sealContext(primary.id)) } : {}),
  };
}

export async function stageCredentials(ctx: StagingContext, appId: string, consumerId: string, createdBy: string) {
  const { staged } = await credentialRows(ctx, appId, consumerId);
  const live = staged.find((s) => stateOf(s, ctx.now()) !== 'Expired');
  if (live) throw new ApiError(400, 'INVALID_INPUT', `Consumer ${consumerId} already has a staged credential (${live.id}, ${live.state}). Rotate it in or delete it first.`);
  for (const expired of staged) await ctx.db.deleteFrom('app_consumers').where('id', '=', expired.id).execute();
  const created = newConsumer(appId, ctx.box, ctx.now(), consumerId);
  await ctx.db.insertInto('app_consumers').values(created.row).execute();
  await event(ctx, appId, 'staged', `consumer ${consumerId}: staged credential ${created.row.id}`);
  return stagedView(ctx, created.row, createdBy, true);
}

export async function listStaged(ctx: StagingContext, appId: string, consumerId: string, createdBy: string) {
  const { staged } = await credentialRows(ctx, appId, consumerId);
  return { stagedCredentials: staged.map((s) => stagedView(ctx, s, createdBy, false)) };
}

async function stagedRow(ctx: StagingContext, appId: string, consumerId: string, stagedId: string) {
  const rows = await credentialRows(ctx, appId, consumerId);
  const staged = rows.staged.find((s) => s.id === stagedId);
  if (!staged) throw notFound(`No staged credential ${stagedId} on consumer ${consumerId}`);
  return { ...rows, staged };
}

export async function getStaged(ctx: StagingContext, appId: string, consumerId: string, stagedId: string, createdBy: string) {
  const { staged } = await stagedRow(ctx, appId, consumerId, stagedId);
  return stagedView(ctx, staged, createdBy, false);
}

/** Promotes the staged pair to primary; the old primary moves to the staged slot as Rotated, valid 30 days. */
export async function rotateStaged(ctx: StagingContext, appId: string, consumerId: string, stagedId: string, command: unknown, createdBy: string) {
  if (command !== 'rotate') throw new ApiError(400, 'INVALID_INPUT', `The only command is "rotate" (got ${JSON.stringify(command) ?? 'nothing'}); send {"command":"rotate"}.`, ['command']);
  const { primary, staged } = await stagedRow(ctx, appId, consumerId, stagedId);
  const state = stateOf(staged, ctx.now());
  if (state !== 'Active') throw new ApiError(400, 'INVALID_INPUT', `Staged credential ${stagedId} is ${state} and cannot be rotated in; stage a new one.`);
  const now = ctx.now();
  await ctx.db.transaction().execute(async (trx) => {
    await trx.updateTable('app_consumers').set({ role: 'primary', state: 'Active', expires_at: null }).where('id', '=', staged.id).execute();
    await trx.updateTable('app_consumers').set({ role: 'staged', state: 'Rotated', expires_at: now + STAGED_LIFETIME_MS }).where('id', '=', primary.id).execute();
  });
  await event(ctx, appId, 'rotated', `consumer ${consumerId}: ${staged.id} is primary, ${primary.id} rotated out (valid until deleted or 30 days)`);
  return stagedView(ctx, { ...primary, role: 'staged', state: 'Rotated', expires_at: now + STAGED_LIFETIME_MS }, createdBy, false);
}

export async function deleteStaged(ctx: StagingContext, appId: string, consumerId: string, stagedId: string) {
  const { staged } = await stagedRow(ctx, appId, consumerId, stagedId);
  await ctx.db.deleteFrom('app_consumers').where('id', '=', staged.id).execute();
  await event(ctx, appId, 'staged_deleted', `consumer ${consumerId}: ${staged.id} (${staged.state}) deleted; it no longer obtains tokens`);
}
