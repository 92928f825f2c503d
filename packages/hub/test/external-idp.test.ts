import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectionClient } from '../src/connections/connections.js';
import { STORES, startTestHub, type TestHub } from './helpers.js';
import { IDP_CLIENT, RESOURCE, startResourceIdp, type ResourceIdp } from './resource-idp.js';

describe('client credentials against oidc-provider with a custom token parameter', () => {
  let idp: ResourceIdp;
  let hub: TestHub;
  let key: string;

  before(async () => {
    idp = await startResourceIdp();
    hub = await startTestHub(STORES[0]!);
    key = await hub.key();
  });
  after(async () => {
    await hub.close();
    idp.close();
  });

  const connection = (name: string, tokenParams: unknown[]) => ({
    name, app: 'http', method: 'oauth2_client_credentials',
    credentials: { baseUrl: idp.apiUrl, tokenUrl: `${idp.issuer}/token`, clientId: IDP_CLIENT.id, clientSecret: IDP_CLIENT.secret, tokenParams, testPath: '/ping' },
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
    const before = idp.tokenRequests();
    const client = await connectionClient(hub.ctx, conn.id);
    const statuses = await Promise.all(Array.from({ length: 100 }, async () => (await client.request('/ping')).status));
    assert.deepEqual(new Set(statuses), new Set([200]));
    assert.equal(idp.tokenRequests(), before, 'the token from the connection test is reused (expires_in honoured, well within its hour)');
  });

  it('refuses parameters that would override the grant or the client credentials', async () => {
    const res = await hub.api(key, 'POST', '/api/v1/connections', connection('ERP override', [{ name: 'client_id', value: 'someone-else' }]));
    assert.equal(res.status, 400);
    assert.match(res.text, /credentials\.tokenParams\.0/);
  });
});
