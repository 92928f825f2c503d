import { createRemoteJWKSet, customFetch, errors, jwtVerify, type JWTPayload } from 'jose';
import { z } from 'zod';
import type { HubContext } from '../context.js';
import { duration, durationMs } from '../flows/schema-parts.js';
import { bearerToken, PolicyRefusal, type PolicyKind } from './policy-kind.js';

export const jwtPolicySchema = z.object({
  type: z.literal('jwt'),
  issuer: z.string().min(1).max(2000),
  jwksUrl: z.url(),
  audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
  /** Every one of these must be in the token's `scope` (or `scp`). */
  requiredScopes: z.array(z.string().min(1)).default([]),
  /** Claims that must hold one of the given values. */
  claims: z.record(z.string(), z.union([z.string(), z.array(z.string()).min(1)])).default({}),
  clockSkew: duration.default('60s'),
}).strict().meta({ id: 'JwtPolicy', description: 'The caller sends a JWT (Authorization: Bearer) signed by a key of the issuer\'s JWKS.' });
export type JwtPolicy = z.infer<typeof jwtPolicySchema>;

/** One key set per JWKS URL, fetched through the hub's outbound client (its address checks apply). */
const keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

function keysOf(ctx: HubContext, url: string) {
  let keys = keySets.get(url);
  if (!keys) keySets.set(url, (keys = createRemoteJWKSet(new URL(url), { timeoutDuration: 5000, [customFetch]: ctx.outbound.fetch })));
  return keys;
}

/** The scopes a token or an introspection answer grants (`scope` as a space-separated string, or `scp` as a list). */
export const scopesOf = (claims: Record<string, unknown>): string[] => {
  const value = claims.scope ?? claims.scp;
  return Array.isArray(value) ? value.map(String) : typeof value === 'string' ? value.split(' ').filter(Boolean) : [];
};

/** JWT validation: signature (JWKS), issuer, audience, expiry and not-before (with clock skew), scopes, claims. */
export const jwtValidation: PolicyKind<JwtPolicy> = {
  type: 'jwt',
  schema: jwtPolicySchema,
  authenticates: true,
  urls: (s) => [s.jwksUrl],
  async check(ctx, s, call) {
    const token = bearerToken(call);
    if (!token) throw new PolicyRefusal(401, 'Unauthorized', 'Send a JWT from the identity provider: "Authorization: Bearer <token>".', { 'WWW-Authenticate': 'Bearer' });
    let claims: JWTPayload;
    try {
      claims = (await jwtVerify(token, keysOf(ctx, s.jwksUrl), { issuer: s.issuer, ...(s.audience ? { audience: s.audience } : {}), clockTolerance: Math.floor(durationMs(s.clockSkew) / 1000) })).payload;
    } catch (error) {
      const why = error instanceof errors.JWTExpired ? 'the token has expired'
        : error instanceof errors.JWTClaimValidationFailed ? `the token's ${error.claim} claim is not accepted (${error.reason})`
          : error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid ? 'the identity provider\'s keys could not be read'
            : 'the token is not a JWT signed by the identity provider';
      throw new PolicyRefusal(401, 'Unauthorized', why, { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
    }
    const scopes = scopesOf(claims);
    const missing = s.requiredScopes.filter((scope) => !scopes.includes(scope));
    if (missing.length) throw new PolicyRefusal(403, 'Forbidden', `the token lacks the scope${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`, { 'WWW-Authenticate': `Bearer error="insufficient_scope", scope="${s.requiredScopes.join(' ')}"` });
    for (const [name, allowed] of Object.entries(s.claims)) {
      const value = claims[name];
      const values = Array.isArray(value) ? value.map(String) : value === undefined ? [] : [String(value)];
      const wanted = Array.isArray(allowed) ? allowed : [allowed];
      if (!values.some((v) => wanted.includes(v))) throw new PolicyRefusal(403, 'Forbidden', `the token's ${name} claim is not one this endpoint accepts`);
    }
    const clientId = claims.client_id ?? claims.azp ?? claims.cid;
    return { via: 'token', ...(claims.sub ? { subject: claims.sub } : {}), ...(typeof clientId === 'string' ? { clientId } : {}), ...(claims.iss ? { issuer: claims.iss } : {}), scopes };
  },
};
