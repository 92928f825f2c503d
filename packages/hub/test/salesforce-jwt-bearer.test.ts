import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generate } from 'selfsigned';
import { applySetupText } from '../../org/src/setup/apply.js';
import { startTestOrg, type TestOrg } from '../../org/test/helpers/org.js';
import { connectionClient } from '../src/connections/connections.js';
import { scanStoreAndClose, STORES, startTestHub, type TestHub } from './helpers.js';

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

const rsaPair = async () => generate([{ name: 'commonName', value: 'hub jwt' }], { keySize: 2048, algorithm: 'sha256' });

for (const store of STORES) {
  describe(`a Salesforce connection on the JWT bearer flow (${store.name})`, () => {
    let org: TestOrg;
    let hub: TestHub;
    let key: string;
    let pems: Awaited<ReturnType<typeof rsaPair>>;
    let consumerKey: string;
    let id: string;

    before(async () => {
      org = await startTestOrg(STORES[0]!);
      pems = await rsaPair();
      const made = await applySetupText({ db: org.store.db, box: org.ctx.box, actor: 'test' }, `apps:
  - name: Hub JWT
    apiName: Hub_Jwt
    contactEmail: admin@handshake.demo
    oauth:
      scopes: [api]
      flows: [jwt_bearer]
      certificate: |
${pems.cert.trim().split('\n').map((l) => `        ${l}`).join('\n')}
    policies:
      permittedUsers: { policy: adminApprovedPreAuthorized, permissionSets: [MuleSoft_SFDC_Integration] }
`, 'hub-jwt.yaml');
      consumerKey = made.newApps[0]!.consumerKey;
      hub = await startTestHub(store);
      key = await hub.key();
    });
    after(async () => {
      await hub.close().catch(() => undefined);
      await org.close();
    });
    const jwtGrants = async () => (await org.store.db.selectFrom('events').select('outcome').where('grant_type', '=', JWT_BEARER).execute()).map((e) => e.outcome);
    const create = (name: string, credentials: Record<string, unknown>) => hub.api(key, 'POST', '/api/v1/connections', { name, app: 'salesforce', method: 'oauth2_jwt_bearer', credentials: { instanceUrl: org.instanceUrl, consumerKey, username: 'integration@handshake.demo', ...credentials } });

    it('connects with a private key that stays in the vault: active, the key never in the answer', async () => {
      const res = await create('Salesforce JWT', { privateKey: pems.private });
      assert.equal(res.status, 201, res.text);
      const conn = res.body.connection as { id: string; status: string; config: Record<string, unknown> };
      id = conn.id;
      assert.equal(conn.status, 'active', res.text);
      assert.deepEqual(conn.config, { instanceUrl: org.instanceUrl, consumerKey, username: 'integration@handshake.demo', audience: 'https://login.salesforce.com' });
      assert.doesNotMatch(res.text, /PRIVATE KEY|MII/);
      assert.deepEqual(await jwtGrants(), ['success']);
    });

    it('fifty callers at once: one assertion, one token; a refused token is replaced by a new grant', async () => {
      const client = await connectionClient(hub.ctx, id);
      const before = (await jwtGrants()).length;
      const statuses = await Promise.all(Array.from({ length: 50 }, async () => (await client.request('/services/data/v62.0/query?q=SELECT+Id+FROM+Account+LIMIT+1')).status));
      assert.deepEqual(new Set(statuses), new Set([200]));
      assert.equal((await jwtGrants()).length, before, 'the token from the connection test is reused');
      // The org forgets every token (as a revocation does): the next call is a 401, and the hub signs a new assertion once.
      await org.store.db.deleteFrom('access_tokens').execute();
      org.ctx.cache.clear?.();
      const again = await Promise.all(Array.from({ length: 20 }, async () => (await client.request('/services/data/v62.0/query?q=SELECT+Id+FROM+Account+LIMIT+1')).status));
      assert.deepEqual(new Set(again), new Set([200]));
      assert.equal((await jwtGrants()).length, before + 1);
    });

    it('refuses a key that is not an RSA private key in PEM, naming the field and never echoing it', async () => {
      const ec = await generate([{ name: 'commonName', value: 'ec' }], { keyType: 'ec', curve: 'P-256', algorithm: 'sha256' });
      for (const [privateKey, message] of [['not a key', /RSA private key in PEM/], [ec.private, /is a ec key.*RS256/], [pems.public, /RSA private key in PEM/]] as const) {
        const res = await create('Bad key', { privateKey });
        assert.equal(res.status, 400, res.text);
        const errors = res.body.errors as { path: string; message: string }[];
        assert.equal(errors[0]!.path, 'credentials.privateKey');
        assert.match(errors[0]!.message, message);
        if (privateKey.length > 100) assert.ok(!res.text.includes(privateKey.slice(40, 80)), 'the key is not echoed');
      }
    });

    it('a key whose certificate is not on the app, or a user not pre-authorized: not saved, saying what to fix', async () => {
      const other = await rsaPair();
      const res = await create('Wrong key', { privateKey: other.private });
      assert.equal(res.status, 422, res.text);
      assert.match(String(res.body.detail), /upload the certificate of this private key/);
      const unapproved = await create('Not approved', { privateKey: pems.private, username: 'admin@handshake.demo' });
      assert.equal(unapproved.status, 422, unapproved.text);
      assert.match(String(unapproved.body.detail), /not pre-authorized/);
    });

    it('no private key in plaintext anywhere in the store', async () => {
      const body = pems.private.split('\n').slice(2, 4).join('');
      await scanStoreAndClose(hub, store, (where, text) => assert.ok(!text.includes(body) && !text.includes('PRIVATE KEY'), `private key found in ${where}`));
    });
  });
}
