import type { TokenExchangeRequest } from '../connectors/connector.js';
import type { Outbound } from '../net/outbound.js';
import type { Secret } from '../vault/secret.js';
import { requestGrant } from './grant-request.js';
import type { FetchedToken } from './token-manager.js';

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';

/** OAuth 2.0 token exchange (RFC 8693): the identity provider's token for one of the authorization server's. */
export function exchangeToken(req: TokenExchangeRequest, subjectToken: Secret, outbound: Outbound): Promise<FetchedToken> {
  const params = new URLSearchParams({ subject_token: subjectToken.reveal(), subject_token_type: req.subjectTokenType, ...(req.tokenHandler ? { token_handler: req.tokenHandler } : {}) });
  return requestGrant({ tokenUrl: req.tokenUrl, clientId: req.clientId, clientSecret: req.clientSecret, grantType: TOKEN_EXCHANGE_GRANT, params, secrets: [subjectToken.reveal()] }, outbound);
}
