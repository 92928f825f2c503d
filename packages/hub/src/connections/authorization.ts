import { createHash, randomBytes } from 'node:crypto';
import * as oauth from 'oauth4webapi';
import { TokenRequestError } from '../auth/client-credentials.js';
import type { FetchedToken } from '../auth/token-manager.js';
import { audit } from '../audit/audit-log.js';
import { redactSecrets } from '../vault/redact.js';
import type { AuthorizationServerEndpoints, ConnectionConfig, ConnectorMethod } from '../connectors/connector.js';
import type { HubContext } from '../context.js';
import { Problem } from '../problem.js';
import type { ConnectionTable } from '../store/schema.js';

const STATE_TTL_MS = 10 * 60 * 1000;
const sha256 = (text: string) => createHash('sha256').update(text).digest('base64url');
const stateContext = (stateHash: string) => `oauth_state:${stateHash}`;
export const secretsContext = (id: string) => `connection:${id}:secrets`;

/** A connection's secrets sealed for its row, with the hash of the ciphertext that tells callers they changed. */
export function sealSecrets(ctx: HubContext, id: string, secrets: Record<string, string>): { secrets_sealed: string; credentials_hash: string } {
  const sealed = ctx.vault.seal(JSON.stringify(secrets), secretsContext(id));
  return { secrets_sealed: sealed, credentials_hash: createHash('sha256').update(sealed).digest('hex') };
}
export const CALLBACK_PATH = '/api/v1/oauth/callback';

function endpoints(method: ConnectorMethod, config: ConnectionConfig): AuthorizationServerEndpoints {
  if (!method.authorizationCode) throw new Problem(400, 'Not an authorization code connection', 'Only authorization code connections are authorized or reconnected.');
  return method.authorizationCode(config);
}

function openSecrets(ctx: HubContext, row: ConnectionTable): Record<string, string> {
  return JSON.parse(ctx.vault.open(row.secrets_sealed, secretsContext(row.id)).reveal()) as Record<string, string>;
}

const insecure = (ctx: HubContext) => ({ [oauth.allowInsecureRequests]: ctx.outbound.allowPrivateNetworks, [oauth.customFetch]: ctx.outbound.fetch });

