import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startTestOrg, type TestOrg } from '../../org/test/helpers/org.js';
import { STORES, startTestHub, type TestHub } from '../../hub/test/helpers.js';
import { accessibilityViolations, ARTIFACTS, launchChromium } from './browser.js';

const PASSWORD = 'console test password 1';
const HEADER_SECRET = 'canary-header-value-7f3a9c';

/**
 * Seed 003 ("Connect to an External System") walked in Chromium against a real hub serving the
 * built console, with a real org behind the Salesforce connection.
 */
describe('the console in Chromium: seed 003 walked click by click', () => {
  let org: TestOrg;
  let hub: TestHub;
  let api: Server;
  let apiUrl = '';
  let browser: Browser;
  let admin: string;
  /** Every response body the browser received, scanned for secrets at the end. */
  const seen: string[] = [];
  const shots: string[] = [];

  before(async () => {
    org = await startTestOrg(STORES[0]!);
    hub = await startTestHub(STORES[0]!, { flows: { idleMs: 20 } });
    api = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
    await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
    apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
    admin = await hub.key(['users:manage', 'connections:write', 'connections:read', 'flows:write', 'flows:read', 'flows:trigger']);
    for (const [username, role] of [['ada', 'admin'], ['vic', 'viewer']] as const) {
      assert.equal((await hub.api(admin, 'POST', '/api/v1/users', { username, password: PASSWORD, role })).status, 201);
    }
    // A named credential made in "Setup" (the API), granted to the console user ada.
    assert.equal((await hub.api(admin, 'POST', '/api/v1/external-credentials', { name: 'Billing', protocol: 'custom_headers', headers: [{ name: 'x-api-key', value: HEADER_SECRET }], principals: [{ name: 'billing', grantedTo: ['user:ada', 'test'] }] })).status, 201);
    assert.equal((await hub.api(admin, 'POST', '/api/v1/named-credentials', { name: 'Billing', baseUrl: apiUrl, externalCredential: 'Billing', principal: 'billing' })).status, 201);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await hub.close();
    await org.close();
    await new Promise((r) => api.close(r));
  });

  const open = async (): Promise<{ context: BrowserContext; page: Page }> => {
    // bypassCSP only lets the test inject axe-core; the console itself runs under the hub's CSP.
    const context = await browser.newContext({ bypassCSP: true });
    const page = await context.newPage();
    page.on('response', (res) => void res.text().then((t) => seen.push(t), () => undefined));
    return { context, page };
  };
  const shoot = async (page: Page, name: string) => {
    const violations = await accessibilityViolations(page);
    assert.deepEqual(violations, [], `axe on ${name}`);
    await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
    shots.push(name);
  };
  const signIn = async (page: Page, username: string) => {
    await page.goto(`${hub.url}/`);
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
  };

  it('signs in (a wrong password is told), with the hub\'s CSP on the page', async () => {
    const { context, page } = await open();
    const res = await page.goto(`${hub.url}/`);
    assert.match(res!.headers()['content-security-policy']!, /script-src 'self'/);
    await shoot(page, '01-sign-in');
    await page.getByLabel('Username').fill('ada');
    await page.getByLabel('Password').fill('wrong password here');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Wrong username or password.' }).waitFor();
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Integrations' }).waitFor();
    const cookies = await context.cookies();
    assert.equal(cookies.find((c) => c.name === 'hs_session')?.httpOnly, true);
    await context.close();
  });

  it('creates a connection with a standard method: connector card → Authentication Protocol → details (URL format checked; a failed test is explained) → Create', async () => {
    const { context, page } = await open();
    await signIn(page, 'ada');
    await page.getByRole('heading', { name: 'Get Started with Connectors' }).waitFor();
    await shoot(page, '02-integrations');
    await page.getByRole('button', { name: 'Create Connection with Salesforce' }).click();
    await page.getByRole('radio', { name: 'OAuth 2.0 Client Credentials' }).check();
    await shoot(page, '03-authentication-protocol');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByLabel('Connection Name').fill('Salesforce');
    await page.getByLabel(/^instanceUrl/).fill('ftp://org');
    await page.getByLabel(/^consumerKey/).fill(org.consumerKey);
    await page.getByLabel(/^consumerSecret/).fill('not the secret');
    assert.equal(await page.getByLabel(/^consumerSecret/).getAttribute('type'), 'password');
    await page.getByRole('button', { name: 'Create' }).click();
    // The browser's own URL check or ours: either way nothing was sent with a bad URL.
    await page.getByLabel(/^instanceUrl/).fill(org.instanceUrl);
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('alert').filter({ hasText: 'The connection was not saved' }).waitFor();
    await shoot(page, '04-create-failed');
    await page.getByLabel(/^consumerSecret/).fill(org.consumerSecret);
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('heading', { name: /^Salesforce/ }).waitFor();
    await page.getByText('Last Tested Date').waitFor();
    await shoot(page, '05-connection-details');
    // Edit its credentials: settings are shown, the secret is not; a left-blank secret is kept, and new ones are tested first.
    await page.getByRole('button', { name: 'Edit' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Edit' }).click();
    const edit = page.getByRole('dialog');
    assert.equal(await edit.getByLabel(/^consumerKey/).inputValue(), org.consumerKey);
    assert.equal(await edit.getByLabel(/^consumerSecret/).inputValue(), '', 'the secret is never shown');
    await edit.getByLabel(/^consumerKey/).fill('not-a-consumer-key');
    await edit.getByRole('button', { name: 'Save' }).click();
    await edit.getByRole('alert').filter({ hasText: 'The new credentials were not saved' }).waitFor();
    await shoot(page, '05a-edit-credentials-refused');
    await edit.getByLabel(/^consumerKey/).fill(org.consumerKey);
    await edit.getByLabel(/^instanceUrl/).fill(`${org.instanceUrl}/`);
    await edit.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved: the new credentials passed the connection test.' }).waitFor();
    const listed = (await hub.api(admin, 'GET', '/api/v1/connections')).body.connections as { name: string; status: string; config: { consumerKey: string } }[];
    assert.deepEqual(listed.map((c) => [c.name, c.status, c.config.consumerKey]), [['Salesforce', 'active', org.consumerKey]]);
    await context.close();
  });

  it('creates a connection from a named credential (searched), and edits only its name and description', async () => {
    const { context, page } = await open();
    await signIn(page, 'ada');
    await page.getByRole('button', { name: 'New Connection' }).click();
    await page.getByRole('radio', { name: 'HTTP API' }).check();
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('radio', { name: 'Named Credential' }).check();
    await page.getByLabel('Search named credentials').fill('bill');
    await page.getByRole('radio', { name: /^Billing/ }).check();
    await shoot(page, '06-named-credential-search');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByLabel('Connection Name').fill('Billing API');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('heading', { name: /^Billing API/ }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Reconnect' }).count(), 0, 'no Reconnect for a named credential');
    await page.getByRole('button', { name: 'Edit' }).click();
    await page.getByText('Changes apply to every flow').waitFor();
    await shoot(page, '07-edit-warning');
    await page.getByRole('dialog').getByRole('button', { name: 'Edit' }).click();
    await page.getByText('manage the credential in Setup').waitFor();
    assert.equal(await page.getByRole('dialog').locator('input, textarea').count(), 2, 'only Connection Name and Description');
    await page.getByRole('dialog').getByLabel('Description').fill('Invoices and payments');
    await page.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    await page.getByText('Invoices and payments').first().waitFor();
    await context.close();
  });

  it('sets a rotation policy and rotates the consumer secret now, from the Rotation tab; the connection works with the new secret', async () => {
    const adminConnection = await hub.api(admin, 'POST', '/api/v1/connections', { name: 'Salesforce Admin', app: 'salesforce', method: 'oauth2_client_credentials', credentials: { instanceUrl: org.instanceUrl, ...org.apps.Admin_Tools! } });
    assert.equal(adminConnection.status, 201, adminConnection.text);
    const { context, page } = await open();
    await signIn(page, 'ada');
    await page.getByRole('link', { name: 'Salesforce', exact: true }).click();
    await page.getByRole('tab', { name: 'Rotation' }).click();
    await page.getByText('No rotation policy').waitFor();
    await page.getByLabel(/^Administrative connection/).selectOption({ label: 'Salesforce Admin' });
    await page.getByLabel('Grace period (seconds)').fill('0');
    await page.getByRole('button', { name: 'Save policy' }).click();
    await page.getByRole('status').filter({ hasText: 'Rotation policy saved.' }).waitFor();
    await page.getByRole('button', { name: 'Rotate now' }).click();
    await page.getByRole('status').filter({ hasText: 'Rotated: the connection uses the new consumer secret.' }).waitFor({ timeout: 60_000 });
    await page.getByRole('cell', { name: 'done' }).first().waitFor();
    await shoot(page, '08a-rotation');
    await page.getByRole('button', { name: 'Test' }).click();
    await page.getByRole('status').filter({ hasText: 'The connection test succeeded.' }).waitFor();
    await context.close();
  });

  it('lists named and external credentials and identity providers, and creates an identity provider with a custom audience parameter', async () => {
    const { context, page } = await open();
    await signIn(page, 'ada');
    await page.getByRole('link', { name: 'Credentials' }).click();
    await page.getByRole('cell', { name: 'billing (user:ada, test)' }).waitFor();
    const form = page.getByRole('form', { name: 'New identity provider' });
    await form.getByLabel('Name', { exact: true }).fill('Billing IdP');
    await form.getByLabel('Token URL').fill(`${apiUrl}/token`);
    await form.getByLabel('Client id').fill('billing-client');
    await form.getByLabel('Client secret').fill('idp-secret-canary-1');
    await form.getByLabel(/^Custom request parameters/).fill('audience=https://billing.example in body');
    await form.getByRole('button', { name: 'Create identity provider' }).click();
    await page.getByRole('status').filter({ hasText: 'Identity provider created.' }).waitFor();
    await page.getByRole('cell', { name: 'audience=https://billing.example (body)' }).waitFor();
    await shoot(page, '08b-credentials');
    await context.close();
  });

  it('writes a flow from a template: problems shown inline at line:column as you type, the flow drawn, saved', async () => {
    const { context, page } = await open();
    await signIn(page, 'ada');
    await page.getByRole('link', { name: 'Flows' }).click();
    await page.getByRole('button', { name: 'New flow' }).click();
    await page.getByRole('button', { name: 'Use template webhook-lead-capture' }).click();
    await page.getByRole('status').filter({ hasText: 'No problems.' }).waitFor();
    await page.getByLabel('Flow diagram').getByText('Trigger: webhook').waitFor();
    await page.getByRole('cell', { name: 'ERP_Contact_Id__c' }).waitFor();
    await shoot(page, '08c-flow-editor');
    // A misspelt field: the server's problem comes back with its line and column, with a suggestion.
    const editor = page.getByRole('textbox', { name: 'Flow document' });
    await editor.click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type('\n      Emial: { path: email }');
    await page.getByRole('status').filter({ hasText: /\d+:\d+ actions\[0\]\.mapping\.Emial: unknown field Emial on Lead/ }).waitFor();
    assert.ok(await page.locator('.cm-lint-marker-error').count() >= 1, 'marked in the gutter');
    await page.keyboard.press('Control+z');
    await page.getByRole('status').filter({ hasText: 'No problems.' }).waitFor();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('heading', { name: /^webhook-lead-capture/ }).waitFor();
    // A second version, compared with the first, then rolled back.
    await page.getByRole('link', { name: 'Edit' }).click();
    await page.getByRole('status').filter({ hasText: 'No problems.' }).waitFor();
    const saved = (await hub.api(admin, 'GET', '/api/v1/flows/webhook-lead-capture/versions')).body.versions as { text: string }[];
    assert.equal(saved.length, 1);
    await page.getByRole('textbox', { name: 'Flow document' }).click();
    await page.keyboard.press('Control+a');
    await page.keyboard.insertText(saved[0]!.text.replace('      Email: { path: email, omitIfNull: true }', '      Email: { path: email, omitIfNull: true }\n      Status: { const: Open - Not Contacted }'));
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('version 2', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Changes from 1' }).click();
    await page.getByLabel('Changes in version 2').getByText(/^\+ +Status: \{ const: Open - Not Contacted \}/).waitFor();
    await shoot(page, '08d-flow-versions');
    await page.getByRole('button', { name: 'Roll back to 1' }).click();
    await page.getByRole('status').filter({ hasText: 'Rolled back to version 1 (saved as a new version).' }).waitFor();
    await page.getByText('version 3', { exact: true }).waitFor();
    assert.equal((await hub.api(admin, 'DELETE', '/api/v1/flows/webhook-lead-capture?force=true')).status, 204);
    await context.close();
  });

  it('tests a connection (the message and Last Tested Date update), shows its flows, refuses to delete it while a flow uses it, then deletes it', async () => {
    const flow = `name: leads-from-hook
trigger: { type: webhook, idPath: ref }
actions:
  - name: create-lead
    type: salesforce.create
    connection: Salesforce
    object: Lead
    mapping:
      LastName: { path: name }
      Company: { const: Hooked }
`;
    const saved = await fetch(`${hub.url}/api/v1/flows`, { method: 'PUT', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/yaml' }, body: flow });
    assert.equal(saved.status, 200, await saved.text());
    const { context, page } = await open();
    await signIn(page, 'ada');
    await page.getByRole('link', { name: 'Salesforce', exact: true }).click();
    await page.getByRole('button', { name: 'Test' }).click();
    await page.getByRole('status').filter({ hasText: 'The connection test succeeded.' }).waitFor();
    await page.getByRole('tab', { name: 'Related' }).click();
    await page.getByRole('link', { name: 'leads-from-hook' }).waitFor();
    await shoot(page, '08-flows-using-connection');
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog').getByText('leads-from-hook').waitFor();
    await shoot(page, '09-delete-dialog');
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('alert').filter({ hasText: /leads-from-hook/ }).waitFor();
    // The flow's page is open when the webhook arrives: the run shows up live, without a reload.
    await page.getByRole('link', { name: 'Flows' }).click();
    await page.getByRole('link', { name: 'leads-from-hook' }).click();
    await page.getByText('New runs appear here as they are recorded.').waitFor();
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await hub.api(admin, 'POST', '/api/v1/hooks/leads-from-hook', { ref: 'h-1', name: 'Hooked Person' })).status, 202);
    await page.getByRole('cell', { name: 'h-1' }).waitFor({ timeout: 10_000 });
    await shoot(page, '10-flow-runs');
    await page.getByRole('row', { name: /h-1/ }).getByRole('link').click();
    await page.getByRole('heading', { name: 'Steps' }).waitFor();
    await page.getByText('"create-lead"').first().waitFor();
    await shoot(page, '11-run');
    // A run that cannot succeed (no last name): dead at once, opened, then replayed from the dead letters.
    await page.goBack();
    await page.getByText('New runs appear here as they are recorded.').waitFor();
    assert.equal((await hub.api(admin, 'POST', '/api/v1/hooks/leads-from-hook', { ref: 'h-2' })).status, 202);
    await page.getByRole('row', { name: /h-2/ }).getByText('dead').waitFor({ timeout: 10_000 });
    await page.getByRole('row', { name: /h-2/ }).getByRole('link').click();
    await page.getByText(/REQUIRED_FIELD_MISSING/).first().waitFor();
    await shoot(page, '11a-failed-run');
    await page.goBack();
    await page.reload();
    await page.getByRole('heading', { name: 'Dead letters (1)' }).waitFor();
    await page.getByRole('button', { name: 'Replay all' }).click();
    await page.getByRole('status').filter({ hasText: 'Dead letters sent back to run.' }).waitFor();
    assert.equal((await hub.api(admin, 'DELETE', '/api/v1/flows/leads-from-hook?force=true')).status, 204);
    await page.goto(`${hub.url}/#/connections`);
    await page.getByRole('link', { name: 'Salesforce', exact: true }).click();
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog').getByText('No flow uses this connection.').waitFor();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('heading', { name: 'Integrations' }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'Salesforce', exact: true }).count(), 0);
    await page.getByRole('link', { name: 'Audit' }).click();
    await page.getByRole('cell', { name: 'connection.delete' }).first().waitFor();
    await shoot(page, '12-audit');
    assert.ok((await page.getByRole('row', { name: /ada.*connection\.delete/ }).count()) >= 1, 'the audit log names the person');
    await context.close();
  });

  it('shows a viewer no way to change anything, and the hub refuses it anyway', async () => {
    const { context, page } = await open();
    await signIn(page, 'vic');
    await page.getByRole('heading', { name: 'Integrations' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'New Connection' }).count(), 0);
    await page.getByRole('link', { name: 'Billing API' }).click();
    await page.getByRole('heading', { name: /^Billing API/ }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Delete' }).count(), 0);
    await shoot(page, '13-viewer');
    await page.getByRole('link', { name: 'Dashboard' }).click();
    await page.getByRole('img', { name: /^Token requests per minute, by connection, last 60 minutes\. Totals: .*Salesforce: [1-9]/ }).waitFor();
    await page.getByRole('img', { name: /^Runs per minute, by flow/ }).waitFor();
    assert.ok(await page.locator('canvas').count() >= 3, 'three charts drawn');
    await shoot(page, '14-dashboard');
    const status = await page.evaluate(async () => {
      const session = (await (await fetch('/api/v1/session')).json()) as { csrfToken: string };
      const connections = (await (await fetch('/api/v1/connections')).json()) as { connections: { id: string }[] };
      return (await fetch(`/api/v1/connections/${connections.connections[0]!.id}`, { method: 'DELETE', headers: { 'x-csrf-token': session.csrfToken } })).status;
    });
    assert.equal(status, 403);
    await context.close();
  });

  it('works from the keyboard: sign in and open a connection without the mouse', async () => {
    const { context, page } = await open();
    await page.goto(`${hub.url}/`);
    await page.getByLabel('Username').waitFor();
    assert.equal(await page.locator(':focus').getAttribute('name'), 'username', 'the username field has the focus');
    await page.keyboard.type('ada');
    await page.keyboard.press('Tab');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Integrations' }).waitFor();
    await page.getByRole('link', { name: 'Billing API' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: /^Billing API/ }).waitFor();
    await page.getByRole('tab', { name: 'Related' }).focus();
    await page.keyboard.press('Enter');
    await page.getByText('Flows Using Connection').waitFor();
    await context.close();
  });

  it('never sent a secret to the browser (every response it saw, scanned)', () => {
    assert.ok(seen.length > 20, `responses seen: ${seen.length}`);
    for (const secret of [org.consumerSecret, HEADER_SECRET, PASSWORD, 'idp-secret-canary-1']) {
      assert.ok(!seen.some((body) => body.includes(secret)), 'a secret reached the browser');
    }
    assert.ok(shots.length >= 12);
  });
});
