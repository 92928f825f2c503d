import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { DataAccess } from '../../../data/access/data-access.js';
import type { ObjectDef } from '../../../data/schema/fields.js';
import type { DataService } from '../../../data/service.js';
import type { OAuthContext } from '../../../oauth/context.js';
import { ApiError, notFound } from '../../api-error.js';
import { readable } from './record-operations.js';
import { requireApiSession } from '../../bearer-auth.js';
import { parseApiVersion } from '../versions.js';

export interface DataRequestContext { access: DataAccess; version: string }

declare module 'fastify' {
  interface FastifyRequest { data: DataRequestContext }
}

export type VersionParams = { version: string };

/**
 * Every data API call: a known API version, a live session, API Enabled, and one request counted
 * against the daily allowance; every answer says the usage in Sforce-Limit-Info.
 */
export function registerDataContext(app: FastifyInstance, ctx: OAuthContext, service: DataService): void {
  app.decorateRequest('data', null as unknown as DataRequestContext);
  app.addHook('preHandler', async (request: FastifyRequest) => {
    const version = (request.params as Partial<VersionParams>).version ?? '';
    if (parseApiVersion(version) === undefined) throw notFound();
    const session = await requireApiSession(ctx, request);
    const access = await service.accessFor(session.user);
    if (!access.apiEnabled) throw new ApiError(403, 'API_DISABLED_FOR_ORG', 'The REST API is not enabled for this Organization.');
    if (!service.usage.take()) throw new ApiError(403, 'REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.');
    request.data = { access, version };
  });
  app.addHook('onSend', async (_request, reply) => {
    const { used, max } = service.usage.current();
    reply.header('sforce-limit-info', `api-usage=${used}/${max}`);
  });
}

/** An object the user can read, or 404 NOT_FOUND as Salesforce answers for unknown and hidden objects alike. */
export function readableObject(service: DataService, request: FastifyRequest, name: string): ObjectDef {
  return readable({ service, access: request.data.access, version: request.data.version }, name);
}
