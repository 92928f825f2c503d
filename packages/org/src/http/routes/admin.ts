import type { FastifyInstance } from 'fastify';
import { listApps } from '../../apps/apps.js';
import { revealPrimaryConsumer } from '../../apps/consumer-credentials.js';
import { findUserByUsername, listUsers, userAccess } from '../../identity/users.js';
import type { OAuthContext } from '../../oauth/context.js';
import { listEvents, recordEvent } from '../../oauth/events.js';
import { applyLoadedSetup } from '../../setup/apply.js';
import { setupRefusals } from '../../setup/authorize.js';
import { loadSetup } from '../../setup/load.js';
import { ApiError, notFound } from '../api-error.js';
import { requirePermissions, requireSession } from '../bearer-auth.js';

/**
 * The admin API does what setup files do, for an authenticated admin: reads need View Setup,
 * changes need Manage Users (and External Client App Developer for apps), and revealing a consumer
 * secret needs View Client Secret and is written to the event log.
 */
export function adminRoutes(app: FastifyInstance, ctx: OAuthContext): void {
  const prefix = '/services/admin/v1';

  app.post(`${prefix}/setup`, async (request) => {
    const session = await requireSession(ctx, request);
    await requirePermissions(ctx, session, 'ManageUsers');
    let text: string;
    if (typeof request.body === 'string') text = request.body;
    else if (request.body && typeof request.body === 'object') text = JSON.stringify(request.body);
    else throw new ApiError(400, 'INVALID_SETUP', 'Send a setup document as YAML (Content-Type: application/yaml) or JSON.');
    // Permissions are decided on the parsed document: `'apps':`, `? apps` and `"\u0061pps":` are all apps.
    const loaded = loadSetup(text, 'request body');
    const refusals = await setupRefusals(ctx.db, await userAccess(ctx.db, session.user), loaded.document);
    if (refusals.length) throw new ApiError(403, 'INSUFFICIENT_ACCESS', `You cannot apply this setup: ${refusals.join('; ')}.`);
    const summary = await applyLoadedSetup({ db: ctx.db, box: ctx.box, actor: session.user.username, now: ctx.now }, loaded);
    ctx.cache.clear();
    await ctx.afterSetupApplied?.();
    return summary;
  });

  app.get(`${prefix}/users`, async (request) => {
    await requirePermissions(ctx, await requireSession(ctx, request), 'ViewSetup');
    return (await listUsers(ctx.db)).map((u) => ({ id: u.id, username: u.username, email: u.email, firstName: u.first_name, lastName: u.last_name, licence: u.licence, profile: u.profile, active: u.active === 1 }));
  });

  app.get<{ Params: { username: string } }>(`${prefix}/users/:username/access`, async (request) => {
    await requirePermissions(ctx, await requireSession(ctx, request), 'ViewSetup');
    const user = await findUserByUsername(ctx.db, request.params.username);
    if (!user) throw notFound(`No user with username ${request.params.username}`);
    return { username: user.username, licence: user.licence, ...(await userAccess(ctx.db, user)) };
  });

  app.get(`${prefix}/apps`, async (request) => {
    await requirePermissions(ctx, await requireSession(ctx, request), 'ViewSetup');
    const consumers = await ctx.db.selectFrom('app_consumers').select(['app_id', 'consumer_key', 'state']).execute();
    return (await listApps(ctx.db)).map((a) => ({ ...a, consumerKeys: consumers.filter((c) => c.app_id === a.id).map((c) => ({ key: c.consumer_key, state: c.state })) }));
  });

  app.post<{ Params: { apiName: string } }>(`${prefix}/apps/:apiName/secret`, async (request) => {
    const session = await requireSession(ctx, request);
    const appRow = await ctx.db.selectFrom('apps').select(['id']).where('api_name', '=', request.params.apiName).executeTakeFirst();
    try {
      await requirePermissions(ctx, session, 'ViewClientSecret');
    } catch (error) {
      await recordEvent(ctx.db, { at: ctx.now(), kind: 'secret_reveal', appId: appRow?.id ?? null, userId: session.user.id, address: request.ip, outcome: 'denied' });
      throw error;
    }
    const revealed = appRow ? await revealPrimaryConsumer(ctx.db, ctx.box, request.params.apiName, { userId: session.user.id, address: request.ip, now: ctx.now() }) : undefined;
    if (!revealed) throw notFound(`No External Client App with API name ${request.params.apiName}`);
    return revealed;
  });

  app.get<{ Querystring: { kind?: string; limit?: string } }>(`${prefix}/events`, async (request) => {
    await requirePermissions(ctx, await requireSession(ctx, request), 'ViewSetup');
    const limit = request.query.limit === undefined ? 100 : Number(request.query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new ApiError(400, 'INVALID_QUERY_FILTER_OPERATOR', 'limit must be a whole number from 1 to 1000');
    return listEvents(ctx.db, { kind: request.query.kind, limit });
  });
}
