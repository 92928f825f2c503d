import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { Connection } from 'jsforce';
import { startOrg } from '../src/org/start.js';
import { clientCredentials, form, STORES, startTestOrg, type TestOrg } from './helpers/org.js';

for (const store of STORES) {
  describe(`client credentials flow (${store.name})`, async () => {
    const storeOptions = store.fresh();
    let org: TestOrg = await startTestOrg(store, {}, storeOptions);
    after(() => org.close());

    it('jsforce (unmodified) obtains a token on My Domain and reads identity()', async () => {
      const conn = new Connection({ oauth2: { clientId: org.consumerKey, clientSecret: org.consumerSecret, loginUrl: org.instanceUrl } });
      const info = await conn.authorize({ grant_type: 'client_credentials' });
      assert.equal(conn.instanceUrl, org.instanceUrl);
      assert.match(conn.accessToken!, /^00D[A-Za-z0-9]{12}!/);
      const identity = await conn.identity();
      assert.equal(identity.username, 'integration@handshake.demo');
      assert.equal(identity.organization_id, org.orgId);
      assert.equal(info.id, identity.user_id);
    });

    it('answers with Salesforce fields: no expires_in, issued_at in ms as a string, a valid signature', async () => {
      const before = Date.now();
      const { status, body } = await clientCredentials(org);
      assert.equal(status, 200);
      assert.deepEqual(Object.keys(body), ['access_token', 'signature', 'scope', 'instance_url', 'id', 'token_type', 'issued_at']);
      assert.equal(body.token_type, 'Bearer');
      assert.equal(body.scope, 'api', 'refresh_token and offline_access are never granted to client credentials');
      assert.equal(typeof body.issued_at, 'string');
      assert.ok(Number(body.issued_at) >= before && Number(body.issued_at) <= Date.now());
      const expected = createHmac('sha256', org.consumerSecret).update(String(body.id) + String(body.issued_at)).digest('base64');
      assert.equal(body.signature, expected);
      assert.match(String(body.id), new RegExp(`^${org.loginUrl}/id/${org.orgId}/005`));
    });

    it('accepts HTTP Basic client authentication', async () => {
      const basic = Buffer.from(`${org.consumerKey}:${org.consumerSecret}`).toString('base64');
      const { status, body } = await form(`${org.instanceUrl}/services/oauth2/token`, { grant_type: 'client_credentials' }, { headers: { authorization: `Basic ${basic}` } });
      assert.equal(status, 200);
      assert.ok(body.access_token);
    });

    it('refuses the login host with "request not supported on this domain"', async () => {
      const { status, body } = await clientCredentials(org, {}, org.loginUrl);
      assert.equal(status, 400);
      assert.deepEqual(body, { error: 'invalid_grant', error_description: 'request not supported on this domain' });
    });

    it('gives each Salesforce error exactly', async () => {
      assert.deepEqual((await clientCredentials(org, { client_secret: 'wrong' })).body, { error: 'invalid_client', error_description: 'invalid client credentials' });
      assert.deepEqual((await clientCredentials(org, { client_id: '3MVG9unknown' })).body, { error: 'invalid_client_id', error_description: 'client identifier invalid' });
      const noRunAs = org.apps.No_Run_As!;
      assert.deepEqual((await clientCredentials(org, { client_id: noRunAs.consumerKey, client_secret: noRunAs.consumerSecret })).body, { error: 'invalid_grant', error_description: 'no client credentials user enabled' });
      const webOnly = org.apps.Web_Only!;
      assert.deepEqual((await clientCredentials(org, { client_id: webOnly.consumerKey, client_secret: webOnly.consumerSecret })).body, { error: 'unsupported_grant_type', error_description: 'grant type not supported' });
      assert.deepEqual((await clientCredentials(org, { grant_type: 'password', username: 'admin@handshake.demo', password: 'handshake-demo-1' })).body, { error: 'invalid_grant', error_description: 'authentication failure' });
    });

    it('checks the token on every API call: bad, revoked and expired tokens get INVALID_SESSION_ID', async () => {
      const token = (await clientCredentials(org)).body.access_token as string;
      const call = (t: string) => fetch(`${org.instanceUrl}/services/data/v66.0`, { headers: { authorization: `Bearer ${t}` } });
      assert.equal((await call(token)).status, 200);
      const bad = await call(token.slice(0, -2) + 'xx');
      assert.equal(bad.status, 401);
      assert.deepEqual(await bad.json(), [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);
      assert.equal((await form(`${org.instanceUrl}/services/oauth2/revoke`, { token })).status, 200);
      assert.equal((await call(token)).status, 401);
    });

    it('keeps tokens across a restart (durable store)', async () => {
      const token = (await clientCredentials(org)).body.access_token as string;
      await org.close();
      const restarted = await startOrg({ ...storeOptions, logLevel: false });
      org = Object.assign(restarted, { consumerKey: org.consumerKey, consumerSecret: org.consumerSecret, apps: org.apps });
      const res = await fetch(`${org.instanceUrl}/services/data/v66.0`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(res.status, 200);
      const resources = (await res.json()) as Record<string, string>;
      assert.match(resources.identity!, /\/id\/00D/);
    });
  });
}

describe('access token lifetime', () => {
  it('expires tokens after the app session timeout', async () => {
    let clock = Date.now();
    const org = await startTestOrg(STORES[0]!, { now: () => clock });
    try {
      const token = (await clientCredentials(org)).body.access_token as string;
      const call = () => fetch(`${org.instanceUrl}/services/data/v66.0`, { headers: { authorization: `Bearer ${token}` } });
      clock += 2 * 3600 * 1000 - 1000;
      assert.equal((await call()).status, 200);
      clock += 2000;
      assert.equal((await call()).status, 401);
    } finally {
      await org.close();
    }
  });
});
