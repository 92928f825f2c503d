import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { FormBrowser } from './helpers/browser.js';
import { clientCredentials, form, STORES, startTestOrg } from './helpers/org.js';

/**
 * Invariant 1: no secret (consumer secret, access or refresh token, password, org key) appears in
 * a log line, an error, an event row or a plaintext database column. Known values are planted,
 * every endpoint and error path is exercised at the most verbose log level, and everything the
 * org wrote is scanned for them.
 */
for (const store of STORES) {
  describe(`secret canaries (${store.name})`, () => {
    it('never appear in logs, event rows, the database or responses that do not issue them', async () => {
      const logs: string[] = [];
      const options = store.fresh();
      const org = await startTestOrg(store, { logLevel: 'trace', logStream: { write: (line: string) => void logs.push(line) } }, options);
      const responses: string[] = [];
      const canaries: string[] = [org.consumerSecret, ...Object.values(org.apps).map((a) => a.consumerSecret), 'handshake-demo-1', 'viewer-password-1', readFileSync(join(options.dataDir, 'org.key'), 'utf8').trim()];
      try {
        const issued = await clientCredentials(org);
        const access = issued.body.access_token as string;
        canaries.push(access);
        const keep = async (res: Response) => responses.push(`${res.status} ${await res.text()}`);

        await clientCredentials(org, { client_secret: org.consumerSecret + 'x' }).then((r) => responses.push(JSON.stringify(r.body)));
        await clientCredentials(org, {}, org.loginUrl).then((r) => responses.push(JSON.stringify(r.body)));
        for (const path of ['/services/data/v66.0', '/services/oauth2/userinfo', '/id/x/y', '/services/admin/v1/apps']) {
          await keep(await fetch(`${org.instanceUrl}${path}?access_token=${access}`));
          await keep(await fetch(`${org.instanceUrl}${path}?client_secret=${org.consumerSecret}`));
        }
        await keep(await fetch(`${org.instanceUrl}/services/data/v66.0`, { headers: { authorization: `Bearer ${access}x` } }));
        await keep(await fetch(`${org.instanceUrl}/services/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"client_secret":"${org.consumerSecret}"` }));
        await keep(await fetch(`${org.instanceUrl}/services/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${org.consumerKey}:${org.consumerSecret}x`).toString('base64')}` }, body: 'grant_type=client_credentials' }));
        await form(`${org.instanceUrl}/services/oauth2/introspect`, { token: access, client_id: org.consumerKey, client_secret: org.consumerSecret }).then((r) => responses.push(JSON.stringify(r.body)));
        await form(`${org.instanceUrl}/services/oauth2/token`, { grant_type: 'password', username: 'admin@handshake.demo', password: 'handshake-demo-1', client_id: org.consumerKey, client_secret: org.consumerSecret }).then((r) => responses.push(JSON.stringify(r.body)));
        // A browser login with the real password, and one with a wrong one.
        const browser = new FormBrowser();
        const login = await browser.request(`${org.loginUrl}/services/oauth2/authorize?${new URLSearchParams({ response_type: 'code', client_id: org.consumerKey, redirect_uri: 'http://localhost:1717/OauthRedirect', code_challenge: 'a'.repeat(43) })}`);
        const wrong = await browser.request(org.loginUrl + '/services/oauth2/authorize/login', { form: FormBrowser.formFields(login.html, { username: 'viewer@handshake.test', pw: 'viewer-password-1x' }) });
        responses.push(wrong.html);
        const ok = await browser.request(org.loginUrl + '/services/oauth2/authorize/login', { form: FormBrowser.formFields(wrong.html, { username: 'viewer@handshake.test', pw: 'viewer-password-1' }) });
        responses.push(ok.html);
        const adminToken = (await clientCredentials(org, { client_id: org.apps.Admin_Tools!.consumerKey, client_secret: org.apps.Admin_Tools!.consumerSecret })).body.access_token as string;
        canaries.push(adminToken);
        for (const path of ['/users', '/apps', '/events?limit=1000', '/users/admin@handshake.demo/access']) {
          await keep(await fetch(`${org.instanceUrl}/services/admin/v1${path}`, { headers: { authorization: `Bearer ${adminToken}` } }));
        }
        await keep(await fetch(`${org.instanceUrl}/metrics`));
        await form(`${org.instanceUrl}/services/oauth2/revoke`, { token: access }).then((r) => responses.push(JSON.stringify(r.body)));

        const events = await org.store.db.selectFrom('events').selectAll().execute();
        assert.ok(logs.length > 20, 'trace logging was on');
        const scan = (where: string, text: string) => {
          for (const canary of canaries) assert.ok(!text.includes(canary), `a secret (${canary.slice(0, 6)}…) appears in ${where}`);
        };
        scan('the logs', logs.join('\n'));
        scan('the event log', JSON.stringify(events));
        responses.forEach((r, i) => scan(`response ${i}`, r));
        if (store.name === 'sqlite') {
          await org.close();
          for (const file of ['org.sqlite', 'org.sqlite-wal']) {
            const path = join(options.dataDir, file);
            if (existsSync(path)) scan(`the raw database file ${file}`, readFileSync(path).toString('latin1'));
          }
        } else {
          for (const table of ['users', 'apps', 'app_consumers', 'access_tokens', 'refresh_tokens', 'authorization_codes', 'events', 'org_settings']) {
            const rows = await sql<{ row: unknown }>`SELECT row_to_json(t) AS row FROM ${sql.table(table)} t`.execute(org.store.db);
            scan(`table ${table}`, JSON.stringify(rows.rows));
          }
          await org.close();
        }
      } catch (error) {
        await org.close().catch(() => undefined);
        throw error;
      }
    });
  });
}
