import * as oauth from 'oauth4webapi';
import { z } from 'zod';
import { identityProviderByName, identityProviderRequest } from '../credentials/identity-providers.js';
import { scopesOf } from './jwt-validation.js';
import { bearerToken, PolicyRefusal, type PolicyKind } from './policy-kind.js';

export const introspectionPolicySchema = z.object({
  type: z.literal('introspection'),
  /** The identity provider's RFC 7662 introspection endpoint. */
  url: z.url(),
  /** The hub identity provider whose client id and secret authenticate the introspection calls. */
  identityProvider: z.string().min(1).max(100),
  requiredScopes: z.array(z.string().min(1)).default([]),
}).strict().meta({ id: 'IntrospectionPolicy', description: 'The caller sends an OAuth 2.0 access token, checked at the identity provider\'s introspection endpoint.' });
export type IntrospectionPolicy = z.infer<typeof introspectionPolicySchema>;

/** OAuth 2.0 access token enforcement by introspection (RFC 7662): the token must be active, and hold the scopes. */
export const tokenIntrospection: PolicyKind<IntrospectionPolicy> = {
  type: 'introspection',
  schema: introspectionPolicySchema,
  authenticates: true,
  urls: (s) => [s.url],
  async check(ctx, s, call) {
    const token = bearerToken(call);
    if (!token) throw new PolicyRefusal(401, 'Unauthorized', 'Send an access token from the identity provider: "Authorization: Bearer <token>".', { 'WWW-Authenticate': 'Bearer' });
    const idp = identityProviderRequest(ctx, await identityProviderByName(ctx, s.identityProvider));
    const as: oauth.AuthorizationServer = { issuer: new URL(s.url).origin, introspection_endpoint: s.url };
    const client: oauth.Client = { client_id: idp.clientId };
    let answer: oauth.IntrospectionResponse;
    try {
      const response = await oauth.introspectionRequest(as, client, oauth.ClientSecretPost(idp.clientSecret), token, {
        [oauth.allowInsecureRequests]: ctx.outbound.allowPrivateNetworks,
        [oauth.customFetch]: ctx.outbound.fetch,
        signal: AbortSignal.timeout(5000),
      });
      answer = await oauth.processIntrospectionResponse(as, client, response);
    } catch {
      // The endpoint is down or refused the hub: the caller cannot be vouched for.
      throw new PolicyRefusal(401, 'Unauthorized', 'the token could not be checked with the identity provider', { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
    }
    if (!answer.active) throw new PolicyRefusal(401, 'Unauthorized', 'the token is not active (expired, revoked or unknown)', { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
    const scopes = scopesOf(answer as Record<string, unknown>);
    const missing = s.requiredScopes.filter((scope) => !scopes.includes(scope));
    if (missing.length) throw new PolicyRefusal(403, 'Forbidden', `the token lacks the scope${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
    return { via: 'token', ...(answer.sub ? { subject: answer.sub } : {}), ...(answer.client_id ? { clientId: answer.client_id } : {}), ...(answer.iss ? { issuer: answer.iss } : {}), scopes };
  },
};
