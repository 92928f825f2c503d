import * as oauth from 'oauth4webapi';
import type { ClientCredentialsRequest } from '../connectors/connector.js';
import type { Outbound } from '../net/outbound.js';
import { redactSecrets } from '../vault/redact.js';
import type { FetchedToken } from './token-manager.js';

/** A refused token request: only the OAuth error fields, never the request or the response body. */
export class TokenRequestError extends Error {
  override name = 'TokenRequestError';
  constructor(readonly error: string | undefined, readonly description: string | undefined, readonly status: number | undefined) {
    super(`token request failed: ${[status, error, description].filter(Boolean).join(' ')}`);
  }
}

/** OAuth 2.0 client credentials through oauth4webapi; extra parameters (audience…) go in the body. */
export async function fetchClientCredentialsToken(req: ClientCredentialsRequest, outbound: Outbound): Promise<FetchedToken> {
  const as: oauth.AuthorizationServer = { issuer: new URL(req.tokenUrl).origin, token_endpoint: req.tokenUrl };
  const client: oauth.Client = { client_id: req.clientId };
  try {
    const params = req.extraParams ?? [];
    const body = new URLSearchParams(params.filter((p) => p.in === 'body').map((p): [string, string] => [p.name, p.value]));
    const headers = Object.fromEntries(params.filter((p) => p.in === 'header').map((p) => [p.name, p.value]));
    const response = await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretPost(req.clientSecret), body, {
      [oauth.allowInsecureRequests]: outbound.allowPrivateNetworks,
      [oauth.customFetch]: outbound.fetch,
      headers,
      signal: AbortSignal.timeout(15_000),
    });
    const tokens = await oauth.processClientCredentialsResponse(as, client, response);
    return { accessToken: tokens.access_token, expiresIn: tokens.expires_in };
  } catch (error) {
    // What the identity provider says may echo the request: its secret and parameters are removed.
    const redact = (text: string | undefined) => (text === undefined ? undefined : redactSecrets(text, [req.clientSecret, ...(req.extraParams ?? []).map((p) => p.value)]));
    if (error instanceof oauth.ResponseBodyError) throw new TokenRequestError(redact(error.error), redact(error.error_description), error.status);
    if (error instanceof oauth.WWWAuthenticateChallengeError) throw new TokenRequestError('invalid_client', redact(error.message), error.status);
    const cause = error as { name?: string; message?: string; code?: string };
    throw new TokenRequestError('unreachable', redact(`${cause.name === 'TimeoutError' ? 'timed out' : cause.message ?? 'request failed'}`), undefined);
  }
}