/** The URL to send the user to (first connect or reconnect): state and PKCE verifier stay here. */
export async function startAuthorization(ctx: HubContext, row: ConnectionTable, method: ConnectorMethod, config: ConnectionConfig): Promise<string> {
  const ep = endpoints(method, config);
  const state = randomBytes(32).toString('base64url');
  const verifier = oauth.generateRandomCodeVerifier();
  const redirectUri = ctx.publicUrl() + CALLBACK_PATH;
  const stateHash = sha256(state);
  await ctx.db.deleteFrom('oauth_states').where('expires_at', '<', ctx.now()).execute();
  await ctx.db.insertInto('oauth_states').values({ state_hash: stateHash, connection_id: row.id, verifier_sealed: ctx.vault.seal(verifier, stateContext(stateHash)), redirect_uri: redirectUri, expires_at: ctx.now() + STATE_TTL_MS }).execute();
  const url = new URL(ep.authorizeUrl);
  url.search = new URLSearchParams({ response_type: 'code', client_id: ep.clientId, redirect_uri: redirectUri, scope: ep.scope, state, code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' }).toString();
  return url.toString();
}

/**
 * Redeems the code the IdP sent back. The state is single use and bound to one connection, so a
 * reconnect lands on the same connection id, with every flow that uses it.
 */
export async function completeAuthorization(ctx: HubContext, params: URLSearchParams, methodOf: (row: ConnectionTable) => ConnectorMethod): Promise<ConnectionTable> {
  const state = params.get('state') ?? '';
  const stateHash = sha256(state);
  const pending = await ctx.db.selectFrom('oauth_states').selectAll().where('state_hash', '=', stateHash).executeTakeFirst();
  await ctx.db.deleteFrom('oauth_states').where('state_hash', '=', stateHash).execute();
  if (!pending || pending.expires_at <= ctx.now()) throw new Problem(400, 'Unknown or expired authorization', 'This authorization link is unknown, used or expired. Start again from the hub.');
  const row = await ctx.db.selectFrom('connections').selectAll().where('id', '=', pending.connection_id).executeTakeFirstOrThrow();
  if (params.get('error')) throw new Problem(400, 'Authorization refused', `The identity provider answered ${params.get('error')}: ${params.get('error_description') ?? ''}`.trim());
  const code = params.get('code');
  if (!code) throw new Problem(400, 'No code', 'The identity provider sent no authorization code.');
  const config = JSON.parse(row.config) as ConnectionConfig;
  const ep = endpoints(methodOf(row), config);
  const secrets = openSecrets(ctx, row);
  const as: oauth.AuthorizationServer = { issuer: new URL(ep.tokenUrl).origin, token_endpoint: ep.tokenUrl };
  const client: oauth.Client = { client_id: ep.clientId };
  let tokens: oauth.TokenEndpointResponse;
  try {
    const callback = new URL(pending.redirect_uri);
    callback.search = new URLSearchParams({ code, state }).toString();
    const validated = oauth.validateAuthResponse(as, client, callback, state);
    const response = await oauth.authorizationCodeGrantRequest(as, client, oauth.ClientSecretPost(secrets.consumerSecret!), validated, pending.redirect_uri, ctx.vault.open(pending.verifier_sealed, stateContext(stateHash)).reveal(), insecure(ctx));
    tokens = await oauth.processAuthorizationCodeResponse(as, client, response);
  } catch (error) {
    if (error instanceof oauth.ResponseBodyError) throw new Problem(400, 'Code exchange failed', redactSecrets(`The identity provider refused the code: ${error.error} ${error.error_description ?? ''}`.trim(), [secrets.consumerSecret!, code]));
    throw error;
  }
  if (!tokens.refresh_token) throw new Problem(400, 'No refresh token', 'The identity provider issued no refresh token: grant the refresh_token (offline_access) scope on the app.');
  const now = ctx.now();
  const next: ConnectionTable = { ...row, ...sealSecrets(ctx, row.id, { ...secrets, refreshToken: tokens.refresh_token }), status: 'active', status_reason: null, last_tested_at: now, updated_at: now };
  await ctx.db.updateTable('connections').set(next).where('id', '=', row.id).execute();
  await ctx.tokens.forget(row.id);
  await audit(ctx.db, now, { actor: 'oauth callback', action: 'connection.authorize', targetType: 'connection', targetId: row.id, outcome: 'success' });
  return next;
}

/**
 * A new access token from the stored refresh token. A rotated refresh token is sealed and stored
 * before the access token is used. `invalid_grant` re-reads the store first: if another process
 * rotated the token meanwhile, its successor is used; only if the stored token itself was refused
 * is the connection marked "needs reconnect".
 */
export async function refreshFromStore(ctx: HubContext, id: string, method: ConnectorMethod): Promise<FetchedToken> {
  for (let attempt = 0; attempt < 2; attempt++) {
    const row = await ctx.db.selectFrom('connections').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const secrets = openSecrets(ctx, row);
    if (!secrets.refreshToken) throw new TokenRequestError('invalid_grant', 'not authorized yet: authorize the connection first', undefined);
    const ep = endpoints(method, JSON.parse(row.config) as ConnectionConfig);
    const as: oauth.AuthorizationServer = { issuer: new URL(ep.tokenUrl).origin, token_endpoint: ep.tokenUrl };
    const client: oauth.Client = { client_id: ep.clientId };
    try {
      const response = await oauth.refreshTokenGrantRequest(as, client, oauth.ClientSecretPost(secrets.consumerSecret!), secrets.refreshToken, insecure(ctx));
      const tokens = await oauth.processRefreshTokenResponse(as, client, response);
      if (tokens.refresh_token && tokens.refresh_token !== secrets.refreshToken) {
        await ctx.db.updateTable('connections').set(sealSecrets(ctx, id, { ...secrets, refreshToken: tokens.refresh_token })).where('id', '=', id).where('secrets_sealed', '=', row.secrets_sealed).execute();
      }
      return { accessToken: tokens.access_token, expiresIn: tokens.expires_in };
    } catch (error) {
      if (!(error instanceof oauth.ResponseBodyError)) throw error;
      if (error.error === 'invalid_grant') {
        const now = await ctx.db.selectFrom('connections').select('secrets_sealed').where('id', '=', id).executeTakeFirst();
        if (now && now.secrets_sealed !== row.secrets_sealed && attempt === 0) continue;
        const reason = 'the refresh token expired or was revoked: reconnect (authorize again)';
        await ctx.db.updateTable('connections').set({ status: 'needs_reconnect', status_reason: reason }).where('id', '=', id).execute();
        await audit(ctx.db, ctx.now(), { actor: 'token manager', action: 'connection.refresh', targetType: 'connection', targetId: id, outcome: 'needs_reconnect' });
      }
      const known = Object.values(secrets).filter((v): v is string => typeof v === 'string');
      throw new TokenRequestError(redactSecrets(error.error, known), error.error_description === undefined ? undefined : redactSecrets(error.error_description, known), error.status);
    }
  }
  throw new TokenRequestError('invalid_grant', 'refresh token changed twice while refreshing', undefined);
}
