import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import Provider, { errors } from 'oidc-provider';

export const RESOURCE = 'https://erp.example/api';
export const IDP_CLIENT = { id: 'hub', secret: 'hub-secret-0123456789abcdef0123456789' };

const listen = (server: Server) => new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));

export interface ResourceIdp {
  issuer: string;
  apiUrl: string;
  tokenRequests(): number;
  close(): void;
}

/**
 * A real, standard IdP nobody here wrote (node-oidc-provider) that issues an audience-bound JWT
 * only when the token request names the resource (RFC 8707), and an API (`GET /ping`) that
 * accepts only tokens for its audience, verified with jose against the IdP's JWKS.
 */
export async function startResourceIdp(): Promise<ResourceIdp> {
  const idp = createServer();
  const issuer = await listen(idp);
  let tokenRequests = 0;
  const provider = new Provider(issuer, {
    clients: [{ client_id: IDP_CLIENT.id, client_secret: IDP_CLIENT.secret, grant_types: ['client_credentials'], redirect_uris: [], response_types: [], token_endpoint_auth_method: 'client_secret_post' }],
    scopes: ['erp'],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      // RFC 7662, for the hub's introspection policy (opaque tokens: those asked for without a resource).
      introspection: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => undefined as unknown as string,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, indicator) => {
          if (indicator !== RESOURCE) throw new errors.InvalidTarget();
          return { scope: 'erp', audience: RESOURCE, accessTokenFormat: 'jwt', accessTokenTTL: 3600, jwt: { sign: { alg: 'RS256' } } };
        },
      },
    },
  });
  provider.on('grant.success', () => tokenRequests++);
  idp.on('request', provider.callback());

  const jwks = createRemoteJWKSet(new URL(`${issuer}/jwks`));
  const api = createServer((req, res) => {
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    jwtVerify(token ?? '', jwks, { issuer, audience: RESOURCE }).then(
      () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'),
      () => res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_token"}'),
    );
  });
  const apiUrl = await listen(api);
  return { issuer, apiUrl, tokenRequests: () => tokenRequests, close: () => { idp.close(); api.close(); } };
}
