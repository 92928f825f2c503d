import { authenticateClient } from '../client-auth.js';
import type { OAuthContext, TokenRequest } from '../context.js';
import { SalesforceOAuthErrors } from '../errors.js';
import { grantScopes } from '../scopes.js';
import { accessTokenRow } from '../tokens.js';
import { tokenResponse } from '../token-response.js';
import type { GrantResult } from './grant.js';

/**
 * Client credentials, as Salesforce does it: only on the org's own host, a token in the run-as
 * user's context, no refresh token and no `expires_in`.
 */
export async function clientCredentialsGrant(ctx: OAuthContext, req: TokenRequest): Promise<GrantResult> {
  if (!req.onMyDomain) throw SalesforceOAuthErrors.wrongDomain();
  const client = await authenticateClient(ctx, req, true);
  const { app } = client;
  if (!app.flows.includes('client_credentials')) throw SalesforceOAuthErrors.grantNotEnabled();
  const user = app.runAsUserId ? await ctx.cache.user(app.runAsUserId) : undefined;
  if (!user || user.active !== 1) throw SalesforceOAuthErrors.noRunAsUser();

  const scopes = grantScopes(app.scopes, req.params.scope, true);
  const now = ctx.now();
  const { token, row } = accessTokenRow({ orgId: ctx.org.orgId, appId: app.id, userId: user.id, scopes, grantId: null, now, ttlSeconds: app.accessTokenTtlSeconds });
  const response = tokenResponse(ctx, { accessToken: token, userId: user.id, scopes, issuedAt: now, consumerSecret: client.presentedSecret! });
  return { response, appId: app.id, userId: user.id, unsavedAccessToken: row };
}
