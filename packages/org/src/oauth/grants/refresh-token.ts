import type { ExternalClientApp } from '../../apps/apps.js';
import { sealContext } from '../../apps/consumer-credentials.js';
import { sha256 } from '../../crypto/hashing.js';
import { findUserById } from '../../identity/users.js';
import type { AppConsumerTable, RefreshTokenTable } from '../../store/schema.js';
import { authenticateClient } from '../client-auth.js';
import type { OAuthContext, TokenRequest } from '../context.js';
import { OAuthError, SalesforceOAuthErrors } from '../errors.js';
import { recordEvent } from '../events.js';
import { issueAccessToken, issueRefreshToken, revokeGrant } from '../tokens.js';
import { tokenResponse } from '../token-response.js';
import type { GrantResult } from './grant.js';

/** When a new chain's refresh token stops working under the app's "expire after N" policy. */
export function refreshExpiry(app: ExternalClientApp, now: number): number | null {
  const { policy, seconds } = app.refreshTokenPolicy;
  return policy === 'expireAfter' && seconds !== undefined ? now + seconds * 1000 : null;
}

export function consumerSecretOf(ctx: OAuthContext, consumer: AppConsumerTable): string {
  return ctx.box.open(consumer.secret_sealed, sealContext(consumer.id));
}

const successorContext = (row: RefreshTokenTable) => `refresh_successor:${row.token_hash}`;

/**
 * Refresh honours the app's policy (valid until revoked, expire after N, expire if unused for N).
 * With rotation on, each refresh token is good once. Presenting it again within the grace window
 * returns the same successor, so a retried or concurrent refresh never forks or breaks the chain;
 * after the window it is reuse, and the whole chain is revoked.
 */
export async function refreshTokenGrant(ctx: OAuthContext, req: TokenRequest): Promise<GrantResult> {
  const presented = req.params.refresh_token;
  if (!presented) throw new OAuthError('invalid_request', 'refresh_token is required');
  const client = await authenticateClient(ctx, req, false);
  const { app } = client;
  if (app.requireSecretForRefreshToken && client.presentedSecret === undefined) throw SalesforceOAuthErrors.badSecret();
  if (!app.flows.includes('refresh_token')) throw SalesforceOAuthErrors.grantNotEnabled();

  const now = ctx.now();
  const row = await ctx.db.selectFrom('refresh_tokens').selectAll().where('token_hash', '=', sha256(presented)).executeTakeFirst();
  if (!row || row.revoked === 1 || row.app_id !== app.id) throw SalesforceOAuthErrors.expiredToken();
  if (row.expires_at !== null && row.expires_at <= now) throw SalesforceOAuthErrors.expiredToken();
  const { policy, seconds } = app.refreshTokenPolicy;
  if (policy === 'expireIfNotUsedFor' && seconds !== undefined && row.last_used_at + seconds * 1000 <= now) throw SalesforceOAuthErrors.expiredToken();

  const user = await findUserById(ctx.db, row.user_id);
  if (!user || user.active !== 1) throw SalesforceOAuthErrors.inactiveUser();
  const scopes = row.scopes ? row.scopes.split(' ') : [];
  const consumerSecret = client.presentedSecret ?? consumerSecretOf(ctx, client.consumer);

  const response = await ctx.db.transaction().execute(async (trx) => {
    let refreshToken: string | undefined;
    if (app.refreshTokenRotation) {
      const successor = await issueRefreshToken(trx, { grantId: row.grant_id, appId: app.id, userId: user.id, scopes, now, expiresAt: row.expires_at });
      const claimed = await trx.updateTable('refresh_tokens')
        .set({ rotated_at: now, last_used_at: now, successor_sealed: ctx.box.seal(successor, successorContext(row)) })
        .where('token_hash', '=', row.token_hash).where('rotated_at', 'is', null).where('revoked', '=', 0)
        .executeTakeFirst();
      if (Number(claimed.numUpdatedRows) === 1) refreshToken = successor;
      else refreshToken = await alreadyRotated(trx, row.token_hash);
    } else {
      await trx.updateTable('refresh_tokens').set({ last_used_at: now }).where('token_hash', '=', row.token_hash).execute();
    }
    const { token } = await issueAccessToken(trx, { orgId: ctx.org.orgId, appId: app.id, userId: user.id, scopes, grantId: row.grant_id, now, ttlSeconds: app.accessTokenTtlSeconds });
    return tokenResponse(ctx, { accessToken: token, refreshToken, userId: user.id, scopes, issuedAt: now, consumerSecret });
  }).catch(async (error: unknown) => {
    if (error instanceof ReuseDetected) {
      // Revoked outside the failed transaction, so the revocation itself is committed.
      await revokeGrant(ctx.db, row.grant_id);
      await recordEvent(ctx.db, { at: now, kind: 'refresh_reuse', appId: app.id, userId: user.id, grantType: 'refresh_token', address: req.address, outcome: 'chain_revoked', detail: 'a rotated refresh token was presented after the grace window' });
      throw SalesforceOAuthErrors.expiredToken();
    }
    throw error;
  });
  return { response, appId: app.id, userId: user.id };

  async function alreadyRotated(trx: typeof ctx.db, tokenHash: string): Promise<string> {
    const current = await trx.selectFrom('refresh_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirstOrThrow();
    const withinGrace = current.rotated_at !== null && now - current.rotated_at <= ctx.refreshGraceSeconds * 1000;
    if (current.revoked === 0 && withinGrace && current.successor_sealed) return ctx.box.open(current.successor_sealed, successorContext(current));
    throw new ReuseDetected();
  }
}

class ReuseDetected extends Error {}
