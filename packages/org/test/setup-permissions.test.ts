import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { STORES, startTestOrg, tokenFor, type TestOrg } from './helpers/org.js';

for (const store of STORES) {
  describe(`the setup API decides permissions on the parsed document (${store.name})`, () => {
    let org: TestOrg;
    let delegate: string;
    const apply = async (token: string, type: string, body: string) => {
      const res = await fetch(`${org.instanceUrl}/services/admin/v1/setup`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': type }, body });
      return { status: res.status, text: await res.text() };
    };
    before(async () => {
      org = await startTestOrg(store);
      const admin = await tokenFor(org, 'Admin_Tools');
      // A delegated administrator: Manage Users, nothing about apps or secrets.
      const setup = await apply(admin, 'application/yaml', `permissionSets:
  - name: Delegated_Admin
    label: Delegated Admin
    system: [ManageUsers]
  - name: Secret_Viewer
    label: Secret Viewer
    system: [ViewClientSecret]
users:
  - username: delegate@handshake.test
    email: delegate@handshake.test
    lastName: Delegate
    licence: Salesforce
    profile: Standard User
    permissionSets: [Delegated_Admin]
apps:
  - name: Delegate Tools
    apiName: Delegate_Tools
    contactEmail: admin@handshake.demo
    oauth: { scopes: [api], flows: [client_credentials] }
    policies: { runAs: delegate@handshake.test }
`);
      assert.equal(setup.status, 200, setup.text);
      const created = JSON.parse(setup.text) as { newApps?: { apiName: string; consumerKey: string; consumerSecret: string }[] };
      const app = created.newApps?.find((a) => a.apiName === 'Delegate_Tools');
      assert.ok(app, `the new app's credentials are returned once: ${setup.text.slice(0, 200)}`);
      const token = await fetch(`${org.instanceUrl}/services/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'client_credentials', client_id: app.consumerKey, client_secret: app.consumerSecret }) });
      delegate = ((await token.json()) as { access_token: string }).access_token;
    });
    after(() => org.close());

    const adminApp = (key: string) => `${key}\n  - name: Escalation\n    apiName: Escalation\n    contactEmail: admin@handshake.demo\n    oauth: { scopes: [api], flows: [client_credentials] }\n    policies: { runAs: admin@handshake.demo }\n`;

    it('an app hidden behind any spelling of "apps" is still an app, and needs External Client App Developer', async () => {
      for (const key of ["'apps':", '? apps\n:', '"\\u0061pps":']) {
        const res = await apply(delegate, 'application/yaml', adminApp(key));
        assert.equal(res.status, 403, `${key}: ${res.text}`);
        assert.match(res.text, /INSUFFICIENT_ACCESS/);
        assert.match(res.text, /ExternalClientAppDeveloper/);
      }
    });

    it('nobody confers a system permission they do not hold: by defining a set, assigning one, or a profile', async () => {
      const cases: [string, RegExp][] = [
        ['permissionSets:\n  - { name: Escalate, label: Escalate, system: [ViewClientSecret] }\n', /Escalate\) grants ViewClientSecret/],
        ['users:\n  - { username: delegate@handshake.test, email: delegate@handshake.test, lastName: Delegate, licence: Salesforce, profile: Standard User, permissionSets: [Delegated_Admin, Secret_Viewer] }\n', /Secret_Viewer grants ViewClientSecret/],
        ['users:\n  - { username: boss@handshake.test, email: boss@handshake.test, lastName: Boss, licence: Salesforce, profile: System Administrator }\n', /profile System Administrator grants/],
      ];
      for (const [doc, expected] of cases) {
        const res = await apply(delegate, 'application/yaml', doc);
        assert.equal(res.status, 403, res.text);
        assert.match(res.text, expected);
      }
    });

    it('what the delegate may grant still applies', async () => {
      const res = await apply(delegate, 'application/yaml', 'users:\n  - { username: helper@handshake.test, email: helper@handshake.test, lastName: Helper, licence: Salesforce, profile: Standard User }\n');
      assert.equal(res.status, 200, res.text);
    });
  });
}
