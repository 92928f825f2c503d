import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FormBrowser } from '../../org/test/helpers/browser.js';
import { startTestOrg, type TestOrg } from '../../org/test/helpers/org.js';
import { applySetupText } from '../../org/src/setup/apply.js';
import { connectionClient } from '../src/connections/connections.js';
import { STORES, startTestHub, type TestHub } from './helpers.js';

/** Logs in to the org as its admin, allows access, and follows the redirect back to the hub. */
async function authorizeInBrowser(authorizationUrl: string): Promise<{ status: number; html: string }> {
  const browser = new FormBrowser();
  const origin = new URL(authorizationUrl).origin;
  const login = await browser.request(authorizationUrl);
  assert.equal(login.status, 200, login.html);
  const submitted = await browser.request(origin + FormBrowser.formAction(login.html), { form: FormBrowser.formFields(login.html, { username: 'admin@handshake.demo', pw: 'handshake-demo-1' }) });
  const consent = await browser.request(origin + submitted.location!);
  const allowed = await browser.request(origin + FormBrowser.formAction(consent.html), { form: FormBrowser.formFields(consent.html, { decision: 'allow' }) });
  assert.equal(allowed.status, 302);
  return browser.request(allowed.location!);
}

for (const store of STORES) {
  describe(`Salesforce authorization code connections (${store.name})`, () => {
    let org: TestOrg;
    let hub: TestHub;
    let key: string;
    let app: { consumerKey: string; consumerSecret: string };
    before(async () => {
      org = await startTestOrg(STORES[0]!);
      hub = await startTestHub(store);
      key = await hub.key();
      const created = await applySetupText({ db: org.store.db, box: org.ctx.box, actor: 'test' }, `apps:
  - name: Hub
    apiName: Hub_Web
    contactEmail: admin@handshake.demo
    oauth:
      scopes: [api, refresh_token]
      flows: [authorization_code, refresh_token]
      callbackUrls: ['${hub.url}/api/v1/oauth/callback']
    policies: { refreshTokenRotation: true }
`, 'hub-app.yaml');
      app = created.newApps[0]!;
    });
    after(async () => {
      await hub.close();
      await org.close();
    });

    let id: string;
    it('connects through the org\'s login and consent pages', async () => {
      const created = await hub.api(key, 'POST', '/api/v1/connections', { name: 'Salesforce as admin', app: 'salesforce', method: 'oauth2_authorization_code', credentials: { instanceUrl: org.instanceUrl, consumerKey: app.consumerKey, consumerSecret: app.consumerSecret } });
      assert.equal(created.status, 201, created.text);
      const conn = created.body.connection as { id: string; status: string; statusReason: string };
      id = conn.id;
      assert.equal(conn.status, 'inactive');
      assert.match(conn.statusReason, /not authorized yet/);
      const { authorizationUrl } = (await hub.api(key, 'POST', `/api/v1/connections/${id}/authorize`)).body as { authorizationUrl: string };
      const url = new URL(authorizationUrl);
      assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
      assert.ok(url.searchParams.get('state'));
      const landed = await authorizeInBrowser(authorizationUrl);
      assert.equal(landed.status, 200, landed.html);
      assert.match(landed.html, /is connected/);
      const after = (await hub.api(key, 'GET', `/api/v1/connections/${id}`)).body.connection as { status: string };
      assert.equal(after.status, 'active');
      const res = await (await connectionClient(hub.ctx, id)).request('/services/oauth2/userinfo');
      assert.equal(((await res.json()) as { preferred_username: string }).preferred_username, 'admin@handshake.demo');
    });

    it('stores a rotated refresh token before using the new access token', async () => {
      const before = (await hub.ctx.db.selectFrom('connections').select('credentials_hash').where('id', '=', id).executeTakeFirstOrThrow()).credentials_hash;
      await org.store.db.updateTable('access_tokens').set({ revoked: 1 }).execute();
      const res = await (await connectionClient(hub.ctx, id)).request('/services/data/v66.0');
      assert.equal(res.status, 200, 'a 401 refreshed once and retried once');
      const after = (await hub.ctx.db.selectFrom('connections').select('credentials_hash').where('id', '=', id).executeTakeFirstOrThrow()).credentials_hash;
      assert.notEqual(after, before, 'the org rotated the refresh token and the hub stored the successor');
    });

    it('marks the connection "needs reconnect" when the refresh token is revoked, and reconnects in place', async () => {
      await org.store.db.updateTable('refresh_tokens').set({ revoked: 1 }).execute();
      await org.store.db.updateTable('access_tokens').set({ revoked: 1 }).execute();
      await assert.rejects((await connectionClient(hub.ctx, id)).request('/services/data/v66.0'), /expired access\/refresh token/);
      const broken = (await hub.api(key, 'GET', `/api/v1/connections/${id}`)).body.connection as { status: string; statusReason: string };
      assert.equal(broken.status, 'needs_reconnect');
      assert.match(broken.statusReason, /reconnect/);

      const { authorizationUrl } = (await hub.api(key, 'POST', `/api/v1/connections/${id}/authorize`)).body as { authorizationUrl: string };
      assert.match((await authorizeInBrowser(authorizationUrl)).html, /is connected/);
      const fixed = (await hub.api(key, 'GET', `/api/v1/connections/${id}`)).body.connection as { id: string; status: string };
      assert.equal(fixed.id, id, 'same connection id');
      assert.equal(fixed.status, 'active');
      assert.equal((await (await connectionClient(hub.ctx, id)).request('/services/data/v66.0')).status, 200);
    });

    it('refuses a replayed or unknown state on the callback', async () => {
      const res = await fetch(`${hub.url}/api/v1/oauth/callback?state=forged&code=x`);
      assert.equal(res.status, 400);
      assert.match(await res.text(), /unknown, used or expired/);
    });
  });
}
