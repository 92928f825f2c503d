import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestOrg, type TestOrg } from '../../org/test/helpers/org.js';
import { connectionClient } from '../src/connections/connections.js';
import { registerUsage, unregisterUsage } from '../src/connections/usages.js';
import { STORES, startTestHub, type TestHub } from './helpers.js';

for (const store of STORES) {
  describe(`Salesforce client credentials connections against the org (${store.name})`, () => {
    let org: TestOrg;
    let hub: TestHub;
    let key: string;
    before(async () => {
      org = await startTestOrg(STORES[0]!);
      hub = await startTestHub(store);
      key = await hub.key();
    });
    after(async () => {
      await hub.close();
      await org.close();
    });
    const salesforce = (name: string, overrides: Record<string, string> = {}) => ({ name, app: 'salesforce', method: 'oauth2_client_credentials', credentials: { instanceUrl: org.instanceUrl, consumerKey: org.consumerKey, consumerSecret: org.consumerSecret, ...overrides } });
    const tokenEvents = async () => (await org.store.db.selectFrom('events').select('id').where('kind', '=', 'token').where('outcome', '=', 'success').where('app_id', '=', (await org.store.db.selectFrom('apps').select('id').where('api_name', '=', 'MuleSoft_Integration').executeTakeFirstOrThrow()).id).execute()).length;

    let id: string;
    it('creates a connection, tests it, and never returns the secret', async () => {
      const res = await hub.api(key, 'POST', '/api/v1/connections', salesforce('Salesforce production'));
      assert.equal(res.status, 201, res.text);
      const conn = res.body.connection as Record<string, unknown>;
      id = conn.id as string;
      assert.equal(conn.status, 'active');
      assert.ok(conn.lastTestedAt);
      assert.deepEqual(conn.config, { instanceUrl: org.instanceUrl, consumerKey: org.consumerKey });
      assert.ok(!res.text.includes(org.consumerSecret));
      const listed = await hub.api(key, 'GET', '/api/v1/connections');
      assert.ok(!listed.text.includes(org.consumerSecret));
      assert.equal((listed.body.connections as unknown[]).length, 1);
    });

    it('serves 10,000 API calls from 50 concurrent callers with one token request, and recovers from a revoked token', async () => {
      const client = await connectionClient(hub.ctx, id);
      const before = await tokenEvents();
      const callers = Array.from({ length: 50 }, async () => {
        for (let i = 0; i < 200; i++) {
          const res = await client.request('/services/data/v66.0');
          assert.equal(res.status, 200);
          await res.discard();
        }
      });
      await Promise.all(callers);
      assert.equal(await tokenEvents(), before, 'the token from the connection test was reused: no new token request');
      assert.equal(await hub.ctx.metrics.tokenRequestCount('Salesforce production'), 1, 'one token request in the connection\'s lifetime so far');
      // Metrics name the connection, as people do, not by its id.
      const metrics = await (await fetch(`${hub.url}/metrics`)).text();
      assert.match(metrics, /handshake_hub_token_requests_total\{connection="Salesforce production",outcome="success"\} 1/);
      assert.ok(!metrics.includes(id), 'no connection id in the metrics');

      // The org revokes every token of the app; the next calls refresh once, and no caller sees a failure.
      await org.store.db.updateTable('access_tokens').set({ revoked: 1 }).execute();
      const statuses = await Promise.all(Array.from({ length: 50 }, async () => {
        const res = await client.request('/services/data/v66.0');
        await res.discard();
        return res.status;
      }));
      assert.deepEqual(new Set(statuses), new Set([200]));
      assert.equal(await tokenEvents(), before + 1, 'exactly one refresh');
      assert.equal(await hub.ctx.metrics.tokenRequestCount('Salesforce production'), 2);
    });

    it('refuses to send credentials to another origin', async () => {
      const client = await connectionClient(hub.ctx, id);
      await assert.rejects(client.request('http://evil.example/steal'), /must stay on/);
    });

    it('explains what to fix when the test fails, and saves nothing', async () => {
      const noRunAs = org.apps.No_Run_As!;
      const res = await hub.api(key, 'POST', '/api/v1/connections', salesforce('No run-as', { consumerKey: noRunAs.consumerKey, consumerSecret: noRunAs.consumerSecret }));
      assert.equal(res.status, 422);
      assert.match(res.type ?? '', /^application\/problem\+json/);
      assert.match(String(res.body.detail), /run-as user not set on the app/);
      const bad = await hub.api(key, 'POST', '/api/v1/connections', salesforce('Bad secret', { consumerSecret: 'wrong' }));
      assert.match(String(bad.body.detail), /invalid client credentials/);
      assert.ok(!bad.text.includes('wrong'), 'the secret that was sent is not echoed');
      const unknown = await hub.api(key, 'POST', '/api/v1/connections', salesforce('Unknown key', { consumerKey: '3MVG9nope' }));
      assert.match(String(unknown.body.detail), /unknown consumer key/);
      const listed = await hub.api(key, 'GET', '/api/v1/connections');
      assert.equal((listed.body.connections as unknown[]).length, 1);
    });

    it('tests on demand, keeping status and lastTestedAt', async () => {
      await org.store.db.updateTable('apps').set({ run_as_user_id: null }).where('api_name', '=', 'MuleSoft_Integration').execute();
      await org.store.db.updateTable('access_tokens').set({ revoked: 1 }).execute();
      org.ctx.cache.clear();
      const failing = await hub.api(key, 'POST', `/api/v1/connections/${id}/test`);
      assert.equal(failing.status, 200, failing.text);
      const conn = failing.body.connection as Record<string, string>;
      assert.equal(conn.status, 'failing');
      assert.match(conn.statusReason!, /run-as user not set/);
      const integration = await org.store.db.selectFrom('users').select('id').where('username', '=', 'integration@handshake.demo').executeTakeFirstOrThrow();
      await org.store.db.updateTable('apps').set({ run_as_user_id: integration.id }).where('api_name', '=', 'MuleSoft_Integration').execute();
      org.ctx.cache.clear();
      const fixed = await hub.api(key, 'POST', `/api/v1/connections/${id}/test`);
      assert.equal((fixed.body.connection as Record<string, string>).status, 'active');
    });

    it('edits name and description; new credentials are tested before they replace the old ones', async () => {
      const renamed = await hub.api(key, 'PATCH', `/api/v1/connections/${id}`, { name: 'Salesforce prod', description: 'ERP sync' });
      assert.equal((renamed.body.connection as Record<string, string>).name, 'Salesforce prod');
      const before = (renamed.body.connection as Record<string, string>).credentialsHash;
      const refused = await hub.api(key, 'PATCH', `/api/v1/connections/${id}`, { credentials: { instanceUrl: org.instanceUrl, consumerKey: org.consumerKey, consumerSecret: 'typo' } });
      assert.equal(refused.status, 422);
      const after = await hub.api(key, 'GET', `/api/v1/connections/${id}`);
      assert.equal((after.body.connection as Record<string, string>).credentialsHash, before, 'the old credentials are kept');
      const client = await connectionClient(hub.ctx, id);
      assert.equal((await client.request('/services/data/v66.0')).status, 200);
    });

    it('a credentials PATCH names only what changes: the stored secret is kept, and the merged credentials are tested first', async () => {
      const wrongKey = await hub.api(key, 'PATCH', `/api/v1/connections/${id}`, { credentials: { consumerKey: 'not-a-key' } });
      assert.equal(wrongKey.status, 422, wrongKey.text);
      assert.ok(!wrongKey.text.includes(org.consumerSecret), 'the kept secret is not echoed');
      const unknownField = await hub.api(key, 'PATCH', `/api/v1/connections/${id}`, { credentials: { refreshToken: 'x' } });
      assert.equal(unknownField.status, 400, 'a key the method does not take is refused, not merged');
      const sameKey = await hub.api(key, 'PATCH', `/api/v1/connections/${id}`, { credentials: { consumerKey: org.consumerKey, instanceUrl: `${org.instanceUrl}/` } });
      assert.equal(sameKey.status, 200, sameKey.text);
      assert.equal((sameKey.body.connection as { config: { instanceUrl: string } }).config.instanceUrl, org.instanceUrl);
      const revealer = await hub.key(['credentials:reveal']);
      assert.deepEqual((await hub.api(revealer, 'POST', `/api/v1/connections/${id}/reveal`)).body, { credentials: { consumerSecret: org.consumerSecret } });
    });

    it('reveals secrets only with credentials:reveal, and audits every step without values', async () => {
      const denied = await hub.api(key, 'POST', `/api/v1/connections/${id}/reveal`);
      assert.equal(denied.status, 403);
      const revealer = await hub.key(['credentials:reveal']);
      const revealed = await hub.api(revealer, 'POST', `/api/v1/connections/${id}/reveal`);
      assert.deepEqual(revealed.body, { credentials: { consumerSecret: org.consumerSecret } });
      const auditLog = await hub.api(key, 'GET', `/api/v1/audit?connectionId=${id}`);
      const actions = (auditLog.body.entries as { action: string; outcome: string }[]).map((e) => `${e.action}:${e.outcome}`);
      for (const expected of ['connection.create:success', 'connection.test:failing', 'connection.test:success', 'connection.update:test_failed', 'credentials.reveal:success']) assert.ok(actions.includes(expected), `${expected} in ${actions.join(', ')}`);
      assert.ok(!auditLog.text.includes(org.consumerSecret));
    });

    it('lists the flows using a connection, is reused across them, and refuses deletion while used unless forced', async () => {
      await registerUsage(hub.ctx, id, { type: 'flow', id: 'f1', name: 'ERP contact to Lead' });
      await registerUsage(hub.ctx, id, { type: 'flow', id: 'f2', name: 'CRM order to ERP sales order' });
      await registerUsage(hub.ctx, id, { type: 'flow', id: 'f2', name: 'CRM order to ERP sales order' });
      const usages = await hub.api(key, 'GET', `/api/v1/connections/${id}/usages`);
      assert.deepEqual((usages.body.usages as { id: string }[]).map((u) => u.id), ['f2', 'f1']);
      const refused = await hub.api(key, 'DELETE', `/api/v1/connections/${id}`);
      assert.equal(refused.status, 409);
      assert.match(String(refused.body.detail), /2 flows use this connection \(CRM order to ERP sales order, ERP contact to Lead\)/);
      await unregisterUsage(hub.ctx, id, { type: 'flow', id: 'f1' });
      assert.equal(((await hub.api(key, 'GET', `/api/v1/connections/${id}/usages`)).body.usages as unknown[]).length, 1);
    });

    it('deletes a connection (forced while a flow still uses it)', async () => {
      assert.equal((await hub.api(key, 'DELETE', `/api/v1/connections/${id}?force=true`)).status, 204);
      assert.equal((await hub.api(key, 'GET', `/api/v1/connections/${id}`)).status, 404);
    });
  });
}
