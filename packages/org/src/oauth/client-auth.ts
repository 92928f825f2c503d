import type { AppWithConsumer } from '../apps/apps.js';
import { constantTimeEqual, sha256 } from '../crypto/hashing.js';
import type { OAuthContext, TokenRequest } from './context.js';
import { OAuthError, SalesforceOAuthErrors } from './errors.js';

export interface AuthenticatedClient extends AppWithConsumer {
  /** The secret the client presented, when it presented one (used to sign the response). */
  presentedSecret: string | undefined;
}

/**
 * Identifies the client from the form body or HTTP Basic (never both) and checks its secret in
 * constant time. `secretRequired` is false only where the app lets public clients skip it.
 */
export async function authenticateClient(ctx: OAuthContext, req: TokenRequest, secretRequired: boolean): Promise<AuthenticatedClient> {
  const bodyId = req.params.client_id;
  const bodySecret = req.params.client_secret;
  if (req.basicAuth && (bodyId !== undefined || bodySecret !== undefined)) {
    if (bodyId !== undefined && bodyId !== req.basicAuth.clientId) {
      throw new OAuthError('invalid_request', 'client credentials were sent both in the Authorization header and in the body; use one');
    }
  }
  const clientId = req.basicAuth?.clientId ?? bodyId;
  const secret = req.basicAuth?.clientSecret ?? bodySecret;
  if (!clientId) throw SalesforceOAuthErrors.unknownClient();

  const found = await ctx.cache.appByConsumerKey(clientId);
  if (!found) throw SalesforceOAuthErrors.unknownClient();
  if (secret === undefined || secret === '') {
    if (secretRequired) throw withBasicChallenge(SalesforceOAuthErrors.badSecret(), req);
    return { ...found, presentedSecret: undefined };
  }
  if (!constantTimeEqual(sha256(secret), found.consumer.secret_hash)) throw withBasicChallenge(SalesforceOAuthErrors.badSecret(), req);
  return { ...found, presentedSecret: secret };
}

/** RFC 6749 §5.2: a failed HTTP Basic client authentication answers 401 with a challenge. */
function withBasicChallenge(error: OAuthError, req: TokenRequest): OAuthError {
  return req.basicAuth ? new OAuthError(error.error, error.description, 401, { 'WWW-Authenticate': 'Basic realm="Salesforce"' }) : error;
}

/** Decodes `Authorization: Basic …` as RFC 6749 §2.3.1 says (form-encoded id and secret). */
export function parseBasicAuth(header: string | undefined): TokenRequest['basicAuth'] {
  if (!header || !/^basic /i.test(header)) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 1) throw new OAuthError('invalid_client', 'the Basic authorization header must hold client_id:client_secret', 401, { 'WWW-Authenticate': 'Basic realm="Salesforce"' });
  try {
    return { clientId: decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' ')), clientSecret: decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' ')) };
  } catch {
    throw new OAuthError('invalid_client', 'the Basic authorization header is not validly encoded', 401, { 'WWW-Authenticate': 'Basic realm="Salesforce"' });
  }
}
