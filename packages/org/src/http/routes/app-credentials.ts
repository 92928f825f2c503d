import type { FastifyInstance, FastifyRequest } from 'fastify';
import { deleteStaged, getStaged, listConsumers, listOAuthUsage, listStaged, readConsumer, rotateStaged, stageCredentials, type StagingContext } from '../../apps/credential-staging.js';
import type { OAuthContext } from '../../oauth/context.js';
import { ORG_SETTING_SECRETS_VIA_REST, orgSetting } from '../../org/settings.js';
import { ApiError, notFound } from '../api-error.js';
import { requireApiSession, requirePermissions } from '../bearer-auth.js';
import { parseApiVersion } from './versions.js';

type Params = { version: string; appId: string; consumerId: string; stagedId: string };

/**
 * `/services/data/vXX.X/apps/oauth/…`: OAuth usage (v59.0+) and the consumer credential API
 * (v65.0+). Credential calls need the org setting "Allow access to External Client App consumer
 * secrets via REST API" and the External Client App Developer and View Client Secret permissions.
 */
export function appCredentialRoutes(app: FastifyInstance, ctx: OAuthContext): void {
  async function staging(request: FastifyRequest<{ Params: Partial<Params> }>, minVersion: number, credentials: boolean): Promise<StagingContext & { username: string }> {
    const version = parseApiVersion(request.params.version ?? '');
    if (version === undefined || version < minVersion) throw notFound();
    const session = await requireApiSession(ctx, request);
    if (credentials && (await orgSetting(ctx.db, ORG_SETTING_SECRETS_VIA_REST)) !== 'true') {
      throw new ApiError(403, 'FUNCTIONALITY_NOT_ENABLED', 'Access to External Client App consumer secrets via REST API is not currently enabled for this org. Turn on "Allow access to External Client App consumer secrets via REST API" in External Client App Settings.');
    }
    await requirePermissions(ctx, session, 'ExternalClientAppDeveloper', ...(credentials ? (['ViewClientSecret'] as const) : []));
    return { db: ctx.db, box: ctx.box, now: ctx.now, base: `${ctx.urls.instanceUrl}/services/data/${request.params.version}`, actorUserId: session.user.id, address: request.ip, username: session.user.username };
  }
  const base = '/services/data/:version/apps/oauth';

  app.get<{ Params: Params; Querystring: { page?: string; pageSize?: string } }>(`${base}/usage`, async (request) => {
    const s = await staging(request, 59, false);
    const page = Number(request.query.page ?? 1);
    const pageSize = Number(request.query.pageSize ?? 100);
    if (!Number.isInteger(page) || page < 1 || !Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100) throw new ApiError(400, 'INVALID_INPUT', 'page must be 1 or more and pageSize 1 to 100');
    return listOAuthUsage(s, page, pageSize);
  });
  app.get<{ Params: Params }>(`${base}/credentials/:appId`, async (request) => listConsumers(await staging(request, 65, true), request.params.appId));
  app.get<{ Params: Params; Querystring: { part?: string } }>(`${base}/credentials/:appId/:consumerId`, async (request) => readConsumer(await staging(request, 65, true), request.params.appId, request.params.consumerId, request.query.part));
  app.post<{ Params: Params }>(`${base}/credentials/:appId/:consumerId/staged`, async (request, reply) => {
    const s = await staging(request, 65, true);
    const staged = await stageCredentials(s, request.params.appId, request.params.consumerId, s.username);
    ctx.cache.clear();
    return reply.code(201).send(staged);
  });
  app.get<{ Params: Params }>(`${base}/credentials/:appId/:consumerId/staged`, async (request) => {
    const s = await staging(request, 65, true);
    return listStaged(s, request.params.appId, request.params.consumerId, s.username);
  });
  app.get<{ Params: Params }>(`${base}/credentials/:appId/:consumerId/staged/:stagedId`, async (request) => {
    const s = await staging(request, 65, true);
    return getStaged(s, request.params.appId, request.params.consumerId, request.params.stagedId, s.username);
  });
  app.patch<{ Params: Params; Body: unknown }>(`${base}/credentials/:appId/:consumerId/staged/:stagedId`, async (request) => {
    const s = await staging(request, 65, true);
    const command = request.body && typeof request.body === 'object' ? (request.body as { command?: unknown }).command : undefined;
    const result = await rotateStaged(s, request.params.appId, request.params.consumerId, request.params.stagedId, command, s.username);
    ctx.cache.clear();
    return result;
  });
  app.delete<{ Params: Params }>(`${base}/credentials/:appId/:consumerId/staged/:stagedId`, async (request, reply) => {
    await deleteStaged(await staging(request, 65, true), request.params.appId, request.params.consumerId, request.params.stagedId);
    ctx.cache.clear();
    return reply.code(204).send();
  });
}
