import { createPrivateKey } from 'node:crypto';
import { SignJWT } from 'jose';
import * as oauth from 'oauth4webapi';
import type { JwtBearerRequest } from '../connectors/connector.js';
import type { Outbound } from '../net/outbound.js';
import { redactSecrets } from '../vault/redact.js';
import type { Secret } from '../vault/secret.js';
import { TokenRequestError } from './client-credentials.js';
import type { FetchedToken } from './token-manager.js';

export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** How long an assertion is good for: Salesforce wants `exp` within 3 minutes. */
const ASSERTION_SECONDS = 180;

/**
 * OAuth 2.0 JWT bearer (RFC 7523): an RS256 assertion signed here with the connection's private key
 * (opened from the vault for this call only) and sent with no client secret. The key never leaves
 * the process; only the signed assertion does.
 */
export async function fetchJwtBearerToken(req: JwtBearerRequest, privateKey: Secret, outbound: Outbound): Promise<FetchedToken> {
  const now = Math.floor(Date.now() / 1000);
  const assertion = await new SignJWT({}).setProtectedHeader({ alg: 'RS256' }).setIssuer(req.issuer).setSubject(req.subject).setAudience(req.audience)
    .setIssuedAt(now).setExpirationTime(now + ASSERTION_SECONDS).sign(createPrivateKey(privateKey.reveal()));
  const as: oauth.AuthorizationServer = { issuer: new URL(req.tokenUrl).origin, token_endpoint: req.tokenUrl };
  const client: oauth.Client = { client_id: req.issuer };
  try {
    const response = await oauth.genericTokenEndpointRequest(as, client, oauth.None(), JWT_BEARER_GRANT, new URLSearchParams({ assertion }), {
      [oauth.allowInsecureRequests]: outbound.allowPrivateNetworks,
      [oauth.customFetch]: outbound.fetch,
      signal: AbortSignal.timeout(15_000),
    });
    const tokens = await oauth.processGenericTokenEndpointResponse(as, client, response);
    return { accessToken: tokens.access_token, expiresIn: tokens.expires_in };
  } catch (error) {
    const redact = (text: string | undefined) => (text === undefined ? undefined : redactSecrets(text, [assertion]));
    if (error instanceof oauth.ResponseBodyError) throw new TokenRequestError(redact(error.error), redact(error.error_description), error.status);
    const cause = error as { name?: string; message?: string };
    throw new TokenRequestError('unreachable', redact(`${cause.name === 'TimeoutError' ? 'timed out' : cause.message ?? 'request failed'}`), undefined);
  }
}
