import { randomUUID } from 'node:crypto';
import { ExponentialBackoff, handleAll, retry } from 'cockatiel';
import { audit } from '../audit/audit-log.js';
import { sealSecrets, secretsContext } from '../connections/authorization.js';
import { connectionClient } from '../connections/connections.js';
import type { HubContext } from '../context.js';
import { Problem } from '../problem.js';
import type { RotationTable } from '../store/schema.js';
import { failpoint } from './failpoints.js';
import { nextRotationAt } from './policy.js';
import { provePair, SalesforceCredentialApi } from './salesforce-credentials.js';

/** The steps, in order. Each is idempotent; a crash between any two resumes at the recorded step. */
export const STEPS = ['locate', 'stage', 'prove', 'store', 'rotate', 'grace', 'delete_old', 'done'] as const;
export type Step = (typeof STEPS)[number];

const stagedContext = (rotationId: string) => `rotation:${rotationId}:staged_secret`;

export interface RotationOptions {
  /** Attempts per step before the rotation is marked failed. */
  attempts?: number;
  /** First backoff delay, doubled each retry (with jitter). */
  initialDelayMs?: number;
}

/** Starts a rotation of a Salesforce client credentials connection (or returns the one running). */
export async function startRotation(ctx: HubContext, connectionId: string, actor: string): Promise<RotationTable> {
  const running = await ctx.db.selectFrom('rotations').selectAll().where('connection_id', '=', connectionId).where('status', '=', 'running').executeTakeFirst();
  if (running) return running;
  const policy = await ctx.db.selectFrom('rotation_policies').selectAll().where('connection_id', '=', connectionId).executeTakeFirst();
  if (!policy) throw new Problem(400, 'No rotation policy', 'Set a rotation policy (PUT /api/v1/connections/{id}/rotation-policy) naming the administrative connection first.');
  const now = ctx.now();
  const row: RotationTable = { id: randomUUID(), connection_id: connectionId, status: 'running', step: 'locate', app_id: null, consumer_id: null, old_key: null, staged_id: null, staged_key: null, staged_secret_sealed: null, grace_until: null, error: null, started_at: now, updated_at: now };
  try {
    await ctx.db.insertInto('rotations').values(row).execute();
  } catch (error) {
    // Another process started one between the check and the insert: at most one runs (a unique index).
    const other = await ctx.db.selectFrom('rotations').selectAll().where('connection_id', '=', connectionId).where('status', '=', 'running').executeTakeFirst();
    if (other) return other;
    throw error;
  }
  await audit(ctx.db, now, { actor, action: 'rotation.start', targetType: 'connection', targetId: connectionId, outcome: 'started', detail: `rotation ${row.id}` });
  return row;
}

/**
 * Runs a rotation from its recorded step to the end: stage a new pair → prove it obtains a token →
 * store it in the vault (one update) → rotate it in → wait the grace period while in-flight callers
 * finish → delete the old pair. At no moment are there zero valid pairs (at most: old, new, and
 * none other). Each step retries with backoff; after the last attempt the rotation fails, the
 * connection keeps its working pair, and the policy shows the reason.
 */
