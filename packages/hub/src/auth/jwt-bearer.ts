import { createPrivateKey } from 'node:crypto';
import { SignJWT } from 'jose';
import type { JwtBearerRequest } from '../connectors/connector.js';
import type { Outbound } from '../net/outbound.js';
import type { Secret } from '../vault/secret.js';
import { requestGrant } from './grant-request.js';
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
  return requestGrant({ tokenUrl: req.tokenUrl, clientId: req.issuer, grantType: JWT_BEARER_GRANT, params: new URLSearchParams({ assertion }), secrets: [assertion] }, outbound);
}
