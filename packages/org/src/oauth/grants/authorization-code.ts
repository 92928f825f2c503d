import { createHash } from 'node:crypto';
import { constantTimeEqual, sha256 } from '../../crypto/hashing.js';
import { findUserById } from '../../identity/users.js';
import { authenticateClient } from '../client-auth.js';
import type { OAuthContext, TokenRequest } from '../context.js';
import { OAuthError, SalesforceOAuthErrors } from '../errors.js';
import { recordEvent } from '../events.js';
import { grantsRefreshToken } from '../scopes.js';
import { issueAccessToken, issueRefreshToken, revokeGrant } from '../tokens.js';
import { tokenResponse } from '../token-response.js';
import type { GrantResult } from './grant.js';
import { consumerSecretOf, refreshExpiry } from './refresh-token.js';

/**
 * Exchanges a code for tokens. Codes are single use: the code is claimed with a conditional
 * update, and a replayed code revokes everything it issued (RFC 6749 §4.1.2).
 */
export async function authorizationCodeGrant(ctx: OAuthContext, req: TokenRequest): Promise<GrantResult> {
  const code = req.params.code;
  if (!code) throw new OAuthError('invalid_request', 'code is required');
  const client = await authenticateClient(ctx, req, false);
  const { app } = client;
  if (app.requireSecret && client.presentedSecret === undefined) throw SalesforceOAuthErrors.badSecret();
  if (!app.flows.includes('authorization_code')) throw SalesforceOAuthErrors.grantNotEnabled();

  const now = ctx.now();
  const row = await ctx.db.selectFrom('authorization_codes').selectAll().where('code_hash', '=', sha256(code)).executeTakeFirst();
  if (!row || row.app_id !== app.id) throw SalesforceOAuthErrors.badCode();
  if (row.used_at !== null) {
    await revokeGrant(ctx.db, row.grant_id);
    await recordEvent(ctx.db, { at: now, kind: 'token', appId: app.id, userId: row.user_id, grantType: 'authorization_code', address: req.address, outcome: 'code_replayed', detail: 'tokens issued for this code were revoked' });
    throw SalesforceOAuthErrors.badCode();
  }
  if (row.expires_at <= now) throw SalesforceOAuthErrors.badCode();
  if (req.params.redirect_uri !== row.redirect_uri) throw SalesforceOAuthErrors.redirectMismatch();
  if (row.code_challenge) {
    const verifier = req.params.code_verifier;
    if (!verifier) throw new OAuthError('invalid_grant', 'invalid code verifier');
    if (!/^[A-Za-z0-9\-._~]{43,128}$/.test(verifier)) throw new OAuthError('invalid_request', 'code_verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~');
    const computed = row.code_challenge_method === 'plain' ? verifier : createHash('sha256').update(verifier).digest('base64url');
    if (!constantTimeEqual(computed, row.code_challenge)) throw new OAuthError('invalid_request', 'invalid code verifier');
  }

  const user = await findUserById(ctx.db, row.user_id);
  if (!user || user.active !== 1) throw SalesforceOAuthErrors.inactiveUser();
  const scopes = row.scopes ? row.scopes.split(' ') : [];
  const consumerSecret = client.presentedSecret ?? consumerSecretOf(ctx, client.consumer);

  const response = await ctx.db.transaction().execute(async (trx) => {
    const claimed = await trx.updateTable('authorization_codes').set({ used_at: now }).where('code_hash', '=', row.code_hash).where('used_at', 'is', null).executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1) throw SalesforceOAuthErrors.badCode();
    const { token } = await issueAccessToken(trx, { orgId: ctx.org.orgId, appId: app.id, userId: user.id, scopes, grantId: row.grant_id, now, ttlSeconds: app.accessTokenTtlSeconds });
    const refreshToken = grantsRefreshToken(scopes) && app.flows.includes('refresh_token')
      ? await issueRefreshToken(trx, { grantId: row.grant_id, appId: app.id, userId: user.id, scopes, now, expiresAt: refreshExpiry(app, now) })
      : undefined;
    return tokenResponse(ctx, { accessToken: token, refreshToken, userId: user.id, scopes, issuedAt: now, consumerSecret });
  });
  return { response, appId: app.id, userId: user.id };
}
