import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oauth from 'oauth4webapi';
import { FormBrowser } from './helpers/browser.js';
import { clientCredentials, form, STORES, startTestOrg, tokenFor, type TestOrg } from './helpers/org.js';

const insecure = { [oauth.allowInsecureRequests]: true };

for (const store of STORES) {
  describe(`introspection, revocation, identity and the other endpoints (${store.name})`, () => {
    let org: TestOrg;
    before(async () => { org = await startTestOrg(store); });
    after(() => org.close());

    it('oauth4webapi obtains client credentials tokens and introspects them', async () => {
      const as: oauth.AuthorizationServer = { issuer: org.instanceUrl, token_endpoint: `${org.instanceUrl}/services/oauth2/token`, introspection_endpoint: `${org.instanceUrl}/services/oauth2/introspect` };
      const client: oauth.Client = { client_id: org.consumerKey };
      const auth = oauth.ClientSecretBasic(org.consumerSecret);
      const response = await oauth.clientCredentialsGrantRequest(as, client, auth, new URLSearchParams(), insecure);
      const tokens = await oauth.processClientCredentialsResponse(as, client, response);
      assert.equal(tokens.token_type, 'bearer');
      const introspected = await oauth.processIntrospectionResponse(as, client, await oauth.introspectionRequest(as, client, auth, tokens.access_token, insecure));
      assert.equal(introspected.active, true);
      assert.equal(introspected.client_id, org.consumerKey);
      assert.equal(introspected.username, 'integration@handshake.demo');
      assert.equal(introspected.token_type, 'access_token');
      assert.ok(typeof introspected.exp === 'number' && introspected.exp > Date.now() / 1000);
      // Another app cannot see this app's token.
      const other = org.apps.Admin_Tools!;
      const foreign = await oauth.processIntrospectionResponse(as, { client_id: other.consumerKey }, await oauth.introspectionRequest(as, { client_id: other.consumerKey }, oauth.ClientSecretPost(other.consumerSecret), tokens.access_token, insecure));
      assert.deepEqual(foreign, { active: false });
      // Revoked tokens are inactive.
      assert.equal((await form(`${org.instanceUrl}/services/oauth2/revoke`, { token: tokens.access_token })).status, 200);
      const revoked = await oauth.processIntrospectionResponse(as, client, await oauth.introspectionRequest(as, client, auth, tokens.access_token, insecure));
      assert.equal(revoked.active, false);
    });

    it('introspection needs client authentication', async () => {
      const token = (await clientCredentials(org)).body.access_token as string;
      const res = await form(`${org.instanceUrl}/services/oauth2/introspect`, { token, client_id: org.consumerKey, client_secret: 'wrong' });
      assert.deepEqual(res.body, { error: 'invalid_client', error_description: 'invalid client credentials' });
    });

    it('revoke answers 400 invalid_token for an unknown token', async () => {
      const res = await form(`${org.instanceUrl}/services/oauth2/revoke`, { token: 'not-a-token' });
      assert.equal(res.status, 400);
      assert.equal(res.body.error, 'invalid_token');
    });

    it('serves UserInfo and the identity URL for the token user only', async () => {
      const token = await tokenFor(org, 'Admin_Tools');
      const info = (await (await fetch(`${org.instanceUrl}/services/oauth2/userinfo`, { headers: { authorization: `Bearer ${token}` } })).json()) as Record<string, unknown>;
      assert.equal(info.preferred_username, 'admin@handshake.demo');
      assert.equal(info.organization_id, org.orgId);
      assert.equal(info.is_salesforce_integration_user, false);
      const id = String(info.sub);
      const identity = await fetch(id, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(identity.status, 200);
      assert.equal(((await identity.json()) as { username: string }).username, 'admin@handshake.demo');
      const someoneElse = id.replace(/005\w+$/, String(info.user_id).slice(0, 3) + 'x'.repeat(15));
      assert.equal((await fetch(someoneElse, { headers: { authorization: `Bearer ${token}` } })).status, 403);
      assert.equal((await fetch(`${org.instanceUrl}/services/oauth2/userinfo`)).status, 401);
    });

    it('lists API versions 50.0 to 66.0 with their release names', async () => {
      const versions = (await (await fetch(`${org.instanceUrl}/services/data`)).json()) as { version: string; label: string; url: string }[];
      assert.equal(versions.length, 17);
      assert.deepEqual(versions[0], { label: "Winter '21", url: '/services/data/v50.0', version: '50.0' });
      assert.deepEqual(versions.at(-1), { label: "Spring '26", url: '/services/data/v66.0', version: '66.0' });
      const token = (await clientCredentials(org)).body.access_token as string;
      assert.equal((await fetch(`${org.instanceUrl}/services/data/v49.0`, { headers: { authorization: `Bearer ${token}` } })).status, 404);
    });

    it('UI Bridge: POST only, token never in the URL, one-time frontdoor link, API-only users refused', async () => {
      const admin = await tokenFor(org, 'Admin_Tools');
      const get = await fetch(`${org.instanceUrl}/services/oauth2/singleaccess`, { headers: { authorization: `Bearer ${admin}` } });
      assert.equal(get.status, 405);
      const bridged = await form(`${org.instanceUrl}/services/oauth2/singleaccess`, { redirect_uri: '/lightning/page/home' }, { headers: { authorization: `Bearer ${admin}` } });
      assert.equal(bridged.status, 200);
      const link = String(bridged.body.frontdoor_uri);
      assert.match(link, /\/secur\/frontdoor\.jsp\?otp=/);
      const first = await fetch(link, { redirect: 'manual' });
      assert.equal(first.status, 303);
      assert.equal(first.headers.get('location'), '/lightning/page/home');
      assert.match(first.headers.get('set-cookie') ?? '', /hs_sid=/);
      assert.equal((await fetch(link, { redirect: 'manual' })).status, 400, 'single use');
      const integration = (await clientCredentials(org)).body.access_token as string;
      assert.equal((await form(`${org.instanceUrl}/services/oauth2/singleaccess`, {}, { headers: { authorization: `Bearer ${integration}` } })).status, 403);
      assert.equal((await form(`${org.instanceUrl}/services/oauth2/singleaccess`, { redirect_uri: 'https://evil.example/' }, { headers: { authorization: `Bearer ${admin}` } })).status, 400);
    });

    it('refuses credentials in any query string, on every kind of path', async () => {
      const token = (await clientCredentials(org)).body.access_token as string;
      for (const path of ['/services/data/v66.0', '/services/oauth2/userinfo', '/services/oauth2/singleaccess', '/services/admin/v1/users', '/services/data/v66.0/sobjects']) {
        for (const param of ['access_token', 'oauth_token']) {
          const res = await fetch(`${org.instanceUrl}${path}?${param}=${encodeURIComponent(token)}`);
          assert.equal(res.status, 400, `${path}?${param}`);
          assert.match(await res.text(), /not accepted in the URL query string/);
        }
      }
      const post = await fetch(`${org.instanceUrl}/services/oauth2/token?client_secret=${org.consumerSecret}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `grant_type=client_credentials&client_id=${org.consumerKey}` });
      assert.equal(post.status, 400);
      // The identity URL with a query token that is not also the Bearer header is refused too.
      const id = String((await clientCredentials(org)).body.id);
      assert.equal((await fetch(`${id}?format=json&oauth_token=${encodeURIComponent(token)}`)).status, 400);
    });

    it('exposes Prometheus metrics for token requests by grant and outcome', async () => {
      await clientCredentials(org);
      await clientCredentials(org, { client_secret: 'nope' });
      const text = await (await fetch(`${org.instanceUrl}/metrics`)).text();
      assert.match(text, /handshake_org_oauth_tokens_total\{grant_type="client_credentials",outcome="success"\} [1-9]/);
      assert.match(text, /handshake_org_oauth_tokens_total\{grant_type="client_credentials",outcome="invalid_client"\} [1-9]/);
      assert.match(text, /handshake_org_oauth_token_duration_seconds_bucket/);
    });
  });

  describe(`admin API (${store.name})`, () => {
    let org: TestOrg;
    before(async () => { org = await startTestOrg(store); });
    after(() => org.close());
    const call = (token: string, path: string, init: RequestInit = {}) => fetch(`${org.instanceUrl}/services/admin/v1${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.headers as Record<string, string>) } });

    it("prints a user's effective access (View Summary) for a user with View Setup", async () => {
      const res = await call(await tokenFor(org, 'Admin_Tools'), '/users/integration@handshake.demo/access');
      assert.equal(res.status, 200);
      const access = (await res.json()) as { objects: Record<string, string[]>; system: string[]; apiOnly: boolean };
      assert.deepEqual(access.objects.Contact, ['Read', 'Create', 'Edit', 'Delete']);
      assert.equal(access.apiOnly, true);
      const denied = await call(await tokenFor(org, 'Viewer_Tools'), '/users/integration@handshake.demo/access');
      assert.equal(denied.status, 403);
      assert.equal(((await denied.json()) as { errorCode: string }[])[0]!.errorCode, 'INSUFFICIENT_ACCESS');
    });

    it('applies setup documents (YAML or JSON) for an admin, listing problems for a bad one', async () => {
      const admin = await tokenFor(org, 'Admin_Tools');
      const yaml = 'permissionSets:\n  - name: Readers\n    label: Readers\n    objects: { Account: [Read] }\n';
      const ok = await call(admin, '/setup', { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: yaml });
      assert.equal(ok.status, 200);
      assert.deepEqual(((await ok.json()) as { created: string[] }).created, ['permission set Readers']);
      const bad = await call(admin, '/setup', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ users: [{ username: 'u@x.co', email: 'u@x.co', lastName: 'U', licence: 'Salesforce', profile: 'Nope' }] }) });
      assert.equal(bad.status, 400);
      const problems = (await bad.json()) as { errorCode: string; message: string; fields: string[] }[];
      assert.equal(problems[0]!.errorCode, 'INVALID_SETUP');
      assert.deepEqual(problems[0]!.fields, ['users[0].profile']);
      const viewer = await call(await tokenFor(org, 'Viewer_Tools'), '/setup', { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: yaml });
      assert.equal(viewer.status, 403);
    });

    it('reveals a consumer secret only with View Client Secret, and logs both attempts', async () => {
      const denied = await call(await tokenFor(org, 'Viewer_Tools'), '/apps/MuleSoft_Integration/secret', { method: 'POST' });
      assert.equal(denied.status, 403);
      const revealed = await call(await tokenFor(org, 'Admin_Tools'), '/apps/MuleSoft_Integration/secret', { method: 'POST' });
      assert.deepEqual(await revealed.json(), { consumerKey: org.consumerKey, consumerSecret: org.consumerSecret });
      const events = (await (await call(await tokenFor(org, 'Admin_Tools'), '/events?kind=secret_reveal')).json()) as { outcome: string; detail: string | null }[];
      assert.deepEqual(events.map((e) => e.outcome).sort(), ['denied', 'success']);
      assert.ok(!JSON.stringify(events).includes(org.consumerSecret));
    });

    it('lists apps without secrets, and the token event log with every issue and refusal', async () => {
      const admin = await tokenFor(org, 'Admin_Tools');
      const apps = await (await call(admin, '/apps')).text();
      assert.match(apps, /MuleSoft_Integration/);
      for (const app of Object.values(org.apps)) assert.ok(!apps.includes(app.consumerSecret));
      await clientCredentials(org, { client_secret: 'wrong' });
      const events = (await (await call(admin, '/events?kind=token&limit=5')).json()) as { outcome: string; grantType: string; address: string }[];
      assert.equal(events[0]!.outcome, 'invalid_client');
      assert.equal(events[0]!.grantType, 'client_credentials');
      assert.equal(events[0]!.address, '127.0.0.1');
      assert.ok(events.some((e) => e.outcome === 'success'));
      assert.equal((await call(admin, '/events?limit=0')).status, 400);
    });
  });
}

