import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { OAuthContext } from '../../oauth/context.js';
import { OAuthError } from '../../oauth/errors.js';
import { identityDocument, userInfoDocument } from '../../oauth/identity.js';
import { findAccessToken } from '../../oauth/tokens.js';
import { findUserById } from '../../identity/users.js';
import { bearerToken } from '../bearer-auth.js';
import type { FormBody } from '../form-body.js';

/** Identity URL and UserInfo take the token from the Authorization header (or, on POST, the body). */
async function tokenUser(ctx: OAuthContext, request: FastifyRequest) {
  const fromBody = request.method === 'POST' && request.body && typeof request.body === 'object' ? (request.body as FormBody).access_token : undefined;
  const token = bearerToken(request) ?? (typeof fromBody === 'string' ? fromBody : undefined);
  if (!token) throw new OAuthError('invalid_request', 'an access token is required in the Authorization header', 401, { 'WWW-Authenticate': 'Bearer' });
  const info = await findAccessToken(ctx.db, token, ctx.now());
  const user = info ? await findUserById(ctx.db, info.userId) : undefined;
  if (!info || !user || user.active !== 1) throw new OAuthError('invalid_token', 'access token is invalid, expired or revoked', 401, { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
  return user;
}

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
