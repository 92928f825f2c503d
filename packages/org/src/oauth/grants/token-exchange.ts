import type { OAuthContext, TokenRequest } from '../context.js';
import { authenticateClient } from '../client-auth.js';
import { OAuthError, SalesforceOAuthErrors } from '../errors.js';
import { grantScopes } from '../scopes.js';
import { handlerFor, SUBJECT_TOKEN_TYPE_URIS, subjectOf, validateSubjectToken } from '../token-exchange-handlers.js';
import { accessTokenRow } from '../tokens.js';
import { tokenResponse } from '../token-response.js';
import type { GrantResult } from './grant.js';
import { consumerSecretOf } from './refresh-token.js';

export const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
/** Salesforce's limit on subject_token since Summer '24. */
const MAX_SUBJECT_TOKEN = 10_000;

/**
 * Token exchange (RFC 8693) as Salesforce does it: a token from an external identity provider is
 * validated by a token exchange handler enabled for the app (the one named by `token_handler`, or
 * the app's default), which maps it to a user; the answer is an access token for that user. The
 * client secret is required unless the app turns "Require secret for Token Exchange Flow" off.
 */
export async function tokenExchangeGrant(ctx: OAuthContext, req: TokenRequest): Promise<GrantResult> {
  const client = await authenticateClient(ctx, req, false);
  const { app, consumer } = client;
  if (!app.flows.includes('token_exchange')) throw new OAuthError('invalid_grant', 'app not enabled for token exchange');
  if (app.requireSecretForTokenExchange && client.presentedSecret === undefined) throw SalesforceOAuthErrors.badSecret();
  const subjectToken = req.params.subject_token;
  if (!subjectToken) throw new OAuthError('invalid_request', 'subject_token is required');
  if (subjectToken.length > MAX_SUBJECT_TOKEN) throw new OAuthError('invalid_request', `subject_token is longer than ${MAX_SUBJECT_TOKEN} characters`);
  const typeUri = req.params.subject_token_type;
  if (!typeUri) throw new OAuthError('invalid_request', 'subject_token_type is required');
  const type = SUBJECT_TOKEN_TYPE_URIS[typeUri] ?? SUBJECT_TOKEN_TYPE_URIS[typeUri.replace(/:JWT$/i, ':jwt')];
  if (!type) throw new OAuthError('invalid_request', `unsupported subject_token_type; use one of ${Object.keys(SUBJECT_TOKEN_TYPE_URIS).join(', ')}`);
  const handler = await handlerFor(ctx.db, app.apiName, req.params.token_handler);
  if (!handler) throw new OAuthError('invalid_grant', req.params.token_handler ? `token handler ${req.params.token_handler} is not enabled for this app` : 'no default token exchange handler is enabled for this app');
  if (!handler.tokenTypes.includes(type)) throw new OAuthError('invalid_grant', `token handler ${handler.name} does not accept ${type} subject tokens`);
  const validated = await validateSubjectToken(handler, subjectToken);
  if ('refused' in validated) throw new OAuthError('invalid_grant', validated.refused);
  const username = subjectOf(handler, validated.claims);
  const user = username ? await ctx.db.selectFrom('users').selectAll().where((eb) => eb.or([eb('username', '=', username), eb('email', '=', username)])).orderBy('username').executeTakeFirst() : undefined;
  if (!user) throw new OAuthError('invalid_grant', 'no user for the subject of the token');
  if (user.active !== 1) throw SalesforceOAuthErrors.inactiveUser();

  const scopes = grantScopes(app.scopes, req.params.scope).filter((s) => s !== 'refresh_token' && s !== 'offline_access');
  const now = ctx.now();
  const { token, row } = accessTokenRow({ orgId: ctx.org.orgId, appId: app.id, userId: user.id, scopes, grantId: null, now, ttlSeconds: app.accessTokenTtlSeconds });
  const response = { ...tokenResponse(ctx, { accessToken: token, userId: user.id, scopes, issuedAt: now, consumerSecret: client.presentedSecret ?? consumerSecretOf(ctx, consumer) }), issued_token_type: 'urn:ietf:params:oauth:token-type:access_token' };
  return { response, appId: app.id, userId: user.id, unsavedAccessToken: row };
}
