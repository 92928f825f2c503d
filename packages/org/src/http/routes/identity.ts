import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { OAuthContext } from '../../oauth/context.js';
import { OAuthError } from '../../oauth/errors.js';
import { identityDocument, userInfoDocument } from '../../oauth/identity.js';
import { tokenUser } from '../bearer-auth.js';


export function identityRoutes(app: FastifyInstance, ctx: OAuthContext): void {
  const identity = async (request: FastifyRequest<{ Params: { orgId: string; userId: string } }>) => {
    const user = await tokenUser(ctx, request);
    const { orgId, userId } = request.params;
    // Ids compare case-insensitively in their 18-character form, and a 15-character id names the same record.
    const same = (a: string, b: string) => a.slice(0, 15) === b.slice(0, 15);
    if (!same(orgId, ctx.org.orgId) || !same(userId, user.id)) throw new OAuthError('Bad_Id', 'the identity URL does not belong to this access token', 403);
    return identityDocument(ctx, user);
  };
  app.get('/id/:orgId/:userId', identity);
  app.post('/id/:orgId/:userId', identity);

  const userinfo = async (request: FastifyRequest) => userInfoDocument(ctx, await tokenUser(ctx, request));
  app.get('/services/oauth2/userinfo', userinfo);
  app.post('/services/oauth2/userinfo', userinfo);
}
