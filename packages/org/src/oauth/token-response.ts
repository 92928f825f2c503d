import { hmacSha256Base64 } from '../crypto/hashing.js';
import type { OAuthContext } from './context.js';

/** Salesforce's token response, fields in Salesforce's order. Note: no `expires_in`, `issued_at` is a string of milliseconds. */
export interface SalesforceTokenResponse {
  access_token: string;
  refresh_token?: string;
  signature: string;
  scope: string;
  instance_url: string;
  id: string;
  token_type: 'Bearer';
  issued_at: string;
  /** Token exchange (RFC 8693) only. */
  issued_token_type?: string;
}

export function identityUrl(ctx: OAuthContext, userId: string): string {
  return `${ctx.urls.loginUrl}/id/${ctx.org.orgId}/${userId}`;
}

/** `signature` lets the client check that `id` was not altered: HMAC-SHA256 keyed by the consumer secret. */
export function tokenResponse(ctx: OAuthContext, input: { accessToken: string; refreshToken?: string | undefined; userId: string; scopes: readonly string[]; issuedAt: number; consumerSecret: string }): SalesforceTokenResponse {
  const id = identityUrl(ctx, input.userId);
  const issuedAt = String(input.issuedAt);
  return {
    access_token: input.accessToken,
    ...(input.refreshToken ? { refresh_token: input.refreshToken } : {}),
    signature: hmacSha256Base64(input.consumerSecret, id + issuedAt),
    scope: input.scopes.join(' '),
    instance_url: ctx.urls.instanceUrl,
    id,
    token_type: 'Bearer',
    issued_at: issuedAt,
  };
}
