import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { startTestOrg, tokenFor, type TestOrg } from '../../org/test/helpers/org.js';
import { salesforceSignIn } from '../../hub/src/people/sign-in-provider.js';
import { STORES, startTestHub, type TestHub } from '../../hub/test/helpers.js';
import { accessibilityViolations, ARTIFACTS, launchChromium } from './browser.js';

/**
 * "Log in with Salesforce": the console signs people in through the org's authorize endpoint, so
 * the org's own login and consent pages are part of the journey (a real OAuth 2.0 authorization
 * code flow with PKCE, in Chromium).
 */
describe('the console: Log in with Salesforce through the org\'s login and consent pages', () => {
  let org: TestOrg;
  let hub: TestHub;
  let browser: Browser;
  let app: { consumerKey: string; consumerSecret: string };
  const seen: string[] = [];

  before(async () => {
    org = await startTestOrg(STORES[0]!);
    hub = await startTestHub(STORES[0]!, { flows: false });
    // The console's app in the org, its callback on this hub (as an admin would set it up).
    const setup = `apps:
  - name: Handshake Console
    apiName: Handshake_Console
    contactEmail: admin@handshake.demo
    oauth: { scopes: [id], flows: [authorization_code], callbackUrls: ['${hub.url}/api/v1/session/sso/callback'], requireSecret: true, requirePkce: true }
`;
    const res = await fetch(`${org.instanceUrl}/services/admin/v1/setup`, { method: 'POST', headers: { authorization: `Bearer ${await tokenFor(org, 'Admin_Tools')}`, 'content-type': 'application/yaml' }, body: setup });
    const created = (await res.json()) as { newApps: { apiName: string; consumerKey: string; consumerSecret: string }[] };
    app = created.newApps.find((a) => a.apiName === 'Handshake_Console')!;
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await hub.close();
    await org.close();
  });

  const logInAtTheOrg = async (page: Page, name: string) => {
    await page.goto(`${hub.url}/`);
    await page.getByRole('link', { name: 'Log in with Salesforce' }).click();
    await page.getByLabel('Username').fill('admin@handshake.demo');
    await page.getByLabel('Password').fill('handshake-demo-1');
    await page.screenshot({ path: join(ARTIFACTS, `${name}-org-login.png`) });
    await page.getByRole('button', { name: 'Log In' }).click();
    await page.getByRole('button', { name: 'Allow' }).click();
  };

  it('a new hub asks for its first admin once (the one-time setup page), then signs them in', async () => {
    const context = await browser.newContext({ bypassCSP: true });
    const page = await context.newPage();
    await page.goto(`${hub.url}/`);
    await page.getByRole('heading', { name: 'Set up Handshake' }).waitFor();
    assert.deepEqual(await accessibilityViolations(page), []);
    await page.screenshot({ path: join(ARTIFACTS, '00-setup.png') });
    await page.getByLabel('Username').fill('owner');
    await page.getByLabel('Your name').fill('Olive Owner');
    await page.getByLabel(/^Password \(at least/).fill('first admin password');
    await page.getByLabel('Password again').fill('first admin password');
    await page.getByRole('button', { name: 'Create admin' }).click();
    await page.getByText('Olive Owner (admin)', { exact: true }).waitFor();
    await context.close();
    const again = await fetch(`${hub.url}/api/v1/setup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'intruder', password: 'intruder password 1' }) });
    assert.equal(again.status, 409, 'only while the hub has no user');
  });

  it('refuses a person the hub does not know (no default role), saying what to do', async () => {
    hub.ctx.signInProvider = salesforceSignIn(org.loginUrl, app.consumerKey, app.consumerSecret);
    const context = await browser.newContext();
    const page = await context.newPage();
    await logInAtTheOrg(page, '14');
    await page.getByRole('alert').filter({ hasText: 'admin@handshake.demo signed in to Salesforce, but has no hub account' }).waitFor();
    await context.close();
  });

  it('signs a person in (added as a viewer on first sign-in), audited with their name; the client secret never reaches the browser', async () => {
    hub.ctx.signInProvider = salesforceSignIn(org.loginUrl, app.consumerKey, app.consumerSecret, 'viewer');
    const context = await browser.newContext({ bypassCSP: true });
    const page = await context.newPage();
    page.on('response', (res) => void res.text().then((t) => seen.push(t), () => undefined));
    await logInAtTheOrg(page, '15');
    await page.getByRole('heading', { name: 'Integrations' }).waitFor();
    await page.getByText('Ada Admin (viewer)', { exact: true }).waitFor();
    assert.deepEqual(await accessibilityViolations(page), []);
    await page.screenshot({ path: join(ARTIFACTS, '16-signed-in-with-salesforce.png') });
    assert.equal(await page.getByRole('button', { name: 'New Connection' }).count(), 0, 'a viewer');
    const key = await hub.key(['audit:read']);
    const entries = (await hub.api(key, 'GET', '/api/v1/audit?limit=20')).body.entries as { actor: string; action: string; outcome: string; detail: string }[];
    assert.ok(entries.some((e) => e.actor === 'admin@handshake.demo' && e.action === 'session.sign_in' && e.detail === 'through Salesforce'));
    assert.ok(!seen.some((t) => t.includes(app.consumerSecret)), 'the client secret stays in the hub');
    // A second sign-in finds the same user (no duplicate).
    await context.close();
    const again = await browser.newContext();
    const page2 = await again.newPage();
    await logInAtTheOrg(page2, '17');
    await page2.getByRole('heading', { name: 'Integrations' }).waitFor();
    await again.close();
    const users = (await hub.api(await hub.key(['users:manage']), 'GET', '/api/v1/users')).body.users as { username: string }[];
    assert.deepEqual(users.map((u) => u.username), ['admin@handshake.demo', 'owner'], 'the person once, beside the first admin');
  });

  it('reconnects an authorization code connection in a popup through the org\'s login and consent pages (PKCE), keeping its id', async () => {
    const setup = `apps:
  - name: Hub Web
    apiName: Hub_Web
    contactEmail: admin@handshake.demo
    oauth: { scopes: [api, refresh_token], flows: [authorization_code, refresh_token], callbackUrls: ['${hub.url}/api/v1/oauth/callback'], requireSecret: true, requirePkce: true }
`;
    const applied = await fetch(`${org.instanceUrl}/services/admin/v1/setup`, { method: 'POST', headers: { authorization: `Bearer ${await tokenFor(org, 'Admin_Tools')}`, 'content-type': 'application/yaml' }, body: setup });
    const web = ((await applied.json()) as { newApps: { apiName: string; consumerKey: string; consumerSecret: string }[] }).newApps.find((a) => a.apiName === 'Hub_Web')!;
    const key = await hub.key(['connections:write', 'connections:read']);
    const created = await hub.api(key, 'POST', '/api/v1/connections', { name: 'Salesforce as a person', app: 'salesforce', method: 'oauth2_authorization_code', credentials: { instanceUrl: org.instanceUrl, consumerKey: web.consumerKey, consumerSecret: web.consumerSecret } });
    const id = (created.body.connection as { id: string; status: string }).id;
    const context = await browser.newContext({ bypassCSP: true });
    const page = await context.newPage();
    await page.goto(`${hub.url}/`);
    await page.getByLabel('Username').fill('owner');
    await page.getByLabel('Password').fill('first admin password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'Salesforce as a person' }).click();
    await page.getByText('not authorized yet').waitFor();
    const popupOpened = page.waitForEvent('popup');
    await page.getByRole('button', { name: 'Reconnect' }).click();
    const popup = await popupOpened;
    await popup.getByLabel('Username').fill('admin@handshake.demo');
    await popup.getByLabel('Password').fill('handshake-demo-1');
    await popup.getByRole('button', { name: 'Log In' }).click();
    // Listening before the click: the popup may close before the click's own wait ends.
    const closed = popup.waitForEvent('close', { timeout: 20_000 });
    await popup.getByRole('button', { name: 'Allow' }).click();
    await closed;
    await page.getByRole('heading', { name: /Salesforce as a person active/ }).waitFor();
    assert.deepEqual(await accessibilityViolations(page), []);
    await page.screenshot({ path: join(ARTIFACTS, '18-reconnected.png') });
    const after = (await hub.api(key, 'GET', `/api/v1/connections/${id}`)).body.connection as { id: string; status: string };
    assert.deepEqual([after.id, after.status], [id, 'active'], 'the same connection, now connected');
    await context.close();
  });

  it('refuses a callback with a state this browser did not start (a forged or replayed sign-in)', async () => {
    const res = await fetch(`${hub.url}/api/v1/session/sso/callback?code=stolen&state=forged`, { redirect: 'manual' });
    assert.equal(res.status, 302);
    assert.match(decodeURIComponent(res.headers.get('location')!), /sign_in_error=This sign-in was not started from this browser/);
    assert.equal(res.headers.get('set-cookie')?.includes('hs_session='), false);
  });
});
