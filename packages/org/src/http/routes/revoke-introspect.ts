import type { FastifyInstance } from 'fastify';
import { sha256 } from '../../crypto/hashing.js';
import { authenticateClient, parseBasicAuth } from '../../oauth/client-auth.js';
import type { OAuthContext, TokenRequest } from '../../oauth/context.js';
import { OAuthError } from '../../oauth/errors.js';
import { recordEvent } from '../../oauth/events.js';
import { identityUrl } from '../../oauth/token-response.js';
import { findAccessTokenRow, revokeGrant } from '../../oauth/tokens.js';
import { findUserById } from '../../identity/users.js';
import { formParams } from '../form-body.js';
import { isMyDomain } from '../hosts.js';

/** Revocation (`token=` access or refresh) and introspection, as Salesforce answers them. */
export function revokeAndIntrospectRoutes(app: FastifyInstance, ctx: OAuthContext): void {
  app.post('/services/oauth2/revoke', async (request, reply) => {
    const params = formParams(request, 'revoke');
    const token = params.token;
    if (!token) throw new OAuthError('invalid_request', 'token is required');
    const now = ctx.now();
    const access = await findAccessTokenRow(ctx.db, token);
    const refresh = access ? undefined : await ctx.db.selectFrom('refresh_tokens').select(['app_id', 'user_id', 'grant_id', 'revoked']).where('token_hash', '=', sha256(token)).executeTakeFirst();
    if (access) await ctx.db.updateTable('access_tokens').set({ revoked: 1 }).where('token_id', '=', access.token_id).execute();
    // Revoking a refresh token revokes its whole authorization: every access token it produced.
    else if (refresh) await revokeGrant(ctx.db, refresh.grant_id);
    else throw new OAuthError('invalid_token', 'invalid token');
    const row = access ?? refresh!;
    await recordEvent(ctx.db, { at: now, kind: 'revoke', appId: row.app_id, userId: row.user_id, address: request.ip, outcome: 'success', detail: access ? 'access token' : 'refresh token and its access tokens' });
    return reply.header('cache-control', 'no-store').code(200).send();
  });

  app.post('/services/oauth2/introspect', async (request, reply) => {
    const params = formParams(request, 'introspect');
    const tokenRequest: TokenRequest = { params, basicAuth: parseBasicAuth(request.headers.authorization), address: request.ip, onMyDomain: isMyDomain(ctx, request.headers.host) };
    const client = await authenticateClient(ctx, tokenRequest, true);
    const token = params.token;
    if (!token) throw new OAuthError('invalid_request', 'token is required');
    const hint = params.token_type_hint;
    if (hint !== undefined && hint !== 'access_token' && hint !== 'refresh_token') throw new OAuthError('unsupported_token_type', `token_type_hint must be access_token or refresh_token (got "${hint}")`);
    const now = ctx.now();
    reply.header('cache-control', 'no-store');

    const access = await findAccessTokenRow(ctx.db, token);
    const refresh = access ? undefined : await ctx.db.selectFrom('refresh_tokens').selectAll().where('token_hash', '=', sha256(token)).executeTakeFirst();
    const row = access ?? refresh;
    const expiresAt = access ? access.expires_at : refresh?.expires_at ?? null;
    // A client sees only its own app's tokens; anything else is indistinguishable from an invalid token.
    if (!row || row.revoked === 1 || row.app_id !== client.app.id || (expiresAt !== null && expiresAt <= now) || (refresh && refresh.rotated_at !== null)) {
      return { active: false };
    }
    const user = await findUserById(ctx.db, row.user_id);
    if (!user || user.active !== 1) return { active: false };
    await recordEvent(ctx.db, { at: now, kind: 'introspect', appId: row.app_id, userId: row.user_id, address: request.ip, outcome: 'active' });
    return {
      active: true,
      scope: row.scopes,
      client_id: client.consumer.consumer_key,
      username: user.username,
      sub: identityUrl(ctx, user.id),
      token_type: access ? 'access_token' : 'refresh_token',
      ...(expiresAt !== null ? { exp: Math.floor(expiresAt / 1000) } : {}),
      iat: Math.floor(row.issued_at / 1000),
      nbf: Math.floor(row.issued_at / 1000),
    };
  });
}