export async function runRotation(ctx: HubContext, rotationId: string, options: RotationOptions = {}): Promise<RotationTable> {
  const policy = retry(handleAll, { maxAttempts: (options.attempts ?? 4) - 1, backoff: new ExponentialBackoff({ initialDelay: options.initialDelayMs ?? 500, maxDelay: 30_000 }) });
  let row = await ctx.db.selectFrom('rotations').selectAll().where('id', '=', rotationId).executeTakeFirstOrThrow();
  const save = async (changes: Partial<RotationTable>) => {
    row = { ...row, ...changes, updated_at: ctx.now() };
    await ctx.db.updateTable('rotations').set({ ...changes, updated_at: row.updated_at }).where('id', '=', rotationId).execute();
    if (changes.step) {
      await audit(ctx.db, row.updated_at, { actor: 'rotation', action: `rotation.${changes.step === 'done' ? 'complete' : 'step'}`, targetType: 'connection', targetId: row.connection_id, outcome: 'success', detail: `rotation ${rotationId}: now at ${changes.step}` });
      failpoint(`rotation:before:${changes.step}`);
    }
  };
  const rotationPolicy = await ctx.db.selectFrom('rotation_policies').selectAll().where('connection_id', '=', row.connection_id).executeTakeFirstOrThrow();
  const connection = await ctx.db.selectFrom('connections').selectAll().where('id', '=', row.connection_id).executeTakeFirstOrThrow();
  const config = JSON.parse(connection.config) as { instanceUrl: string; consumerKey: string };
  const tokenUrl = `${config.instanceUrl}/services/oauth2/token`;
  const api = new SalesforceCredentialApi(await connectionClient(ctx, rotationPolicy.admin_connection_id));

  try {
    while (row.status === 'running' && row.step !== 'done') {
      const step = row.step as Step;
      await policy.execute(async () => {
        switch (step) {
          case 'locate': {
            const admin = await ctx.db.selectFrom('connections').select('config').where('id', '=', rotationPolicy.admin_connection_id).executeTakeFirstOrThrow();
            if ((JSON.parse(admin.config) as { consumerKey?: string }).consumerKey === config.consumerKey) {
              throw new RotationRefused('the administrative connection logs in with this same consumer key: rotating it would cut off the rotation itself');
            }
            const { appId, consumerId } = await api.findConsumer(config.consumerKey);
            await save({ app_id: appId, consumer_id: consumerId, old_key: config.consumerKey, step: 'stage' });
            return;
          }
          case 'stage': {
            // The staged slot must be free. What can be in it: a pair whose answer a crash lost (its secret
            // is unknown), or the old pair of an earlier rotation that failed before deleting it. Neither
            // is the pair the connection uses, so removing them never leaves zero valid pairs.
            for (const s of await api.listStaged(row.app_id!, row.consumer_id!)) {
              if (s.key !== config.consumerKey) await api.deleteStaged(row.app_id!, row.consumer_id!, s.id);
            }
            const staged = await api.stage(row.app_id!, row.consumer_id!);
            await save({ staged_id: staged.id, staged_key: staged.key, staged_secret_sealed: ctx.vault.seal(staged.secret, stagedContext(rotationId)), step: 'prove' });
            return;
          }
          case 'prove':
            await provePair(tokenUrl, row.staged_key!, ctx.vault.open(row.staged_secret_sealed!, stagedContext(rotationId)).reveal(), ctx.outbound);
            await save({ step: 'store' });
            return;
          case 'store': {
            const secret = ctx.vault.open(row.staged_secret_sealed!, stagedContext(rotationId)).reveal();
            const secrets = JSON.parse(ctx.vault.open(connection.secrets_sealed, secretsContext(connection.id)).reveal()) as Record<string, string>;
            await ctx.db.transaction().execute(async (trx) => {
              await trx.updateTable('connections').set({ config: JSON.stringify({ ...config, consumerKey: row.staged_key }), ...sealSecrets(ctx, connection.id, { ...secrets, consumerSecret: secret }), updated_at: ctx.now() }).where('id', '=', connection.id).execute();
              await trx.updateTable('rotations').set({ step: 'rotate', updated_at: ctx.now() }).where('id', '=', rotationId).execute();
            });
            row = { ...row, step: 'rotate' };
            failpoint('rotation:before:rotate');
            return;
          }
          case 'rotate':
            if ((await api.primaryKey(row.app_id!, row.consumer_id!)) !== row.staged_key) await api.rotate(row.app_id!, row.consumer_id!, row.staged_id!);
            await save({ step: 'grace', grace_until: ctx.now() + rotationPolicy.grace_seconds * 1000 });
            return;
          case 'grace': {
            const wait = (row.grace_until ?? 0) - ctx.now();
            if (wait > 0) await new Promise((r) => setTimeout(r, wait));
            await save({ step: 'delete_old' });
            return;
          }
          case 'delete_old': {
            const old = (await api.listStaged(row.app_id!, row.consumer_id!)).filter((s) => s.key === row.old_key);
            for (const s of old) await api.deleteStaged(row.app_id!, row.consumer_id!, s.id);
            await save({ step: 'done', status: 'completed', staged_secret_sealed: null });
            return;
          }
          default:
            return;
        }
      });
    }
    const now = ctx.now();
    await ctx.db.updateTable('rotation_policies').set({ status: 'ok', status_reason: null, last_rotated_at: now, next_rotation_at: nextRotationAt(rotationPolicy, now) }).where('connection_id', '=', row.connection_id).execute();
    return row;
  } catch (error) {
    const reason = `${row.step}: ${(error as Error).message}`;
    await failRotation(ctx, row, rotationPolicy.webhook_url, reason, api);
    const now = ctx.now();
    await ctx.db.updateTable('rotation_policies').set({ status: 'rotation_failed', status_reason: reason, next_rotation_at: nextRotationAt(rotationPolicy, now) }).where('connection_id', '=', row.connection_id).execute();
    return { ...row, status: 'failed', error: reason };
  }
}

class RotationRefused extends Error {
  override name = 'RotationRefused';
}

/** Records the failure, removes a staged pair that was never put to use, and tells the webhook. */
async function failRotation(ctx: HubContext, row: RotationTable, webhookUrl: string | null, reason: string, api: SalesforceCredentialApi): Promise<void> {
  const now = ctx.now();
  const stepIndex = STEPS.indexOf(row.step as Step);
  if (row.staged_id && stepIndex <= STEPS.indexOf('store')) await api.deleteStaged(row.app_id!, row.consumer_id!, row.staged_id).catch(() => undefined);
  await ctx.db.updateTable('rotations').set({ status: 'failed', error: reason, staged_secret_sealed: null, updated_at: now }).where('id', '=', row.id).execute();
  await audit(ctx.db, now, { actor: 'rotation', action: 'rotation.fail', targetType: 'connection', targetId: row.connection_id, outcome: 'failed', detail: reason });
  if (webhookUrl) {
    const webhookFailed = (detail: string) => audit(ctx.db, ctx.now(), { actor: 'rotation', action: 'rotation.webhook', targetType: 'connection', targetId: row.connection_id, outcome: 'failed', detail });
    // The address is checked again when connecting (a name may resolve elsewhere since it was saved), and a redirect is not followed.
    await ctx.outbound.request(new URL(webhookUrl), { method: 'POST', maxRedirects: 0, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ event: 'rotation.failed', connectionId: row.connection_id, rotationId: row.id, step: row.step, reason, at: new Date(now).toISOString() }), signal: AbortSignal.timeout(10_000) })
      .then(async (res) => {
        await res.discard();
        if (res.status >= 300) await webhookFailed(`webhook answered HTTP ${res.status}`);
      }, (error: unknown) => webhookFailed((error as Error).message));
  }
}
