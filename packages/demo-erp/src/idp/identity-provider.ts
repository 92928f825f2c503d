import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

const NO_RESOURCE = 'urn:handshake:no-resource';

export const ERP_SCOPES = ['erp.read', 'erp.write'] as const;

export interface IdpClient { clientId: string; clientSecret: string }

export interface RunningIdp { issuer: string; tokenUrl: string; close(): Promise<void> }

/**
 * The ERP's identity provider: node-oidc-provider, a standard IdP nobody here wrote. It issues
 * client-credentials access tokens only for a named resource (RFC 8707 `resource`, the "audience"
 * the seed's external auth identity provider exists for): a JWT whose `aud` is the ERP's API URL
 * (given as a function: the API's port is known only once it listens).
 * A request without the resource, or for another one, is refused with `invalid_target`.
 */
/**
 * oidc-provider prints its warnings (an unsupported Node version, the development adapter and keys
 * this demo IdP uses on purpose) with console.warn when it is loaded and built. Loaded here, only
 * when an IdP starts, and its lines go to this component's log, not to the user's terminal.
 */
async function quietly<T>(log: (line: string) => void, build: () => Promise<T>): Promise<T> {
  const { warn } = console;
  console.warn = (...args: unknown[]) => (typeof args[0] === 'string' && args[0].includes('oidc-provider ') ? log(args[0]) : warn(...args));
  try {
    return await build();
  } finally {
    console.warn = warn;
  }
}

export async function startIdp(options: { host?: string; port?: number; audience: () => string; clients: IdpClient[]; tokenTtlSeconds?: number; log?: (line: string) => void }): Promise<RunningIdp> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const issuer = `http://${options.host ?? '127.0.0.1'}:${(server.address() as AddressInfo).port}`;
  const provider = await quietly(options.log ?? (() => undefined), async () => {
    const { default: Provider, errors } = await import('oidc-provider');
    return new Provider(issuer, {
      clients: options.clients.map((c) => ({ client_id: c.clientId, client_secret: c.clientSecret, grant_types: ['client_credentials'], redirect_uris: [], response_types: [], token_endpoint_auth_method: 'client_secret_basic' })),
      clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
      ttl: { ClientCredentials: options.tokenTtlSeconds ?? 3600 },
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        resourceIndicators: {
          enabled: true,
          // No default: a token request must say which API it is for (the sentinel is refused below).
          defaultResource: () => NO_RESOURCE,
          useGrantedResource: () => true,
          getResourceServerInfo: (_ctx, indicator) => {
            const audience = options.audience();
            if (indicator === NO_RESOURCE) throw new errors.InvalidTarget(`a resource (audience) is required: ask for ${audience}`);
            if (indicator !== audience) throw new errors.InvalidTarget(`unknown resource ${indicator}; this IdP issues tokens for ${audience}`);
            return { scope: ERP_SCOPES.join(' '), audience, accessTokenFormat: 'jwt', accessTokenTTL: options.tokenTtlSeconds ?? 3600, jwt: { sign: { alg: 'RS256' } } };
          },
        },
      },
    });
  });
  server.on('request', provider.callback());
  return {
    issuer,
    tokenUrl: `${issuer}/token`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
