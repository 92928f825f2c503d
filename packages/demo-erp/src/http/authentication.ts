import type { FastifyRequest } from 'fastify';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { ErpProblem } from '../problem.js';

/**
 * Every API call needs a Bearer JWT from the ERP's IdP whose audience is this API, with the scope
 * the operation needs; the signature is checked against the IdP's published keys.
 */
export function bearerVerifier(issuer: string, audience: () => string) {
  const keys = createRemoteJWKSet(new URL(`${issuer}/jwks`));
  return async (request: FastifyRequest, scope: 'erp.read' | 'erp.write'): Promise<JWTPayload> => {
    const token = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
    if (!token) throw new ErpProblem(401, 'Unauthorized', 'an access token from the ERP identity provider is required (Authorization: Bearer …)');
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(token, keys, { issuer, audience: audience() }));
    } catch (error) {
      throw new ErpProblem(401, 'Unauthorized', `the access token is not valid for this API: ${(error as Error).message}`);
    }
    const scopes = typeof claims.scope === 'string' ? claims.scope.split(' ') : [];
    if (!scopes.includes(scope)) throw new ErpProblem(403, 'Forbidden', `this operation needs the ${scope} scope`);
    return claims;
  };
}