describe('login page rate limit', () => {
  it('counts password attempts against the per-address limit and answers 429 past it', async () => {
    const org = await startTestOrg(STORES[0]!, { rateLimits: { perAddressPerMinute: 3, perClientPerMinute: 100 } });
    try {
      const browser = new FormBrowser();
      const query = new URLSearchParams({ response_type: 'code', client_id: org.consumerKey, redirect_uri: 'http://localhost:1717/OauthRedirect', code_challenge: 'a'.repeat(43) });
      let page = (await browser.request(`${org.loginUrl}/services/oauth2/authorize?${query}`)).html;
      const statuses = [];
      for (let i = 0; i < 4; i++) {
        const res = await browser.request(`${org.loginUrl}/services/oauth2/authorize/login`, { form: FormBrowser.formFields(page, { username: 'admin@handshake.demo', pw: `guess-${i}` }) });
        statuses.push(res.status);
        if (res.status === 401) page = res.html;
      }
      assert.deepEqual(statuses, [401, 401, 401, 429]);
    } finally {
      await org.close();
    }
  });
});

describe('token endpoint rate limits', () => {
  it('answers 429 with an OAuth error and Retry-After past the per-client limit, and per address', async () => {
    const org = await startTestOrg(STORES[0]!, { rateLimits: { perClientPerMinute: 5, perAddressPerMinute: 12 } });
    try {
      const statuses = [];
      for (let i = 0; i < 7; i++) statuses.push((await clientCredentials(org)).status);
      assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429]);
      const limited = await clientCredentials(org);
      assert.equal(limited.body.error, 'rate_limit_exceeded');
      assert.ok(Number(limited.headers.get('retry-after')) >= 1);
      const other = org.apps.Admin_Tools!;
      const byAddress = [];
      for (let i = 0; i < 6; i++) byAddress.push((await clientCredentials(org, { client_id: other.consumerKey, client_secret: other.consumerSecret })).status);
      assert.ok(byAddress.includes(429), 'the address limit applies across clients');
    } finally {
      await org.close();
    }
  });
});
