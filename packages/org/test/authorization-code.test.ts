import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Connection } from 'jsforce';
import { FormBrowser } from './helpers/browser.js';
import { authorize, challengeOf, verifier, type Dance } from './helpers/authorize.js';
import { form, STORES, startTestOrg, type TestOrg } from './helpers/org.js';

for (const store of STORES) {
  describe(`authorization code + PKCE through the login and consent pages (${store.name})`, () => {
    let org: TestOrg;
    before(async () => { org = await startTestOrg(store); });
    after(() => org.close());

    const exchange = (dance: Dance, app = 'MuleSoft_Integration', overrides: Record<string, string> = {}) => form(`${org.loginUrl}/services/oauth2/token`, {
      grant_type: 'authorization_code', code: dance.code, client_id: org.apps[app]!.consumerKey, client_secret: org.apps[app]!.consumerSecret, redirect_uri: dance.redirectUri, code_verifier: dance.verifier, ...overrides,
    });

    it('logs in, consents, and exchanges the code for an access and a refresh token', async () => {
      const dance = await authorize(org, 'MuleSoft_Integration', { state: 'a b&c' });
      const { status, body } = await exchange(dance);
      assert.equal(status, 200, JSON.stringify(body));
      assert.ok(body.refresh_token, 'refresh_token scope was granted');
      assert.equal(body.scope, 'api refresh_token offline_access');
      const me = await fetch(`${org.instanceUrl}/services/oauth2/userinfo`, { headers: { authorization: `Bearer ${body.access_token}` } });
      assert.equal(((await me.json()) as { preferred_username: string }).preferred_username, 'admin@handshake.demo');
    });

    it('refuses a wrong password, an inactive user and an API-only user on the login page', async () => {
      const browser = new FormBrowser();
      const v = verifier();
      const query = new URLSearchParams({ response_type: 'code', client_id: org.consumerKey, redirect_uri: 'http://localhost:1717/OauthRedirect', code_challenge: challengeOf(v) });
      const login = await browser.request(`${org.loginUrl}/services/oauth2/authorize?${query}`);
      const wrong = await browser.request(org.loginUrl + FormBrowser.formAction(login.html), { form: FormBrowser.formFields(login.html, { username: 'admin@handshake.demo', pw: 'not-the-password' }) });
      assert.equal(wrong.status, 401);
      assert.match(wrong.html, /Please check your username and password/);
      const inactive = await browser.request(org.loginUrl + FormBrowser.formAction(wrong.html), { form: FormBrowser.formFields(wrong.html, { username: 'former@handshake.test', pw: 'former-password-1' }) });
      assert.equal(inactive.status, 401);
      assert.match(inactive.html, /Please check your username and password/, 'inactive users cannot log in');
      const apiOnly = await browser.request(org.loginUrl + FormBrowser.formAction(inactive.html), { form: FormBrowser.formFields(inactive.html, { username: 'apionly@handshake.test', pw: 'apionly-password-1' }) });
      assert.equal(apiOnly.status, 401);
      assert.match(apiOnly.html, /API only: this user can&#39;t log in through the login page/);
      assert.equal([...browser.cookies.keys()].includes('hs_sid'), false, 'no session after failed logins');
    });

    it('refuses a login form without its CSRF token', async () => {
      const browser = new FormBrowser();
      const query = new URLSearchParams({ response_type: 'code', client_id: org.consumerKey, redirect_uri: 'http://localhost:1717/OauthRedirect', code_challenge: challengeOf(verifier()) });
      const login = await browser.request(`${org.loginUrl}/services/oauth2/authorize?${query}`);
      const fields = FormBrowser.formFields(login.html, { username: 'admin@handshake.demo', pw: 'handshake-demo-1' });
      delete fields._csrf;
      const res = await browser.request(org.loginUrl + '/services/oauth2/authorize/login', { form: fields });
      assert.equal(res.status, 403);
    });

    it('shows an error page (never redirects) for a redirect URI that is not registered exactly', async () => {
      for (const redirect of ['http://localhost:1717/OauthRedirect/', 'http://localhost:1717/Other', 'http://evil.example/OauthRedirect']) {
        const res = await new FormBrowser().request(`${org.loginUrl}/services/oauth2/authorize?${new URLSearchParams({ response_type: 'code', client_id: org.consumerKey, redirect_uri: redirect, code_challenge: challengeOf(verifier()) })}`);
        assert.equal(res.status, 400);
        assert.equal(res.location, null);
        assert.match(res.html, /redirect_uri_mismatch/);
      }
    });

    it('redirects errors that the app may see: missing PKCE challenge, unsupported response type', async () => {
      const base = { client_id: org.consumerKey, redirect_uri: 'http://localhost:1717/OauthRedirect', state: 's1' };
      const noPkce = await new FormBrowser().request(`${org.loginUrl}/services/oauth2/authorize?${new URLSearchParams({ ...base, response_type: 'code' })}`);
      assert.equal(noPkce.status, 302);
      assert.equal(new URL(noPkce.location!).searchParams.get('error'), 'invalid_request');
      assert.equal(new URL(noPkce.location!).searchParams.get('state'), 's1');
      const token = await new FormBrowser().request(`${org.loginUrl}/services/oauth2/authorize?${new URLSearchParams({ ...base, response_type: 'token', code_challenge: challengeOf(verifier()) })}`);
      assert.equal(new URL(token.location!).searchParams.get('error'), 'unsupported_response_type');
    });

    it('redirects access_denied when the user denies', async () => {
      const browser = new FormBrowser();
      const query = new URLSearchParams({ response_type: 'code', client_id: org.consumerKey, redirect_uri: 'http://localhost:1717/OauthRedirect', code_challenge: challengeOf(verifier()), state: 'q' });
      const login = await browser.request(`${org.loginUrl}/services/oauth2/authorize?${query}`);
      const submitted = await browser.request(org.loginUrl + FormBrowser.formAction(login.html), { form: FormBrowser.formFields(login.html, { username: 'admin@handshake.demo', pw: 'handshake-demo-1' }) });
      const consent = await browser.request(org.loginUrl + submitted.location!);
      const denied = await browser.request(org.loginUrl + FormBrowser.formAction(consent.html), { form: FormBrowser.formFields(consent.html, { decision: 'deny' }) });
      const back = new URL(denied.location!);
      assert.equal(back.searchParams.get('error'), 'access_denied');
      assert.equal(back.searchParams.get('state'), 'q');
    });

    it('refuses a wrong verifier (invalid_request) and a missing one (invalid_grant)', async () => {
      const dance = await authorize(org, 'MuleSoft_Integration');
      assert.deepEqual((await exchange(dance, 'MuleSoft_Integration', { code_verifier: verifier() })).body, { error: 'invalid_request', error_description: 'invalid code verifier' });
      const again = await authorize(org, 'MuleSoft_Integration');
      const res = await form(`${org.loginUrl}/services/oauth2/token`, { grant_type: 'authorization_code', code: again.code, client_id: org.consumerKey, client_secret: org.consumerSecret, redirect_uri: again.redirectUri });
      assert.deepEqual(res.body, { error: 'invalid_grant', error_description: 'invalid code verifier' });
    });

    it('refuses a redirect_uri at the token endpoint that differs from the one authorized', async () => {
      const dance = await authorize(org, 'MuleSoft_Integration');
      assert.deepEqual((await exchange(dance, 'MuleSoft_Integration', { redirect_uri: 'http://localhost:1717/other' })).body, { error: 'redirect_uri_mismatch', error_description: 'redirect_uri must match configuration' });
    });

    it('uses each code once; a replayed code revokes the tokens it issued', async () => {
      const dance = await authorize(org, 'MuleSoft_Integration');
      const first = await exchange(dance);
      assert.equal(first.status, 200);
      const replay = await exchange(dance);
      assert.deepEqual(replay.body, { error: 'invalid_grant', error_description: 'invalid authorization code' });
      const call = await fetch(`${org.instanceUrl}/services/data/v66.0`, { headers: { authorization: `Bearer ${first.body.access_token}` } });
      assert.equal(call.status, 401, 'the access token from the replayed code is revoked');
      const refresh = await form(`${org.loginUrl}/services/oauth2/token`, { grant_type: 'refresh_token', refresh_token: first.body.refresh_token as string, client_id: org.consumerKey, client_secret: org.consumerSecret });
      assert.equal(refresh.body.error, 'invalid_grant', 'so is its refresh token');
    });

    it('lets a public client (no secret required) exchange with PKCE only', async () => {
      const dance = await authorize(org, 'Public_Client');
      const res = await form(`${org.loginUrl}/services/oauth2/token`, { grant_type: 'authorization_code', code: dance.code, client_id: org.apps.Public_Client!.consumerKey, redirect_uri: dance.redirectUri, code_verifier: dance.verifier });
      assert.equal(res.status, 200, JSON.stringify(res.body));
    });

    it('rotates refresh tokens: a retry inside the grace window gets the same successor, later reuse revokes the chain', async () => {
      const dance = await authorize(org, 'Web_App', { redirectUri: 'http://127.0.0.1:9/callback' });
      const app = org.apps.Web_App!;
      const first = await exchange(dance, 'Web_App');
      assert.equal(first.status, 200, JSON.stringify(first.body));
      const refresh = (token: string) => form(`${org.loginUrl}/services/oauth2/token`, { grant_type: 'refresh_token', refresh_token: token, client_id: app.consumerKey, client_secret: app.consumerSecret });
      // Five concurrent refreshes with the same token: one successor for all of them.
      const results = await Promise.all([1, 2, 3, 4, 5].map(() => refresh(first.body.refresh_token as string)));
      const successors = new Set(results.map((r) => r.body.refresh_token));
      assert.equal(successors.size, 1, JSON.stringify(results.map((r) => r.body)));
      assert.ok(results.every((r) => r.status === 200));
      const successor = [...successors][0] as string;
      assert.notEqual(successor, first.body.refresh_token);
      const next = await refresh(successor);
      assert.equal(next.status, 200);
      assert.ok(next.body.refresh_token);
    });
  });
}

describe('refresh token reuse after the grace window', () => {
  it('revokes the whole chain', async () => {
    let clock = Date.now();
    const org = await startTestOrg(STORES[0]!, { now: () => clock });
    try {
      const dance = await authorize(org, 'Web_App', { redirectUri: 'http://127.0.0.1:9/callback' });
      const app = org.apps.Web_App!;
      const tokens = await form(`${org.loginUrl}/services/oauth2/token`, { grant_type: 'authorization_code', code: dance.code, client_id: app.consumerKey, client_secret: app.consumerSecret, redirect_uri: dance.redirectUri, code_verifier: dance.verifier });
      const refresh = (token: string) => form(`${org.loginUrl}/services/oauth2/token`, { grant_type: 'refresh_token', refresh_token: token, client_id: app.consumerKey, client_secret: app.consumerSecret });
      const rotated = await refresh(tokens.body.refresh_token as string);
      clock += 31_000;
      const reuse = await refresh(tokens.body.refresh_token as string);
      assert.deepEqual(reuse.body, { error: 'invalid_grant', error_description: 'expired access/refresh token' });
      assert.equal((await refresh(rotated.body.refresh_token as string)).body.error, 'invalid_grant', 'the successor is revoked too');
      const call = await fetch(`${org.instanceUrl}/services/data/v66.0`, { headers: { authorization: `Bearer ${rotated.body.access_token}` } });
      assert.equal(call.status, 401);
    } finally {
      await org.close();
    }
  });

  it('honours "expire if not used for N"', async () => {
    let clock = Date.now();
    const org = await startTestOrg(STORES[0]!, { now: () => clock });
    try {
      const dance = await authorize(org, 'Public_Client');
      const app = org.apps.Public_Client!;
      const tokens = await form(`${org.loginUrl}/services/oauth2/token`, { grant_type: 'authorization_code', code: dance.code, client_id: app.consumerKey, redirect_uri: dance.redirectUri, code_verifier: dance.verifier });
      const refresh = () => form(`${org.loginUrl}/services/oauth2/token`, { grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token as string, client_id: app.consumerKey });
      clock += 59 * 60_000;
      assert.equal((await refresh()).status, 200, 'used within the hour: still good, and the idle clock restarts');
      clock += 59 * 60_000;
      assert.equal((await refresh()).status, 200);
      clock += 61 * 60_000;
      assert.deepEqual((await refresh()).body, { error: 'invalid_grant', error_description: 'expired access/refresh token' });
    } finally {
      await org.close();
    }
  });
});

describe('refresh token policies and scopes', () => {
  it('"expire after N" counts from the authorization, however often the token is used', async () => {
    let clock = Date.now();
    const org = await startTestOrg(STORES[0]!, { now: () => clock });
    try {
      const dance = await authorize(org, 'Expiring_Refresh');
      const app = org.apps.Expiring_Refresh!;
      const tokens = await form(`${org.loginUrl}/services/oauth2/token`, { grant_type: 'authorization_code', code: dance.code, client_id: app.consumerKey, client_secret: app.consumerSecret, redirect_uri: dance.redirectUri, code_verifier: dance.verifier });
      const refresh = () => form(`${org.loginUrl}/services/oauth2/token`, { grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token as string, client_id: app.consumerKey, client_secret: app.consumerSecret });
      clock += 12 * 3600_000;
      assert.equal((await refresh()).status, 200);
      clock += 11 * 3600_000;
      assert.equal((await refresh()).status, 200);
      clock += 2 * 3600_000;
      assert.deepEqual((await refresh()).body, { error: 'invalid_grant', error_description: 'expired access/refresh token' });
    } finally {
      await org.close();
    }
  });

  it('issues no refresh token when the refresh_token scope was not granted', async () => {
    const org = await startTestOrg(STORES[0]!);
    try {
      const dance = await authorize(org, 'Web_Only', { redirectUri: 'http://127.0.0.1:9/cb' });
      const app = org.apps.Web_Only!;
      const tokens = await form(`${org.loginUrl}/services/oauth2/token`, { grant_type: 'authorization_code', code: dance.code, client_id: app.consumerKey, client_secret: app.consumerSecret, redirect_uri: dance.redirectUri, code_verifier: dance.verifier });
      assert.equal(tokens.status, 200);
      assert.equal(tokens.body.refresh_token, undefined);
      assert.equal(tokens.body.scope, 'api');
    } finally {
      await org.close();
    }
  });
});

describe('jsforce refresh on expiry', () => {
  it('refreshes on the 401 and retries by itself once the access token expires', async () => {
    const org = await startTestOrg(STORES[0]!);
    try {
      const dance = await authorize(org, 'Web_App', { redirectUri: 'http://127.0.0.1:9/callback' });
      const app = org.apps.Web_App!;
      const tokens = await form(`${org.loginUrl}/services/oauth2/token`, { grant_type: 'authorization_code', code: dance.code, client_id: app.consumerKey, client_secret: app.consumerSecret, redirect_uri: dance.redirectUri, code_verifier: dance.verifier });
      const refreshed: string[] = [];
      const conn = new Connection({
        oauth2: { clientId: app.consumerKey, clientSecret: app.consumerSecret, loginUrl: org.loginUrl, redirectUri: dance.redirectUri },
        instanceUrl: org.instanceUrl,
        accessToken: tokens.body.access_token as string,
        refreshToken: tokens.body.refresh_token as string,
      });
      conn.on('refresh', (accessToken: string) => refreshed.push(accessToken));
      await new Promise((r) => setTimeout(r, 2200)); // the Web_App's access tokens live 2 s
      const resources = await conn.request<Record<string, string>>('/services/data/v66.0');
      assert.ok(resources.sobjects);
      assert.equal(refreshed.length, 1);
      assert.notEqual(refreshed[0], tokens.body.access_token);
    } finally {
      await org.close();
    }
  });
});
