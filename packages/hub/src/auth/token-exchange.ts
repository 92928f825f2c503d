import * as oauth from 'oauth4webapi';
import type { TokenExchangeRequest } from '../connectors/connector.js';
import type { Outbound } from '../net/outbound.js';
import { redactSecrets } from '../vault/redact.js';
import type { Secret } from '../vault/secret.js';
import { TokenRequestError } from './client-credentials.js';
import type { FetchedToken } from './token-manager.js';

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';

/** OAuth 2.0 token exchange (RFC 8693): the identity provider's token for one of the authorization server's. */
export async function exchangeToken(req: TokenExchangeRequest, subjectToken: Secret, outbound: Outbound): Promise<FetchedToken> {
  const as: oauth.AuthorizationServer = { issuer: new URL(req.tokenUrl).origin, token_endpoint: req.tokenUrl };
  const client: oauth.Client = { client_id: req.clientId };
  const params = new URLSearchParams({ subject_token: subjectToken.reveal(), subject_token_type: req.subjectTokenType, ...(req.tokenHandler ? { token_handler: req.tokenHandler } : {}) });
  try {
    const response = await oauth.genericTokenEndpointRequest(as, client, req.clientSecret ? oauth.ClientSecretPost(req.clientSecret) : oauth.None(), TOKEN_EXCHANGE_GRANT, params, {
      [oauth.allowInsecureRequests]: outbound.allowPrivateNetworks,
      [oauth.customFetch]: outbound.fetch,
      signal: AbortSignal.timeout(15_000),
    });
    const tokens = await oauth.processGenericTokenEndpointResponse(as, client, response);
    return { accessToken: tokens.access_token, expiresIn: tokens.expires_in };
  } catch (error) {
    const redact = (text: string | undefined) => (text === undefined ? undefined : redactSecrets(text, [subjectToken.reveal(), ...(req.clientSecret ? [req.clientSecret] : [])]));
    if (error instanceof oauth.ResponseBodyError) throw new TokenRequestError(redact(error.error), redact(error.error_description), error.status);
    if (error instanceof oauth.WWWAuthenticateChallengeError) throw new TokenRequestError('invalid_client', redact(error.message), error.status);
    const cause = error as { name?: string; message?: string };
    throw new TokenRequestError('unreachable', redact(`${cause.name === 'TimeoutError' ? 'timed out' : cause.message ?? 'request failed'}`), undefined);
  }
}
