import * as oauth from 'oauth4webapi';
import type { Outbound } from '../net/outbound.js';
import { redactSecrets } from '../vault/redact.js';
import { TokenRequestError } from './client-credentials.js';
import type { FetchedToken } from './token-manager.js';

export interface GrantRequest {
  tokenUrl: string;
  clientId: string;
  /** Sent with client_secret_post when set; else the client only names itself. */
  clientSecret?: string | undefined;
  grantType: string;
  params: URLSearchParams;
  /** What must never appear in an error the hub keeps (the assertion, the subject token). */
  secrets: string[];
}

/**
 * A token request of an extension grant (JWT bearer, token exchange) through oauth4webapi. A refusal
 * keeps only the OAuth error fields, with the request's secrets removed from them.
 */
export async function requestGrant(req: GrantRequest, outbound: Outbound): Promise<FetchedToken> {
  const as: oauth.AuthorizationServer = { issuer: new URL(req.tokenUrl).origin, token_endpoint: req.tokenUrl };
  const client: oauth.Client = { client_id: req.clientId };
  try {
    const response = await oauth.genericTokenEndpointRequest(as, client, req.clientSecret ? oauth.ClientSecretPost(req.clientSecret) : oauth.None(), req.grantType, req.params, {
      [oauth.allowInsecureRequests]: outbound.allowPrivateNetworks,
      [oauth.customFetch]: outbound.fetch,
      signal: AbortSignal.timeout(15_000),
    });
    const tokens = await oauth.processGenericTokenEndpointResponse(as, client, response);
    return { accessToken: tokens.access_token, expiresIn: tokens.expires_in };
  } catch (error) {
    const redact = (text: string | undefined) => (text === undefined ? undefined : redactSecrets(text, [...req.secrets, ...(req.clientSecret ? [req.clientSecret] : [])]));
    if (error instanceof oauth.ResponseBodyError) throw new TokenRequestError(redact(error.error), redact(error.error_description), error.status);
    if (error instanceof oauth.WWWAuthenticateChallengeError) throw new TokenRequestError('invalid_client', redact(error.message), error.status);
    const cause = error as { name?: string; message?: string };
    throw new TokenRequestError('unreachable', redact(`${cause.name === 'TimeoutError' ? 'timed out' : cause.message ?? 'request failed'}`), undefined);
  }
}
