import type { FastifyRequest } from 'fastify';
import type { OAuthContext } from '../oauth/context.js';

/** True when the request was addressed to the org's instance host (its "My Domain"). */
export function isMyDomain(ctx: OAuthContext, request: FastifyRequest): boolean {
  return request.headers.host?.toLowerCase() === ctx.urls.instanceHost;
}
