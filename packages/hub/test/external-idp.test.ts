import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import Provider, { errors } from 'oidc-provider';
import { connectionClient } from '../src/connections/connections.js';
import { STORES, startTestHub, type TestHub } from './helpers.js';

const RESOURCE = 'https://erp.example/api';
const listen = (server: Server) => new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));

/**
 * A real, standard IdP nobody here wrote (node-oidc-provider) that issues an audience-bound JWT
 * only when the token request names the resource (RFC 8707), and an API that accepts only tokens
 * for its audience — the case Salesforce's External Auth Identity Provider custom parameters are for.
 */
describe('client credentials against oidc-provider with a custom token parameter', () => {
  let idp: Server;
  let api: Server;
  let issuer: string;
  let apiUrl: string;
  let hub: TestHub;
  let key: string;
  let tokenRequests = 0;

  before(async () => {
    idp = createServer();
    issuer = await listen(idp);
    const provider = new Provider(issuer, {
      clients: [{ client_id: 'hub', client_secret: 'hub-secret-0123456789abcdef0123456789', grant_types: ['client_credentials'], redirect_uris: [], response_types: [], token_endpoint_auth_method: 'client_secret_post' }],
      scopes: ['erp'],
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
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
    api = createServer((req, res) => {
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      jwtVerify(token ?? '', jwks, { issuer, audience: RESOURCE }).then(
        () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'),
        () => res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_token"}'),
      );
    });
    apiUrl = await listen(api);
    hub = await startTestHub(STORES[0]!);
    key = await hub.key();
  });
  after(async () => {
    await hub.close();
    idp.close();
    api.close();
  });

  const connection = (name: string, tokenParams: unknown[]) => ({
    name, app: 'http', method: 'oauth2_client_credentials',
    credentials: { baseUrl: apiUrl, tokenUrl: `${issuer}/token`, clientId: 'hub', clientSecret: 'hub-secret-0123456789abcdef0123456789', tokenParams, testPath: '/ping' },
  });

  it('without the resource parameter the token is not accepted, and the connection is not saved', async () => {
    const res = await hub.api(key, 'POST', '/api/v1/connections', connection('ERP without audience', []));
    assert.equal(res.status, 422, res.text);
    assert.match(String(res.body.detail), /401/);
  });

  it('with it, the hub obtains an audience-bound token once and shares it', async () => {
    const res = await hub.api(key, 'POST', '/api/v1/connections', connection('ERP', [{ name: 'resource', value: RESOURCE, in: 'body' }, { name: 'scope', value: 'erp' }]));
    assert.equal(res.status, 201, res.text);
    const conn = res.body.connection as { id: string; status: string; config: { tokenParams: unknown[] } };
    assert.equal(conn.status, 'active');
    assert.deepEqual(conn.config.tokenParams, [{ name: 'resource', value: RESOURCE, in: 'body' }, { name: 'scope', value: 'erp', in: 'body' }]);
    const before = tokenRequests;
    const client = await connectionClient(hub.ctx, conn.id);
    const statuses = await Promise.all(Array.from({ length: 100 }, async () => (await client.request('/ping')).status));
    assert.deepEqual(new Set(statuses), new Set([200]));
    assert.equal(tokenRequests, before, 'the token from the connection test is reused (expires_in honoured, well within its hour)');
  });

  it('refuses parameters that would override the grant or the client credentials', async () => {
    const res = await hub.api(key, 'POST', '/api/v1/connections', connection('ERP override', [{ name: 'client_id', value: 'someone-else' }]));
    assert.equal(res.status, 400);
    assert.match(res.text, /credentials\.tokenParams\.0/);
  });
});
